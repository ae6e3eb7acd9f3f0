"""2-D convolution (cross-correlation, as PyTorch) through im2col / col2im.

Sharing is what a convolution is: one filter bank ``W (O, C, kh, kw)`` is
applied at every output position. ``windows`` exposes every ``kh x kw`` patch
of the zero-padded input as a strided view (no copy)::

    windows(x)[n, c, i, j, p, q] = xpad[n, c, i*s + p, j*s + q]     (N, C, Ho, Wo, kh, kw)
    Ho = (H + 2*pad - kh) // s + 1,   Wo likewise

so the forward pass is one matrix product over the patch axes (im2col)::

    y[n, o, i, j] = sum_{c,p,q} W[o, c, p, q] * windows(x)[n, c, i, j, p, q] + b[o]

and backward is its transpose: dW = G cols^T, db = sum G, and the patch
gradients W^T G are added back onto the input positions they came from
(``col2im``: one strided add per kernel offset (p, q), overlaps accumulate).
The pooling ops use the same two helpers.

Two layouts of the same products, chosen per call by :func:`layout`:

* ``"im2col"`` (the reference, NumPy only): the patches of the whole batch as
  one ``(C*kh*kw, N*Ho*Wo)`` matrix, one product, then a transposing copy of
  the ``(O, N, Ho, Wo)`` result; backward as above, col2im as ``kh*kw``
  strided adds.
* ``"patches"`` (Numba, :mod:`minigrad.kernels.conv`): batch-major patches
  ``cols (N, C*kh*kw, Ho*Wo)`` copied by a kernel, ``y = W cols[n]`` as one
  stacked product that lands in ``(N, O, Ho, Wo)`` order (no transpose),
  ``dW = sum_n G[n] cols[n]^T`` and the patch gradients ``W^T G[n]`` added
  back by a col2im kernel in one pass. Same sums, summed in another order.

Size rule (:func:`layout`): "patches" whenever ``mg.config.use_numba`` is on
and x, W (and b) share a float32/float64 dtype, because it was the faster one
at every size measured, from bench_nn's small-channel layers (0.51x) to 256
channels (0.98x, both paths then the products' time) --
``env -u OPENBLAS_CORETYPE python benchmarks/conv_cpu.py --shapes`` (float32,
1 thread, CPU time, forward + backward of the op with x and W requiring grad,
best of 9 interleaved rounds, us; 2-core machine loaded by other jobs)::

    x shape -> out channels, kernel     im2col    patches   patches/im2col
    64x1x28x28 -> 8, 3x3 (bench_nn)     1564.3      791.6     0.51
    64x8x13x13 -> 16, 3x3 (bench_nn)    2552.9     1310.9     0.51
    1x3x28x28 -> 8, 3x3                   92.3       56.5     0.61
    32x16x32x32 -> 32, 3x3 pad 1       37110.4    32759.3     0.88
    16x64x16x16 -> 64, 3x3 pad 1       18780.0    14401.0     0.77
    4x128x8x8 -> 128, 3x3 pad 1         3948.8     3303.9     0.84
    8x3x64x64 -> 16, 5x5 stride 2 pad 2 3037.3     2745.1     0.90
    2x256x14x14 -> 256, 3x3 pad 1      17594.1    17288.2     0.98

The first call with an empty Numba cache compiles the two kernels for the
dtype (about 1.2 s for im2col and 0.6 s for col2im; later processes load them
from the on-disk cache in milliseconds).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import config
from ..function import Function

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def use_kernels(*arrays):
    """Whether the Numba kernels take these arrays: ``mg.config.use_numba`` is on and
    all share one float32 or float64 dtype (anything else takes the NumPy path)."""
    if not config.use_numba:
        return False
    dt = arrays[0].dtype
    return dt in _KERNEL_DTYPES and all(a.dtype == dt for a in arrays[1:])


def layout(x, w, b):
    """``"patches"`` or ``"im2col"`` for ``conv2d(x, w, b)`` (the size rule: module docstring)."""
    return "patches" if use_kernels(x, w, *(() if b is None else (b,))) else "im2col"


def pad(x, padding, value=0.0):
    """``x (N, C, H, W)`` padded by ``padding`` (ph, pw) with ``value``, C-contiguous."""
    ph, pw = padding
    if ph or pw:
        return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)
    return np.ascontiguousarray(x)


def crop(gxp, padding):
    """The inverse of :func:`pad` on a gradient: the unpadded interior."""
    ph, pw = padding
    if ph or pw:
        return gxp[:, :, ph:gxp.shape[2] - ph, pw:gxp.shape[3] - pw]
    return gxp


def out_size(n, k, s, pad):
    """Output length of a window of size k, stride s over n samples padded by pad."""
    return (n + 2 * pad - k) // s + 1


def windows(x, kernel, stride, padding, pad_value=0.0):
    """Every patch of ``x (N, C, H, W)`` as a read-only view ``(N, C, Ho, Wo, kh, kw)``."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    n, c, h, w = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    s0, s1, s2, s3 = x.strides
    return as_strided(x, (n, c, ho, wo, kh, kw),
                      (s0, s1, s2 * sh, s3 * sw, s2, s3), writeable=False)


def col2im(gwin, shape, kernel, stride, padding):
    """Adjoint of ``windows``: add patch gradients ``(N, C, Ho, Wo, kh, kw)`` onto ``shape``."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = shape
    ho, wo = gwin.shape[2], gwin.shape[3]
    gx = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=gwin.dtype)
    for p in range(kh):
        for q in range(kw):
            gx[:, :, p:p + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw] += gwin[..., p, q]
    if ph or pw:
        gx = gx[:, :, ph:ph + h, pw:pw + w]
    return gx


class Conv2d(Function):
    """``y = conv2d(x, W) + b``: x ``(N, C, H, W)``, W ``(O, C, kh, kw)``, b ``(O,)`` or None."""

    @staticmethod
    def forward(ctx, x, w, b, stride=(1, 1), padding=(0, 0)):
        if layout(x, w, b) == "patches":
            return _patches_forward(ctx, x, w, b, stride, padding)
        return _im2col_forward(ctx, x, w, b, stride, padding)

    @staticmethod
    def backward(ctx, g):
        if ctx.saved[0] == "patches":
            return _patches_backward(ctx, g)
        return _im2col_backward(ctx, g)


def _im2col_forward(ctx, x, w, b, stride, padding):
    o, c, kh, kw = w.shape
    win = windows(x, (kh, kw), stride, padding)
    n, _, ho, wo = win.shape[:4]
    # im2col with the patch (c, p, q) as rows and the position (n, i, j) as
    # columns: the copy and col2im's adds then both run along image rows
    cols = win.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo)
    wm = w.reshape(o, -1)
    y = wm @ cols                                       # (O, N*Ho*Wo)
    if b is not None:
        y += b[:, None]
    ctx.saved = ("im2col", cols, wm, x.shape, w.shape, stride, padding)
    return np.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))


def _im2col_backward(ctx, g):
    _, cols, wm, xshape, wshape, stride, padding = ctx.saved
    need_x, need_w, need_b = ctx.needs_input_grad
    n, o, ho, wo = g.shape
    gm = g.transpose(1, 0, 2, 3).reshape(o, -1)          # (O, N*Ho*Wo)
    gw = (gm @ cols.T).reshape(wshape) if need_w else None
    gb = g.sum(axis=(0, 2, 3)) if need_b else None
    gx = None
    if need_x:
        c, kh, kw = wshape[1:]
        gcols = (wm.T @ gm).reshape(c, kh, kw, n, ho, wo)
        gx = col2im(gcols.transpose(3, 0, 4, 5, 1, 2), xshape, (kh, kw), stride, padding)
    return gx, gw, gb


def _patches_forward(ctx, x, w, b, stride, padding):
    from ..kernels import conv as kernels
    o, c, kh, kw = w.shape
    xp = pad(x, padding)
    n, _, hp, wp = xp.shape
    ho, wo = (hp - kh) // stride[0] + 1, (wp - kw) // stride[1] + 1
    cols = kernels.im2col(xp, kh, kw, stride[0], stride[1], ho, wo)   # (N, C*kh*kw, Ho*Wo)
    wm = w.reshape(o, -1)
    y = np.matmul(wm, cols)                                            # (N, O, Ho*Wo)
    if b is not None:
        y += b[:, None]
    ctx.saved = ("patches", cols, wm, xp.shape, w.shape, stride, padding)
    return y.reshape(n, o, ho, wo)


def _patches_backward(ctx, g):
    from ..kernels import conv as kernels
    _, cols, wm, xpshape, wshape, stride, padding = ctx.saved
    need_x, need_w, need_b = ctx.needs_input_grad
    n, o, ho, wo = g.shape
    g3 = np.ascontiguousarray(g, dtype=cols.dtype).reshape(n, o, ho * wo)
    gw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0).reshape(wshape) if need_w else None
    gb = g3.sum(axis=2).sum(axis=0) if need_b else None
    gx = None
    if need_x:
        c, kh, kw = wshape[1:]
        gcols = np.matmul(wm.T, g3)                                    # (N, C*kh*kw, Ho*Wo)
        gx = crop(kernels.col2im(gcols, c, xpshape[2], xpshape[3], kh, kw, stride[0],
                                 stride[1], ho, wo), padding)
    return gx, gw, gb
