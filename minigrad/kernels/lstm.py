"""LSTM gate kernels: one fused pass over the gate nonlinearities per time step.

Pure array functions (flat C-contiguous 1-D arrays in, results written into
given arrays). Layout (see :mod:`minigrad.ops.recurrent`): a matrix with ``rows``
rows and ``ld`` columns is stored row-major in a flat array; time step t of a
(rows, T*B) array occupies columns ``col = t*B .. col+B``. With G = 4H gate
rows in PyTorch's order i, f, g, o:

forward, for every hidden unit j and batch column b, with
``a_k = XP[kH+j, col+b] + R[kH+j, b] + b_ih[kH+j] + b_hh[kH+j]``::

    i = sigma(a_0)   f = sigma(a_1)   g = tanh(a_2)   o = sigma(a_3)
    c = f * c_prev + i * g            h = o * tanh(c)

    S[j, ncol+b] = h,  S[H+j, ncol+b] = c        (c_prev = S[H+j, pcol+b])
    Wk[:, col+b] = (i, f, g, o, tanh(c)) rows

backward, given dOut = dL/dh_t from above, dS = (dL/dh, dL/dc) w.r.t. this
step's state through later steps (without the recurrent product) and
dRec = W_hh^T dG_{t+1}::

    dh = dOut + dS_h + dRec
    dc = dS_c + dh * o * (1 - tanh(c)^2)
    dG = (dc*g * i(1-i),  dc*c_prev * f(1-f),  dc*i * (1-g^2),  dh*tanh(c) * o(1-o))
    dS_h <- 0,  dS_c <- dc * f                   (gradient w.r.t. h_{t-1}, c_{t-1})

Each row's work is a loop over contiguous 1-D slices, which LLVM vectorises.
"""
from numba import njit

from ._math import one, sigmoid, tanh, zero

_jit = njit(cache=True, error_model="numpy", boundscheck=False, nogil=True)


@_jit
def lstm_forward(XP, R, bias, S, Wk, H, B, ld, sld, col, pcol, ncol):
    """One LSTM step forward (equations in the module docstring).

    XP (4H*ld), R (4H*B), bias (8H: b_ih then b_hh), S (2H*sld), Wk (5H*ld).
    """
    G = 4 * H
    for j in range(H):
        xi = XP[j * ld + col:j * ld + col + B]
        xf = XP[(H + j) * ld + col:(H + j) * ld + col + B]
        xg = XP[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        xo = XP[(3 * H + j) * ld + col:(3 * H + j) * ld + col + B]
        ri = R[j * B:j * B + B]
        rf = R[(H + j) * B:(H + j) * B + B]
        rg = R[(2 * H + j) * B:(2 * H + j) * B + B]
        ro = R[(3 * H + j) * B:(3 * H + j) * B + B]
        cp = S[(H + j) * sld + pcol:(H + j) * sld + pcol + B]
        hn = S[j * sld + ncol:j * sld + ncol + B]
        cn = S[(H + j) * sld + ncol:(H + j) * sld + ncol + B]
        wi = Wk[j * ld + col:j * ld + col + B]
        wf = Wk[(H + j) * ld + col:(H + j) * ld + col + B]
        wg = Wk[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        wo = Wk[(3 * H + j) * ld + col:(3 * H + j) * ld + col + B]
        wt = Wk[(4 * H + j) * ld + col:(4 * H + j) * ld + col + B]
        bi = bias[j] + bias[G + j]
        bf = bias[H + j] + bias[G + H + j]
        bg = bias[2 * H + j] + bias[G + 2 * H + j]
        bo = bias[3 * H + j] + bias[G + 3 * H + j]
        for b in range(B):
            i = sigmoid(xi[b] + ri[b] + bi)
            f = sigmoid(xf[b] + rf[b] + bf)
            g = tanh(xg[b] + rg[b] + bg)
            o = sigmoid(xo[b] + ro[b] + bo)
            c = f * cp[b] + i * g
            t = tanh(c)
            hn[b] = o * t
            cn[b] = c
            wi[b] = i
            wf[b] = f
            wg[b] = g
            wo[b] = o
            wt[b] = t


@_jit
def lstm_backward(dOut, S, Wk, dS, dRec, dGh, dGi, H, B, ld, sld, col, pcol, ncol):
    """One LSTM step backward (equations in the module docstring).

    dOut (H*ld), S (2H*sld), Wk (5H*ld), dS (2H*B, updated in place),
    dRec (H*B), dGh (4H*ld, step columns written); dGi unused (equals dGh).
    """
    for j in range(H):
        go = dOut[j * ld + col:j * ld + col + B]
        dhs = dS[j * B:j * B + B]
        dcs = dS[(H + j) * B:(H + j) * B + B]
        dr = dRec[j * B:j * B + B]
        wi = Wk[j * ld + col:j * ld + col + B]
        wf = Wk[(H + j) * ld + col:(H + j) * ld + col + B]
        wg = Wk[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        wo = Wk[(3 * H + j) * ld + col:(3 * H + j) * ld + col + B]
        wt = Wk[(4 * H + j) * ld + col:(4 * H + j) * ld + col + B]
        cp = S[(H + j) * sld + pcol:(H + j) * sld + pcol + B]
        di = dGh[j * ld + col:j * ld + col + B]
        df = dGh[(H + j) * ld + col:(H + j) * ld + col + B]
        dg = dGh[(2 * H + j) * ld + col:(2 * H + j) * ld + col + B]
        do = dGh[(3 * H + j) * ld + col:(3 * H + j) * ld + col + B]
        for b in range(B):
            i = wi[b]
            f = wf[b]
            g = wg[b]
            o = wo[b]
            t = wt[b]
            u = one(t)
            dh = go[b] + dhs[b] + dr[b]
            dc = dcs[b] + dh * o * (u - t * t)
            di[b] = dc * g * i * (u - i)
            df[b] = dc * cp[b] * f * (u - f)
            dg[b] = dc * i * (u - g * g)
            do[b] = dh * t * o * (u - o)
            dhs[b] = zero(dh)
            dcs[b] = dc * f
