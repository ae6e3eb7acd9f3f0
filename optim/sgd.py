"""Stochastic gradient descent, with momentum and Nesterov's accelerated gradient."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .optimizer import Optimizer, check_lr, check_nonnegative

if TYPE_CHECKING:
    from minigrad._typing import Array, ParamGroup, Params


class SGD(Optimizer):
    r"""Stochastic gradient descent (Robbins & Monro, 1951), optionally with
    momentum (Polyak, 1964, "heavy ball") or Nesterov's accelerated gradient
    (Nesterov, 1983, in the form of Sutskever, Martens, Dahl & Hinton, 2013,
    "On the importance of initialization and momentum in deep learning").

    PyTorch's formulation, with learning rate :math:`\gamma`, momentum
    :math:`\mu`, dampening :math:`\tau` and weight decay :math:`\lambda`::

        for t = 1, 2, ...
            g_t = grad f(theta_{t-1})
            if lambda != 0:   g_t = g_t + lambda * theta_{t-1}      # L2 penalty
            if mu != 0:
                if t > 1:     b_t = mu * b_{t-1} + (1 - tau) * g_t
                else:         b_t = g_t
                if nesterov:  g_t = g_t + mu * b_t                   # look ahead
                else:         g_t = b_t
            theta_t = theta_{t-1} - gamma * g_t

    The velocity here is a running sum of gradients scaled by ``lr`` at use,
    which differs from Sutskever et al.'s ``v = mu v - lr g`` only when the
    learning rate changes during training.

    Full-batch gradient descent is this optimizer with ``momentum=0`` and the
    gradient of the loss over the *whole* training set (one step per epoch);
    "stochastic" only means the gradient is that of a mini-batch.

    ``weight_decay`` adds :math:`\frac{\lambda}{2}\lVert\theta\rVert^2` to the
    loss, i.e. L2 regularisation.

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr: learning rate :math:`\gamma` (required, >= 0).
        momentum: :math:`\mu >= 0` (default 0: plain gradient descent).
        dampening: :math:`\tau`, scales the gradient entering the velocity.
        weight_decay: :math:`\lambda >= 0` (L2 penalty).
        nesterov: use Nesterov momentum (needs ``momentum > 0``, ``dampening == 0``).

    Example:
        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params: Params, lr: float, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _validate(self, h: dict[str, Any]) -> None:
        check_lr(h["lr"])
        check_nonnegative("momentum", h["momentum"])
        check_nonnegative("weight_decay", h["weight_decay"])
        if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError(f"Nesterov momentum requires a momentum > 0 and zero "
                             f"dampening, got momentum={h['momentum']}, "
                             f"dampening={h['dampening']}")

    def _step_group(self, group: ParamGroup, changed: list[Array]) -> None:
        """Plain gradient descent (no momentum, no decay) for the whole group in one
        loop: ``theta -= lr * g`` as ``update`` computes it, without a call per
        parameter (the tiny-MLP step's 4 parameters: 4 calls less). Otherwise
        ``update`` per parameter."""
        if group["momentum"] != 0 or group["weight_decay"] != 0 or \
                type(self).update is not SGD.update:      # (a subclass's own rule)
            super()._step_group(group, changed)
            return
        state, lr = self.state, group["lr"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if p not in state:
                state[p] = {}
            data = np.asarray(p.data)     # (a Parameter's is a subclass: keep state plain)
            data -= lr * grad                                 # theta = theta - gamma g
            changed.append(data)

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            grad = grad + wd * param                          # g = g + lambda theta
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # b_1 = g_1 (np.array: a 0-d grad may be a NumPy scalar)
                buf = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)
            else:                                             # b = mu b + (1 - tau) g
                buf *= mu
                buf += (1 - group["dampening"]) * grad
            if group["nesterov"]:
                grad = grad + mu * buf                        # g = g + mu b
            else:
                grad = buf                                    # g = b
        param -= lr * grad                                    # theta = theta - gamma g
