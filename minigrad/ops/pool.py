"""2-D max and average pooling over ``kh x kw`` windows with a stride.

Both slide a window over ``x (N, C, H, W)`` with the same strided view as the
convolution (:func:`minigrad.ops.conv.windows`) and send gradients back with
its adjoint (:func:`minigrad.ops.conv.col2im`); they differ only in the
reduction and in how a window's gradient is spread over it::

    max:  y = max_{p,q} win[..., p, q]     d win = g at the (first) arg-max, 0 elsewhere
    avg:  y = mean_{p,q} win[..., p, q]    d win = g / (kh * kw) everywhere

Padding pads with -inf for max and with zeros for average (counted in the
mean, PyTorch's ``count_include_pad=True``).
"""
import numpy as np

from ..function import Function
from .conv import col2im, windows


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
        win = windows(x, kernel, stride, padding, pad_value=-np.inf)
        # running max over the kh*kw window offsets; arg keeps the first maximum
        y = win[..., 0, 0].copy()
        arg = np.zeros(y.shape, dtype=np.int16)
        for k in range(1, kernel[0] * kernel[1]):
            v = win[..., k // kernel[1], k % kernel[1]]
            arg[v > y] = k
            np.maximum(y, v, out=y)
        ctx.saved = (arg, x.shape, kernel, stride, padding)
        return y

    @staticmethod
    def backward(ctx, g):
        arg, shape, kernel, stride, padding = ctx.saved
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
