"""GRU gate kernels: one fused pass over the gate nonlinearities per time step.

Same conventions as :mod:`minigrad.kernels.lstm` (flat row-major arrays, step
columns ``col .. col+B``). G = 3H gate rows in PyTorch's order r, z, n; with
``x_k = XP[kH+j, col+b] + b_ih[kH+j]`` and ``u_k = R[kH+j, b] + b_hh[kH+j]``::

    r = sigma(x_0 + u_0)     z = sigma(x_1 + u_1)
    n = tanh(x_2 + r * u_2)  h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)

    S[j, ncol+b] = h          (h_prev = S[j, pcol+b])
    Wk[:, col+b] = (r, z, n, u_2) rows

backward, dh = dOut + dS + dRec (as for the LSTM)::

    da_n = dh * (1 - z) * (1 - n^2)
    da_r = da_n * u_2 * r(1-r)          da_z = dh * (h_prev - n) * z(1-z)
    dGi = (da_r, da_z, da_n)            gradient w.r.t. W_ih x + b_ih
    dGh = (da_r, da_z, da_n * r)        gradient w.r.t. W_hh h + b_hh
    dS <- dh * z                        (the direct part of dL/dh_{t-1})
"""
from numba import njit

from ._math import one, sigmoid, tanh

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True)


@_jit
def gru_forward(XP, R, bias, S, Wk, H, B, ld, sld, col, pcol, ncol):
    """One GRU step forward. XP (3H*ld), R (3H*B), bias (6H), S (H*sld), Wk (4H*ld)."""
    G = 3 * H
    for j in range(H):
        xr = XP[j * ld + col:j * ld + col + B]
        xz = XP[(H + j) * ld + col:(H + j) * ld + col + B]
        xn = XP[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        rr = R[j * B:j * B + B]
        rz = R[(H + j) * B:(H + j) * B + B]
        rn = R[(2 * H + j) * B:(2 * H + j) * B + B]
        hp = S[j * sld + pcol:j * sld + pcol + B]
        hn = S[j * sld + ncol:j * sld + ncol + B]
        wr = Wk[j * ld + col:j * ld + col + B]
        wz = Wk[(H + j) * ld + col:(H + j) * ld + col + B]
        wn = Wk[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        wu = Wk[(3 * H + j) * ld + col:(3 * H + j) * ld + col + B]
        br = bias[j] + bias[G + j]
        bz = bias[H + j] + bias[G + H + j]
        bin_ = bias[2 * H + j]
        bhn = bias[G + 2 * H + j]
        for b in range(B):
            r = sigmoid(xr[b] + rr[b] + br)
            z = sigmoid(xz[b] + rz[b] + bz)
            u = rn[b] + bhn
            n = tanh(xn[b] + bin_ + r * u)
            hn[b] = n + z * (hp[b] - n)
            wr[b] = r
            wz[b] = z
            wn[b] = n
            wu[b] = u


@_jit
def gru_backward(dOut, S, Wk, dS, dRec, dGh, dGi, H, B, ld, sld, col, pcol, ncol):
    """One GRU step backward. dOut (H*ld), S (H*sld), Wk (4H*ld), dS, dRec (H*B),
    dGh and dGi (3H*ld, step columns written)."""
    for j in range(H):
        go = dOut[j * ld + col:j * ld + col + B]
        dhs = dS[j * B:j * B + B]
        dr = dRec[j * B:j * B + B]
        hp = S[j * sld + pcol:j * sld + pcol + B]
        wr = Wk[j * ld + col:j * ld + col + B]
        wz = Wk[(H + j) * ld + col:(H + j) * ld + col + B]
        wn = Wk[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        wu = Wk[(3 * H + j) * ld + col:(3 * H + j) * ld + col + B]
        hr = dGh[j * ld + col:j * ld + col + B]
        hz = dGh[(H + j) * ld + col:(H + j) * ld + col + B]
        hn = dGh[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        ir = dGi[j * ld + col:j * ld + col + B]
        iz = dGi[(H + j) * ld + col:(H + j) * ld + col + B]
        in_ = dGi[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        for b in range(B):
            r = wr[b]
            z = wz[b]
            n = wn[b]
            w = one(n)
            dh = go[b] + dhs[b] + dr[b]
            dan = dh * (w - z) * (w - n * n)
            dar = dan * wu[b] * r * (w - r)
            daz = dh * (hp[b] - n) * z * (w - z)
            hr[b] = dar
            ir[b] = dar
            hz[b] = daz
            iz[b] = daz
            hn[b] = dan * r
            in_[b] = dan
            dhs[b] = dh * z
