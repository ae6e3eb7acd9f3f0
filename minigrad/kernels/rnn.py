"""Elman RNN kernels (tanh or relu): one fused pass per time step.

Same conventions as :mod:`minigrad.kernels.lstm`. One gate block (G = H)::

    a = XP[j, col+b] + R[j, b] + b_ih[j] + b_hh[j]
    h = tanh(a)  (relu != 0: max(a, 0))          S[j, ncol+b] = h

backward, dh = dOut + dS + dRec::

    dG = dh * (1 - h^2)   (relu: dh * [h > 0])    dS <- 0
"""
from numba import njit

from ._math import one, tanh, zero

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True)


@_jit
def rnn_forward(XP, R, bias, S, Wk, H, B, ld, sld, col, pcol, ncol, relu):
    """One RNN step forward. XP (H*ld), R (H*B), bias (2H), S (H*sld); Wk unused."""
    for j in range(H):
        x = XP[j * ld + col:j * ld + col + B]
        r = R[j * B:j * B + B]
        hn = S[j * sld + ncol:j * sld + ncol + B]
        bb = bias[j] + bias[H + j]
        if relu:
            z = zero(bb)
            for b in range(B):
                hn[b] = max(x[b] + r[b] + bb, z)
        else:
            for b in range(B):
                hn[b] = tanh(x[b] + r[b] + bb)


@_jit
def rnn_backward(dOut, S, Wk, dS, dRec, dGh, dGi, H, B, ld, sld, col, pcol, ncol, relu):
    """One RNN step backward. dOut (H*ld), S (H*sld), dS, dRec (H*B), dGh (H*ld)."""
    for j in range(H):
        go = dOut[j * ld + col:j * ld + col + B]
        dhs = dS[j * B:j * B + B]
        dr = dRec[j * B:j * B + B]
        h = S[j * sld + ncol:j * sld + ncol + B]
        d = dGh[j * ld + col:j * ld + col + B]
        if relu:
            for b in range(B):
                dh = go[b] + dhs[b] + dr[b]
                d[b] = dh if h[b] > zero(dh) else zero(dh)
                dhs[b] = zero(dh)
        else:
            for b in range(B):
                dh = go[b] + dhs[b] + dr[b]
                d[b] = dh * (one(dh) - h[b] * h[b])
                dhs[b] = zero(dh)
