"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share
of the dataset, PyTorch's partition.

With ``N = len(dataset)`` and ``R = num_replicas``, every rank gets
``ceil(N / R)`` indices: the (shuffled or not) order of all ``N`` is padded by
repeating it from its start up to ``R * ceil(N / R)`` and rank ``r`` takes
positions ``r, r + R, r + 2R, ...``. With ``drop_last`` the tail is cut
instead, to ``floor(N / R)`` per rank. The shuffled order depends only on
``seed + epoch`` (not on minigrad's generator), so every rank computes the same
permutation; call ``set_epoch(e)`` before each epoch for a new order.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _checks
from .sampler import Sampler

if TYPE_CHECKING:
    from .dataset import Indexable


def _from_process_group(name: str) -> int:
    """``minigrad.distributed``'s world size or rank, when it is installed."""
    try:
        dist: Any = importlib.import_module("minigrad.distributed")
    except ImportError:
        raise RuntimeError(f"DistributedSampler: {name} not given and minigrad.distributed "
                           f"is not available; pass num_replicas and rank") from None
    if not dist.is_initialized():
        raise RuntimeError(f"DistributedSampler: {name} not given and minigrad.distributed "
                           f"is not initialized (call minigrad.distributed.init() first); "
                           f"or pass num_replicas and rank")
    return int(dist.get_world_size() if name == "num_replicas" else dist.get_rank())


class DistributedSampler(Sampler[int]):
    """This rank's ``ceil(N / num_replicas)`` indices (``floor`` with ``drop_last``).

    ``num_replicas`` and ``rank`` default to ``minigrad.distributed``'s world size
    and rank (``RuntimeError`` when it is not available).

    >>> s = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
    >>> list(s)           # rank 0 gets [0, 2, 4]; the order was padded with index 0
    [1, 3, 0]
    """

    def __init__(self, dataset: Indexable[Any], num_replicas: int | None = None,
                 rank: int | None = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        where = "DistributedSampler"
        if num_replicas is None:
            num_replicas = _from_process_group("num_replicas")
        if rank is None:
            rank = _from_process_group("rank")
        self.num_replicas = _checks.integer(where, "num_replicas", num_replicas, 1)
        self.rank = _checks.integer(where, "rank", rank, 0)
        if self.rank >= self.num_replicas:
            raise ValueError(f"{where}: rank should be in [0, {self.num_replicas - 1}] "
                             f"for num_replicas={self.num_replicas}, got rank={rank}")
        self.shuffle = _checks.boolean(where, "shuffle", shuffle)
        self.seed = _checks.integer(where, "seed", seed, 0)
        self.drop_last = _checks.boolean(where, "drop_last", drop_last)
        self.dataset = dataset
        self.epoch = 0
        n = _checks.dataset_length(where, dataset)
        self.num_samples = (n // self.num_replicas if self.drop_last
                            else -(-n // self.num_replicas))
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.total_size > n:         # pad by repeating from the start
            order = np.resize(order, self.total_size)
        order = order[:self.total_size]
        return iter(order[self.rank::self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the next shuffles' seed (``seed + epoch``), so each
        epoch has its own order, the same on every rank."""
        self.epoch = _checks.integer("DistributedSampler.set_epoch", "epoch", epoch, 0)
