"""MaxPool2d and AvgPool2d: a window slid with a stride, reduced by max or mean."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from . import functional as F
from .module import Module

if TYPE_CHECKING:
    from collections.abc import Callable

    from minigrad._typing import IntOrPair
    from minigrad.tensor import Tensor


class _Pool2d(Module):
    """Shared by the pools: settings, the 4-D input check and the repr."""

    function: ClassVar[Callable[..., Tensor]]     # each pool's nn.functional function

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                 padding: IntOrPair = 0) -> None:
        super().__init__()
        who = type(self).__name__
        F._pair(kernel_size, who, "kernel_size")        # (checked now, kept as given)
        if stride is not None:
            F._pair(stride, who, "stride")
        F._pair(padding, who, "padding")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        F.check_input(self, x, ndims=(4,))
        return type(self).function(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over each ``kernel_size`` window of ``(N, C, H, W)``; stride defaults to the kernel.

    >>> nn.MaxPool2d(2)(mg.randn(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    function = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool2d):
    """Mean over each ``kernel_size`` window of ``(N, C, H, W)``; stride defaults to the kernel."""

    function = staticmethod(F.avg_pool2d)
