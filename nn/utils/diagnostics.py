"""Gradient-flow diagnostics for recurrent models: where does the gradient vanish?

Three views, from cheapest to most telling:

* :func:`grad_norms_per_step` -- ``||dL/d output_t||`` from ``output.grad`` after an
  ordinary backward (call ``output.retain_grad()`` first). This is the gradient
  that *arrives* at each step's output from the loss and the layers above; a
  fused recurrent layer passes it back through its recurrence internally.
* :func:`state_grad_norms` -- ``||dL/ds_t||`` for every step: the total
  derivative of the loss with respect to the recurrent state after step t,
  everything the future sends back to step t through the recurrence. This is
  the quantity that vanishes in a tanh RNN.
* :func:`gradient_by_lag` -- ``||dL_t/ds_{t-k}||`` against the lag k: how much of
  the loss at one step reaches the state k steps earlier. Decay like
  ``rho**k`` is vanishing, growth is exploding.

The last two run the model one step at a time with the TBPTT calling
convention ``model(x_window, state) -> (outputs, new_state)``, so that each
step's state is a tensor of its own, and use :func:`minigrad.grad`: no
``.grad`` attribute is touched.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.autograd import grad
from minigrad.ops import concatenate
from minigrad.tensor import Tensor, tensor_arg

from .tbptt import _time_slice

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from minigrad._typing import Array, ArrayLike, State, TensorLike

    #: ``model(x_window, state) -> (outputs, new_state)``, as for TBPTT
    Model = Callable[[Tensor, Any], tuple[Tensor, Any]]
    LossFn = Callable[[Tensor, Any], Tensor]   # (outputs, targets) -> loss


def grad_norms_per_step(output: Tensor | ArrayLike, axis: int = 0) -> Array:
    """Per-step norms of the gradient that reached a sequence output: ``(T,)`` array.

    .. math:: n_t = \\Big\\| \\frac{\\partial L}{\\partial\\, \\text{output}_t} \\Big\\|_F

    (Frobenius norm over the batch and feature axes of step t). ``output`` is a
    Tensor of shape ``(T, B, ...)`` (``axis=1`` for batch-first) on which
    ``retain_grad()`` was called before ``backward()``; a NumPy array is taken as
    the gradient itself. For the total gradient through the recurrence use
    :func:`state_grad_norms`.

    >>> out, h = rnn(x); out.retain_grad()
    >>> loss_fn(head(out), y).backward()
    >>> nn.utils.grad_norms_per_step(out)        # one norm per time step
    """
    if isinstance(output, Tensor):
        g = output.grad
        if g is None:
            raise RuntimeError(
                "grad_norms_per_step: output.grad is None; call output.retain_grad() "
                "before backward() (and backpropagate a loss that depends on it)")
    else:
        g = np.asarray(output)
    if g.ndim == 0:
        raise ValueError("grad_norms_per_step: expected a gradient with a time axis, got a scalar")
    g = np.moveaxis(g, axis, 0).astype(np.float64, copy=False)
    return np.sqrt(np.sum(g.reshape(g.shape[0], -1) ** 2, axis=1))


def unroll(model: Model, x: TensorLike, state: State = None) -> tuple[list[Tensor], list[Any]]:
    """Run ``model`` over ``x`` one step at a time: ``(outputs, states)``.

    ``outputs[t]`` is the model's output for step t, shape ``(1, B, ...)``;
    ``states[t]`` is the state after step t (a Tensor or a nested tuple). The
    graph is recorded, so gradients with respect to any ``states[t]`` can be
    taken: each is the state handed from step t to step t + 1.
    """
    x = tensor_arg(x, "unroll", "x", arrays_only=False)
    if x.ndim < 2:
        raise ValueError(f"unroll: expected x of shape (T, B, ...), got shape {x.shape}")
    outputs: list[Tensor] = []
    states: list[Any] = []
    for t in range(x.shape[0]):
        out, state = model(_time_slice(x, t, t + 1), state)
        outputs.append(out)
        states.append(state)
    return outputs, states


def _leaves(state: State, part: int | None, where: str) -> list[Tensor]:
    if part is not None:
        if not isinstance(state, (tuple, list)):
            raise ValueError(f"{where}: part={part} picks an element of a tuple state, "
                             f"but the state is a {type(state).__name__}")
        state = state[part]
    if isinstance(state, Tensor):
        return [state]
    if isinstance(state, (tuple, list)):
        return [t for s in state for t in _leaves(s, None, where)]
    raise TypeError(f"{where}: the model's state must be a Tensor or a nested tuple of "
                    f"Tensors, got {type(state).__name__}")


def _norms(loss_of: Tensor, states: Sequence[State], part: int | None, where: str,
           retain_graph: bool) -> Array:
    """||d loss / d states[i]|| for every i (zero where the loss does not depend on it)."""
    groups = [_leaves(s, part, where) for s in states]
    flat = [t for g in groups for t in g]
    for t in flat:
        if not t.requires_grad:
            raise RuntimeError(f"{where}: a state tensor does not require grad; the model "
                               f"needs parameters that require grad (and grad mode on)")
    grads = grad(loss_of, flat, retain_graph=retain_graph)
    out, i = np.empty(len(groups)), 0
    for j, g in enumerate(groups):
        sq = sum(float(np.sum(grads[i + m].astype(np.float64) ** 2)) for m in range(len(g)))
        out[j] = np.sqrt(sq)
        i += len(g)
    return out


def state_grad_norms(model: Model, x: TensorLike, y: TensorLike, loss_fn: LossFn,
                     state: State = None, part: int | None = None) -> Array:
    """``||dL/ds_t||`` for t = 0..T-1, the gradient reaching each step's state: ``(T,)``.

    .. math:: n_t = \\Big\\| \\frac{dL}{ds_t} \\Big\\|_F, \\qquad
              L = \\text{loss\\_fn}(\\text{outputs}_{0:T}, y)

    where ``s_t`` is the state after step t (the one handed to step t + 1), the
    derivative is total (every path from ``s_t`` to L, all through steps
    ``> t``), and the norm is taken over the batch and hidden axes (and over
    ``h`` and ``c`` together for an LSTM; ``part=0`` keeps ``h`` only,
    ``part=1`` ``c`` only). ``n_{T-1}`` is 0 when L depends on the outputs only.

    model: ``model(x_window, state) -> (outputs, new_state)`` as for TBPTT;
    x ``(T, B, ...)``; y the targets given to ``loss_fn(outputs, y)``, with
    outputs ``(T, B, ...)``. Runs the model step by step (see :func:`unroll`).

    >>> norms = nn.utils.state_grad_norms(model, x, y, loss_fn)
    >>> norms[:-1] / norms[-2]        # vanishing: tiny at early steps
    """
    where = "state_grad_norms"
    outputs, states = unroll(model, x, state)
    loss = loss_fn(concatenate(outputs, axis=0), y)
    return _norms(loss, states, part, where, retain_graph=False)


def gradient_by_lag(model: Model, x: TensorLike, y: TensorLike, loss_fn: LossFn,
                    state: State = None, max_lag: int | None = None,
                    anchors: Iterable[int] | None = None,
                    part: int | None = None) -> tuple[Array, Array]:
    """The gradient-by-lag curve: ``lags, norms`` with ``norms[k-1] = mean_t ||dL_t/ds_{t-k}||``.

    .. math:: g(k) = \\frac{1}{|A_k|} \\sum_{t \\in A_k}
                     \\Big\\| \\frac{\\partial L_t}{\\partial s_{t-k}} \\Big\\|_F,
              \\qquad L_t = \\text{loss\\_fn}(\\text{output}_t, y_t)

    for lags ``k = 1..max_lag``: ``s_{t-k}`` is the state after step ``t - k``
    (``k = 1`` is the state entering step t), ``L_t`` the loss of step t alone
    and ``A_k`` the anchor steps ``t`` in ``anchors`` with ``t - k >= 0`` (``nan``
    where there is none). For a linear scalar recurrence ``h_t = a h_{t-1} + x_t``
    with ``L_t = h_t`` this is exactly ``|a|**k``; for a tanh RNN it is the
    product of ``diag(1 - h^2) W_hh`` Jacobians, which shrinks geometrically.

    anchors: the steps whose loss is traced back (default ``[T - 1]``);
    max_lag: default ``max(anchors)``; part: as in :func:`state_grad_norms`.
    Returns two ``(max_lag,)`` arrays, the lags and the mean norms.
    """
    where = "gradient_by_lag"
    x = tensor_arg(x, where, "x", arrays_only=False)
    y = tensor_arg(y, where, "y", arrays_only=False)
    T = x.shape[0] if x.ndim else 0
    if y.ndim < 1 or y.shape[0] != T:
        raise ValueError(f"{where}: x and y must have the same length along time (axis 0), "
                         f"got x of shape {x.shape} and y of shape {y.shape}")
    anchors = [T - 1] if anchors is None else [int(a) for a in anchors]
    if not anchors or any(not 0 <= a < T for a in anchors):
        raise ValueError(f"{where}: anchors must be steps in [0, {T}), got {anchors}")
    max_lag = max(anchors) if max_lag is None else int(max_lag)
    if max_lag < 1:
        raise ValueError(f"{where}: max_lag must be >= 1 (and some anchor must be >= 1), "
                         f"got {max_lag}")
    outputs, states = unroll(model, x, state)
    sums, counts = np.zeros(max_lag), np.zeros(max_lag)
    for i, t in enumerate(anchors):
        lags = range(1, min(max_lag, t) + 1)
        if not lags:
            continue
        loss_t = loss_fn(outputs[t], _time_slice(y, t, t + 1))
        norms = _norms(loss_t, [states[t - k] for k in lags], part, where,
                       retain_graph=i < len(anchors) - 1)
        sums[:len(norms)] += norms
        counts[:len(norms)] += 1
    with np.errstate(invalid="ignore"):
        return np.arange(1, max_lag + 1), sums / counts
