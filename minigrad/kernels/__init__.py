"""Numba gate kernels for the recurrent layers, one file per cell type.

Imported lazily (the first time a recurrent layer runs with
``mg.config.use_numba``), so ``import minigrad`` never loads Numba. Each kernel
is a pure-array function with its equations in its docstring, compiled with
``cache=True`` for exactly one signature per dtype (float32 or float64, flat
C-contiguous arrays, int64 sizes), on first use of that dtype.

``steps(cell)`` returns the two binders :class:`minigrad.ops.recurrent.Recurrent`
uses, with the same interface as the NumPy path's:

    forward_binder(XP, R, bias, S, Wk)               -> step(row, prow, nrow)
    backward_binder(dOut, S, Wk, dS, dRec, dGh, dGi) -> step(row, prow, nrow)

Arguments are C-contiguous arrays (see the op's docstring for shapes);
the binder flattens them once per sequence so a step costs one Numba call.
"""
import numpy as np

_compiled = {}


def _flat(a):
    """A flat view of a C-contiguous array (a copy would lose the kernel's writes)."""
    if not a.flags.c_contiguous:
        raise ValueError("recurrent kernels need C-contiguous arrays")
    return a.reshape(-1)


def _kernel(name, dtype):
    """The Numba dispatcher ``name``, compiled (or loaded from cache) for ``dtype``."""
    key = (name, np.dtype(dtype))
    k = _compiled.get(key)
    if k is None:
        from numba import types
        from . import gru, lstm, rnn
        k = {"lstm_forward": lstm.lstm_forward, "lstm_backward": lstm.lstm_backward,
             "gru_forward": gru.gru_forward, "gru_backward": gru.gru_backward,
             "rnn_forward": rnn.rnn_forward, "rnn_backward": rnn.rnn_backward}[name]
        arr = types.Array(types.float32 if key[1] == np.float32 else types.float64, 1, "C")
        n_arrays = 5 if name.endswith("forward") else 7
        sig = (arr,) * n_arrays + (types.int64,) * 6
        if name.startswith("rnn"):
            sig = sig + (types.boolean,)
        k.compile(sig)
        _compiled[key] = k
    return k


def steps(cell):
    """(forward_binder, backward_binder) for ``cell`` in 'lstm', 'gru', 'rnn_tanh', 'rnn_relu'."""
    base = "rnn" if cell.startswith("rnn") else cell
    extra = (cell == "rnn_relu",) if base == "rnn" else ()

    G, nS, nW = {"lstm": (4, 2, 5), "gru": (3, 1, 4), "rnn": (1, 1, 0)}[base]

    def _check(ok, what):
        if not ok:   # the kernels do not bounds-check: refuse a layout they would overrun
            raise ValueError(f"recurrent kernel ({cell}): inconsistent {what}")

    def bind_forward(XP, R, bias, S, Wk):
        k = _kernel(base + "_forward", XP.dtype)
        B, H = R.shape[0], S.shape[2]
        TB = XP.shape[0]
        _check(R.shape == (B, G * H) and XP.shape == (TB, G * H) and bias.shape == (2, G * H)
               and S.shape == (nS, TB + B, H) and (not nW or Wk.shape == (TB, nW * H))
               and len({a.dtype for a in (XP, R, bias, S, Wk)}) == 1, "forward arrays")
        if base != "gru":                    # only the GRU needs b_hn apart
            bias = bias.sum(axis=0)
        a = (_flat(XP), _flat(R), _flat(bias), _flat(S), _flat(Wk), H, B, S[0].size)

        def step(row, prow, nrow):
            k(*a, row, prow, nrow, *extra)
        return step

    def bind_backward(dOut, S, Wk, dS, dRec, dGh, dGi):
        k = _kernel(base + "_backward", dOut.dtype)
        B, H = dRec.shape
        TB = dOut.shape[0]
        _check(dOut.shape == (TB, H) and S.shape == (nS, TB + B, H) and dS.shape == (nS, B, H)
               and dGh.shape == (TB, G * H) and (base != "gru" or dGi.shape == dGh.shape)
               and (not nW or Wk.shape == (TB, nW * H))
               and len({a.dtype for a in (dOut, S, Wk, dS, dRec, dGh, dGi)}) == 1,
               "backward arrays")
        a = (_flat(dOut), _flat(S), _flat(Wk), _flat(dS), _flat(dRec), _flat(dGh),
             _flat(dGi), H, B, S[0].size)

        def step(row, prow, nrow):
            k(*a, row, prow, nrow, *extra)
        return step

    return bind_forward, bind_backward
