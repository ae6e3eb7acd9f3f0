"""``SyncBatchNorm``: batch normalisation whose batch statistics span every rank's batch."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import distributed as dist
from minigrad.function import Function
from minigrad.tensor import tensor_arg

from .. import functional as F
from ..module import Module
from ..normalization import _BatchNorm

if TYPE_CHECKING:
    from minigrad._typing import Array, TensorOrArray
    from minigrad.tensor import Tensor


class _SyncNormalize(Function):
    """``(x - mean) / sqrt(var + eps)`` over ``axes``, mean and biased variance over the
    elements of every rank's ``x``; ``stats`` receives (mean, var, total count).

    Backward: dx = r (g - mean(g) - xhat mean(g xhat)), both means over every rank.
    Each rank's g is the gradient of its own loss, so the cross-rank terms carry the
    world size that ``DistributedDataParallel``'s averaging then takes out again.
    """

    @staticmethod
    def forward(ctx: Any, x: Array, axes: tuple[int, ...] = (0,), eps: float = 1e-5,
                stats: list[Any] | None = None) -> Array:
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        total = np.append(np.add.reduce(x, axis=axes, dtype=np.float64), x.size // x.shape[1])
        dist.all_reduce(total)
        n = total[-1]
        mu = (total[:-1] / n).astype(x.dtype).reshape(shape)
        xc = x - mu
        sq = np.add.reduce(xc * xc, axis=axes, dtype=np.float64)
        dist.all_reduce(sq)
        var = (sq / n).astype(x.dtype).reshape(shape)
        r = 1.0 / np.sqrt(var + eps)
        xhat = xc * r
        if stats is not None:
            stats[:] = [mu, var, float(n)]
        ctx.saved = (xhat, r, axes, n)
        return xhat

    @staticmethod
    def backward(ctx: Any, g: Array) -> Array:
        xhat, r, axes, n = ctx.saved
        c = g.shape[1]
        sums = np.concatenate([np.add.reduce(g, axis=axes, dtype=np.float64),
                               np.add.reduce(g * xhat, axis=axes, dtype=np.float64)])
        dist.all_reduce(sums)
        shape = r.shape
        mean_g = (sums[:c] / n).astype(g.dtype).reshape(shape)
        mean_gx = (sums[c:] / n).astype(g.dtype).reshape(shape)
        return r * (g - mean_g - xhat * mean_gx)


def sync_batch_norm(x: TensorOrArray, running_mean: Array | None, running_var: Array | None,
                    weight: Tensor | None = None, bias: Tensor | None = None,
                    training: bool = False, momentum: float | None = 0.1,
                    eps: float = 1e-5) -> Tensor:
    """``F.batch_norm`` with the training statistics over every rank's batch (after
    ``minigrad.distributed.init()`` with more than one rank; else ``F.batch_norm``)."""
    x = tensor_arg(x, "sync_batch_norm")
    if not training or not dist.is_initialized() or dist.get_world_size() == 1:
        return F.batch_norm(x, running_mean, running_var, weight, bias, training=training,
                            momentum=momentum, eps=eps)
    return F._batch_norm_training(x, _SyncNormalize, running_mean, running_var, weight,
                                  bias, momentum, eps)


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation of ``(N, C, *)`` whose training statistics (mean, variance,
    and the running statistics updated from them) are those of all ranks' batches
    together, as PyTorch's: N ranks with batch B/N normalise as one process with batch B.

    Arguments as ``nn.BatchNorm1d``. In ``eval()``, or in a single process, it is
    ``BatchNorm``. Each training forward and backward makes two and one all-reduces of
    ``2 C`` numbers, so every rank must run the layer the same number of times.
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every BatchNorm of a model.
    """

    ndims = (2, 3, 4, 5)
    _functional = staticmethod(sync_batch_norm)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """``module`` with every ``BatchNorm1d/2d`` replaced by a ``SyncBatchNorm`` holding
        the same parameters, buffers and mode (a BatchNorm ``module`` itself is returned
        converted; other modules are changed in place and returned)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       module.track_running_stats)
            sync.weight, sync.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                sync.register_buffer(name, module._buffers[name])
            sync.train(module.training)
            return sync
        for name, child in list(module.named_children()):
            module.add_module(name, cls.convert_sync_batchnorm(child))
        return module
