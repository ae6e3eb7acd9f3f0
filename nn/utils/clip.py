"""Gradient clipping, as PyTorch's ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

Both act in place on ``p.grad`` of the given parameters, skipping those whose
gradient is ``None``. Clipping the total norm keeps the direction of the
update and bounds its size: the standard answer to exploding gradients in
recurrent networks (Pascanu, Mikolov & Bengio, 2013).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterable

    from minigrad._typing import Array


def _grads(parameters: Tensor | Iterable[Tensor], where: str) -> list[Tensor]:
    """The parameters among ``parameters`` that have a gradient (all checked, none changed)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: expected Tensors (parameters), got {type(p).__name__}")
    return [p for p in params if p.grad is not None]


def _make_writable(params: list[Tensor]) -> None:
    """Give each parameter a gradient that can be scaled in place (after all checks)."""
    for p in params:
        if not (isinstance(p.grad, np.ndarray) and p.grad.flags.writeable):
            p.grad = np.array(p.grad)


def _arrays(params: list[Tensor]) -> list[Array]:
    """The gradient arrays of ``_grads``'s parameters (all set; the filter is for mypy)."""
    return [p.grad for p in params if p.grad is not None]


def _norm_type(norm_type: float | str) -> float:
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        return math.inf
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise TypeError(f"clip_grad_norm_: norm_type must be a positive number or inf, "
                        f"got {norm_type!r}") from None
    if not p > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type}")
    return p


def total_grad_norm(parameters: Tensor | Iterable[Tensor], norm_type: float | str = 2.0) -> float:
    """The p-norm of all gradients taken together, as one flat vector (a float).

    .. math:: \\|g\\|_p = \\Big(\\sum_i \\sum_j |g_{ij}|^p\\Big)^{1/p},
              \\qquad \\|g\\|_\\infty = \\max_{i,j} |g_{ij}|

    over parameters ``i`` with a gradient and their elements ``j``, computed
    in float64. 0.0 when no parameter has a gradient.
    """
    p = _norm_type(norm_type)
    grads = [np.asarray(q.grad) for q in _grads(parameters, "total_grad_norm")]
    if not grads:
        return 0.0
    if p == math.inf:
        return float(max(np.max(np.abs(g)) if g.size else 0.0 for g in grads))
    if p == 2.0:
        s = sum(float(np.dot(g, g)) for g in (g.ravel().astype(np.float64) for g in grads))
        return math.sqrt(s)
    s = sum(float(np.sum(np.abs(g.astype(np.float64)) ** p)) for g in grads)
    return s ** (1.0 / p)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float | str = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    With ``n = total_grad_norm(parameters, norm_type)`` (the norm of all
    gradients as one vector; ``norm_type`` may be ``inf``) every gradient is
    multiplied in place by

    .. math:: c = \\min\\Big(1, \\frac{\\text{max\\_norm}}{n + 10^{-6}}\\Big)

    (PyTorch's formula: nothing changes when ``n`` is small enough).
    Returns ``n``, the norm *before* clipping, as a float. If ``n`` is nan or
    inf: with ``error_if_nonfinite=True`` a RuntimeError is raised and no
    gradient is touched; otherwise, as in PyTorch, ``c`` is 0 (inf) or nan and
    the gradients are scaled by it.

    parameters: a Tensor or an iterable of Tensors (e.g. ``model.parameters()``).

    >>> w = mg.tensor([3.0, 4.0], requires_grad=True); w.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm_([w], 1.0)
    5.0
    >>> w.grad                        # [3, 4] / (5 + 1e-6)
    array([0.59999988, 0.79999984])
    """
    params = _grads(parameters, "clip_grad_norm_")
    max_norm = float(max_norm)
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    total = total_grad_norm(params, norm_type)
    if not params:
        return total
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total} (non-finite), so they cannot be clipped; some gradient holds nan "
            f"or inf. Pass error_if_nonfinite=False to scale them anyway.")
    with np.errstate(invalid="ignore"):
        coef = np.minimum(max_norm / (total + 1e-6), 1.0)
    if coef != 1.0:                   # True for nan as well, as in PyTorch
        _make_writable(params)
        for g in _arrays(params):
            g *= g.dtype.type(coef)       # in place: g is q.grad
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    .. math:: g_{ij} \\leftarrow \\max(-v, \\min(v, g_{ij}))

    parameters: a Tensor or an iterable of Tensors; ``clip_value >= 0``.
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    params = _grads(parameters, "clip_grad_value_")
    _make_writable(params)
    for g in _arrays(params):
        np.clip(g, -clip_value, clip_value, out=g)
