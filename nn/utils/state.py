"""Recurrent state helpers: cut a state's history, reset rows of it.

A recurrent *state* is what a model carries from one time step to the next:
a Tensor (an RNN's or GRU's ``h``), or a nested tuple/list of Tensors (an
LSTM's ``(h, c)``, or one entry per layer of a hand-built stack). ``None``
stands for the default zero state.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np

from minigrad.ops import where
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from minigrad._typing import ArrayLike, State

#: a tuple or list state keeps its type (and, for a tuple, its length)
_Seq = TypeVar("_Seq", bound="tuple[Any, ...] | list[Any]")


@overload
def detach_state(state: None) -> None: ...
@overload
def detach_state(state: Tensor) -> Tensor: ...
@overload
def detach_state(state: _Seq) -> _Seq: ...
def detach_state(state: State) -> State:
    """The same state with every tensor cut from its history (``Tensor.detach``).

    The result shares data with ``state`` but has no ``grad_fn``: gradients of
    later losses stop here. This is the cut truncated BPTT makes between chunks.
    Tuples stay tuples and lists stay lists (nested to any depth); ``None`` is
    returned as is.

    >>> h, c = mg.zeros(2, 3, requires_grad=True) * 1, mg.zeros(2, 3)
    >>> hd, cd = detach_state((h, c))
    >>> hd.grad_fn is None and hd.data is h.data
    True
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"detach_state: expected a Tensor, None or a (nested) tuple/list of "
                    f"Tensors, got {type(state).__name__}")


@overload
def reset_state(state: None, reset: ArrayLike, batch_axis: int = -2) -> None: ...
@overload
def reset_state(state: Tensor, reset: ArrayLike, batch_axis: int = -2) -> Tensor: ...
@overload
def reset_state(state: _Seq, reset: ArrayLike, batch_axis: int = -2) -> _Seq: ...
def reset_state(state: State, reset: ArrayLike, batch_axis: int = -2) -> State:
    """Zero the rows of ``state`` whose ``reset`` flag is set (differentiably).

    ``reset``: boolean array of shape ``(B,)``; row ``b`` of every tensor in the
    state is replaced by zeros where ``reset[b]`` is True and kept otherwise:

    .. math:: s'_{\\dots, b, :} = (1 - r_b)\\, s_{\\dots, b, :}

    so no value and no gradient passes from the old row to the new one.
    ``batch_axis`` is the batch axis of each state tensor; the default ``-2``
    fits both a cell's ``(B, H)`` and a layer's ``(num_layers * D, B, H)``.
    ``None`` (the zero state) stays ``None``.
    """
    if state is None:
        return None
    reset = np.asarray(reset, dtype=bool)
    if not reset.any():
        return state
    if isinstance(state, (tuple, list)):
        return type(state)(reset_state(s, reset, batch_axis) for s in state)
    if not isinstance(state, Tensor):
        raise TypeError(f"reset_state: expected a Tensor, None or a (nested) tuple/list "
                        f"of Tensors, got {type(state).__name__}")
    axis = batch_axis % state.ndim if state.ndim else None
    if axis is None or state.shape[axis] != reset.shape[0]:
        raise ValueError(f"reset_state: a state tensor of shape {state.shape} has no batch "
                         f"axis {batch_axis} of size {reset.shape[0]} (the reset mask's "
                         f"batch size)")
    keep = (~reset).reshape((-1,) + (1,) * (state.ndim - axis - 1))
    return where(keep, state, np.zeros((), dtype=state.dtype))
