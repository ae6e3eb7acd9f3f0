"""What the Adam family shares: lazily created moment buffers, the step count,
weight decay (an L2 term in the gradient, or decoupled), and the running first
(and second) moments. Adam, AdamW, Adamax, NAdam and RAdam differ only in the
step they take from these, which each writes in its own ``update``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optimizer import Optimizer, check_betas, check_lr, check_nonnegative

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup


class MomentOptimizer(Optimizer):
    """Base of the Adam family: ``lr``, ``betas``, ``eps``, ``weight_decay`` checked as
    PyTorch does, and :meth:`moments` for the shared first half of every update."""

    def _validate(self, h: dict[str, Any]) -> None:
        check_lr(h["lr"])
        check_nonnegative("epsilon", h["eps"])
        check_betas(h["betas"])
        check_nonnegative("weight_decay", h["weight_decay"])

    @staticmethod
    def moments(param: Array, grad: Array, state: dict[str, Any], group: ParamGroup,
                decoupled: bool, second: bool = True) -> tuple[int, Array]:
        """Advance ``state`` by one step and return ``(t, g_t)`` (``state`` may already
        hold an optimizer's own buffers when "step" is not yet there)::

            t = t + 1                                    (state "step", from 0)
            if lambda != 0:  g = g + lambda theta        (L2 penalty)
                      or:    theta *= 1 - gamma lambda   (decoupled: in place)
            m = beta1 m + (1 - beta1) g                  (state "exp_avg", from 0)
            v = beta2 v + (1 - beta2) g^2                (state "exp_avg_sq", if second)
        """
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if "step" not in state:                                # lazy state
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)            # m_0 = 0
            if second:
                state["exp_avg_sq"] = np.zeros_like(param)     # v_0 = 0
        state["step"] = t = state["step"] + 1
        if wd != 0:
            if decoupled:
                param *= 1 - lr * wd                           # theta *= 1 - gamma lambda
            else:
                grad = grad + wd * param                       # g = g + lambda theta
        m = state["exp_avg"]
        m += (1 - beta1) * (grad - m)                          # m = b1 m + (1 - b1) g
        if second:
            v = state["exp_avg_sq"]                            # v = b2 v + (1 - b2) g^2
            v *= beta2
            v += (1 - beta2) * (grad * grad)
        return t, grad
