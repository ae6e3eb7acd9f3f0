"""Elman RNN kernels (tanh or relu): one fused pass per time step.

Same conventions as :mod:`minigrad.kernels.lstm`. One gate block (G = H)::

    a = XP[row+b, j] + R[b, j] + bias[j]       (bias = b_ih + b_hh)
    h = tanh(a)  (relu: max(a, 0))                  h -> S[nrow+b, j]

backward, dh = dOut + dS + dRec::

    dG = dh * (1 - h^2)   (relu: dh * [h > 0])        dS <- 0
"""
from numba import njit

from ._math import one, tanh, zero

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True,
            fastmath={"contract"})


@_jit
def forward(XP, R, bias, S, H, B, relu, row, prow, nrow):
    """One RNN step forward. XP (T*B*H), R (B*H), bias (H), S ((T+1)*B*H)."""
    for b in range(B):
        x = XP[(row + b) * H:(row + b + 1) * H]
        r = R[b * H:(b + 1) * H]
        hn = S[(nrow + b) * H:(nrow + b + 1) * H]
        if relu:
            for j in range(H):
                a = x[j] + r[j] + bias[j]
                hn[j] = max(a, zero(a))
        else:
            for j in range(H):
                hn[j] = tanh(x[j] + r[j] + bias[j])


@_jit
def backward(dOut, S, dS, dRec, dGh, H, B, relu, row, prow, nrow):
    """One RNN step backward. dOut (T*B*H), S ((T+1)*B*H), dS, dRec (B*H), dGh (T*B*H)."""
    for b in range(B):
        go = dOut[(row + b) * H:(row + b + 1) * H]
        dhs = dS[b * H:(b + 1) * H]
        dr = dRec[b * H:(b + 1) * H]
        h = S[(nrow + b) * H:(nrow + b + 1) * H]
        d = dGh[(row + b) * H:(row + b + 1) * H]
        if relu:
            for j in range(H):
                dh = go[j] + dhs[j] + dr[j]
                d[j] = dh if h[j] > zero(dh) else zero(dh)
                dhs[j] = zero(dh)
        else:
            for j in range(H):
                dh = go[j] + dhs[j] + dr[j]
                d[j] = dh * (one(dh) - h[j] * h[j])
                dhs[j] = zero(dh)
