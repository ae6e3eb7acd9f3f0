"""Samplers: which dataset indices a DataLoader reads, in what order, and how
they are grouped into batches.

Random orders draw from minigrad's generator (``mg.manual_seed`` makes them
reproducible) at the start of each pass, unless a ``np.random.Generator`` is given.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from . import _checks

if TYPE_CHECKING:
    from ..._typing import ArrayLike
    from .dataset import Indexable

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """The base of samplers: ``__iter__`` yields indices (or, for a batch sampler,
    lists of indices); ``__len__``, where defined, says how many."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, in order."""

    def __init__(self, data_source: Indexable[Any]) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random order of ``range(len(data_source))``, redrawn every pass.

    Without replacement each index appears once per ``len(data_source)`` draws
    (``num_samples`` larger than the dataset runs through several permutations,
    as PyTorch); with ``replacement=True`` the ``num_samples`` indices are drawn
    independently and uniformly.
    """

    def __init__(self, data_source: Indexable[Any], replacement: bool = False,
                 num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = _checks.boolean("RandomSampler", "replacement", replacement)
        self._num_samples = (None if num_samples is None else
                             _checks.integer("RandomSampler", "num_samples", num_samples, 1))
        self.generator = _checks.generator("RandomSampler", generator)

    @property
    def num_samples(self) -> int:
        """How many indices a pass yields (the dataset's length unless given)."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, rng = len(self.data_source), _checks.rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        full, rest = divmod(self.num_samples, n) if n else (0, 0)
        order = [rng.permutation(n) for _ in range(full)] + [rng.permutation(n)[:rest]]
        return iter(np.concatenate(order).tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order, redrawn every pass."""

    def __init__(self, indices: Sequence[int],
                 generator: np.random.Generator | None = None) -> None:
        self.indices = indices
        self.generator = _checks.generator("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        order = _checks.rng(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices into ``weights`` (length ``N``), index ``i`` drawn with
    probability ``weights[i] / sum(weights)``, with or without replacement."""

    def __init__(self, weights: ArrayLike, num_samples: int, replacement: bool = True,
                 generator: np.random.Generator | None = None) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) \
                or w.sum() <= 0:
            raise ValueError(f"WeightedRandomSampler: weights should be a non-empty 1-d "
                             f"sequence of finite non-negative numbers with a positive "
                             f"sum, got shape {w.shape}")
        self.weights = w
        self.num_samples = _checks.integer("WeightedRandomSampler", "num_samples",
                                           num_samples, 1)
        self.replacement = _checks.boolean("WeightedRandomSampler", "replacement",
                                           replacement)
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: without replacement num_samples "
                             f"should be at most the {np.count_nonzero(w)} non-zero "
                             f"weights, got num_samples={num_samples}")
        self.generator = _checks.generator("WeightedRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        drawn = _checks.rng(self.generator).choice(
            self.weights.size, size=self.num_samples, replace=self.replacement,
            p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """The indices of ``sampler`` (any iterable of ints) in lists of
    ``batch_size``; the last, shorter list is dropped when ``drop_last``.

    >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if not isinstance(sampler, Iterable):
            raise TypeError(f"BatchSampler: sampler should be an iterable of indices, "
                            f"got {type(sampler).__name__}")
        self.sampler = sampler
        self.batch_size = _checks.integer("BatchSampler", "batch_size", batch_size, 1)
        self.drop_last = _checks.boolean("BatchSampler", "drop_last", drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
