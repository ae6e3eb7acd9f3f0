"""Activation modules: thin wrappers that call :mod:`minigrad.nn.functional`.

Each class names its function and its settings; ``_Activation`` stores the
settings, passes them on and shows them in ``repr`` (``LeakyReLU(negative_slope=0.2)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from minigrad.tensor import Tensor

from . import functional as F
from .module import Module

if TYPE_CHECKING:
    from collections.abc import Callable


class _Activation(Module):
    function: ClassVar[Callable[..., Tensor]]     # each activation's nn.functional function

    def __init__(self, **settings: Any) -> None:
        super().__init__()
        self._settings = settings
        for k, v in settings.items():
            setattr(self, k, v)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, (Tensor, np.ndarray)):   # (the common case costs no call)
            F.check_input(self, x)
        if not self._settings:                        # (Tanh, Sigmoid...: no dict built)
            return type(self).function(x)
        return type(self).function(x, **{k: getattr(self, k) for k in self._settings})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)}" for k in self._settings)


class ReLU(_Activation):
    """``max(x, 0)``."""
    function = staticmethod(F.relu)


class LeakyReLU(_Activation):
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""
    function = staticmethod(F.leaky_relu)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__(negative_slope=negative_slope)


class ELU(_Activation):
    """``x`` for x > 0, ``alpha (exp(x) - 1)`` otherwise (Clevert et al. 2015)."""
    function = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


class SELU(_Activation):
    """Scaled ELU with the self-normalising constants (Klambauer et al. 2017)."""
    function = staticmethod(F.selu)


class GELU(_Activation):
    """``x Phi(x)`` (Hendrycks & Gimpel 2016); ``approximate='tanh'`` for the tanh form."""
    function = staticmethod(F.gelu)

    def __init__(self, approximate: Literal["none", "tanh"] = "none") -> None:
        super().__init__(approximate=approximate)


class SiLU(_Activation):
    """``x * sigmoid(x)``."""
    function = staticmethod(F.silu)


class Softplus(_Activation):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``."""
    function = staticmethod(F.softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``."""
    function = staticmethod(F.sigmoid)


class Tanh(_Activation):
    """Hyperbolic tangent."""
    function = staticmethod(F.tanh)


class Softmax(_Activation):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    function = staticmethod(F.softmax)

    def __init__(self, axis: int = -1) -> None:
        super().__init__(axis=axis)


class LogSoftmax(_Activation):
    """``log(softmax(x))`` along ``axis``, computed stably."""
    function = staticmethod(F.log_softmax)

    def __init__(self, axis: int = -1) -> None:
        super().__init__(axis=axis)
