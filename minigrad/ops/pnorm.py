"""The p-norm over axes, with PyTorch's gradient where the norm is zero.

For y = (sum_i |x_i|^p)^(1/p) over the reduced axes (p > 0, finite)::

    dy/dx_i = sign(x_i) |x_i|^(p-1) / y^(p-1)

which is 0/0 when every x_i of a reduction is 0; PyTorch gives the subgradient
0 there, and so does :class:`Norm` (a chain of abs, pow and sum gives NaN).
"""
import numpy as np

from ..function import Function
from .reduce import _expand


class Norm(Function):
    """``(sum |x|^p)^(1/p)`` over ``axis``; the gradient is 0 where the norm is 0."""

    @staticmethod
    def forward(ctx, x, p=2.0, axis=None, keepdims=False):
        if p == 2:
            y = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        else:
            y = np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)
        ctx.saved = (x, y, p, axis, keepdims)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y, p, axis, keepdims = ctx.saved
        y = _expand(y, x.shape, axis, keepdims)
        g = _expand(g, x.shape, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                grad = g * x / y
            else:
                grad = g * np.sign(x) * (np.abs(x) / y) ** (p - 1)
        return np.where(y == 0, 0, grad).astype(x.dtype, copy=False)
