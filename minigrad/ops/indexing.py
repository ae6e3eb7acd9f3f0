"""``x[index]`` with NumPy's basic and advanced indexing.

Backward scatters the gradient into zeros of x's shape. With advanced
(integer-array) indices an element may be picked several times, so the
scatter accumulates: integer arrays on the leading axes (the gather of
``Embedding`` and ``x[idx]``) by the row scatter-add of :mod:`.scatter`
(a Numba kernel, same results as ``np.add.at``, its size rule there), any
other advanced index by ``np.add.at``. Basic indices (ints, slices, None,
Ellipsis) and a lone boolean mask pick each element at most once and use a
plain assignment.
"""
import numpy as np

from ..function import Function
from .scatter import gather_rows, scatter_add_rows


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
        if _is_basic(index) or (isinstance(index, np.ndarray) and index.dtype == bool):
            out[index] = g
            return out, None
        picked = gather_rows(shape, index)
        if picked is None:
            np.add.at(out, index, g)
        elif out.size:
            rows, lead = picked
            n = out.size // max(1, int(np.prod(shape[:lead])))
            scatter_add_rows(out.reshape(-1, n), rows, g.reshape(rows.size, n))
        return out, None


def recorded_lookup(t):
    """(x, index) when tensor ``t`` is the recorded output of ``x[index]`` (a GetItem
    node on the tape whose saved arrays are still there), else None. Lets a consumer
    (the recurrent layers' fused Embedding input) see where its input came from."""
    node = t.grad_fn
    if node is None or getattr(node, "fn", None) is not GetItem or node.freed:
        return None
    return node.parents[0], node.saved[2]


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
