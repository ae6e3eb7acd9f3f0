"""AdamW: Adam with decoupled weight decay."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .adam import Adam

if TYPE_CHECKING:
    from minigrad._typing import Params


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019, "Decoupled weight decay
    regularization").

    For plain SGD, L2 regularisation and weight decay are the same thing; for
    Adam they are not: an L2 term added to the gradient is divided by
    :math:`\sqrt{\hat v}` like the rest of it, so weights with large gradients
    are barely regularised. AdamW decays the weights directly, outside the
    adaptive step::

        theta_{t-1} = theta_{t-1} * (1 - gamma * lambda)       # decoupled decay
        ... then Adam's update (see :class:`Adam`) with g_t unchanged

    It is :class:`Adam` with ``decoupled_weight_decay = True``; the moment
    estimates, bias corrections and AMSGrad are shared, not copied. Note the
    different default ``weight_decay=0.01`` (PyTorch's).

    Example:
        >>> opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    decoupled_weight_decay = True

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
