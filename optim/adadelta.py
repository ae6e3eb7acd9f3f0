"""Adadelta: step sizes in the units of the parameters, no hand-tuned rate."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optimizer import Optimizer, check_lr, check_nonnegative, check_unit_interval

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012, "ADADELTA: An adaptive learning rate method").

    Keeps two running averages with decay :math:`\rho`: of squared gradients,
    and of squared *updates*. Their ratio of roots gives the step its units
    (those of :math:`\theta`), so the base rate ``lr=1.0`` usually needs no
    tuning. PyTorch's formulation::

        v_0 = 0, u_0 = 0
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}       # L2 penalty
            v_t = rho * v_{t-1} + (1 - rho) * g_t^2                 # E[g^2]
            dx_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t      # RMS[dx] / RMS[g] g
            u_t = rho * u_{t-1} + (1 - rho) * dx_t^2                # E[dx^2]
            theta_t = theta_{t-1} - gamma * dx_t

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma`, scales the step (default 1.0).
        rho: decay of both averages, in [0, 1] (default 0.9).
        eps: inside both roots (default 1e-6).
        weight_decay: :math:`\lambda` (default 0).
    """

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _validate(self, h: dict[str, Any]) -> None:
        check_lr(h["lr"])
        check_unit_interval("rho", h["rho"])
        check_nonnegative("epsilon", h["eps"])
        check_nonnegative("weight_decay", h["weight_decay"])

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        rho, eps, wd = group["rho"], group["eps"], group["weight_decay"]
        if not state:                                          # lazy state
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)         # v_0 = 0
            state["acc_delta"] = np.zeros_like(param)          # u_0 = 0
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        if wd != 0:
            grad = grad + wd * param                           # g = g + lambda theta
        v *= rho                                               # v = rho v + (1 - rho) g^2
        v += (1 - rho) * (grad * grad)
        dx = np.sqrt(u + eps)                                  # dx = sqrt(u + eps) /
        dx /= np.sqrt(v + eps)                                 #      sqrt(v + eps) * g
        dx *= grad
        u *= rho                                               # u = rho u + (1 - rho) dx^2
        u += (1 - rho) * (dx * dx)
        param -= group["lr"] * dx                              # theta -= gamma dx
