"""Row scatter-add kernel: ``out[rows[r]] += g[r]`` for every r, in index order.

Used by :func:`minigrad.ops.scatter.scatter_add_rows` (the gradient of a
gather: ``Embedding``, ``x[int_array]``, the embedding-fed recurrent op). The
rows are visited in order and each row's columns in one unit-stride loop, so
every output element is summed in the same order as ``np.add.at`` (the same
results bit for bit, float32 and float64); LLVM vectorises the column loop.
The caller checks the shapes and that every row index is in range (the kernel
does not bounds-check).
"""
from numba import njit


@njit(cache=True, boundscheck=False, nogil=True)
def scatter_add_rows(out, rows, g):
    """out (V, D) += one-row-at-a-time scatter of g (N, D) at rows (N,) int64."""
    n, d = g.shape
    for r in range(n):
        o = out[rows[r]]
        x = g[r]
        for j in range(d):
            o[j] += x[j]
