"""Turning a list of samples into one batch, as PyTorch's ``default_collate``.

Samples are nested structures; the batch has the same structure with a new
leading batch axis on every leaf:

- Tensors and NumPy arrays of one shape ``S`` -> a Tensor of shape ``(B, *S)``
  (Tensors that require grad are joined with the differentiable ``mg.stack``);
- Python ``float`` -> float64, ``int`` -> int64, ``bool`` -> bool Tensor of shape
  ``(B,)``; NumPy scalars keep their dtype;
- strings and bytes -> the list of them;
- dicts -> a dict of batches per key; namedtuples -> the namedtuple of batches;
- other tuples and lists -> a list of batches, one per position (PyTorch's rule:
  a sample ``(x, y)`` gives a batch ``[X, Y]``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...ops import stack
from ...tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from ..._typing import Array

_WHAT = "Tensors, numpy arrays, numbers, strings, dicts or lists"


def _stack(arrays: Sequence[Array]) -> Array:
    """``np.stack`` with PyTorch's error for unequal shapes, naming them."""
    first = arrays[0].shape
    for k, a in enumerate(arrays):
        if a.shape != first:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal "
                               f"size, but got {first} at entry 0 and {a.shape} at entry {k}")
    return np.stack(arrays)


def _numeric(a: Array, elem: Any) -> None:
    if a.dtype.kind in "USOV":
        raise TypeError(f"default_collate: batch must contain {_WHAT}; found an array "
                        f"of dtype {a.dtype} ({type(elem).__name__})")


def default_collate(batch: Sequence[Any]) -> Any:
    """A list of ``B`` samples -> one batch (see the module docstring for the rules).

    >>> x, y = default_collate([(np.zeros(3), 1), (np.ones(3), 2)])
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((2, 3), dtype('float64'), (2,), dtype('int64'))
    """
    if len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty batch, got an empty one")
    elem = batch[0]
    if isinstance(elem, Tensor):
        if not all(isinstance(b, Tensor) for b in batch):
            raise TypeError(f"default_collate: expected every entry to be a Tensor like "
                            f"entry 0, got {sorted({type(b).__name__ for b in batch})}")
        if any(b.requires_grad for b in batch):
            _stack([b.data for b in batch])          # (only for its error message)
            return stack(list(batch))
        return as_tensor(_stack([b.data for b in batch]))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, (np.ndarray, np.generic)):
        arrays = [np.asarray(b) for b in batch]
        _numeric(arrays[0], elem)
        return as_tensor(_stack(arrays))
    if isinstance(elem, bool):
        return as_tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return as_tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return as_tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, Mapping):
        return _collate_mapping(elem, batch)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):           # a namedtuple
        return type(elem)(*(default_collate(list(s)) for s in _transpose(batch)))
    if isinstance(elem, Sequence):
        return [default_collate(list(s)) for s in _transpose(batch)]
    raise TypeError(f"default_collate: batch must contain {_WHAT}; found "
                    f"{type(elem).__name__}")


def _collate_mapping(elem: Mapping[Any, Any], batch: Sequence[Any]) -> Any:
    for k, b in enumerate(batch):
        if not isinstance(b, Mapping) or b.keys() != elem.keys():
            got = sorted(map(str, b.keys())) if isinstance(b, Mapping) else type(b).__name__
            raise ValueError(f"default_collate: entry {k} should be a dict with the keys "
                             f"{sorted(map(str, elem.keys()))} of entry 0, got {got}")
    out = {key: default_collate([b[key] for b in batch]) for key in elem}
    return _rebuild(elem, out)


def _rebuild(like: Mapping[Any, Any], out: dict[Any, Any]) -> Any:
    """``out`` as ``like``'s mapping type (an OrderedDict stays one), or a dict
    when that type cannot be built from a dict."""
    try:
        return type(like)(out)  # type: ignore[call-arg]
    except TypeError:
        return out


def _transpose(batch: Sequence[Any]) -> list[tuple[Any, ...]]:
    n = len(batch[0])
    for k, b in enumerate(batch):
        if not isinstance(b, Sequence) or len(b) != n:
            got = len(b) if isinstance(b, Sequence) else type(b).__name__
            raise RuntimeError(f"default_collate: each element in list of batch should be "
                               f"of equal size: entry 0 has {n}, entry {k} has {got}")
    return list(zip(*batch))


def default_convert(data: Any) -> Any:
    """One sample, unbatched: NumPy arrays and scalars become Tensors (sharing
    memory), recursively inside dicts, tuples and lists; anything else is kept.
    The DataLoader's collation when ``batch_size=None``."""
    if isinstance(data, Tensor) or isinstance(data, (str, bytes)):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        a = np.asarray(data)
        return data if a.dtype.kind in "USOV" else as_tensor(a)
    if isinstance(data, Mapping):
        return _rebuild(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return tuple(default_convert(d) for d in data)
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
