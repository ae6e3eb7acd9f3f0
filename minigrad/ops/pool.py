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
        flat = win.reshape(win.shape[:4] + (-1,))              # (N, C, Ho, Wo, kh*kw)
        arg = flat.argmax(axis=-1)[..., None]
        ctx.saved = (arg, x.shape, kernel, stride, padding)
        return np.take_along_axis(flat, arg, axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, g):
        arg, shape, kernel, stride, padding = ctx.saved
        gflat = np.zeros(g.shape + (kernel[0] * kernel[1],), dtype=g.dtype)
        np.put_along_axis(gflat, arg, g[..., None], axis=-1)
        return col2im(gflat.reshape(g.shape + kernel), shape, kernel, stride, padding)


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
