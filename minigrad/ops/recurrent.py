"""One recurrent layer direction over a whole sequence as ONE node on the tape.

``Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=..., reverse=...)``
runs an RNN (``'rnn_tanh'``, ``'rnn_relu'``), LSTM (``'lstm'``) or GRU
(``'gru'``) over ``x`` of shape (T, B, I) and returns one packed array of shape
(T + S, B, H): rows ``0..T-1`` are the outputs h_t, row ``T`` is h_n and, for
the LSTM (S = 2), row ``T + 1`` is c_n. The layer slices it with cheap indexing
ops; a slice that no loss depends on costs nothing in backward.

Gate layout is PyTorch's (G gates of H rows each: LSTM ``i, f, g, o``, GRU
``r, z, n``, RNN one). Internally every per-sequence array is feature-major,
shape (rows, T*B), time step t in columns ``[t*B, (t+1)*B)``, so that

forward
    XP = W_ih @ X^T + b_ih                 one product for all steps, (G*H, T*B)
    for each step (in time order, or reversed for ``reverse=True``):
        R = W_hh @ h_prev                  (G*H, H) @ (H, B), NumPy/BLAS
        gate kernel(XP[:, t], R + b_hh)    one fused elementwise pass
backward (mirror image)
    for each step, last first:
        gate kernel'  -> dG_t              (G*H, B) written into dG (G*H, T*B)
        dRec = W_hh^T @ dG_t               gradient flowing to h_{t-1}
    dW_hh = dG @ Hprev^T, dW_ih = dG @ X   one product each over all steps
    db = sum of dG over columns, dx = dG^T @ W_ih

The gate kernels come from :mod:`minigrad.kernels` (Numba, ``config.use_numba``)
or from the NumPy step functions below, which have identical signatures:

    forward(XP, R, bh, S, Wk, col, pcol, ncol)
    backward(dOut, S, Wk, dS, dRec, dGh, dGi, col, pcol, ncol)

S (S*H, (T+1)*B) holds the states (h rows, then c rows for the LSTM); a step
reads the previous state at columns ``pcol`` and writes the new one at
``ncol``. Forward in time, block 0 holds h0 and block t+1 holds h_t; reversed,
block T holds h0 and block t holds h_t. Wk holds what backward needs
(activations, LSTM tanh(c), GRU W_hn h + b_hn). In backward dS carries the
gradient w.r.t. the newest state (without the W_hh^T product, passed as dRec)
and is overwritten with the gradient w.r.t. the previous state.
"""
import numpy as np

from .. import config
from ..function import Function

# cell name -> (gates G, states S, rows of saved work per H)
CELLS = {"rnn_tanh": (1, 1, 0), "rnn_relu": (1, 1, 0), "lstm": (4, 2, 5), "gru": (3, 1, 4)}


# --------------------------------------------------------------- NumPy steps
def _sigmoid(x):
    # 1 / (1 + e^-x) without overflow warnings: sigma(x) = (1 + tanh(x/2)) / 2
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _blocks(a, n, H):
    return [a[k * H:(k + 1) * H] for k in range(n)]


def lstm_forward_np(XP, R, bh, S, Wk, col, pcol, ncol):
    H, B = S.shape[0] // 2, R.shape[1]
    a = XP[:, col:col + B] + R + bh[:, None]
    i, f, g, o = _blocks(a, 4, H)
    i, f, o, g = _sigmoid(i), _sigmoid(f), _sigmoid(o), np.tanh(g)
    c = f * S[H:, pcol:pcol + B] + i * g
    tc = np.tanh(c)
    S[:H, ncol:ncol + B] = o * tc
    S[H:, ncol:ncol + B] = c
    w = Wk[:, col:col + B]
    w[:H], w[H:2 * H], w[2 * H:3 * H], w[3 * H:4 * H], w[4 * H:] = i, f, g, o, tc


def lstm_backward_np(dOut, S, Wk, dS, dRec, dGh, dGi, col, pcol, ncol):
    H, B = dRec.shape
    i, f, g, o, tc = _blocks(Wk[:, col:col + B], 5, H)
    dh = dOut[:, col:col + B] + dS[:H] + dRec
    dc = dS[H:] + dh * o * (1 - tc * tc)
    d = dGh[:, col:col + B]
    d[:H] = dc * g * i * (1 - i)
    d[H:2 * H] = dc * S[H:, pcol:pcol + B] * f * (1 - f)
    d[2 * H:3 * H] = dc * i * (1 - g * g)
    d[3 * H:] = dh * tc * o * (1 - o)
    dS[:H] = 0
    dS[H:] = dc * f


def gru_forward_np(XP, R, bh, S, Wk, col, pcol, ncol):
    H, B = S.shape[0], R.shape[1]
    x = XP[:, col:col + B]
    rh = R + bh[:, None]
    r = _sigmoid(x[:H] + rh[:H])
    z = _sigmoid(x[H:2 * H] + rh[H:2 * H])
    rn = rh[2 * H:]
    n = np.tanh(x[2 * H:] + r * rn)
    hp = S[:, pcol:pcol + B]
    S[:, ncol:ncol + B] = n + z * (hp - n)
    w = Wk[:, col:col + B]
    w[:H], w[H:2 * H], w[2 * H:3 * H], w[3 * H:] = r, z, n, rn


def gru_backward_np(dOut, S, Wk, dS, dRec, dGh, dGi, col, pcol, ncol):
    H, B = dRec.shape
    r, z, n, rn = _blocks(Wk[:, col:col + B], 4, H)
    dh = dOut[:, col:col + B] + dS + dRec
    hp = S[:, pcol:pcol + B]
    dan = dh * (1 - z) * (1 - n * n)
    dar = dan * rn * r * (1 - r)
    daz = dh * (hp - n) * z * (1 - z)
    gh, gi = dGh[:, col:col + B], dGi[:, col:col + B]
    gh[:H] = gi[:H] = dar
    gh[H:2 * H] = gi[H:2 * H] = daz
    gh[2 * H:] = dan * r
    gi[2 * H:] = dan
    dS[...] = dh * z


def rnn_forward_np(XP, R, bh, S, Wk, col, pcol, ncol, relu=False):
    B = R.shape[1]
    a = XP[:, col:col + B] + R + bh[:, None]
    S[:, ncol:ncol + B] = np.maximum(a, 0) if relu else np.tanh(a)


def rnn_backward_np(dOut, S, Wk, dS, dRec, dGh, dGi, col, pcol, ncol, relu=False):
    B = dRec.shape[1]
    dh = dOut[:, col:col + B] + dS + dRec
    h = S[:, ncol:ncol + B]
    dGh[:, col:col + B] = dh * (h > 0) if relu else dh * (1 - h * h)
    dS[...] = 0


def _numpy_steps(cell):
    """(forward_binder, backward_binder) of the NumPy path (see the module doc)."""
    fwd, bwd = {"lstm": (lstm_forward_np, lstm_backward_np),
                "gru": (gru_forward_np, gru_backward_np)}.get(cell, (None, None))
    if fwd is None:
        relu = cell == "rnn_relu"

        def fwd(*a):
            rnn_forward_np(*a, relu=relu)

        def bwd(*a):
            rnn_backward_np(*a, relu=relu)

    def bind_forward(XP, R, bias, S, Wk):
        XP += bias[0][:, None]                       # b_ih once for all steps
        bh = bias[1]
        return lambda col, pcol, ncol: fwd(XP, R, bh, S, Wk, col, pcol, ncol)

    def bind_backward(dOut, S, Wk, dS, dRec, dGh, dGi):
        return lambda col, pcol, ncol: bwd(dOut, S, Wk, dS, dRec, dGh, dGi, col, pcol, ncol)

    return bind_forward, bind_backward


def _steps(cell, use_numba):
    if use_numba:
        from .. import kernels
        return kernels.steps(cell)
    return _numpy_steps(cell)


# --------------------------------------------------------------- the op
class Recurrent(Function):
    """One (layer, direction) of an RNN/LSTM/GRU over a whole sequence; see the module doc.

    Inputs: x (T, B, I), h0 (B, H) or None, c0 (B, H) or None (LSTM only),
    w_ih (G*H, I), w_hh (G*H, H), b_ih (G*H,) or None, b_hh (G*H,) or None.
    Keywords: ``cell`` (``'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru'``),
    ``reverse`` (run from t = T-1 down to 0). Output: (T + S, B, H) packed as
    [h_1..h_T, h_n(, c_n)], computed in w_ih's dtype.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell="lstm", reverse=False):
        G, nS, nW = CELLS[cell]
        dt = w_ih.dtype
        T, B, I = x.shape
        GH, H = w_hh.shape
        X2 = np.ascontiguousarray(x.reshape(T * B, I), dtype=dt)
        w_ih = np.ascontiguousarray(w_ih)
        w_hh = np.ascontiguousarray(w_hh, dtype=dt)
        XP = np.dot(w_ih, X2.T)                       # (G*H, T*B), all steps at once
        bias = np.zeros((2, GH), dt)                  # rows b_ih, b_hh
        if b_ih is not None:
            bias[0] = b_ih
        if b_hh is not None:
            bias[1] = b_hh
        S = np.empty((nS * H, (T + 1) * B), dt)
        Wk = np.empty((nW * H, T * B) if nW else (1, 1), dt)
        rev = 1 if reverse else 0
        first = rev * T * B                           # block holding the initial state
        S[:H, first:first + B] = 0 if h0 is None else h0.T
        if nS == 2:
            S[H:, first:first + B] = 0 if c0 is None else c0.T
        R = np.empty((GH, B), dt)
        step = _steps(cell, config.use_numba)[0](XP, R, bias, S, Wk)
        Sh = S[:H]
        for t in (range(T - 1, -1, -1) if rev else range(T)):
            col, pcol, ncol = t * B, (t + rev) * B, (t + 1 - rev) * B
            np.dot(w_hh, Sh[:, pcol:pcol + B], out=R)   # recurrent product (G*H, B)
            step(col, pcol, ncol)                        # fused gate pass
        out = np.empty((T + nS, B, H), dt)
        out[:T] = S[:H, (1 - rev) * B:(1 - rev) * B + T * B].reshape(H, T, B).transpose(1, 2, 0)
        last = (1 - rev) * T * B                      # block holding the final state
        out[T] = S[:H, last:last + B].T
        if nS == 2:
            out[T + 1] = S[H:, last:last + B].T
        ctx.saved = (X2, w_ih, w_hh, S, Wk)
        ctx.shape = (T, B, I, H, G, nS, rev, cell, x.dtype)
        return out

    @staticmethod
    def backward(ctx, g):
        X2, w_ih, w_hh, S, Wk = ctx.saved
        T, B, I, H, G, nS, rev, cell, xdt = ctx.shape
        need = ctx.needs_input_grad
        dt = w_hh.dtype
        g = g.astype(dt, copy=False)
        dOut = np.ascontiguousarray(g[:T].transpose(2, 0, 1)).reshape(H, T * B)
        dS = np.empty((nS * H, B), dt)
        dS[:H] = g[T].T
        if nS == 2:
            dS[H:] = g[T + 1].T
        dRec = np.zeros((H, B), dt)
        dGh = np.empty((G * H, T * B), dt)
        dGi = np.empty((G * H, T * B), dt) if cell == "gru" else np.empty((1, 1), dt)
        step = _steps(cell, config.use_numba)[1](dOut, S, Wk, dS, dRec, dGh, dGi)
        w_hhT = w_hh.T
        for t in (range(T) if rev else range(T - 1, -1, -1)):
            col, pcol, ncol = t * B, (t + rev) * B, (t + 1 - rev) * B
            step(col, pcol, ncol)                            # fused gate pass -> dG_t
            np.dot(w_hhT, dGh[:, col:col + B], out=dRec)     # W_hh^T dG_t -> h_{t-1}
        dGx = dGi if cell == "gru" else dGh            # gradient w.r.t. the input projection
        Hprev = S[:H, rev * B:rev * B + T * B]
        dx = np.dot(dGx.T, w_ih).reshape(T, B, I) if need[0] else None
        dh0 = (dS[:H] + dRec).T if need[1] else None
        dc0 = dS[H:].T.copy() if nS == 2 and need[2] else None
        dw_ih = np.dot(dGx, X2) if need[3] else None
        dw_hh = np.dot(dGh, Hprev.T) if need[4] else None
        db_ih = dGx.sum(axis=1) if need[5] else None
        db_hh = dGh.sum(axis=1) if need[6] else None
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def recurrent(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell="lstm", reverse=False):
    """Functional form of :class:`Recurrent` (returns the packed tensor)."""
    if cell not in CELLS:
        raise ValueError(f"recurrent: unknown cell '{cell}', expected one of {sorted(CELLS)}")
    return Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=cell, reverse=reverse)
