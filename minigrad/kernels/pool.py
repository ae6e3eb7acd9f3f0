"""Numba max-pooling kernels (:mod:`minigrad.ops.pool`): max and arg-max in one pass.

Pure array functions on a C-contiguous, already (-inf) padded input
``xp (N, C, Hp, Wp)``; compiled with ``cache=True`` on first use of a dtype
(float32 or float64), imported lazily by the op. For every output ``(n, c, i, j)``
the window ``xp[n, c, i*sh : i*sh + kh, j*sw : j*sw + kw]`` is read once in
row-major order::

    y[n, c, i, j]   = max over the window (NaN propagates, as np.maximum)
    arg[n, c, i, j] = (h * Wp + w) of the FIRST maximum (int32, a flat index in the plane)
    backward:  gxp[n, c].flat[arg[n, c, i, j]] += g[n, c, i, j]

which are the reference path's results (its running ``np.maximum`` over the
window offsets keeps the first maximum, ``v > y``), and the backward is one
scatter instead of ``kh*kw`` masked passes and a col2im.
"""
import numpy as np
from numba import njit

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True)


@_jit
def _step(v, best, k, at, nan):
    """One window element ``v`` (flat index ``at``) into the running (best, k, nan).

    Branch-free (random data mispredicts a branch per element): ``k`` moves only
    while no NaN has been seen, as the reference's ``v > y`` against a running max
    that a NaN has made NaN; the NaN itself is put back by the caller."""
    u = (v > best) & (not nan)
    return max(best, v), k + u * (at - k), nan | (v != v)


@_jit
def max_forward(xp, kh, kw, sh, sw, ho, wo):
    """(y, arg), both ``(N, C, ho, wo)``: the max of each window and its first arg-max.

    The 2x2 window (the common case) is unrolled: with the window loop at run-time
    trip counts the kernel took 600-800 us at bench_nn's first pool (64x8x26x26,
    float32), unrolled 180 us (NumPy reference: 1.36 ms; PyTorch 1.9 ms)."""
    n_, c_, wp = xp.shape[0], xp.shape[1], xp.shape[3]
    y = np.empty((n_, c_, ho, wo), xp.dtype)
    arg = np.empty((n_, c_, ho, wo), np.int32)
    two = kh == 2 and kw == 2
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                h0 = i * sh
                for j in range(wo):
                    w0 = j * sw
                    k = at = h0 * wp + w0
                    best = xp[n, c, h0, w0]
                    nan = best != best
                    if two:
                        best, k, nan = _step(xp[n, c, h0, w0 + 1], best, k, at + 1, nan)
                        best, k, nan = _step(xp[n, c, h0 + 1, w0], best, k, at + wp, nan)
                        best, k, nan = _step(xp[n, c, h0 + 1, w0 + 1], best, k, at + wp + 1,
                                             nan)
                    else:
                        for p in range(kh):
                            for q in range(kw):
                                best, k, nan = _step(xp[n, c, h0 + p, w0 + q], best, k,
                                                     (h0 + p) * wp + w0 + q, nan)
                    y[n, c, i, j] = np.nan if nan else best
                    arg[n, c, i, j] = k
    return y, arg


@_jit
def max_backward(g, arg, hp, wp):
    """``g (N, C, ho, wo)`` scattered onto the arg-max positions of ``(N, C, hp, wp)``."""
    n_, c_, ho, wo = g.shape
    gx = np.zeros((n_, c_, hp * wp), g.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    gx[n, c, arg[n, c, i, j]] += g[n, c, i, j]
    return gx.reshape(n_, c_, hp, wp)
