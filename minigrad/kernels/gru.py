"""GRU gate kernels: one fused pass over the gate nonlinearities per time step.

Same conventions as :mod:`minigrad.kernels.lstm` (flat row-major batch-major
arrays, the step's rows ``row .. row+B``). G = 3H gate columns in PyTorch's
order r, z, n; with ``x_k = XP[row+b, kH+j] + b_ih[kH+j]`` and
``u_k = R[b, kH+j] + b_hh[kH+j]`` (R the step's recurrent product h_prev W_hh^T, (B, 3H))::

    r = sigma(x_0 + u_0)     z = sigma(x_1 + u_1)
    n = tanh(x_2 + r * u_2)  h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)

    h -> S[nrow+b, j]        (h_prev = S[prow+b, j])
    Wk[row+b] = (r | z | n | u_2)                    (4H columns)

backward, dh = dOut + dS + dRec (as for the LSTM)::

    da_n = dh * (1 - z) * (1 - n^2)
    da_r = da_n * u_2 * r(1-r)          da_z = dh * (h_prev - n) * z(1-z)
    dGi = (da_r | da_z | da_n)          gradient w.r.t. W_ih x + b_ih
    dGh = (da_r | da_z | da_n * r)      gradient w.r.t. W_hh h + b_hh
    dS <- dh * z                        (the direct part of dL/dh_{t-1})
"""
from numba import njit

from ._math import one, sigmoid, tanh

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True,
            fastmath={"contract"})


@_jit
def forward(XP, R, bias_pair, S, Wk, H, B, row, prow, nrow):
    """One GRU step forward. XP (T*B*3H), R (B*3H), bias_pair (6H: b_ih then b_hh),
    S ((T+1)*B*H), Wk (T*B*4H)."""
    G, W = 3 * H, 4 * H
    bir, biz, bin_ = bias_pair[0:H], bias_pair[H:2 * H], bias_pair[2 * H:G]
    bhr, bhz, bhn = bias_pair[G:G + H], bias_pair[G + H:G + 2 * H], bias_pair[G + 2 * H:2 * G]
    for b in range(B):
        x0, r0, w0 = (row + b) * G, b * G, (row + b) * W
        xr, xz, xn = XP[x0:x0 + H], XP[x0 + H:x0 + 2 * H], XP[x0 + 2 * H:x0 + G]
        rr, rz, rn = R[r0:r0 + H], R[r0 + H:r0 + 2 * H], R[r0 + 2 * H:r0 + G]
        wr, wz, wn, wu = Wk[w0:w0 + H], Wk[w0 + H:w0 + 2 * H], Wk[w0 + 2 * H:w0 + 3 * H], \
            Wk[w0 + 3 * H:w0 + W]
        hp = S[(prow + b) * H:(prow + b + 1) * H]
        hn = S[(nrow + b) * H:(nrow + b + 1) * H]
        for j in range(H):
            r = sigmoid(xr[j] + rr[j] + bir[j] + bhr[j])
            z = sigmoid(xz[j] + rz[j] + biz[j] + bhz[j])
            u = rn[j] + bhn[j]
            n = tanh(xn[j] + bin_[j] + r * u)
            hn[j] = n + z * (hp[j] - n)
            wr[j] = r
            wz[j] = z
            wn[j] = n
            wu[j] = u


@_jit
def backward(dOut, S, Wk, dS, dRec, dGh, dGi, H, B, row, prow, nrow):
    """One GRU step backward. dOut (T*B*H), S ((T+1)*B*H), Wk (T*B*4H), dS, dRec (B*H),
    dGh and dGi (T*B*3H, the step's rows written)."""
    G, W = 3 * H, 4 * H
    for b in range(B):
        w0, d0 = (row + b) * W, (row + b) * G
        wr, wz, wn, wu = Wk[w0:w0 + H], Wk[w0 + H:w0 + 2 * H], Wk[w0 + 2 * H:w0 + 3 * H], \
            Wk[w0 + 3 * H:w0 + W]
        hr, hz, hn = dGh[d0:d0 + H], dGh[d0 + H:d0 + 2 * H], dGh[d0 + 2 * H:d0 + G]
        ir, iz, in_ = dGi[d0:d0 + H], dGi[d0 + H:d0 + 2 * H], dGi[d0 + 2 * H:d0 + G]
        go = dOut[(row + b) * H:(row + b + 1) * H]
        dhs = dS[b * H:(b + 1) * H]
        dr = dRec[b * H:(b + 1) * H]
        hp = S[(prow + b) * H:(prow + b + 1) * H]
        for j in range(H):
            r = wr[j]
            z = wz[j]
            n = wn[j]
            w = one(n)
            dh = go[j] + dhs[j] + dr[j]
            dan = dh * (w - z) * (w - n * n)
            dar = dan * wu[j] * r * (w - r)
            daz = dh * (hp[j] - n) * z * (w - z)
            hr[j] = dar
            ir[j] = dar
            hz[j] = daz
            iz[j] = daz
            hn[j] = dan * r
            in_[j] = dan
            dhs[j] = dh * z
