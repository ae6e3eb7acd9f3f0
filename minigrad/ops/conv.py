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
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..function import Function


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
        ctx.saved = (cols, wm, x.shape, w.shape, stride, padding)
        return np.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))

    @staticmethod
    def backward(ctx, g):
        cols, wm, xshape, wshape, stride, padding = ctx.saved
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
