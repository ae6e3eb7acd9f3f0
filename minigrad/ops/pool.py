"""2-D max and average pooling over ``kh x kw`` windows with a stride.

Both slide a window over ``x (N, C, H, W)`` with the same strided view as the
convolution (:func:`minigrad.ops.conv.windows`) and send gradients back with
its adjoint (:func:`minigrad.ops.conv.col2im`); they differ only in the
reduction and in how a window's gradient is spread over it::

    max:  y = max_{p,q} win[..., p, q]     d win = g at the (first) arg-max, 0 elsewhere
    avg:  y = mean_{p,q} win[..., p, q]    d win = g / (kh * kw) everywhere

Padding pads with -inf for max and with zeros for average (counted in the
mean, PyTorch's ``count_include_pad=True``).

Max pooling has two paths with the same results: the NumPy reference above
(a running ``np.maximum`` over the ``kh*kw`` window offsets, ``kh*kw`` masked
passes and a col2im back), and, when ``mg.config.use_numba`` is on and x is
float32/float64 (:func:`minigrad.ops.conv.use_kernels`), the Numba kernels of
:mod:`minigrad.kernels.pool`: max and first arg-max in one pass, backward as
one scatter. Taken at every size, because it was the faster one at every size
measured (``env -u OPENBLAS_CORETYPE python benchmarks/conv_cpu.py --shapes``:
float32, 1 thread, CPU time, forward + backward, us; 2-core machine loaded by
other jobs)::

    x shape, window               NumPy      Numba   Numba/NumPy
    64x8x26x26, 2x2 (bench_nn)   3128.6      471.2     0.15
    64x16x11x11, 2x2 (bench_nn)  1256.4      243.6     0.19
    32x32x32x32, 2x2             9972.5     1461.5     0.15
    16x64x16x16, 3x3 s2 pad 1    5505.7     1736.0     0.32
    1x3x28x28, 2x2                 74.6       28.7     0.38

Compiling both kernels for a dtype takes about 1.5 s on the first call with
an empty Numba cache (later processes load them from the on-disk cache).
"""
import numpy as np

from ..function import Function
from .conv import col2im, crop, pad, use_kernels, windows


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
        if use_kernels(x):
            from ..kernels import pool as kernels
            xp = pad(x, padding, -np.inf)
            hp, wp = xp.shape[2:]
            y, arg = kernels.max_forward(xp, kernel[0], kernel[1], stride[0], stride[1],
                                         (hp - kernel[0]) // stride[0] + 1,
                                         (wp - kernel[1]) // stride[1] + 1)
            ctx.saved = ("kernel", arg, (hp, wp), padding)
            return y
        win = windows(x, kernel, stride, padding, pad_value=-np.inf)
        # running max over the kh*kw window offsets; arg keeps the first maximum
        y = win[..., 0, 0].copy()
        arg = np.zeros(y.shape, dtype=np.int16)
        for k in range(1, kernel[0] * kernel[1]):
            v = win[..., k // kernel[1], k % kernel[1]]
            arg[v > y] = k
            np.maximum(y, v, out=y)
        ctx.saved = ("numpy", arg, x.shape, kernel, stride, padding)
        return y

    @staticmethod
    def backward(ctx, g):
        if ctx.saved[0] == "kernel":
            from ..kernels import pool as kernels
            _, arg, (hp, wp), padding = ctx.saved
            return crop(kernels.max_backward(np.ascontiguousarray(g), arg, hp, wp), padding)
        _, arg, shape, kernel, stride, padding = ctx.saved
        gwin = np.zeros(g.shape + kernel, dtype=g.dtype)
        for k in range(kernel[0] * kernel[1]):
            gwin[..., k // kernel[1], k % kernel[1]] = np.where(arg == k, g, 0)
        return col2im(gwin, shape, kernel, stride, padding)


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
        ctx.saved = (x.shape, kernel, stride, padding)
        return windows(x, kernel, stride, padding).mean(axis=(4, 5))

    @staticmethod
    def backward(ctx, g):
        shape, kernel, stride, padding = ctx.saved
        share = g[..., None, None] * (1.0 / (kernel[0] * kernel[1]))
        gwin = np.broadcast_to(share, g.shape + kernel)
        return col2im(gwin, shape, kernel, stride, padding)
