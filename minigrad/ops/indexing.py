"""``x[index]`` with NumPy's basic and advanced indexing.

Backward scatters the gradient into zeros of x's shape. With advanced
(integer-array or boolean) indices an element may be picked several times, so
the scatter accumulates (``np.add.at``); basic indices (ints, slices, None,
Ellipsis) pick each element at most once and use a plain assignment.
"""
import numpy as np

from ..function import Function


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               for p in parts)


class GetItem(Function):
    """y = x[index]; dL/dx = zeros of x's shape with dL/dy added at ``index``."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.saved = (x.shape, x.dtype, index)
        return x[index]

    @staticmethod
    def backward(ctx, g):
        shape, dtype, index = ctx.saved
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out, None
