"""The recurrent op: one (layer, direction) over a whole sequence as one tape node.

Forward and backward are the per-step loops of the package docstring; what
differs between cells comes from the :class:`~.cells.CellSpec` (sizes, the
step functions or kernels, whether dGi is separate). Names follow the legend
in the package docstring.
"""
from typing import NamedTuple

import numpy as np

from ... import config, threads
from ...function import Function
from ..scatter import scatter_add_rows
from .cells import CellSpec, cell_spec
from .products import in_small_blocks, step_product, tiled_dot
from .workspace import workspace


class _Meta(NamedTuple):
    """What backward needs to know about the forward call (``ctx.meta``)."""
    T: int            # time steps
    B: int            # batch
    I: int            # input features
    H: int            # hidden units
    spec: CellSpec
    rev: int          # 1 when run from t = T-1 down to 0, else 0


class Recurrent(Function):
    """One (layer, direction) of an RNN/LSTM/GRU over a whole sequence; see the package doc.

    Inputs: x (T, B, I), h0 (B, H) or None, c0 (B, H) or None (LSTM only),
    w_ih (G*H, I), w_hh (G*H, H), b_ih (G*H,) or None, b_hh (G*H,) or None.
    Keywords: ``cell`` (``'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru'``),
    ``reverse`` (run from t = T-1 down to 0). Output: (T, B, H) holding
    h_1..h_T, or for the LSTM (T + 1, B, H) holding [h_1..h_T, c_n]; computed
    in w_ih's dtype.

    Fused embedding lookup (``index`` given, integer (T, B)): x is a table E
    (V, I) and the input at step t is ``E[index[t]]``. The input projection is
    then the lookup ``(E W_ih^T)[index]`` of a (V, G*H) table computed once, and
    backward scatters dGx by index into dTable (V, G*H) (:mod:`..scatter`),
    dE = dTable W_ih (the gradient returned for x), dW_ih = dTable^T E. It
    saves the (T*B, I) input products (I*G*H*T*B multiply-adds each way) for
    the table's V*I*G*H, and pays off when the table is small: the layers fuse
    when 2V <= T*B (the rule and its figures in ``nn/recurrent.py``).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell="lstm", reverse=False,
                index=None):
        spec = cell_spec(cell)
        nS, nW = spec.states, spec.work
        dt = w_ih.dtype
        T, B = x.shape[:2] if index is None else index.shape
        I = x.shape[-1]
        GH, H = w_hh.shape
        if T == 0 or B == 0:
            raise ValueError(f"expected a non-empty sequence and batch, got input shape "
                             f"{x.shape if index is None else index.shape}")
        w_ih = np.ascontiguousarray(w_ih)
        w_hh = np.ascontiguousarray(w_hh, dtype=dt)
        ws = workspace.empty
        X, rows, XP = _input_projection(x, index, w_ih, B, ws((T * B, GH), dt))
        bias = np.zeros((2, GH), dt)                  # rows b_ih, b_hh
        if b_ih is not None:
            bias[0] = b_ih
        if b_hh is not None:
            bias[1] = b_hh
        S = ws((nS, (T + 1) * B, H), dt)
        Wk = ws((T * B, nW * H), dt) if nW else None
        rev = 1 if reverse else 0
        first = rev * T * B                           # block holding the initial state
        S[0, first:first + B] = 0 if h0 is None else h0
        if nS == 2:
            S[1, first:first + B] = 0 if c0 is None else c0
        bind = spec.binders(config.use_numba)[0]
        Sh = S[0]

        def run(b0, b1):                               # batch rows b0..b1 through all steps
            R = ws((b1 - b0, GH), dt)
            recurrent_product = step_product(w_hh.T, b1 - b0, R)     # R = h_prev W_hh^T
            step = bind(XP, R, bias, S, Wk)
            for t in (range(T - 1, -1, -1) if rev else range(T)):
                row, prow, nrow = t * B + b0, (t + rev) * B + b0, (t + 1 - rev) * B + b0
                recurrent_product(Sh[prow:prow + b1 - b0])
                step(row, prow, nrow)                  # fused gate pass
        threads.run_parts(run, _parts(B, H, spec))
        out = ws((T + nS - 1, B, H), dt)
        out[:T] = Sh[(1 - rev) * B:(1 - rev) * B + T * B].reshape(T, B, H)
        if nS == 2:
            last = (1 - rev) * T * B                  # block holding the final state
            out[T] = S[1, last:last + B]
        ctx.saved = (X, w_ih, w_hh, S, Wk)
        ctx.rows = rows
        ctx.meta = _Meta(T, B, I, H, spec, rev)
        return out

    @staticmethod
    def backward(ctx, g):
        X, w_ih, w_hh, S, Wk = ctx.saved
        T, B, I, H, spec, rev = ctx.meta
        G, nS = spec.gates, spec.states
        need = ctx.needs_input_grad
        dt = w_hh.dtype
        g = np.ascontiguousarray(g, dtype=dt)
        dOut = g[:T].reshape(T * B, H)
        ws = workspace.empty
        dGh = ws((T * B, G * H), dt)
        dGi = ws((T * B, G * H), dt) if spec.separate_input_grad else None
        bind = spec.binders(config.use_numba)[1]
        dS0 = np.empty((nS, B, H), dt)                # gradients w.r.t. h0 (and c0)

        def run(b0, b1):                               # batch rows b0..b1 through all steps
            dS = np.zeros((nS, b1 - b0, H), dt)        # dL/dh_n is in dOut; dL/dc_n:
            dS[1:] = g[T:, b0:b1]
            dRec = np.zeros((b1 - b0, H), dt)
            recurrent_product_grad = step_product(w_hh, b1 - b0, dRec)   # dRec = dG_t W_hh
            step = bind(dOut, S, Wk, dS, dRec, dGh, dGi)
            for t in (range(T) if rev else range(T - 1, -1, -1)):
                row, prow, nrow = t * B + b0, (t + rev) * B + b0, (t + 1 - rev) * B + b0
                step(row, prow, nrow)                  # fused gate pass -> dG_t
                recurrent_product_grad(dGh[row:row + b1 - b0])   # -> h_{t-1}
            dS[0] += dRec
            dS0[:, b0:b1] = dS
        threads.run_parts(run, _parts(B, H, spec))
        dGx = dGh if dGi is None else dGi             # gradient w.r.t. the input projection
        Hprev = S[0, rev * B:rev * B + T * B]
        dh0 = dS0[0] if need[1] else None
        dc0 = dS0[1] if nS == 2 and need[2] else None
        rows = ctx.rows
        if rows is None:
            dx = tiled_dot(dGx, w_ih.T, B, np.empty((T * B, I), dt)).reshape(T, B, I) \
                if need[0] else None
            dw_ih, dw_hh, db_ih, db_hh = _parameter_grads(dGh, dGi, X, Hprev, need[3:])
            return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh
        # fused lookup: dTable = the gate gradients scattered by index into the table's
        # rows; dE = dTable W_ih, dW_ih = dTable^T E; the rest as above with no input
        # columns (X of width 0: its weight gradient, (G*H, 0), is dropped)
        dTable = scatter_add_rows(np.zeros((X.shape[0], G * H), dt), rows, dGx)
        dx = np.dot(dTable, w_ih) if need[0] else None
        dw_ih = np.dot(dTable.T, X) if need[3] else None
        no_input = np.empty((T * B, 0), dt)
        _, dw_hh, db_ih, db_hh = _parameter_grads(dGh, dGi, no_input, Hprev,
                                                  (True,) + tuple(need[4:]))
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def _input_projection(x, index, w_ih, B, XP):
    """(X, rows, XP): the input as saved for backward and XP = X W_ih^T, (T*B, G*H).

    Unfused (``index`` None): X = x as (T*B, I), XP one tiled product. Fused lookup
    (x the embedding table E (V, I), ``index`` (T, B) its row numbers): X = E, XP the
    rows ``index`` of the table E W_ih^T (V, G*H), computed once for the call.
    """
    dt = w_ih.dtype
    if index is None:
        T, B, I = x.shape
        X = np.ascontiguousarray(x.reshape(T * B, I), dtype=dt)
        return X, None, tiled_dot(X, w_ih, B, XP)      # all steps at once
    X = np.ascontiguousarray(x, dtype=dt)
    rows = np.ascontiguousarray(index.reshape(-1), dtype=np.int64)
    np.take(np.dot(X, w_ih.T), rows, axis=0, out=XP, mode="clip")   # (rows checked)
    return X, rows, XP


def _parts(B, H, spec):
    """The batch rows run side by side (threads.batch_parts); one part on the NumPy path
    and when a part's step products are too large for the small-matrix kernel's blocks
    (BLAS's own threads take those)."""
    if not config.use_numba:
        return [(0, B)]
    parts = threads.batch_parts(B, H, spec.gates, threads.get_num_threads())
    if len(parts) > 1 and not all(in_small_blocks(b1 - b0, H, spec.gates * H)
                                  for b0, b1 in parts):
        return [(0, B)]
    return parts


def _parameter_grads(dGh, dGi, X, Hprev, need):
    """(dW_ih, dW_hh, db_ih, db_hh), each None unless ``need`` says so.

    dGi None means the input-side gradient is dGh itself. Then both weight
    gradients and the bias gradient come from one product dG^T [X | Hprev | 1]:
    0.3-0.45 ms less than two at H = 256 (the narrow one, N = I, runs slower)
    and the column sums (115 us), for a copy of 47 us; the gradients are views
    of its result, db_ih a copy (the two bias gradients are separate arrays).
    Otherwise the column sums are taken as products with a ones vector (2x
    faster than ``sum``).
    """
    need_w_ih, need_w_hh, need_b_ih, need_b_hh = need
    TB, I = X.shape
    H = Hprev.shape[1]
    dt = dGh.dtype
    if need_w_ih and need_w_hh and dGi is None:
        XH1 = workspace.empty((TB, I + H + 1), dt)
        XH1[:, :I] = X
        XH1[:, I:I + H] = Hprev
        XH1[:, I + H] = 1
        dw = np.dot(dGh.T, XH1)
        db = dw[:, I + H]
        return (dw[:, :I], dw[:, I:I + H], db.copy() if need_b_ih else None,
                db if need_b_hh else None)
    ones = np.ones(TB, dt)
    dGx = dGh if dGi is None else dGi
    dw_ih = np.dot(dGx.T, X) if need_w_ih else None
    dw_hh = np.dot(dGh.T, Hprev) if need_w_hh else None
    db_hh = np.dot(ones, dGh) if need_b_hh else None
    if not need_b_ih:
        db_ih = None
    elif dGi is None and db_hh is not None:
        db_ih = db_hh.copy()
    else:
        db_ih = np.dot(ones, dGx)
    return dw_ih, dw_hh, db_ih, db_hh


def recurrent(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell="lstm", reverse=False, index=None):
    """Functional form of :class:`Recurrent` (returns its output tensor).

    ``index`` (an integer (T, B) array): the fused lookup, x the table (V, I).
    """
    spec = cell_spec(cell)
    G = spec.gates
    if index is not None:
        index = np.asarray(index)
        if index.ndim != 2 or index.dtype.kind not in "iu":
            raise ValueError(f"recurrent: expected index as integers of shape (T, B), got "
                             f"{index.dtype} of shape {index.shape}")
        if x.ndim != 2:
            raise ValueError(f"recurrent: with index, expected x as a table of shape "
                             f"(V, I), got {x.shape}")
        if index.size and (index.min() < 0 or index.max() >= x.shape[0]):
            raise ValueError(f"recurrent: index out of range [0, {x.shape[0]}): "
                             f"min {index.min()}, max {index.max()}")
        T, B = index.shape
        I = x.shape[1]
    elif x.ndim != 3:
        raise ValueError(f"recurrent: expected x of shape (T, B, I), got {x.shape}")
    else:
        T, B, I = x.shape
    H = w_hh.shape[-1]
    want = {"w_ih": (w_ih, (G * H, I)), "w_hh": (w_hh, (G * H, H)), "h0": (h0, (B, H)),
            "c0": (c0, (B, H)), "b_ih": (b_ih, (G * H,)), "b_hh": (b_hh, (G * H,))}
    for name, (t, shape) in want.items():
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"recurrent ({cell}): expected {name} of shape {shape}, "
                             f"got {tuple(t.shape)}")
    if c0 is not None and spec.states < 2:
        raise ValueError(f"recurrent: c0 is only used by the LSTM, not by '{cell}'")
    return Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=cell, reverse=reverse,
                           index=index)
