"""Dropout (Srivastava et al. 2014), the inverted form: scaled in training, identity in eval."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import functional as F
from .module import Module

if TYPE_CHECKING:
    from minigrad.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    In ``eval()`` mode it is the identity, and the expectation of the output
    equals the input in both modes. Masks come from minigrad's generator.

    >>> d = nn.Dropout(0.5); y = d(mg.ones(1000))   # about half zeros, the rest 2.0
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        F.check_probability("Dropout", p)
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
