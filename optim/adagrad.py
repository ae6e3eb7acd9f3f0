"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optimizer import Optimizer, check_lr, check_nonnegative

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011, "Adaptive subgradient methods for
    online learning and stochastic optimization", JMLR 12).

    Each coordinate's step is divided by the root of the sum of all its past
    squared gradients: rarely-updated (sparse) features keep large steps,
    frequently-updated ones slow down. The sum only grows, so the effective
    learning rate decays towards zero. PyTorch's formulation::

        s_0 = initial_accumulator_value
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}       # L2 penalty
            gamma_t = gamma / (1 + (t - 1) * eta)                   # lr decay
            s_t = s_{t-1} + g_t^2                                   # sum of squares
            theta_t = theta_{t-1} - gamma_t * g_t / (sqrt(s_t) + eps)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma` (default 0.01).
        lr_decay: :math:`\eta` (default 0).
        weight_decay: :math:`\lambda` (default 0).
        initial_accumulator_value: :math:`s_0` (default 0).
        eps: added to the denominator (default 1e-10).
    """

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _validate(self, h: dict[str, Any]) -> None:
        check_lr(h["lr"])
        check_nonnegative("lr_decay", h["lr_decay"])
        check_nonnegative("weight_decay", h["weight_decay"])
        check_nonnegative("initial_accumulator_value", h["initial_accumulator_value"])
        check_nonnegative("epsilon", h["eps"])

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        wd = group["weight_decay"]
        if not state:                                          # lazy state
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])  # s_0
        state["step"] = t = state["step"] + 1
        s = state["sum"]
        if wd != 0:
            grad = grad + wd * param                           # g = g + lambda theta
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])  # gamma_t
        s += grad * grad                                       # s = s + g^2
        std = np.sqrt(s)                                       # sqrt(s) + eps
        std += group["eps"]
        param -= clr * (grad / std)                            # theta -= gamma_t g / std
