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


class SetItem(Function):
    """y = x with ``y[index] = v`` (the recorded form of ``x[index] = v``).

    dL/dx is dL/dy with zeros at ``index`` (those elements were overwritten);
    dL/dv is dL/dy at ``index``, summed by the tape over the axes ``v`` was
    broadcast along. An advanced index may name an element twice: the write that
    NumPy kept (the last) is found by writing position numbers the same way, and
    only it receives the gradient.
    """

    @staticmethod
    def forward(ctx, x, v, index):
        y = x.copy()
        y[index] = v
        kept = None
        if not _is_basic(index):
            picked = np.shape(x[index])
            ids = np.arange(int(np.prod(picked)), dtype=np.int64).reshape(picked)
            tag = np.full(x.shape, -1, dtype=np.int64)
            tag[index] = ids
            kept = tag[index] == ids
        ctx.index, ctx.kept = index, kept
        return y

    @staticmethod
    def backward(ctx, g):
        index, kept = ctx.index, ctx.kept
        gx = g.copy()
        gx[index] = 0
        gv = g[index]
        return gx, gv if kept is None else np.where(kept, gv, 0)
