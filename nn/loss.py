"""Loss modules: ``loss_fn(input, target)`` with ``reduction='mean' | 'sum' | 'none'``.

Each wraps one function of :mod:`minigrad.nn.functional`; the formulas are there.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from . import functional as F
from .module import Module

if TYPE_CHECKING:
    from collections.abc import Callable

    from minigrad._typing import Reduction, TensorLike, TensorOrArray
    from minigrad.tensor import Tensor


class _Loss(Module):
    function: ClassVar[Callable[..., Tensor]]     # each loss's nn.functional function

    def __init__(self, reduction: Reduction = "mean") -> None:
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def forward(self, input: TensorOrArray, target: TensorLike) -> Tensor:
        return type(self).function(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error ``(input - target)^2``."""
    function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``."""
    function = staticmethod(F.l1_loss)


class CrossEntropyLoss(_Loss):
    """``-log_softmax(logits)[target]``: logits ``(N, C)``, integer targets ``(N,)`` in [0, C)
    (or class probabilities); ``label_smoothing`` as :func:`F.cross_entropy`.

    >>> nn.CrossEntropyLoss()(mg.randn(4, 3), mg.tensor(np.array([0, 2, 1, 1])))
    """
    function = staticmethod(F.cross_entropy)

    def __init__(self, reduction: Reduction = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        F._check_label_smoothing("CrossEntropyLoss", label_smoothing)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: TensorOrArray, target: TensorLike) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] + ([f"label_smoothing={self.label_smoothing}"]
                                          if self.label_smoothing else [])
        return ", ".join(p for p in parts if p)


class NLLLoss(_Loss):
    """``-input[target]`` for log-probabilities ``(N, C)`` (e.g. after ``LogSoftmax(axis=1)``)."""
    function = staticmethod(F.nll_loss)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1]."""
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(logits)``, computed without overflow."""
    function = staticmethod(F.binary_cross_entropy_with_logits)
