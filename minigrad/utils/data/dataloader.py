"""``DataLoader``: batches of a dataset, PyTorch's arguments and loop.

Each pass asks the batch sampler for lists of indices, reads
``[dataset[i] for i in batch]`` and hands that list to ``collate_fn``
(``default_collate``: stacked into Tensors with a leading batch axis); an
``IterableDataset`` is read in order instead, ``batch_size`` samples at a time. All in the
calling process: ``num_workers`` is accepted for PyTorch programs but data is
always loaded in the main process (so ``worker_init_fn`` is never called), and
``pin_memory`` is ignored (there is only the CPU).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import numpy as np

from . import _checks
from .collate import default_collate, default_convert
from .dataset import Indexable, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

_W = "DataLoader"


class DataLoader:
    """Iterate over ``dataset`` in batches.

    - ``batch_size`` samples per batch (``None``: no batching, each sample passed
      through ``default_convert``), the last shorter batch dropped with
      ``drop_last``;
    - ``shuffle=True``: a new random order every pass, drawn from ``generator``
      or minigrad's generator, so ``mg.manual_seed(s)`` before the loop repeats it;
    - ``sampler``: any iterable of indices instead (exclusive with ``shuffle``),
      e.g. a ``DistributedSampler``; ``batch_sampler``: an iterable of index lists
      (exclusive with ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``);
    - ``collate_fn(list_of_samples) -> batch`` replaces ``default_collate``.

    ``len(loader)`` is the number of batches.

    >>> ds = TensorDataset(mg.randn(10, 3), mg.arange(10))
    >>> [x.shape for x, y in DataLoader(ds, batch_size=4)]
    [(4, 3), (4, 3), (2, 3)]
    """

    def __init__(self, dataset: Indexable[Any] | IterableDataset[Any], batch_size: int | None = 1,
                 shuffle: bool | None = False,
                 sampler: Sampler[Any] | Iterable[Any] | None = None,
                 batch_sampler: Sampler[Sequence[Any]] | Iterable[Sequence[Any]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[Any], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 generator: np.random.Generator | None = None, *,
                 prefetch_factor: int | None = None,
                 persistent_workers: bool = False) -> None:
        shuffle = _checks.boolean(_W, "shuffle", bool(shuffle) if shuffle is None else shuffle)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle or sampler is not None or batch_sampler is not None:
                raise ValueError(f"{_W} with IterableDataset: expected unspecified shuffle, "
                                 f"sampler and batch_sampler options, got shuffle={shuffle}, "
                                 f"sampler={type(sampler).__name__}, "
                                 f"batch_sampler={type(batch_sampler).__name__}")
        elif not hasattr(dataset, "__getitem__"):
            raise TypeError(f"{_W}: dataset should support indexing (define __getitem__) "
                            f"or be an IterableDataset, got {type(dataset).__name__}")
        drop_last = _checks.boolean(_W, "drop_last", drop_last)
        self.num_workers = _checks.integer(_W, "num_workers", num_workers, 0)
        _check_worker_options(self.num_workers, timeout, prefetch_factor, persistent_workers)
        self.pin_memory = _checks.boolean(_W, "pin_memory", pin_memory)
        self.generator = _checks.generator(_W, generator)
        for name, fn in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{_W}: {name} should be callable or None, got "
                                f"{type(fn).__name__}")
        for name, it in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if it is not None and not isinstance(it, Iterable):
                raise TypeError(f"{_W}: {name} should be an iterable of indices or None, "
                                f"got {type(it).__name__}")
        if sampler is not None and shuffle:
            raise ValueError(f"{_W}: sampler option is mutually exclusive with shuffle "
                             f"(got a {type(sampler).__name__} and shuffle=True)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(f"{_W}: batch_sampler option is mutually exclusive with "
                                 f"batch_size, shuffle, sampler, and drop_last (got "
                                 f"batch_size={batch_size}, shuffle={shuffle}, sampler="
                                 f"{type(sampler).__name__}, drop_last={drop_last})")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(f"{_W}: batch_size=None option disables auto-batching "
                                 f"and is mutually exclusive with drop_last=True")
        else:
            batch_size = _checks.integer(_W, "batch_size", batch_size, 1)
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = (RandomSampler(dataset, generator=self.generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self._auto_collation = batch_size is not None or batch_sampler is not None
        self.collate_fn: Callable[[Any], Any] = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream(iter(self.dataset))
        elif self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield self.collate_fn([self.dataset[i] for i in indices])
        else:
            for i in self.sampler or ():
                yield self.collate_fn(self.dataset[i])

    def _stream(self, samples: Iterator[Any]) -> Iterator[Any]:
        """An IterableDataset's samples, ``batch_size`` at a time, collated."""
        if self.batch_size is None:
            yield from map(self.collate_fn, samples)
            return
        while batch := list(islice(samples, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        source: Any = self.batch_sampler if self.batch_sampler is not None else self.sampler
        if self._iterable:
            source = self.dataset
        try:
            n = len(source)
        except TypeError:
            raise TypeError(f"{_W}: len() needs a sampler (or an IterableDataset) with "
                            f"__len__, got {type(source).__name__}") from None
        if self._iterable and self.batch_size is not None:
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return n


def _check_worker_options(num_workers: int, timeout: float, prefetch_factor: int | None,
                          persistent_workers: bool) -> None:
    """PyTorch's checks of the worker options (which then have no effect here)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"{_W}: timeout should be a number, got {type(timeout).__name__}")
    if timeout < 0:
        raise ValueError(f"{_W}: timeout option should be non-negative, got {timeout}")
    if prefetch_factor is not None:
        if num_workers == 0:
            raise ValueError(f"{_W}: prefetch_factor option could only be specified in "
                             f"multiprocessing; let num_workers > 0 or set it to None, "
                             f"got prefetch_factor={prefetch_factor}")
        _checks.integer(_W, "prefetch_factor", prefetch_factor, 0)
    if _checks.boolean(_W, "persistent_workers", persistent_workers) and num_workers == 0:
        raise ValueError(f"{_W}: persistent_workers option needs num_workers > 0")
