"""LSTM gate kernels: one fused pass over the gate nonlinearities per time step.

Pure array functions: flat C-contiguous 1-D arrays in, results written into
given arrays. Layout (see :mod:`minigrad.ops.recurrent`): batch-major, a
(rows, width) matrix stored row-major; time step t is rows ``row = t*B ..
row+B`` of the (T*B, width) arrays, and rows ``prow``/``nrow`` (previous/new
state) of the states S = [h states; c states], each ((T+1)*B, H), the c
states starting at flat offset ``soff``. With G = 4H gate columns in PyTorch's
order i, f, g, o, for every batch row b and hidden unit j, with
``a_k = XP[row+b, kH+j] + R[b, kH+j] + bias[kH+j]`` (bias = b_ih + b_hh, R the
step's recurrent product h_prev W_hh^T, (B, 4H))::

    i = sigma(a_0)   f = sigma(a_1)   g = tanh(a_2)   o = sigma(a_3)
    c = f * c_prev + i * g            h = o * tanh(c)

    h -> S_h[nrow+b, j],  c -> S_c[nrow+b, j]        (c_prev = S_c[prow+b, j])
    Wk[row+b] = (i | f | g | o | tanh(c))            (5H columns)

backward, given dOut = dL/dh_t from above, dS = (dL/dh, dL/dc) w.r.t. this
step's state through later steps (without the recurrent product) and
dRec = dG_{t+1} W_hh::

    dh = dOut + dS_h + dRec
    dc = dS_c + dh * o * (1 - tanh(c)^2)
    dG = (dc*g * i(1-i) | dc*c_prev * f(1-f) | dc*i * (1-g^2) | dh*tanh(c) * o(1-o))
    dS_h <- 0,  dS_c <- dc * f                   (gradient w.r.t. h_{t-1}, c_{t-1})

Each batch row is a loop over contiguous 1-D slices of H elements, which LLVM
vectorises (distinct slices, unit stride, no divide checks).
"""
from numba import njit

from ._math import one, sigmoid, tanh, zero

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True,
            fastmath={"contract"})


@_jit
def forward(XP, R, bias, S, Wk, H, B, soff, row, prow, nrow):
    """One LSTM step forward (equations in the module docstring).

    XP (T*B*4H), R (B*4H), bias (4H: b_ih + b_hh), S (2*(T+1)*B*H), Wk (T*B*5H).
    """
    G, W = 4 * H, 5 * H
    bi, bf, bg, bo = bias[0:H], bias[H:2 * H], bias[2 * H:3 * H], bias[3 * H:G]
    for b in range(B):
        x0, r0, w0 = (row + b) * G, b * G, (row + b) * W
        xi, xf, xg, xo = XP[x0:x0 + H], XP[x0 + H:x0 + 2 * H], XP[x0 + 2 * H:x0 + 3 * H], \
            XP[x0 + 3 * H:x0 + G]
        ri, rf, rg, ro = R[r0:r0 + H], R[r0 + H:r0 + 2 * H], R[r0 + 2 * H:r0 + 3 * H], \
            R[r0 + 3 * H:r0 + G]
        wi, wf, wg, wo, wt = Wk[w0:w0 + H], Wk[w0 + H:w0 + 2 * H], Wk[w0 + 2 * H:w0 + 3 * H], \
            Wk[w0 + 3 * H:w0 + 4 * H], Wk[w0 + 4 * H:w0 + W]
        cp = S[soff + (prow + b) * H:soff + (prow + b + 1) * H]
        hn = S[(nrow + b) * H:(nrow + b + 1) * H]
        cn = S[soff + (nrow + b) * H:soff + (nrow + b + 1) * H]
        for j in range(H):
            i = sigmoid(xi[j] + ri[j] + bi[j])
            f = sigmoid(xf[j] + rf[j] + bf[j])
            g = tanh(xg[j] + rg[j] + bg[j])
            o = sigmoid(xo[j] + ro[j] + bo[j])
            c = f * cp[j] + i * g
            t = tanh(c)
            hn[j] = o * t
            cn[j] = c
            wi[j] = i
            wf[j] = f
            wg[j] = g
            wo[j] = o
            wt[j] = t


@_jit
def backward(dOut, S, Wk, dS, dRec, dGh, H, B, soff, row, prow, nrow):
    """One LSTM step backward (equations in the module docstring).

    dOut (T*B*H), S (2*(T+1)*B*H), Wk (T*B*5H), dS (2*B*H, updated in place),
    dRec (B*H), dGh (T*B*4H, the step's rows written; it is also the input-side gradient).
    """
    G, W = 4 * H, 5 * H
    for b in range(B):
        w0, d0 = (row + b) * W, (row + b) * G
        wi, wf, wg, wo, wt = Wk[w0:w0 + H], Wk[w0 + H:w0 + 2 * H], Wk[w0 + 2 * H:w0 + 3 * H], \
            Wk[w0 + 3 * H:w0 + 4 * H], Wk[w0 + 4 * H:w0 + W]
        di, df, dg, do = dGh[d0:d0 + H], dGh[d0 + H:d0 + 2 * H], dGh[d0 + 2 * H:d0 + 3 * H], \
            dGh[d0 + 3 * H:d0 + G]
        go = dOut[(row + b) * H:(row + b + 1) * H]
        dhs = dS[b * H:(b + 1) * H]
        dcs = dS[(B + b) * H:(B + b + 1) * H]
        dr = dRec[b * H:(b + 1) * H]
        cp = S[soff + (prow + b) * H:soff + (prow + b + 1) * H]
        for j in range(H):
            i = wi[j]
            f = wf[j]
            g = wg[j]
            o = wo[j]
            t = wt[j]
            u = one(t)
            dh = go[j] + dhs[j] + dr[j]
            dc = dcs[j] + dh * o * (u - t * t)
            di[j] = dc * g * i * (u - i)
            df[j] = dc * cp[j] * f * (u - f)
            dg[j] = dc * i * (u - g * g)
            do[j] = dh * t * o * (u - o)
            dhs[j] = zero(t)
            dcs[j] = dc * f
