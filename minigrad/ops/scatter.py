"""Scatter-add of rows, the backward of every gather (``out[rows[r]] += g[r]``).

``np.add.at`` is one of NumPy's slowest paths. Measured (1 BLAS thread, AMD
EPYC AVX-512, NumPy 2.4, machine loaded by other jobs; time including the
zeros of ``out``; V rows of out, N gathered rows of D columns)::

    float32   V      N      D     add.at  bincount reduceat one-hot  Numba
              65   1120     64   1046 us    194 us   169 us  137 us   9 us
              65   1120    512   5398      4611     1303     885     56
              96   2048    256   5411      1263     1057    1176     73
           1000   1120     64    644       169      357    1674     11
          10000  20000    128  27569     17522    30785      -     399
          50000   2048    256   9556     19505     9480      -    3679
    float64   65   1120     64    625       132      147     267     14
              65   1120    512   5260       965     3001    1773    110
           1000   1120     64    736       173      505    4055     20
          10000  20000    128  28158     11790    35315      -    1527

(sorted segments = stable argsort + ``np.add.reduceat``; one-hot = a (V, N)
0/1 matrix times g; ``benchmarks/scatter_cpu.py`` times them again.) The Numba kernel (:mod:`minigrad.kernels.scatter`) is
10-100x faster than ``np.add.at`` at every size measured and sums in the same
order, so its results are identical to ``np.add.at`` in float32 and float64.
The size rule:

* ``config.use_numba`` and N*D >= ``NUMBA_MIN_ELEMENTS`` (16384): the Numba
  kernel. Below that ``np.add.at`` costs under ~0.2 ms, less than loading
  Numba in a process that has not (~0.3 s once).
* otherwise float64 with V <= 10 N: ``np.bincount`` over flat element numbers
  (2-7x faster than ``np.add.at``; it sums in float64 in index order: identical
  results); with more rows its V*D-long count array costs more than it saves
  (V = 50000, N = 2048, D = 256: 25 ms against ``np.add.at``'s 14 ms);
* otherwise (float32 and other dtypes) ``np.add.at`` itself (``bincount``
  would sum float32 in float64, a different rounding).
"""
import numpy as np

from .. import config

NUMBA_MIN_ELEMENTS = 16384


def scatter_add_rows(out, rows, g):
    """Add row ``g[r]`` into row ``rows[r]`` of ``out`` for every r; returns ``out``.

    out (V, D) C-contiguous (written in place), rows (N,) integers in
    [0, V) (checked by the caller), g (N, D) of out's dtype.
    """
    N, D = g.shape
    if N == 0 or D == 0:
        return out
    if out.dtype.kind == "f" and out.dtype == g.dtype and out.flags.c_contiguous:
        if config.use_numba and N * D >= NUMBA_MIN_ELEMENTS:
            from ..kernels.scatter import scatter_add_rows as kernel
            kernel(out, np.ascontiguousarray(rows, dtype=np.int64), np.ascontiguousarray(g))
            return out
        if out.dtype == np.float64 and out.shape[0] <= 10 * N:
            flat = (np.asarray(rows, dtype=np.int64)[:, None] * D + np.arange(D)).reshape(-1)
            out += np.bincount(flat, weights=g.reshape(-1), minlength=out.size).reshape(out.shape)
            return out
    np.add.at(out, rows, g)
    return out


def gather_rows(shape, index):
    """(rows, lead) when ``x[index]`` for x of ``shape`` picks whole rows of x viewed as
    (prod(shape[:lead]), rest): ``index`` one integer array or a tuple of integer arrays
    (all advanced, from axis 0). ``rows`` are the flat row numbers (negative indices
    wrapped), in the order of ``x[index]``'s elements. None for any other index."""
    parts = index if isinstance(index, tuple) else (index,)
    if not parts or len(parts) > len(shape) or not all(
            isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts):
        return None
    dims = shape[:len(parts)]
    if len(parts) == 1:
        rows = parts[0].reshape(-1)
        if rows.dtype.kind == "i" and rows.size and rows.min() < 0:
            rows = np.where(rows < 0, rows + dims[0], rows)
        return rows, 1
    arrays = np.broadcast_arrays(*parts)
    rows = np.ravel_multi_index([a.reshape(-1) for a in arrays], dims, mode="wrap")
    return rows, len(parts)
