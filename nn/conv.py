"""Conv2d: one filter bank shared by every position of the image."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import functional as F
from .linear import empty_parameter, reset_weight_and_bias
from .module import Module

if TYPE_CHECKING:
    from minigrad._typing import IntOrPair
    from minigrad.tensor import Tensor

    from .parameter import Parameter


class Conv2d(Module):
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)`` -> ``(N, C_out, Ho, Wo)``.

    ``weight (out_channels, in_channels, kh, kw)``, ``bias (out_channels,)``;
    ``Ho = (H + 2 padding - kh) // stride + 1``. Default init as PyTorch:
    uniform in ``(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = C_in kh kw``.
    Runs as patches (im2col) + one matrix product: Numba patch kernels by default, NumPy
    with ``mg.config.use_numba = False`` (see :mod:`minigrad.ops.conv`).

    >>> nn.Conv2d(1, 8, 3, padding=1)(mg.randn(2, 1, 28, 28)).shape
    (2, 8, 28, 28)
    """

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, bias: bool = True) -> None:
        super().__init__()
        who = type(self).__name__
        F.check_count(who, in_channels=in_channels, out_channels=out_channels)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = F._pair(kernel_size, who, "kernel_size")
        self.stride = F._pair(stride, who, "stride")
        self.padding = F._pair(padding, who, "padding")
        self.weight = empty_parameter(self.out_channels, self.in_channels, *self.kernel_size)
        self.register_parameter("bias", empty_parameter(self.out_channels) if bias else None)
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        who = self._who()
        F.check_input(who, x, ndims=(4,))
        F.check_input(who, x, axis=1, size=self.in_channels, what="input channels")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s
