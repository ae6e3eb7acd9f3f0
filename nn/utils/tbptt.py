"""Truncated backpropagation through time: ``tbptt_chunks`` and the ``TBPTT`` trainer.

Full BPTT over a sequence of T steps keeps the whole unrolled graph alive and
makes one update per sequence. Truncated BPTT (Williams & Peng, 1990, "An
efficient gradient-based algorithm for on-line training of recurrent network
trajectories") updates every k1 steps and backpropagates through the last k2
steps only, carrying the hidden state forward *detached*, so memory depends on
k2, not on T.
"""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.ops import concatenate
from minigrad.tensor import Tensor, tensor_arg
from minigrad.utils.progress import progress_bar

from .clip import clip_grad_norm_
from .state import detach_state, reset_state

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Protocol

    from minigrad._typing import Array, State, TensorLike

    class _Optimizer(Protocol):
        """What TBPTT needs of an optimizer."""
        def step(self) -> object: ...
        def zero_grad(self) -> object: ...


def _positive_int(value: int, name: str, where: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a positive integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{where}: {name} must be a positive integer, got "
                        f"{type(value).__name__} {value!r}") from None
    if n <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {n}")
    return n


def _time_slice(x: Tensor, start: int, stop: int, axis: int = 0) -> Tensor:
    """``x[start:stop]`` along ``axis``: differentiable when x requires grad, else a view."""
    index = (slice(None),) * axis + (slice(start, stop),)
    if x.requires_grad:
        return x[index]
    return Tensor._wrap(x.data[index])


def tbptt_chunks(x: TensorLike, k: int, axis: int = 0) -> Iterator[Tensor]:
    """Consecutive slices of ``x`` of length ``k`` along ``axis`` (the last may be shorter).

    ``x`` of length T along ``axis`` gives ``ceil(T / k)`` Tensors; slice ``i``
    covers steps ``[i k, min((i + 1) k, T))``. A tensor that does not require
    grad is sliced as views (no copies); one that does is sliced with
    differentiable indexing. The plain chunked TBPTT loop::

        state = None
        for xc, yc in zip(tbptt_chunks(x, 35), tbptt_chunks(y, 35)):
            out, state = model(xc, state)
            loss = loss_fn(out, yc)
            loss.backward(); opt.step(); opt.zero_grad()
            state = nn.utils.detach_state(state)
    """
    where = "tbptt_chunks"
    k = _positive_int(k, "k", where)
    x = tensor_arg(x, where, "x", arrays_only=False)
    if x.ndim == 0:
        raise ValueError(f"{where}: expected a tensor with a time axis, got a 0-d tensor")
    axis = operator.index(axis)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{where}: axis {axis} is out of range for a tensor of shape {x.shape}")
    axis %= x.ndim
    T = x.shape[axis]
    for start in range(0, T, k):
        yield _time_slice(x, start, min(start + k, T), axis)


def tbptt_windows(T: int, k1: int, k2: int | None = None) -> Iterator[tuple[int, int, int]]:
    """The TBPTT(k1, k2) schedule of a length-T sequence, one tuple per update.

    Yields ``(start, loss_start, end)``: the update made at ``end`` (``k1, 2 k1,
    ...`` and ``T`` for a ragged end) runs the model over ``[start, end)`` with
    ``start = max(0, end - k2)`` and takes the loss of ``[loss_start, end)``,
    the steps since the previous update (``k1`` of them, fewer at a ragged end).

    >>> list(tbptt_windows(7, 2, 3))
    [(0, 0, 2), (1, 2, 4), (3, 4, 6), (4, 6, 7)]
    """
    k1 = _positive_int(k1, "k1", "tbptt_windows")
    k2 = k1 if k2 is None else _positive_int(k2, "k2", "tbptt_windows")
    prev = 0
    while prev < T:
        end = min(prev + k1, T)
        yield max(0, end - k2), prev, end
        prev = end


class TBPTT:
    """Train a recurrent model over a long sequence with truncated BPTT(k1, k2).

    Every ``k1`` steps, the losses of those ``k1`` steps are backpropagated
    through the last ``k2 >= k1`` steps (Williams & Peng, 1990), the gradients
    are clipped if ``clip_norm`` is given, and the optimizer steps. ``k2 = k1``
    (the default) is the common chunked form; ``k1 = 1, k2 = K`` updates at
    every step through the last K steps.

    model: called as ``model(x_window, state) -> (outputs, new_state)`` with
        ``x_window`` of shape ``(t, B, ...)``, outputs ``(t, B, ...)`` and a
        state that is a Tensor, a nested tuple/list of Tensors (``(h, c)``) or
        ``None`` (the zero state). ``nn.RNN``/``nn.GRU``/``nn.LSTM`` fit as
        they are; a layer plus a head is a small Module.
    loss_fn: ``loss_fn(outputs, targets) -> scalar Tensor``, the mean loss of
        those steps (e.g. ``nn.MSELoss()``, or a lambda that flattens time and
        batch for cross-entropy).

    optimizer: anything with ``step()`` and ``zero_grad()``.

    k1, k2: positive integers with ``k1 <= k2`` (``k2=None`` means ``k1``).

    clip_norm: if given, ``clip_grad_norm_(params, clip_norm)`` before each step.
        ``params`` are ``model.parameters()`` (or the optimizer's param_groups
        when the model is a plain function).

    Update ``i`` happens at ``t_i = k1, 2 k1, ...`` (and ``T`` at a ragged end).
    It runs the model over steps ``[max(0, t_i - k2), t_i)`` starting from the
    detached state that entered the window's first step, as the previous
    update's window computed it (that window always contains it, because
    ``k1 <= k2``), takes the loss of ``[t_{i-1}, t_i)`` only, and does
    ``backward``, clip, ``optimizer.step()``, ``optimizer.zero_grad()``. The state
    at ``t_i`` is carried forward detached. For ``k1 < k2`` the model is called
    on ``[start, next start)`` and ``[next start, t_i)`` separately so that the
    next window's starting state is kept (detached) instead of recomputed:
    each step is run ``ceil(k2 / k1)`` times at most (one more at a ragged end,
    where the last window still reaches back k2 steps), and memory is that of one
    window whatever T is. Gradients present before ``run`` are added to the
    first update's (call ``zero_grad`` first if that is not wanted).

    Per-sequence reset: ``run(..., reset=mask)`` with a boolean ``mask`` of
    shape ``(T, B)``: where ``mask[t, b]`` is True, row ``b`` of the state is
    set to zero just before step ``t`` is computed (:func:`reset_state`; the
    batch axis of every state tensor is ``batch_axis``, default ``-2``, which
    fits ``(B, H)`` and ``(layers, B, H)``). Mark the first step of every new
    document: a batch of concatenated documents then streams without any
    value or gradient crossing a document boundary. The model is called
    separately on the pieces of a window between reset steps.

    >>> trainer = TBPTT(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
    ...                 k1=5, k2=20, clip_norm=1.0)
    >>> loss, state = trainer.run(x, y)                # x (T, B, I), y (T, B, O)
    >>> loss, state = trainer.run(x2, y2, state)       # continue the stream
    """

    def __init__(self, model: Callable[[Tensor, Any], tuple[Tensor, Any]],
                 loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: _Optimizer,
                 k1: int, k2: int | None = None, clip_norm: float | None = None,
                 batch_axis: int = -2) -> None:
        where = "TBPTT"
        self.k1 = _positive_int(k1, "k1", where)
        self.k2 = self.k1 if k2 is None else _positive_int(k2, "k2", where)
        if self.k1 > self.k2:
            raise ValueError(
                f"TBPTT: k1 must be <= k2 (each update backpropagates the losses of the "
                f"last k1 steps through the last k2 steps), got k1={self.k1}, k2={self.k2}")
        if clip_norm is not None and not float(clip_norm) > 0:
            raise ValueError(f"TBPTT: clip_norm must be a positive number or None, "
                             f"got {clip_norm}")
        for name, obj in (("model", model), ("loss_fn", loss_fn)):
            if not callable(obj):
                raise TypeError(f"TBPTT: {name} must be callable, got {type(obj).__name__}")
        for meth in ("step", "zero_grad"):
            if not callable(getattr(optimizer, meth, None)):
                raise TypeError(f"TBPTT: optimizer must have a {meth}() method, got "
                                f"{type(optimizer).__name__}")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.clip_norm = None if clip_norm is None else float(clip_norm)
        self.batch_axis = batch_axis
        self.num_updates = 0

    def _params(self) -> list[Tensor]:
        if hasattr(self.model, "parameters"):
            return list(self.model.parameters())
        return [p for g in getattr(self.optimizer, "param_groups", ()) for p in g["params"]]

    def _call(self, x: Tensor, start: int, stop: int, state: State,
              reset: Array | None) -> tuple[Tensor, Any]:
        """Run the model over ``[start, stop)``: (outputs, state), resetting rows first."""
        if reset is not None:
            state = reset_state(state, reset[start], self.batch_axis)
        result = self.model(_time_slice(x, start, stop), state)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"TBPTT: the model must return (outputs, new_state), got "
                            f"{type(result).__name__}")
        return result

    def run(self, x: TensorLike, y: TensorLike, state: State = None,
            reset: TensorLike | None = None,
            progress: bool | None = None) -> tuple[float, Any]:
        """Train over the whole sequence; return ``(mean_loss, state)``.

        x: ``(T, B, ...)`` inputs; y: ``(T, ...)`` targets (sliced along time
        only); state: the state entering step 0 (``None`` for zeros); reset:
        optional boolean ``(T, B)`` mask (see the class docstring).
        ``mean_loss`` is the step-weighted mean of the update losses, i.e. the
        mean loss per step over the sequence, as a float; ``state`` is the
        state after step ``T - 1``, detached. progress: a bar over the updates
        with the running mean loss (``minigrad.utils.progress``: ``None`` shows it
        when stderr is a terminal and the run makes more than one update).
        """
        where = "TBPTT.run"
        x = tensor_arg(x, where, "x", arrays_only=False)
        y = tensor_arg(y, where, "y", arrays_only=False)
        if x.ndim < 2:
            raise ValueError(f"{where}: expected x of shape (T, B, ...), got shape {x.shape}")
        if y.ndim < 1 or y.shape[0] != x.shape[0]:
            raise ValueError(f"{where}: x and y must have the same length along time "
                             f"(axis 0), got x of shape {x.shape} and y of shape {y.shape}")
        T = x.shape[0]
        if T == 0:
            raise ValueError(f"{where}: empty sequence (x of shape {x.shape})")
        if reset is not None:
            reset = np.asarray(reset.data if isinstance(reset, Tensor) else reset)
            if reset.dtype != bool or reset.shape != (T, x.shape[1]):
                raise ValueError(f"{where}: reset must be a boolean mask of shape (T, B) = "
                                 f"{(T, x.shape[1])}, got {reset.dtype} of shape {reset.shape}")
            # only the steps where some row resets cut a window into pieces
            reset_steps = set(np.flatnonzero(reset.any(axis=1)).tolist())
        params = self._params() if self.clip_norm is not None else None
        state = detach_state(state)
        total = 0.0
        n_updates = -(-T // self.k1)
        bar = progress_bar(total=n_updates, desc="TBPTT", unit="update", leave=False,
                           progress=False if progress is None and n_updates == 1 else progress)
        windows = tbptt_windows(T, self.k1, self.k2)
        window: tuple[int, int, int] | None = next(windows)
        while window is not None:
            start, loss_start, end = window
            window = next(windows, None)
            carry_at = end if window is None else window[0]   # next window's start
            cuts = {carry_at, loss_start, end}
            if reset is not None:
                cuts |= {t for t in reset_steps if start < t < end}
            bounds = sorted(c for c in cuts if start < c <= end)
            outputs, a = [], start
            carry = state if carry_at == start else None   # both windows start at 0
            for b in bounds:
                out, state = self._call(x, a, b, state, reset)
                if a >= loss_start:
                    outputs.append(out)
                if b == carry_at:
                    carry = detach_state(state)
                a = b
            out = outputs[0] if len(outputs) == 1 else concatenate(outputs, axis=0)
            loss = self.loss_fn(out, _time_slice(y, loss_start, end))
            if not isinstance(loss, Tensor):
                raise TypeError(f"{where}: loss_fn must return a scalar Tensor, got "
                                f"{type(loss).__name__}")
            loss.backward()
            if params is not None and self.clip_norm is not None:
                clip_grad_norm_(params, self.clip_norm)
            self.optimizer.step()
            self.optimizer.zero_grad()
            self.num_updates += 1
            total += loss.item() * (end - loss_start)
            del out, outputs, loss
            state = carry
            bar.update(1)
            bar.set_postfix(loss=f"{total / end:.4f}", refresh=False)
        bar.close()
        return total / T, state
