"""Numba patch kernels of the convolution's batch-major path (:mod:`minigrad.ops.conv`).

Pure array functions on a C-contiguous, already zero-padded input
``xp (N, C, Hp, Wp)``; compiled with ``cache=True`` on first use of a dtype
(float32 or float64), imported lazily by the op (``import minigrad`` does not
load Numba). With ``r = (c*kh + p)*kw + q`` the patch row and ``k = i*Wo + j``
the output position::

    im2col:  cols[n, r, k] = xp[n, c, i*sh + p, j*sw + q]            (N, C*kh*kw, Ho*Wo)
    col2im:  gxp[n, c, i*sh + p, j*sw + q] += gcols[n, r, k]          (its adjoint)

so that one image's patches are one (C*kh*kw, Ho*Wo) matrix: the forward
product ``W (O, C*kh*kw) @ cols[n]`` is image n's output ``(O, Ho*Wo)``
directly in ``(N, O, Ho, Wo)`` order (no transpose of the result), and the
input gradient is ``col2im(W^T @ g[n])``. The inner loop runs along an output
row; with stride 1 it is a unit-stride copy (or add) that LLVM vectorises.
"""
import numpy as np
from numba import njit

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True)


@_jit
def im2col(xp, kh, kw, sh, sw, ho, wo):
    """Patches of ``xp (N, C, Hp, Wp)`` as ``(N, C*kh*kw, ho*wo)`` (see the module docstring)."""
    n_, c_ = xp.shape[0], xp.shape[1]
    cols = np.empty((n_, c_ * kh * kw, ho * wo), xp.dtype)
    for n in range(n_):
        for c in range(c_):
            for p in range(kh):
                for q in range(kw):
                    r = (c * kh + p) * kw + q
                    for i in range(ho):
                        h = i * sh + p
                        if sw == 1:
                            for j in range(wo):
                                cols[n, r, i * wo + j] = xp[n, c, h, j + q]
                        else:
                            for j in range(wo):
                                cols[n, r, i * wo + j] = xp[n, c, h, j * sw + q]
    return cols


@_jit
def col2im(gcols, c_, hp, wp, kh, kw, sh, sw, ho, wo):
    """Adjoint of :func:`im2col`: ``gcols (N, c_*kh*kw, ho*wo)`` added onto ``(N, c_, hp, wp)``."""
    n_ = gcols.shape[0]
    gx = np.zeros((n_, c_, hp, wp), gcols.dtype)
    for n in range(n_):
        for c in range(c_):
            for p in range(kh):
                for q in range(kw):
                    r = (c * kh + p) * kw + q
                    for i in range(ho):
                        h = i * sh + p
                        if sw == 1:
                            for j in range(wo):
                                gx[n, c, h, j + q] += gcols[n, r, i * wo + j]
                        else:
                            for j in range(wo):
                                gx[n, c, h, j * sw + q] += gcols[n, r, i * wo + j]
    return gx
