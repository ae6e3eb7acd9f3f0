"""What a recurrent cell type is, described once: :class:`CellSpec` and the registry.

The op (:mod:`.op`), the NumPy step functions (:mod:`.numpy_steps`), the Numba
kernels (:mod:`minigrad.kernels`) and the layers (``nn/recurrent.py``) read
the fields and methods of a spec; none of them tests a cell's name. A name
given by a caller (``cell='lstm'``, a layer's mode) becomes a spec through
:func:`cell_spec`, once.

Step functions (NumPy and Numba alike) take only the arrays and sizes they
use: their binder (:func:`step_arguments`) passes each parameter by its name
from what the op offers, plus the spec's ``constants``, and the last three
parameters are always ``row, prow, nrow`` (the step's rows, see the package
docstring).
"""
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Tuple

from . import numpy_steps


@dataclass(frozen=True)
class CellSpec:
    """One recurrent cell type.

    ``gate_names``: the G gate blocks of H columns, in PyTorch's order (the
    rows of ``weight_ih``/``weight_hh`` and the biases). ``state_names``: the
    states carried between steps (``h``, and ``c`` for the LSTM). ``work_names``:
    the blocks of H columns a forward step saves for backward (Wk).
    ``separate_input_grad``: whether the gradient w.r.t. the input-side
    pre-activation ``W_ih x + b_ih`` (dGi) differs from the one w.r.t.
    ``W_hh h + b_hh`` (dGh); it does for the GRU, where ``r`` multiplies only
    the recurrent part of the candidate gate. ``numpy_forward`` /
    ``numpy_backward``: the NumPy step functions; ``kernel_module``: the module
    of :mod:`minigrad.kernels` holding its Numba ``forward`` and ``backward``
    (named, so Numba is imported only when used). ``constants``: extra
    arguments of both step functions, as (name, value) pairs.
    """

    name: str
    gate_names: Tuple[str, ...]
    state_names: Tuple[str, ...]
    work_names: Tuple[str, ...]
    separate_input_grad: bool
    numpy_forward: Callable
    numpy_backward: Callable
    kernel_module: str
    constants: Tuple[Tuple[str, Any], ...] = ()

    @property
    def gates(self) -> int:
        """G, the number of gate blocks."""
        return len(self.gate_names)

    @property
    def states(self) -> int:
        """nS, the number of states (the op's output packs the extra ones after h_T)."""
        return len(self.state_names)

    @property
    def work(self) -> int:
        """nW, the blocks of H columns saved per step for backward."""
        return len(self.work_names)

    def binders(self, use_numba: bool):
        """(forward_binder, backward_binder) of the Numba kernels or the NumPy steps."""
        if use_numba:
            from ... import kernels
            return kernels.binders(self)
        return numpy_steps.binders(self)


_step_params: Dict[Callable, Tuple[str, ...]] = {}


def step_parameters(fn: Callable) -> Tuple[str, ...]:
    """The names of step function ``fn``'s parameters before ``row, prow, nrow``."""
    names = _step_params.get(fn)
    if names is None:
        params = list(inspect.signature(getattr(fn, "py_func", fn)).parameters)
        if params[-3:] != ["row", "prow", "nrow"]:
            raise TypeError(f"step function {fn.__name__} must end with (row, prow, nrow), "
                            f"got {params}")
        names = _step_params[fn] = tuple(params[:-3])
    return names


def step_arguments(fn: Callable, offered: Mapping[str, Any]) -> tuple:
    """The values of ``offered`` that step function ``fn`` takes, in its order.

    ``fn``'s parameters up to its last three (``row, prow, nrow``, given per
    step) are looked up by name; ``offered`` holds the op's arrays, sizes and
    the spec's constants.
    """
    names = step_parameters(fn)
    missing = [n for n in names if n not in offered]
    if missing:
        raise TypeError(f"step function {fn.__name__}: no argument named {missing}; "
                        f"offered {sorted(offered)}")
    return tuple(offered[n] for n in names)


def _rnn(nonlinearity):
    return CellSpec(f"rnn_{nonlinearity}", ("h",), ("h",), (), False,
                    numpy_steps.rnn_forward, numpy_steps.rnn_backward, "rnn",
                    (("relu", nonlinearity == "relu"),))


CELL_SPECS: Dict[str, CellSpec] = {s.name: s for s in (
    _rnn("tanh"),
    _rnn("relu"),
    CellSpec("lstm", ("i", "f", "g", "o"), ("h", "c"), ("i", "f", "g", "o", "tanh(c)"),
             False, numpy_steps.lstm_forward, numpy_steps.lstm_backward, "lstm"),
    CellSpec("gru", ("r", "z", "n"), ("h",), ("r", "z", "n", "W_hn h + b_hn"),
             True, numpy_steps.gru_forward, numpy_steps.gru_backward, "gru"),
)}

#: name -> (gates G, states nS, blocks of saved work nW), derived from the specs
CELLS: Dict[str, Tuple[int, int, int]] = {
    n: (s.gates, s.states, s.work) for n, s in CELL_SPECS.items()}


def cell_spec(name: str) -> CellSpec:
    """The registered :class:`CellSpec` called ``name``; ValueError naming the known ones."""
    spec = CELL_SPECS.get(name)
    if spec is None:
        raise ValueError(f"recurrent: unknown cell '{name}', expected one of "
                         f"{sorted(CELL_SPECS)}")
    return spec
