"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .moments import MomentOptimizer

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class Adamax(MomentOptimizer):
    r"""Adamax (Kingma & Ba, 2015, "Adam: A method for stochastic optimization",
    section 7.1): the second moment's L2 norm of past gradients becomes an
    exponentially weighted infinity norm, which needs no bias correction.

    PyTorch's formulation::

        m_0 = 0, u_0 = 0
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}   # L2 penalty
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t           # 1st moment
            u_t = max(beta2 * u_{t-1}, |g_t| + eps)             # infinity norm
            theta_t = theta_{t-1} - gamma / (1 - beta1^t) * m_t / u_t

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
        eps: added to :math:`|g_t|` (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).

    Example:
        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params: Params, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay))

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state["exp_inf"] = np.zeros_like(param)            # u_0 = 0
        t, grad = self.moments(param, grad, state, group, decoupled=False, second=False)
        u = state["exp_inf"]
        u *= beta2                                             # u = max(b2 u, |g| + eps)
        np.maximum(u, np.abs(grad) + group["eps"], out=u)
        clr = group["lr"] / (1 - beta1 ** t)                   # gamma / (1 - b1^t)
        param -= clr * (state["exp_avg"] / u)                  # theta -= clr m / u
