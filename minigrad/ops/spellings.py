"""PyTorch's spellings of what minigrad already does, as Tensor methods.

Each is built from existing ops (so it is differentiable, and gradient-tested,
through them) or, for dtype and device conversions, from ``astype``:
``view`` (also ``view(dtype)``), ``view_as``, ``reshape_as``, ``t``, ``contiguous``, ``permute``,
``narrow``, ``chunk``, ``split``, ``repeat``, ``clamp``, ``float double long int
bool``, ``type``, ``to``, ``new_zeros new_ones new_empty new_full new_tensor``.
``minigrad.ops`` installs them on Tensor beside NumPy's names, which stay.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..device import device as _device
from ..device import is_device
from ..tensor import Tensor, _as_array
from . import astype, expand, getitem, reshape, transpose
from .elementwise import Clip
from .shape import Transpose

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ArrayLike, DTypeLike, TensorLike


def _sizes(where: str, sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` -> (2, 3), checked to be ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{where}: expected int sizes, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def _dim(where: str, x: Tensor, dim: int) -> int:
    ndim = x.ndim
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: expected an int dim, got {type(dim).__name__}")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{where}: dim {dim} out of range for a {ndim}-D tensor "
                         f"(shape {x.shape})")
    return int(dim) % ndim


# ------------------------------------------------------------- shapes
def view(x: Tensor, *shape: int | Sequence[int] | DTypeLike) -> Tensor:
    """PyTorch's ``view``: the same elements in ``shape`` (``view(2, -1)`` or
    ``view((2, -1))``), a :func:`reshape` (NumPy copies only when it must); or
    ``view(dtype)``: the bytes reinterpreted as ``dtype`` (the last axis rescaled by
    the ratio of item sizes, sharing memory, as ``np.ndarray.view``), a new tensor
    with no history -- not differentiable, as PyTorch's."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        dt = np.dtype(shape[0])  # type: ignore[arg-type]
        if dt == x.dtype:
            return x
        try:
            return Tensor._wrap(x.data.view(dt))
        except ValueError as e:
            raise RuntimeError(f"view({dt}): cannot reinterpret a {x.dtype} tensor of "
                               f"shape {x.shape} as {dt} ({e})") from None
    return reshape(x, *shape)  # type: ignore[arg-type]


def view_as(x: Tensor, other: Tensor) -> Tensor:
    """``x`` reshaped to ``other``'s shape."""
    return reshape(x, other.shape)


reshape_as = view_as


def t(x: Tensor) -> Tensor:
    """The transpose of a matrix; a 0-D or 1-D tensor is returned as is (PyTorch's
    ``t()``). RuntimeError for more than 2 dimensions: use ``transpose(d0, d1)``."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but it is "
                           f"{x.ndim}-D (shape {x.shape}); use transpose(d0, d1)")
    return x if x.ndim < 2 else transpose(x)


def contiguous(x: Tensor) -> Tensor:
    """``x`` itself: NumPy arrays need no contiguous copy for minigrad's ops."""
    return x


def permute(x: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """Reorder the axes: output axis i is input axis ``dims[i]`` (``permute(2, 0, 1)``
    or ``permute((2, 0, 1))``); ValueError unless ``dims`` is a permutation."""
    dims = _sizes("permute", dims)
    if sorted(d % x.ndim if x.ndim else d for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: expected a permutation of the {x.ndim} dims of shape "
                         f"{x.shape}, got {dims}")
    return Transpose.apply(x, axes=dims)


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start + length - 1`` along ``dim`` (a slice)."""
    d = _dim("narrow", x, dim)
    n = x.shape[d]
    if start < 0:
        start += n
    if not (0 <= start <= n and 0 <= length <= n - start):
        raise IndexError(f"narrow: start {start} and length {length} do not fit in "
                         f"dim {dim} of size {n}")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


def split(x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0
          ) -> tuple[Tensor, ...]:
    """Pieces along ``dim``: of ``split_size`` elements each (the last may be
    smaller), or of the listed sizes (which must add up to the dim's size)."""
    d = _dim("split", x, dim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: expected a positive split size, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] or [0]
    else:
        sizes = list(_sizes("split", tuple(split_size_or_sections)))
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {sizes} must be non-negative and add up to "
                             f"{n}, the size of dim {dim} (shape {x.shape})")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(getitem(x, (slice(None),) * d + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces along ``dim``, each of ceil(n / chunks) elements
    (the last smaller), as PyTorch's ``chunk``."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: expected a positive number of chunks, got {chunks!r}")
    n = x.shape[_dim("chunk", x, dim)]
    return split(x, max(-(-n // int(chunks)), 1), dim)


def repeat(x: Tensor, *sizes: int | Sequence[int]) -> Tensor:
    """Tile ``x`` ``sizes[i]`` times along axis i (PyTorch's ``repeat``, NumPy's
    ``tile``); leading extra sizes add new axes. Built as a broadcast and a
    reshape, so the gradient sums the copies."""
    reps = _sizes("repeat", sizes)
    if len(reps) < x.ndim:
        raise ValueError(f"repeat: expected at least {x.ndim} sizes for shape {x.shape}, "
                         f"got {reps}")
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    paired = tuple(v for n in shape for v in (1, n))
    tiled = tuple(v for r, n in zip(reps, shape) for v in (r, n))
    return reshape(expand(reshape(x, paired), tiled), tuple(r * n for r, n in zip(reps, shape)))


def clamp(x: Tensor, min: ArrayLike | Tensor | None = None,  # noqa: A002  (PyTorch's names)
          max: ArrayLike | Tensor | None = None) -> Tensor:  # noqa: A002
    """PyTorch's name for :func:`clip`: values below ``min`` become ``min``, above
    ``max`` become ``max`` (either may be None; tensor bounds are constants); the
    gradient passes where unclamped."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    lo = min.data if isinstance(min, Tensor) else min
    hi = max.data if isinstance(max, Tensor) else max
    return Clip.apply(x, lo=lo, hi=hi)


# ------------------------------------------------------------- dtypes and devices
def _convert(x: Tensor, dtype: Any) -> Tensor:
    """``x`` as ``dtype``: differentiable to a floating dtype, a new tensor without
    history to an integer or boolean one (which cannot require grad)."""
    dt = np.dtype(dtype)
    if dt == x.dtype:
        return x
    if dt.kind == "f":
        return astype(x, dt)
    return Tensor._wrap(x.data.astype(dt))


def float_(x: Tensor) -> Tensor:
    """``x`` as float32 (differentiable)."""
    return _convert(x, np.float32)


def double(x: Tensor) -> Tensor:
    """``x`` as float64 (differentiable)."""
    return _convert(x, np.float64)


def long(x: Tensor) -> Tensor:
    """``x`` as int64 (no gradient)."""
    return _convert(x, np.int64)


def int_(x: Tensor) -> Tensor:
    """``x`` as int32 (no gradient)."""
    return _convert(x, np.int32)


def bool_(x: Tensor) -> Tensor:
    """``x`` as booleans (no gradient)."""
    return _convert(x, np.bool_)


def type_(x: Tensor, dtype: DTypeLike | None = None) -> Any:
    """With a dtype, ``x`` converted to it (as ``to(dtype)``); without, the name of
    ``x``'s dtype (``'float32'``)."""
    if dtype is None:
        return str(x.dtype)
    return _convert(x, dtype)


def to(x: Tensor, *args: Any, dtype: DTypeLike | None = None, device: Any = None,
       non_blocking: Any = False, copy: Any = False) -> Tensor:
    """PyTorch's ``to``: ``to(dtype)``, ``to('cpu')``, ``to(mg.device('cpu'))``,
    ``to(device, dtype)``, ``to(other_tensor)`` (its dtype), or keywords. Only the
    CPU exists: any other device raises RuntimeError. ``copy=True`` always gives a
    new tensor; otherwise ``x`` itself when nothing changes."""
    for a in args:
        if isinstance(a, Tensor):
            if dtype is not None:
                raise TypeError("to: got a dtype twice (a tensor and a dtype)")
            dtype = a.dtype
        elif is_device(a):
            device = a
        elif a is None:
            continue
        else:
            if dtype is not None:
                raise TypeError(f"to: got a dtype twice ({dtype!r} and {a!r})")
            dtype = a
    if device is not None:
        _device(device)          # RuntimeError for anything but the CPU
    out = x if dtype is None else _convert(x, dtype)
    if copy and out is x:               # a recorded copy when x is in a graph
        out = x * 1 if x.requires_grad else Tensor._wrap(x.data.copy())
    return out


def cpu(x: Tensor) -> Tensor:
    """``x`` itself: it is already on the CPU."""
    return x


def _new(x: Tensor, array: np.ndarray[Any, Any], requires_grad: bool,
         device: Any) -> Tensor:
    if device is not None:
        _device(device)
    out = Tensor._wrap(array)
    if requires_grad:
        out.requires_grad = True
    return out


def new_zeros(x: Tensor, *size: int | Sequence[int], dtype: DTypeLike | None = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of ``size``, with ``x``'s dtype unless given (no history)."""
    return _new(x, np.zeros(_sizes("new_zeros", size), dtype or x.dtype), requires_grad,
                device)


def new_ones(x: Tensor, *size: int | Sequence[int], dtype: DTypeLike | None = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones of ``size``, with ``x``'s dtype unless given (no history)."""
    return _new(x, np.ones(_sizes("new_ones", size), dtype or x.dtype), requires_grad, device)


def new_empty(x: Tensor, *size: int | Sequence[int], dtype: DTypeLike | None = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    """An uninitialised tensor of ``size``, with ``x``'s dtype unless given."""
    return _new(x, np.empty(_sizes("new_empty", size), dtype or x.dtype), requires_grad,
                device)


def new_full(x: Tensor, size: Sequence[int], fill_value: ArrayLike,
             dtype: DTypeLike | None = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """``fill_value`` everywhere in ``size``, with ``x``'s dtype unless given."""
    return _new(x, np.full(_sizes("new_full", (size,)), fill_value, dtype or x.dtype),
                requires_grad, device)


def new_tensor(x: Tensor, data: TensorLike, dtype: DTypeLike | None = None,
               requires_grad: bool = False, device: Any = None) -> Tensor:
    """A copy of ``data`` as a new leaf, with ``x``'s dtype unless given."""
    return _new(x, _as_array(data, dtype or x.dtype, copy=True, where="new_tensor"),
                requires_grad, device)


METHODS = dict(view=view, view_as=view_as, reshape_as=reshape_as, t=t, contiguous=contiguous,
               permute=permute, narrow=narrow, split=split, chunk=chunk, repeat=repeat,
               clamp=clamp, float=float_, double=double, long=long, int=int_,
               bool=bool_, type=type_, to=to, cpu=cpu, new_zeros=new_zeros, new_ones=new_ones,
               new_empty=new_empty, new_full=new_full, new_tensor=new_tensor)
