"""Map-style datasets: sample ``i`` by ``dataset[i]``, their number by ``len``.

``Dataset`` (the base to subclass), ``TensorDataset`` (row ``i`` of each of
several tensors), ``Subset`` (a dataset seen through a list of indices) and
``ConcatDataset`` (datasets one after another; also ``a + b``), and
``IterableDataset`` (a stream of samples, read in order).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np

from ...tensor import Tensor

if TYPE_CHECKING:
    from ..._typing import Array

T_co = TypeVar("T_co", covariant=True)


class Indexable(Protocol[T_co]):
    """What a DataLoader and the samplers read: ``len(d)`` and ``d[i]`` for ``i``
    in ``range(len(d))`` (a ``Dataset``, a list, ...)."""

    def __getitem__(self, index: int, /) -> T_co: ...

    def __len__(self) -> int: ...


class Dataset(Generic[T_co]):
    """The base of map-style datasets: define ``__getitem__(index)`` (one sample,
    any nesting of arrays, Tensors, numbers, tuples and dicts) and ``__len__``.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 5
    ...     def __getitem__(self, i): return float(i), float(i * i)
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Indexable[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Generic[T_co]):
    """The base of stream-style datasets: define ``__iter__`` (the samples, in
    order); ``__len__`` is optional. A DataLoader batches them as they come
    (no shuffle or sampler: there are no indices).

    >>> class Count(IterableDataset):
    ...     def __iter__(self): return iter(range(10))
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class TensorDataset(Dataset[tuple[Any, ...]]):
    """Sample ``i`` is ``(t[i] for t in tensors)``: tensors (or arrays) of shapes
    ``(N, *)``, all with the same first dimension ``N``.

    >>> ds = TensorDataset(mg.zeros((5, 3)), mg.arange(5))
    >>> x, y = ds[2]        # x: shape (3,), y: shape ()
    """

    def __init__(self, *tensors: Tensor | Array) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        for k, t in enumerate(tensors):
            if not isinstance(t, (Tensor, np.ndarray)):
                raise TypeError(f"TensorDataset: argument {k} should be a Tensor or an "
                                f"np.ndarray, got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {k} should have a first "
                                 f"dimension to index, got a 0-d {type(t).__name__}")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"TensorDataset: size mismatch between tensors: first "
                             f"dimensions {sizes}, expected all equal")
        self.tensors: tuple[Tensor | Array, ...] = tensors

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset[T_co]):
    """``dataset`` seen through ``indices``: ``Subset(d, idx)[i]`` is ``d[idx[i]]``."""

    def __init__(self, dataset: Indexable[T_co], indices: Sequence[int]) -> None:
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(f"Subset: dataset should support indexing, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int) -> T_co:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """Datasets one after another: index ``i`` runs through the first, then the
    second, ...; ``cumulative_sizes[k]`` is the length of the first ``k + 1``."""

    def __init__(self, datasets: Iterable[Indexable[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset, got none")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        if index < 0:
            index += n
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]
