"""One recurrent layer direction over a whole sequence as ONE node on the tape.

``Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=..., reverse=...)``
runs an RNN (``'rnn_tanh'``, ``'rnn_relu'``), LSTM (``'lstm'``) or GRU
(``'gru'``) over ``x`` of shape (T, B, I) and returns the outputs h_t as one
array of shape (T, B, H); for the LSTM it returns (T + 1, B, H) with c_n packed
as row ``T``. h_n is the output at the last step processed (row T-1, or row 0
when reversed). The layer takes these apart with cheap indexing ops; a part no
loss depends on costs nothing in backward.

Gate layout is PyTorch's (G gates of H columns each: LSTM ``i, f, g, o``, GRU
``r, z, n``, RNN one). Internally every per-sequence array is batch-major,
(T*B, features), time step t in rows ``[t*B, (t+1)*B)``: each step's data is
one contiguous block (the gate kernels run long unit-stride loops over it)
and all steps stack into one matrix for the products over the whole sequence:

forward
    XP = X W_ih^T                          all steps in one broadcast product, (T*B, G*H)
    for each step (in time order, or reversed for ``reverse=True``):
        R = h_prev W_hh^T                  (B, G*H), NumPy/BLAS, in column blocks
        gate kernel(XP[t], R, b_ih, b_hh)  one fused elementwise pass
backward (mirror image)
    for each step, last first:
        gate kernel'  -> dG_t              (B, G*H), a block of dG (T*B, G*H)
        dRec = dG_t W_hh                   gradient flowing to h_{t-1}, in column blocks
    [dW_ih | dW_hh | db] = dG^T [X | Hprev | 1]   one product over all steps
                                           (GRU: dW_ih, db_ih from dGi, a second product)
    dx = dG W_ih                           (only when x needs a gradient)

The gate kernels come from :mod:`minigrad.kernels` (Numba, ``config.use_numba``)
or from the NumPy step functions below; both are reached through binders with
one interface, which prepare a sequence's arrays once and return a per-step
call:

    forward_binder(XP, R, bias, S, Wk)               -> step(row, prow, nrow)
    backward_binder(dOut, S, Wk, dS, dRec, dGh, dGi) -> step(row, prow, nrow)

The two per-step products are split into column blocks (a rule on the
sizes only, :func:`_block_width`): each block's product is a separate BLAS
call (one broadcast ``np.matmul`` writing into column slices of R or dRec)
small enough for OpenBLAS's small-matrix kernel, which skips the packing of
the weight matrix a general GEMM does on every call. R (B, G*H) and dRec
(B, H) keep their plain row-major layout whatever the split. The input
projection (and dx) is taken the same way, in tiles of one step's rows by such
column blocks (:func:`_tiled_dot`), all in one broadcast ``np.matmul``.
bias (2, G*H) holds b_ih and b_hh. S (nS, (T+1)*B, H) holds the states (h,
and c for the LSTM); a step reads the previous state at rows ``prow`` and
writes the new one at rows ``nrow``. Forward in time, block 0 holds h0 and
block t+1 holds h_t; reversed, block T holds h0 and block t holds h_t. Wk
(T*B, nW*H) holds what backward needs (activations, LSTM tanh(c), GRU
W_hn h + b_hn). In backward dS (nS, B, H) carries the gradient w.r.t. the
newest state (without the product through W_hh, passed as dRec) and is
overwritten with the gradient w.r.t. the previous state; dGh (T*B, G*H) gets
the gradient w.r.t. W_hh h + b_hh and dGi (GRU only) w.r.t. W_ih x + b_ih.
"""
import functools
import sys
import threading

import numpy as np

from .. import config
from ..function import Function

# cell name -> (gates G, states nS, blocks of saved work nW)
CELLS = {"rnn_tanh": (1, 1, 0), "rnn_relu": (1, 1, 0), "lstm": (4, 2, 5), "gru": (3, 1, 4)}


# --------------------------------------------------------------- NumPy steps
def _sigmoid(x):
    # 1 / (1 + e^-x) without overflow warnings: sigma(x) = (1 + tanh(x/2)) / 2
    return 0.5 * np.tanh(0.5 * x) + 0.5


def _blocks(a, n, H):
    return [a[:, k * H:(k + 1) * H] for k in range(n)]


def _gates(XP, R, bh, row, H):
    """Per gate k: (XP[step rows] + R + bh)[:, kH:(k+1)H]."""
    B = R.shape[0]
    a = XP[row:row + B] + R + bh
    return _blocks(a, R.shape[1] // H, H)


def lstm_forward_np(XP, R, bh, S, Wk, row, prow, nrow):
    B, H = R.shape[0], S.shape[2]
    i, f, g, o = _gates(XP, R, bh, row, H)
    i, f, o, g = _sigmoid(i), _sigmoid(f), _sigmoid(o), np.tanh(g)
    c = f * S[1, prow:prow + B] + i * g
    tc = np.tanh(c)
    S[0, nrow:nrow + B] = o * tc
    S[1, nrow:nrow + B] = c
    w = Wk[row:row + B]
    w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:4 * H], w[:, 4 * H:] = i, f, g, o, tc


def lstm_backward_np(dOut, S, Wk, dS, dRec, dGh, dGi, row, prow, nrow):
    B, H = dRec.shape
    i, f, g, o, tc = _blocks(Wk[row:row + B], 5, H)
    dh = dOut[row:row + B] + dS[0] + dRec
    dc = dS[1] + dh * o * (1 - tc * tc)
    d = dGh[row:row + B]
    d[:, :H] = dc * g * i * (1 - i)
    d[:, H:2 * H] = dc * S[1, prow:prow + B] * f * (1 - f)
    d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
    d[:, 3 * H:] = dh * tc * o * (1 - o)
    dS[0] = 0
    dS[1] = dc * f


def gru_forward_np(XP, R, bh, S, Wk, row, prow, nrow):
    B, H = R.shape[0], S.shape[2]
    x = XP[row:row + B]
    r = _sigmoid(x[:, :H] + R[:, :H] + bh[:H])
    z = _sigmoid(x[:, H:2 * H] + R[:, H:2 * H] + bh[H:2 * H])
    rn = R[:, 2 * H:] + bh[2 * H:]
    n = np.tanh(x[:, 2 * H:] + r * rn)
    hp = S[0, prow:prow + B]
    S[0, nrow:nrow + B] = n + z * (hp - n)
    w = Wk[row:row + B]
    w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:] = r, z, n, rn


def gru_backward_np(dOut, S, Wk, dS, dRec, dGh, dGi, row, prow, nrow):
    B, H = dRec.shape
    r, z, n, rn = _blocks(Wk[row:row + B], 4, H)
    dh = dOut[row:row + B] + dS[0] + dRec
    hp = S[0, prow:prow + B]
    dan = dh * (1 - z) * (1 - n * n)
    dar = dan * rn * r * (1 - r)
    daz = dh * (hp - n) * z * (1 - z)
    gh, gi = dGh[row:row + B], dGi[row:row + B]
    gh[:, :H] = gi[:, :H] = dar
    gh[:, H:2 * H] = gi[:, H:2 * H] = daz
    gh[:, 2 * H:] = dan * r
    gi[:, 2 * H:] = dan
    dS[0] = dh * z


def rnn_forward_np(XP, R, bh, S, Wk, row, prow, nrow, relu=False):
    B, H = R.shape
    (a,) = _gates(XP, R, bh, row, H)
    S[0, nrow:nrow + B] = np.maximum(a, 0) if relu else np.tanh(a)


def rnn_backward_np(dOut, S, Wk, dS, dRec, dGh, dGi, row, prow, nrow, relu=False):
    B = dRec.shape[0]
    dh = dOut[row:row + B] + dS[0] + dRec
    h = S[0, nrow:nrow + B]
    dGh[row:row + B] = dh * (h > 0) if relu else dh * (1 - h * h)
    dS[0] = 0


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
        XP += bias[0]                                # b_ih once for all steps
        bh = bias[1]
        return lambda row, prow, nrow: fwd(XP, R, bh, S, Wk, row, prow, nrow)

    def bind_backward(dOut, S, Wk, dS, dRec, dGh, dGi):
        return lambda row, prow, nrow: bwd(dOut, S, Wk, dS, dRec, dGh, dGi, row, prow, nrow)

    return bind_forward, bind_backward


def _steps(cell, use_numba):
    if use_numba:
        from .. import kernels
        return kernels.steps(cell)
    return _numpy_steps(cell)


# --------------------------------------------------------------- products
_SMALL_MNK = 100 ** 3      # OpenBLAS's small-matrix kernel takes products up to M*N*K = 1e6
_MIN_BLOCK = 16            # narrower column blocks were slower


def _block_width(M, K, N):
    """Column block width for the per-step product (M, K) @ (K, N), M = batch.

    The widest divisor n of N with M*n*K <= 1e6 and n >= 16, or N (one
    product) when there is none. OpenBLAS (the BLAS of NumPy's wheels; on this
    AVX-512 machine its SkylakeX kernels) computes a product of at most 1e6
    multiply-adds with a small-matrix kernel that reads the operands in place,
    while a larger one packs the whole weight matrix on every call. Measured,
    B = 32, float32, per step (us, one product -> blocks): forward
    (B, H) @ (H, 4H) at H = 256: 207 -> 148 (n = 64), H = 384: 446 -> 334,
    H = 512: 847 -> 591 (n = 32); backward (B, 4H) @ (4H, H) at H = 128:
    50 -> 38 (n = 32), H = 256: 197 -> 157 (n = 16), H = 384: 446 -> 347;
    narrower blocks than 16 were slower (H = 512 backward, n = 8: 1001 vs 778).
    """
    return _widest_block(M, K, N, _SMALL_MNK, _MIN_BLOCK)


@functools.lru_cache(maxsize=256)
def _widest_block(M, K, N, limit, least):
    best = N
    for n in range(least, N + 1):
        if N % n == 0 and M * n * K <= limit:
            best = n
    return best


def _tiled_dot(a, bT, rows, out):
    """out = a @ bT.T for a (M, K), bT (N, K): in tiles of ``rows`` rows (one
    time step) by the columns of :func:`_block_width`, one broadcast
    ``np.matmul``, when such a tile is small enough for the small-matrix kernel
    (and M is a multiple of ``rows``); otherwise as one product. Measured, B =
    32, T = 35, float32, the input projection (us, one product -> tiles):
    I = 65, H = 128: 844 -> 705; H = 256: 1973 -> 1409; I = H = 256: 6220 ->
    5913; I = H = 512: 26887 -> 24127.
    """
    M, K = a.shape
    N = bT.shape[0]
    n = _block_width(rows, K, N)
    if M % rows or rows * n * K > _SMALL_MNK:
        return np.dot(a, bT.T, out=out)
    w = _workspace.empty((N // n, K, n), bT.dtype)
    np.copyto(w, bT.reshape(N // n, n, K).transpose(0, 2, 1))
    np.matmul(a.reshape(M // rows, 1, rows, K), w,
              out=out.reshape(M // rows, rows, N // n, n).transpose(0, 2, 1, 3))
    return out


# --------------------------------------------------------------- workspace
class _Workspace:
    """Recycles the big per-sequence buffers (XP, S, Wk, dG, the packed output).

    A fresh multi-megabyte ``np.empty`` is fresh memory from the OS: every
    4 KiB page costs a page fault and zeroing on first touch (about 2,000
    faults, some 10% of an LSTM chunk at H = 128). ``empty`` hands out a view
    of a pooled buffer. Every view, and every view of a view, refers to the
    buffer (``.base``), so a buffer whose reference count is back to the pool's
    own reference is free; none is reused while any array still uses it. At
    most ``keep`` buffers per (shape, dtype) and ``max_keys`` shapes are kept.
    """

    def __init__(self, keep=4, max_keys=16):
        self.keep, self.max_keys = keep, max_keys
        self._bufs = {}
        self._lock = threading.Lock()
        probe = [np.empty(1)]
        self._free_refs = sys.getrefcount(probe[0])   # held by the pool list only

    def empty(self, shape, dtype):
        key = (tuple(shape), np.dtype(dtype))
        with self._lock:
            bufs = self._bufs.pop(key, [])
            self._bufs[key] = bufs                        # most recently used last
            while len(self._bufs) > self.max_keys:
                del self._bufs[next(iter(self._bufs))]
            for i in range(len(bufs)):
                if sys.getrefcount(bufs[i]) <= self._free_refs:
                    return bufs[i][...]
            buf = np.empty(key[0], key[1])
            if len(bufs) < self.keep:
                bufs.append(buf)
            return buf[...]


_workspace = _Workspace()


# --------------------------------------------------------------- the op
class Recurrent(Function):
    """One (layer, direction) of an RNN/LSTM/GRU over a whole sequence; see the module doc.

    Inputs: x (T, B, I), h0 (B, H) or None, c0 (B, H) or None (LSTM only),
    w_ih (G*H, I), w_hh (G*H, H), b_ih (G*H,) or None, b_hh (G*H,) or None.
    Keywords: ``cell`` (``'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru'``),
    ``reverse`` (run from t = T-1 down to 0). Output: (T, B, H) holding
    h_1..h_T, or for the LSTM (T + 1, B, H) holding [h_1..h_T, c_n]; computed
    in w_ih's dtype.
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell="lstm", reverse=False):
        G, nS, nW = CELLS[cell]
        dt = w_ih.dtype
        T, B, I = x.shape
        GH, H = w_hh.shape
        if T == 0 or B == 0:
            raise ValueError(f"expected a non-empty sequence and batch, got input shape {x.shape}")
        X2 = np.ascontiguousarray(x.reshape(T * B, I), dtype=dt)
        w_ih = np.ascontiguousarray(w_ih)
        w_hh = np.ascontiguousarray(w_hh, dtype=dt)
        ws = _workspace.empty
        nf = _block_width(B, H, GH)                   # column blocks of W_hh^T
        w_f = ws((GH // nf, H, nf), dt)
        np.copyto(w_f, w_hh.reshape(GH // nf, nf, H).transpose(0, 2, 1))
        XP = _tiled_dot(X2, w_ih, B, ws((T * B, GH), dt))   # (T*B, G*H), all steps at once
        bias = np.zeros((2, GH), dt)                  # rows b_ih, b_hh
        if b_ih is not None:
            bias[0] = b_ih
        if b_hh is not None:
            bias[1] = b_hh
        S = ws((nS, (T + 1) * B, H), dt)
        Wk = ws((T * B, nW * H), dt) if nW else np.empty((1, 1), dt)
        rev = 1 if reverse else 0
        first = rev * T * B                           # block holding the initial state
        S[0, first:first + B] = 0 if h0 is None else h0
        if nS == 2:
            S[1, first:first + B] = 0 if c0 is None else c0
        R = ws((B, GH), dt)
        Rb = R.reshape(B, GH // nf, nf).transpose(1, 0, 2)   # R's column blocks
        step = _steps(cell, config.use_numba)[0](XP, R, bias, S, Wk)
        Sh = S[0]
        for t in (range(T - 1, -1, -1) if rev else range(T)):
            row, prow, nrow = t * B, (t + rev) * B, (t + 1 - rev) * B
            if nf == GH:
                np.dot(Sh[prow:prow + B], w_f[0], out=R)   # recurrent product
            else:
                np.matmul(Sh[prow:prow + B], w_f, out=Rb)  # ... block by block
            step(row, prow, nrow)                      # fused gate pass
        out = ws((T + nS - 1, B, H), dt)
        out[:T] = Sh[(1 - rev) * B:(1 - rev) * B + T * B].reshape(T, B, H)
        if nS == 2:
            last = (1 - rev) * T * B                  # block holding the final state
            out[T] = S[1, last:last + B]
        ctx.saved = (X2, w_ih, w_hh, S, Wk)
        ctx.shape = (T, B, I, H, G, nS, rev, cell)
        return out

    @staticmethod
    def backward(ctx, g):
        X2, w_ih, w_hh, S, Wk = ctx.saved
        T, B, I, H, G, nS, rev, cell = ctx.shape
        need = ctx.needs_input_grad
        dt = w_hh.dtype
        g = np.ascontiguousarray(g, dtype=dt)
        dOut = g[:T].reshape(T * B, H)
        dS = np.zeros((nS, B, H), dt)                 # dL/dh_n is in dOut; dL/dc_n:
        dS[1:] = g[T:]
        dRec = np.zeros((B, H), dt)
        ws = _workspace.empty
        dGh = ws((T * B, G * H), dt)
        dGi = ws((T * B, G * H), dt) if cell == "gru" else np.empty((1, 1), dt)
        nb = _block_width(B, G * H, H)                # column blocks of W_hh
        if nb < H:
            w_b = ws((H // nb, G * H, nb), dt)
            np.copyto(w_b, w_hh.reshape(G * H, H // nb, nb).transpose(1, 0, 2))
            dRb = dRec.reshape(B, H // nb, nb).transpose(1, 0, 2)
        step = _steps(cell, config.use_numba)[1](dOut, S, Wk, dS, dRec, dGh, dGi)
        for t in (range(T) if rev else range(T - 1, -1, -1)):
            row, prow, nrow = t * B, (t + rev) * B, (t + 1 - rev) * B
            step(row, prow, nrow)                            # fused gate pass -> dG_t
            if nb == H:
                np.dot(dGh[row:row + B], w_hh, out=dRec)     # dG_t W_hh -> h_{t-1}
            else:
                np.matmul(dGh[row:row + B], w_b, out=dRb)    # ... block by block
        dGx = dGi if cell == "gru" else dGh            # gradient w.r.t. the input projection
        Hprev = S[0, rev * B:rev * B + T * B]
        dx = _tiled_dot(dGx, w_ih.T, B, np.empty((T * B, I), dt)).reshape(T, B, I) \
            if need[0] else None
        dh0 = dS[0] + dRec if need[1] else None
        dc0 = dS[1] if nS == 2 and need[2] else None
        if need[3] and need[4] and dGx is dGh:
            # both weight gradients and the bias gradient as one product
            # dG^T [X | Hprev | 1]: 0.3-0.45 ms less than two at H = 256 (the
            # narrow one, N = I, runs slower) and the column sums (115 us), for
            # a copy of 47 us; the gradients are views of its result
            XH = ws((T * B, I + H + 1), dt)
            XH[:, :I] = X2
            XH[:, I:I + H] = Hprev
            XH[:, I + H] = 1
            dw = np.dot(dGh.T, XH)
            dw_ih, dw_hh = dw[:, :I], dw[:, I:I + H]
            db_hh = dw[:, I + H] if need[6] else None
            db_ih = dw[:, I + H] if need[5] else None
        else:
            ones = np.ones(T * B, dt)                  # column sums as a product (2x faster)
            dw_ih = np.dot(dGx.T, X2) if need[3] else None
            dw_hh = np.dot(dGh.T, Hprev) if need[4] else None
            db_hh = np.dot(ones, dGh) if need[6] else None
            db_ih = (db_hh if dGx is dGh and need[6] else np.dot(ones, dGx)) \
                if need[5] else None
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def recurrent(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell="lstm", reverse=False):
    """Functional form of :class:`Recurrent` (returns its output tensor)."""
    if cell not in CELLS:
        raise ValueError(f"recurrent: unknown cell '{cell}', expected one of {sorted(CELLS)}")
    G = CELLS[cell][0]
    if x.ndim != 3:
        raise ValueError(f"recurrent: expected x of shape (T, B, I), got {x.shape}")
    T, B, I = x.shape
    H = w_hh.shape[-1]
    want = {"w_ih": (w_ih, (G * H, I)), "w_hh": (w_hh, (G * H, H)), "h0": (h0, (B, H)),
            "c0": (c0, (B, H)), "b_ih": (b_ih, (G * H,)), "b_hh": (b_hh, (G * H,))}
    for name, (t, shape) in want.items():
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"recurrent ({cell}): expected {name} of shape {shape}, "
                             f"got {tuple(t.shape)}")
    if c0 is not None and cell != "lstm":
        raise ValueError(f"recurrent: c0 is only used by the LSTM, not by '{cell}'")
    return Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=cell, reverse=reverse)
