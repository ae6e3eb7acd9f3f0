"""Numba gate kernels for the recurrent layers, one file per cell type.

Imported lazily (the first time a recurrent layer runs with
``mg.config.use_numba``), so ``import minigrad`` never loads Numba. Each file
named by a :class:`~minigrad.ops.recurrent.CellSpec`'s ``kernel_module``
holds ``forward`` and ``backward``: pure-array functions with their equations
in the file's docstring, compiled with ``cache=True`` for exactly one
signature per dtype (float32 or float64, flat C-contiguous arrays, int64
sizes, boolean constants), on first use of that dtype.

A kernel takes only the arrays and sizes it uses, by these names (see the
legend in :mod:`minigrad.ops.recurrent`): ``XP, R, S, Wk, dOut, dS, dRec, dGh,
dGi`` flattened, ``bias`` (G*H: b_ih + b_hh) or ``bias_pair`` (2*G*H: b_ih
then b_hh), ``H``, ``B``, ``soff`` (the flat offset of the c states in S),
the spec's constants, then ``row, prow, nrow``.

:func:`binders` returns the two binders the op uses, with the same interface
as the NumPy path's:

    forward_binder(XP, R, bias, S, Wk)               -> step(row, prow, nrow)
    backward_binder(dOut, S, Wk, dS, dRec, dGh, dGi) -> step(row, prow, nrow)

The binder checks the layout (the kernels do not bounds-check) and flattens
the arrays once per sequence, so a step costs one Numba call. A step may run
a part of the batch (the op's threads, :func:`minigrad.threads.batch_parts`):
R, dS and dRec then hold that part's B rows, and ``row, prow, nrow`` point at
its first row.
"""
import importlib
from typing import Any, Callable, Dict, Tuple

import numpy as np

from ..ops.recurrent.cells import cell_spec, step_arguments, step_parameters

_compiled: Dict[Tuple[Any, ...], bool] = {}
_functions: Dict[Tuple[Any, ...], Callable[..., Any]] = {}


def _flat(a):
    """A flat view of a C-contiguous array (a copy would lose the kernel's writes)."""
    if not a.flags.c_contiguous:
        raise ValueError("recurrent kernels need C-contiguous arrays")
    return a.reshape(-1)


def _function(spec, name):
    """The Numba dispatcher ``name`` ('forward' or 'backward') of ``spec``'s kernel module."""
    key = (spec.kernel_module, name)
    fn = _functions.get(key)
    if fn is None:
        module = importlib.import_module(f".{spec.kernel_module}", __name__)
        fn = _functions[key] = getattr(module, name)
    return fn


def _kernel(fn, args, dtype):
    """``fn`` compiled (or loaded from cache) for the types of ``args`` followed by the
    three int64 step rows; one signature per (kernel, dtype)."""
    key = (fn, dtype)
    if key not in _compiled:
        from numba import from_dtype, types
        arr = types.Array(from_dtype(dtype), 1, "C")
        sig = tuple(arr if isinstance(a, np.ndarray) else
                    types.boolean if isinstance(a, bool) else types.int64 for a in args)
        fn.compile(sig + (types.int64,) * 3)
        _compiled[key] = True
    return fn


def _bind(spec, name, offered, what):
    """The per-step call of ``spec``'s kernel ``name`` on the ``offered`` arguments it takes."""
    fn = _function(spec, name)
    args = step_arguments(fn, {**offered, **dict(spec.constants)})
    dtypes = {a.dtype for a in args if isinstance(a, np.ndarray)}
    if len(dtypes) != 1:
        raise ValueError(f"recurrent kernel ({spec.name}): inconsistent {what} dtypes")
    args = tuple(_flat(a) if isinstance(a, np.ndarray) else a for a in args)
    k = _kernel(fn, args, dtypes.pop())

    def step(row, prow, nrow):
        k(*args, row, prow, nrow)
    return step


def binders(spec):
    """(forward_binder, backward_binder) for the cell ``spec`` (a CellSpec)."""
    G, nS, nW = spec.gates, spec.states, spec.work

    def _check(ok, what):
        if not ok:   # the kernels do not bounds-check: refuse a layout they would overrun
            raise ValueError(f"recurrent kernel ({spec.name}): inconsistent {what}")

    def _batch(S, TB, B):
        full = S.shape[1] - TB             # the whole batch; a step may run B <= full of its rows
        return 0 < B <= full and TB % full == 0

    def bind_forward(XP, R, bias, S, Wk):
        B, H = R.shape[0], S.shape[2]
        TB = XP.shape[0]
        _check(R.shape == (B, G * H) and XP.shape == (TB, G * H) and bias.shape == (2, G * H)
               and S.shape[::2] == (nS, H) and _batch(S, TB, B)
               and (not nW or Wk.shape == (TB, nW * H)), "forward arrays")
        summed = "bias" in step_parameters(_function(spec, "forward"))
        return _bind(spec, "forward", dict(XP=XP, R=R, bias=bias.sum(axis=0) if summed else None,
                                           bias_pair=bias, S=S, Wk=Wk, H=H, B=B,
                                           soff=S[0].size),
                     "forward arrays")

    def bind_backward(dOut, S, Wk, dS, dRec, dGh, dGi):
        B, H = dRec.shape
        TB = dOut.shape[0]
        _check(dOut.shape == (TB, H) and S.shape[::2] == (nS, H) and _batch(S, TB, B)
               and dS.shape == (nS, B, H)
               and dGh.shape == (TB, G * H)
               and (not spec.separate_input_grad or dGi.shape == dGh.shape)
               and (not nW or Wk.shape == (TB, nW * H)), "backward arrays")
        return _bind(spec, "backward", dict(dOut=dOut, S=S, Wk=Wk, dS=dS, dRec=dRec, dGh=dGh,
                                            dGi=dGi, H=H, B=B, soff=S[0].size),
                     "backward arrays")

    return bind_forward, bind_backward


def steps(cell):
    """:func:`binders` of the cell named ``cell`` ('lstm', 'gru', 'rnn_tanh', 'rnn_relu')."""
    return binders(cell_spec(cell))
