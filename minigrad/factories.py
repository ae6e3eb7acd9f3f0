"""Tensor factories: ``zeros, ones, full, empty, zeros_like, ones_like, arange,
eye, randn, rand``, each with ``dtype=`` and ``requires_grad=``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from .random import get_rng
from .tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._typing import Array, ArrayLike, DTypeLike, Shape, TensorLike


def _shape(shape: tuple[Any, ...]) -> Shape:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(n) for n in shape)


def _leaf(array: Array, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _dt(dtype: DTypeLike | None) -> np.dtype[Any]:
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of ``shape`` (``zeros(2, 3)`` or ``zeros((2, 3))``), default dtype."""
    return _leaf(np.zeros(_shape(shape), _dt(dtype)), requires_grad)


def ones(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones of ``shape``, default dtype."""
    return _leaf(np.ones(_shape(shape), _dt(dtype)), requires_grad)


def empty(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of ``shape``, default dtype."""
    return _leaf(np.empty(_shape(shape), _dt(dtype)), requires_grad)


def full(shape: int | Sequence[int], fill_value: ArrayLike, dtype: DTypeLike | None = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` (an int or a tuple) filled with ``fill_value``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _leaf(np.full(shape, fill_value, _dt(dtype)), requires_grad)


def zeros_like(t: TensorLike, dtype: DTypeLike | None = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of a tensor or array."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return _leaf(np.zeros_like(data, dtype=dtype), requires_grad)


def ones_like(t: TensorLike, dtype: DTypeLike | None = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of a tensor or array."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return _leaf(np.ones_like(data, dtype=dtype), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1,
           dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Like ``np.arange``: integer arguments give int64, floats the default dtype."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and any(isinstance(v, float) for v in (start, stop, step)):
        dtype = dtypes.get_default_dtype()
    return _leaf(np.arange(start, stop, step, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None,
        requires_grad: bool = False) -> Tensor:
    """The ``(n, m)`` identity matrix (``m`` defaults to ``n``), default dtype."""
    return _leaf(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


def randn(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's seeded generator."""
    return _leaf(get_rng().standard_normal(_shape(shape)).astype(_dt(dtype)), requires_grad)


def rand(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from minigrad's seeded generator."""
    return _leaf(get_rng().random(_shape(shape)).astype(_dt(dtype)), requires_grad)
