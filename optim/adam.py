"""Adam: adaptive moment estimation (and, by a flag, AdamW's decoupled decay)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .moments import MomentOptimizer

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class Adam(MomentOptimizer):
    r"""Adam (Kingma & Ba, 2015, "Adam: A method for stochastic optimization"),
    with the AMSGrad variant (Reddi, Kale & Kumar, 2018, "On the convergence of
    Adam and beyond").

    PyTorch's formulation, with learning rate :math:`\gamma`, decay rates
    :math:`\beta_1, \beta_2`, weight decay :math:`\lambda`::

        m_0 = 0, v_0 = 0, vmax_0 = 0
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}   # L2 (Adam)
                     or:     theta_{t-1} *= 1 - gamma * lambda   # decoupled (AdamW)
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t           # 1st moment
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2         # 2nd moment
            if amsgrad:  vmax_t = max(vmax_{t-1}, v_t); v = vmax_t
            else:        v = v_t
            mhat = m_t / (1 - beta1^t)                           # bias corrections
            vhat = v / (1 - beta2^t)
            theta_t = theta_{t-1} - gamma * mhat / (sqrt(vhat) + eps)

    (computed, as in PyTorch, as ``theta -= gamma / (1 - beta1^t) * m /
    (sqrt(v) / sqrt(1 - beta2^t) + eps)``.)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0), an L2 penalty added to the
            gradient. See :class:`AdamW` for the decoupled form.
        amsgrad: use the running maximum of :math:`v_t` (default False).

    Example:
        >>> opt = optim.Adam(model.parameters(), lr=1e-3)
    """

    #: AdamW sets this: weight decay shrinks the weights directly instead of
    #: being added to the gradient (Loshchilov & Hutter, 2019).
    decoupled_weight_decay = False

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        t, grad = self.moments(param, grad, state, group,      # wd, m, v (moments.py)
                               self.decoupled_weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if group["amsgrad"]:
            vmax = state.get("max_exp_avg_sq")
            if vmax is None:
                vmax = state["max_exp_avg_sq"] = np.zeros_like(param)  # vmax_0 = 0
            np.maximum(vmax, v, out=vmax)                      # vmax = max(vmax, v)
            v = vmax
        step_size = lr / (1 - beta1 ** t)                      # gamma / (1 - b1^t)
        denom = np.sqrt(v)                                     # sqrt(v / (1 - b2^t)) + eps
        denom /= math.sqrt(1 - beta2 ** t)
        denom += eps
        param -= step_size * (m / denom)                       # theta -= step mhat / denom
