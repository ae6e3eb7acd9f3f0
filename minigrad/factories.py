"""Tensor factories: ``zeros, ones, full, empty, arange, linspace, eye, randn,
rand, randint, randperm``, the ``*_like`` variants and ``from_numpy``, each with ``dtype=`` and
``requires_grad=`` (and PyTorch's ``device=``, which accepts only the CPU)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from .device import device as _device
from .random import get_rng
from .tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._typing import Array, ArrayLike, DTypeLike, Shape, TensorLike


def _shape(shape: tuple[Any, ...], where: str) -> Shape:
    """``(2, 3)`` from ``(2, 3)`` or ``((2, 3),)``; each size a non-negative int."""
    sizes = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
        else shape
    for n in sizes:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise (ValueError if isinstance(n, (int, np.integer)) else TypeError)(
                f"{where}: expected the size as non-negative ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def _leaf(array: Array, requires_grad: bool, device: Any = None) -> Tensor:
    if device is not None:
        _device(device)             # RuntimeError for anything but the CPU
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _dt(dtype: DTypeLike | None) -> np.dtype[Any]:
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of zeros of ``shape`` (``zeros(2, 3)`` or ``zeros((2, 3))``), default dtype."""
    return _leaf(np.zeros(_shape(shape, "zeros"), _dt(dtype)), requires_grad, device)


def ones(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of ones of ``shape``, default dtype."""
    return _leaf(np.ones(_shape(shape, "ones"), _dt(dtype)), requires_grad, device)


def empty(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          requires_grad: bool = False, device: Any = None) -> Tensor:
    """An uninitialised tensor of ``shape``, default dtype."""
    return _leaf(np.empty(_shape(shape, "empty"), _dt(dtype)), requires_grad, device)


def full(shape: int | Sequence[int], fill_value: ArrayLike, dtype: DTypeLike | None = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of ``shape`` (an int or a tuple) filled with ``fill_value``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _leaf(np.full(shape, fill_value, _dt(dtype)), requires_grad, device)


def zeros_like(t: TensorLike, dtype: DTypeLike | None = None,
               requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of a tensor or array."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return _leaf(np.zeros_like(data, dtype=dtype), requires_grad, device)


def ones_like(t: TensorLike, dtype: DTypeLike | None = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of a tensor or array."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return _leaf(np.ones_like(data, dtype=dtype), requires_grad, device)


def arange(start: float, stop: float | None = None, step: float = 1,
           dtype: DTypeLike | None = None, requires_grad: bool = False,
           device: Any = None) -> Tensor:
    """Like ``np.arange``: integer arguments give int64, floats the default dtype."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError(f"arange: step must be nonzero, got {step!r}")
    if dtype is None and any(isinstance(v, float) for v in (start, stop, step)):
        dtype = dtypes.get_default_dtype()
    return _leaf(np.arange(start, stop, step, dtype=dtype), requires_grad, device)


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None,
        requires_grad: bool = False, device: Any = None) -> Tensor:
    """The ``(n, m)`` identity matrix (``m`` defaults to ``n``), default dtype."""
    return _leaf(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def randn(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          requires_grad: bool = False, device: Any = None) -> Tensor:
    """Standard normal samples from minigrad's seeded generator."""
    return _leaf(get_rng().standard_normal(_shape(shape, "randn")).astype(_dt(dtype)),
                 requires_grad, device)


def rand(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from minigrad's seeded generator."""
    return _leaf(get_rng().random(_shape(shape, "rand")).astype(_dt(dtype)), requires_grad,
                 device)


def randint(*args: int | Sequence[int], size: Sequence[int] | None = None,
            dtype: DTypeLike | None = None, requires_grad: bool = False,
            device: Any = None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)`` (PyTorch's ``randint(high, size)``
    or ``randint(low, high, size)``; ``size`` also as a keyword), int64 unless
    ``dtype`` is given, from minigrad's seeded generator (``mg.manual_seed``)."""
    bounds: list[Any] = list(args)
    if size is None:
        if not bounds or not isinstance(bounds[-1], (tuple, list)):
            raise TypeError(f"randint: expected a size (a tuple) after the bounds, got "
                            f"arguments {args!r}")
        size = bounds.pop()
    if len(bounds) not in (1, 2) or any(isinstance(b, (tuple, list, bool)) for b in bounds):
        raise TypeError(f"randint: expected randint(high, size) or randint(low, high, "
                        f"size) with int bounds, got arguments {args!r}")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    if not int(low) < int(high):
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    dt = np.dtype(np.int64 if dtype is None else dtype)
    draws = get_rng().integers(int(low), int(high), _shape((size,), "randint"))
    return _leaf(draws.astype(dt), requires_grad, device)


def randperm(n: int, *, dtype: DTypeLike | None = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` is given), from
    minigrad's seeded generator (``mg.manual_seed``), as ``torch.randperm``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: expected a non-negative int n, got {n!r}")
    dt = np.dtype(np.int64 if dtype is None else dtype)
    return _leaf(get_rng().permutation(int(n)).astype(dt), requires_grad, device)


def _like(t: TensorLike, dtype: DTypeLike | None) -> tuple[Shape, np.dtype[Any]]:
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return data.shape, data.dtype if dtype is None else np.dtype(dtype)


def empty_like(t: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """An uninitialised tensor with the shape (and, unless given, the dtype) of ``t``."""
    shape, dt = _like(t, dtype)
    return _leaf(np.empty(shape, dt), requires_grad, device)


def full_like(t: TensorLike, fill_value: ArrayLike, dtype: DTypeLike | None = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    """``fill_value`` everywhere, with the shape (and, unless given, the dtype) of ``t``."""
    shape, dt = _like(t, dtype)
    return _leaf(np.full(shape, fill_value, dt), requires_grad, device)


def randn_like(t: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Standard normal samples with the shape (and, unless given, the dtype) of ``t``."""
    shape, dt = _like(t, dtype)
    return _leaf(get_rng().standard_normal(shape).astype(dt), requires_grad, device)


def rand_like(t: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) with the shape (and, unless given, the dtype) of ``t``."""
    shape, dt = _like(t, dtype)
    return _leaf(get_rng().random(shape).astype(dt), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: DTypeLike | None = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (PyTorch's
    ``torch.linspace``; ``steps`` is required), default dtype."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise TypeError(f"linspace: expected steps to be a non-negative int, got {steps!r}")
    return _leaf(np.linspace(start, end, int(steps), dtype=_dt(dtype)), requires_grad, device)


def from_numpy(array: Array) -> Tensor:
    """A tensor sharing ``array``'s memory (writes to one show in the other), its dtype
    kept; as ``torch.from_numpy``. TypeError for anything but a numeric ndarray."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    dtypes.check_numeric(array, "from_numpy")
    return Tensor._wrap(array)
