"""RAdam: Adam with its early, high-variance adaptive steps rectified."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .moments import MomentOptimizer

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class RAdam(MomentOptimizer):
    r"""RAdam (Liu et al., 2020, "On the variance of the adaptive learning rate and
    beyond"): while the second moment averages too few gradients to be trusted
    (the approximate SMA length :math:`\rho_t \le 5`) it takes momentum SGD steps,
    then Adam steps scaled by the rectification :math:`r_t`.

    PyTorch's formulation::

        m_0 = 0, v_0 = 0, rho_inf = 2 / (1 - beta2) - 1
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}   # L2 penalty
                     or:     theta_{t-1} *= 1 - gamma * lambda   # decoupled_weight_decay
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            mhat = m_t / (1 - beta1^t)
            rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
            if rho_t > 5:
                r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                l_t = sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                theta_t = theta_{t-1} - gamma * mhat * l_t * r_t
            else:
                theta_t = theta_{t-1} - gamma * mhat

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).

    Example:
        >>> opt = optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        t, grad = self.moments(param, grad, state, group, group["decoupled_weight_decay"])
        bias2 = 1 - beta2 ** t
        mhat = state["exp_avg"] / (1 - beta1 ** t)             # bias-corrected m
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bias2           # approximate SMA length
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            root = np.sqrt(state["exp_avg_sq"])                # l_t = sqrt(1 - b2^t) /
            root += group["eps"]                               #       (sqrt(v) + eps)
            param -= mhat * lr * (math.sqrt(bias2) / root) * rect
        else:
            param -= mhat * lr                                 # momentum SGD step
