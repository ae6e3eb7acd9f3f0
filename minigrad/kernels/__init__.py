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
the arrays once per sequence, so a step costs one Numba call.
"""
import importlib

import numpy as np

from ..ops.recurrent.cells import cell_spec, step_arguments

_compiled = {}


def _flat(a):
    """A flat view of a C-contiguous array (a copy would lose the kernel's writes)."""
    if not a.flags.c_contiguous:
        raise ValueError("recurrent kernels need C-contiguous arrays")
    return a.reshape(-1)


def _kernel(module, name, args):
    """Kernel ``name`` of ``module``, compiled (or loaded from cache) for the types of ``args``
    followed by the three int64 step rows; one signature per (kernel, dtype)."""
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    dtype = arrays[0].dtype
    key = (module, name, dtype)
    k = _compiled.get(key)
    if k is None:
        from numba import from_dtype, types
        k = getattr(importlib.import_module(f".{module}", __name__), name)
        arr = types.Array(from_dtype(dtype), 1, "C")
        sig = tuple(arr if isinstance(a, np.ndarray) else
                    types.boolean if isinstance(a, bool) else types.int64 for a in args)
        k.compile(sig + (types.int64,) * 3)
        _compiled[key] = k
    return k


def _bind(spec, name, offered, what):
    """The per-step call of ``spec``'s kernel ``name`` on the ``offered`` arguments it takes."""
    module = importlib.import_module(f".{spec.kernel_module}", __name__)
    args = step_arguments(getattr(module, name), {**offered, **dict(spec.constants)})
    if len({a.dtype for a in args if isinstance(a, np.ndarray)}) != 1:
        raise ValueError(f"recurrent kernel ({spec.name}): inconsistent {what} dtypes")
    args = tuple(_flat(a) if isinstance(a, np.ndarray) else a for a in args)
    k = _kernel(spec.kernel_module, name, args)

    def step(row, prow, nrow):
        k(*args, row, prow, nrow)
    return step


def binders(spec):
    """(forward_binder, backward_binder) for the cell ``spec`` (a CellSpec)."""
    G, nS, nW = spec.gates, spec.states, spec.work

    def _check(ok, what):
        if not ok:   # the kernels do not bounds-check: refuse a layout they would overrun
            raise ValueError(f"recurrent kernel ({spec.name}): inconsistent {what}")

    def bind_forward(XP, R, bias, S, Wk):
        B, H = R.shape[0], S.shape[2]
        TB = XP.shape[0]
        _check(R.shape == (B, G * H) and XP.shape == (TB, G * H) and bias.shape == (2, G * H)
               and S.shape == (nS, TB + B, H) and (not nW or Wk.shape == (TB, nW * H)),
               "forward arrays")
        return _bind(spec, "forward", dict(XP=XP, R=R, bias=bias.sum(axis=0), bias_pair=bias,
                                           S=S, Wk=Wk, H=H, B=B, soff=S[0].size),
                     "forward arrays")

    def bind_backward(dOut, S, Wk, dS, dRec, dGh, dGi):
        B, H = dRec.shape
        TB = dOut.shape[0]
        _check(dOut.shape == (TB, H) and S.shape == (nS, TB + B, H) and dS.shape == (nS, B, H)
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
