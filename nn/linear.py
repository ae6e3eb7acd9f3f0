"""Linear layer: ``y = x W^T + b``, and PyTorch's default init for weight/bias layers."""
from __future__ import annotations

import math

import numpy as np

from minigrad.dtypes import get_default_dtype
from minigrad.tensor import Tensor

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def empty_parameter(*shape: int) -> Parameter:
    """An uninitialised Parameter of ``shape`` in the default dtype."""
    return Parameter(np.empty(shape, dtype=get_default_dtype()))


def reset_weight_and_bias(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default for Linear and Conv: ``kaiming_uniform_(W, a=sqrt(5))``, i.e.
    W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5), nonlinearity="leaky_relu")
    if bias is not None:
        fan_in = weight.size // weight.shape[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """``y = x W^T + b`` with ``weight (out_features, in_features)`` and ``bias (out_features,)``.

    Input ``(*, in_features)`` -> output ``(*, out_features)``. Default init as
    PyTorch: both uniform in ``(-1/sqrt(in_features), 1/sqrt(in_features))``.

    >>> nn.Linear(4, 8)(mg.randn(2, 4)).shape
    (2, 8)
    """

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        F.check_count(type(self).__name__, in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = empty_parameter(self.out_features, self.in_features)
        self.register_parameter("bias", empty_parameter(self.out_features) if bias else None)
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        # The common case costs no call besides F.linear's: the shape read off the
        # array (Tensor.shape is a Python property), the parameters off _parameters
        # (self.weight goes through Module.__getattr__) unless replaced by attributes.
        if isinstance(x, Tensor):
            shape = x.data.shape
        elif isinstance(x, np.ndarray):
            shape = x.shape
        else:
            F.check_input(self, x)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"{self._who()}: expected input of shape (*, {self.in_features}), "
                             f"got {shape}")
        params = self._parameters
        return F.linear(x, params["weight"] if "weight" in params else self.weight,  # type: ignore[arg-type]  # noqa: E501  (never None)
                        params["bias"] if "bias" in params else self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
