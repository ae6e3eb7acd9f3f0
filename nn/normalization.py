"""Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm2d.

All of them standardise over some axes with the biased variance,
``xhat = (x - mean) / sqrt(var + eps)``, then apply a learnable per-feature
``xhat * weight + bias`` (``weight`` initialised to 1, ``bias`` to 0). They
differ in the axes (one shared op, :class:`minigrad.ops.norm.Normalize`):

=================  =====================================  ==================
layer              statistics over                        input
=================  =====================================  ==================
BatchNorm1d        batch (and length) per channel          (N, C) or (N, C, L)
BatchNorm2d        batch and space per channel             (N, C, H, W)
LayerNorm          the trailing ``normalized_shape`` axes  (*, *normalized_shape)
GroupNorm          each group of C/G channels per sample   (N, C, *)
InstanceNorm2d     space per channel per sample            (N, C, H, W)
=================  =====================================  ==================

BatchNorm alone keeps running statistics (buffers ``running_mean``,
``running_var`` updated with the *unbiased* batch variance, and
``num_batches_tracked``) and uses them in ``eval()``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minigrad.dtypes import get_default_dtype

from . import functional as F
from .module import Module
from .parameter import Parameter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from minigrad._typing import Shape
    from minigrad.tensor import Tensor


def _affine_parameters(module: Module, shape: Shape, affine: bool) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None for both."""
    dt = get_default_dtype()
    module.register_parameter("weight", Parameter(np.ones(shape, dt)) if affine else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dt)) if affine else None)


class _BatchNorm(Module):
    ndims: tuple[int, ...] = ()
    # the functional form forward calls (SyncBatchNorm's spans the processes)
    _functional = staticmethod(F.batch_norm)
    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        F.check_count(type(self).__name__, num_features=num_features)
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (self.num_features,), affine)
        if track_running_stats:
            dt = get_default_dtype()
            self.register_buffer("running_mean", np.zeros(self.num_features, dt))
            self.register_buffer("running_var", np.ones(self.num_features, dt))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        who = self._who()
        F.check_input(who, x, ndims=self.ndims)
        F.check_input(who, x, axis=1, size=self.num_features)
        momentum = self.momentum
        counting = self.training and self.track_running_stats
        if counting and momentum is None:           # cumulative moving average
            momentum = 1.0 / float(self.num_batches_tracked + 1)
        use_batch = self.training or not self.track_running_stats
        y = self._functional(x, self.running_mean, self.running_var, self.weight, self.bias,
                             training=use_batch, momentum=momentum, eps=self.eps)
        if counting:                                # (only once batch_norm has succeeded)
            self.num_batches_tracked += 1
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` over N (and L) per channel.

    >>> bn = nn.BatchNorm1d(3); y = bn(mg.randn(16, 3))   # y.mean(0) ~ 0, y.var(0) ~ 1
    """

    ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` over N, H, W per channel."""

    ndims = (4,)


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` axes.

    ``weight`` and ``bias`` have shape ``normalized_shape``.

    >>> nn.LayerNorm(8)(mg.randn(4, 8))       # each row: mean 0, variance ~1
    """

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        if not isinstance(normalized_shape, (tuple, list)) or not normalized_shape:
            raise TypeError(f"LayerNorm: normalized_shape must be an int or a non-empty "
                            f"tuple of ints, got {normalized_shape!r}")
        F.check_count("LayerNorm", **{f"normalized_shape[{i}]": n
                                      for i, n in enumerate(normalized_shape)})
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = float(eps), elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine)
        if not bias:                                # PyTorch's LayerNorm(bias=False)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        ns = self.normalized_shape
        F.check_input(self, x)
        if x.ndim < len(ns) or x.shape[x.ndim - len(ns):] != ns:
            raise ValueError(f"{self._who()}: expected input of shape (*, "
                             f"{', '.join(map(str, ns))}), got {x.shape}")
        return F.layer_norm(x, ns, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalise each sample over groups of ``num_channels / num_groups`` channels.

    Input ``(N, C, *)``; ``weight``, ``bias`` per channel ``(C,)``.
    """

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True) -> None:
        super().__init__()
        F.check_count("GroupNorm", num_groups=num_groups, num_channels=num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = float(eps), affine
        _affine_parameters(self, (self.num_channels,), affine)

    def forward(self, x: Tensor) -> Tensor:
        who = self._who()
        F.check_input(who, x)
        if x.ndim < 2:
            F.check_input(who, x, ndims=(2, 3, 4))
        F.check_input(who, x, axis=1, size=self.num_channels, what="channels")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class InstanceNorm2d(Module):
    """Normalise each channel of each sample of ``(N, C, H, W)`` over H, W.

    No running statistics (PyTorch's default ``track_running_stats=False``):
    training and evaluation both use the instance's own statistics.
    ``affine=True`` adds per-channel ``weight`` and ``bias``.
    """

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, num_features: int, eps: float = 1e-5, affine: bool = False) -> None:
        super().__init__()
        F.check_count("InstanceNorm2d", num_features=num_features)
        self.num_features, self.eps, self.affine = int(num_features), float(eps), affine
        _affine_parameters(self, (self.num_features,), affine)

    def forward(self, x: Tensor) -> Tensor:
        who = self._who()
        F.check_input(who, x, ndims=(4,))
        F.check_input(who, x, axis=1, size=self.num_features, what="channels")
        return F.instance_norm(x, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, affine={self.affine}"
