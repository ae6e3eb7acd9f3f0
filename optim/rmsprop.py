"""RMSprop: divide by a running root-mean-square of the gradient."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optimizer import Optimizer, check_lr, check_nonnegative

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Srivastava & Swersky, 2012, *Neural Networks for Machine
    Learning*, lecture 6e), centered variant from Graves (2013, "Generating
    sequences with recurrent neural networks").

    Adagrad's sum of squares replaced by an exponential moving average, so the
    step size does not decay to zero. The centered form divides by an estimate
    of the gradient's *variance* instead of its raw second moment. PyTorch's
    formulation, smoothing :math:`\alpha`, momentum :math:`\mu`::

        v_0 = 0, gbar_0 = 0, b_0 = 0
        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}       # L2 penalty
            v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2             # mean square
            if centered:
                gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g_t     # mean
                d = sqrt(v_t - gbar_t^2) + eps                      # ~ std deviation
            else:
                d = sqrt(v_t) + eps                                 # RMS
            if mu > 0:
                b_t = mu * b_{t-1} + g_t / d                        # momentum
                theta_t = theta_{t-1} - gamma * b_t
            else:
                theta_t = theta_{t-1} - gamma * g_t / d

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: :math:`\gamma` (default 0.01).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0).
        momentum: :math:`\mu` (default 0).
        centered: normalise by the estimated variance (default False).
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _validate(self, h: dict[str, Any]) -> None:
        check_lr(h["lr"])
        check_nonnegative("epsilon", h["eps"])
        check_nonnegative("momentum", h["momentum"])
        check_nonnegative("weight_decay", h["weight_decay"])
        check_nonnegative("alpha", h["alpha"])

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        alpha, wd, mu = group["alpha"], group["weight_decay"], group["momentum"]
        if not state:                                          # lazy state
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)         # v_0 = 0
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(param)  # b_0 = 0
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)       # gbar_0 = 0
        state["step"] += 1
        v = state["square_avg"]
        if wd != 0:
            grad = grad + wd * param                           # g = g + lambda theta
        v *= alpha                                             # v = a v + (1 - a) g^2
        v += (1 - alpha) * (grad * grad)
        if group["centered"]:
            gbar = state["grad_avg"]
            gbar += (1 - alpha) * (grad - gbar)                # gbar = a gbar + (1 - a) g
            d = np.sqrt(v - gbar * gbar)                       # d = sqrt(v - gbar^2) + eps
        else:
            d = np.sqrt(v)                                     # d = sqrt(v) + eps
        d += group["eps"]
        if mu > 0:
            b = state["momentum_buffer"]
            b *= mu                                            # b = mu b + g / d
            b += grad / d
            param -= group["lr"] * b                           # theta -= gamma b
        else:
            param -= group["lr"] * (grad / d)                  # theta -= gamma g / d
