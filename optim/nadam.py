"""NAdam: Adam with Nesterov momentum."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .moments import MomentOptimizer
from .optimizer import check_nonnegative

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class NAdam(MomentOptimizer):
    r"""NAdam (Dozat, 2016, "Incorporating Nesterov momentum into Adam"): the step
    looks ahead by applying the next step's momentum to the first moment, with
    the momentum warming up through the schedule :math:`\mu_t`.

    PyTorch's formulation, with momentum decay :math:`\psi`::

        m_0 = 0, v_0 = 0, prod_0 = 1
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}   # L2 penalty
                     or:     theta_{t-1} *= 1 - gamma * lambda   # decoupled_weight_decay
            mu_t = beta1 * (1 - 0.5 * 0.96^(t psi))              # momentum schedule
            mu_{t+1} = beta1 * (1 - 0.5 * 0.96^((t + 1) psi))
            prod_t = prod_{t-1} * mu_t                          # prod of mu_1..mu_t
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            d = sqrt(v_t / (1 - beta2^t)) + eps
            theta_t = theta_{t-1} - gamma (1 - mu_t) / (1 - prod_t) * g_t / d
                                  - gamma mu_{t+1} / (1 - prod_t mu_{t+1}) * m_t / d

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        momentum_decay: :math:`\psi` (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).

    Example:
        >>> opt = optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, h: dict[str, Any]) -> None:
        super()._validate(h)
        check_nonnegative("momentum_decay", h["momentum_decay"])

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        lr, psi = group["lr"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["mu_product"] = 1.0                          # prod_0 = 1
        t, grad = self.moments(param, grad, state, group, group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))           # mu_t
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))  # mu_{t+1}
        state["mu_product"] = prod = state["mu_product"] * mu  # prod_t
        denom = np.sqrt(state["exp_avg_sq"] / (1 - beta2 ** t))  # sqrt(vhat) + eps
        denom += group["eps"]
        param -= lr * (1.0 - mu) / (1.0 - prod) * (grad / denom)
        param -= lr * mu_next / (1.0 - prod * mu_next) * (state["exp_avg"] / denom)
