"""More of PyTorch's tensor functions, each built from minigrad's ops (so it is
differentiable, and gradient-tested, through them) or from NumPy where PyTorch's
result has no gradient:

``mm`` and ``bmm`` (matrix products that check their shapes), ``index_select``,
``expand_as``, ``clone`` (a recorded copy: the :class:`Clone` op), the arithmetic
methods ``add(other, alpha=)``, ``sub(other, alpha=)``, ``mul``, ``div(other,
rounding_mode=)``, the predicates ``isnan isinf isfinite allclose``, ``numel`` and
``is_tensor``. ``minigrad.ops`` installs the methods on Tensor; ``x.device`` is
the CPU.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..tensor import Tensor, as_tensor
from . import add as _add
from . import div as _div
from . import expand, floor, getitem, matmul, trunc
from . import mul as _mul
from . import sub as _sub
from .pointwise import pointwise
from .spellings import _dim

if TYPE_CHECKING:
    from .._typing import ArrayLike, TensorLike

Clone = pointwise("Clone", lambda x: x.copy(), lambda g: g, saves=None,
                  doc="A copy of x in new memory: y = x, dy/dx = 1 (PyTorch's clone).")


def _tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


# ------------------------------------------------------------- products
def mm(input: TensorLike, mat2: TensorLike) -> Tensor:  # noqa: A002  (PyTorch's names)
    """The matrix product of an ``(n, k)`` and a ``(k, m)`` matrix, ``(n, m)``
    (:func:`matmul` restricted to 2-D, as ``torch.mm``: no broadcasting)."""
    a, b = _tensor(input), _tensor(mat2)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mm: expected an (n, k) and a (k, m) matrix, got shapes "
                           f"{a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(input: TensorLike, mat2: TensorLike) -> Tensor:  # noqa: A002
    """Batched matrix products: ``(b, n, k)`` and ``(b, k, m)`` give ``(b, n, m)``
    (:func:`matmul` restricted to equal 3-D batches, as ``torch.bmm``)."""
    a, b = _tensor(input), _tensor(mat2)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"bmm: expected a (b, n, k) and a (b, k, m) batch of matrices, "
                           f"got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


# ------------------------------------------------------------- selection and copies
def index_select(input: TensorLike, dim: int, index: TensorLike) -> Tensor:  # noqa: A002
    """The entries at positions ``index`` (1-D, int) along ``dim``: the output has
    ``len(index)`` there. Differentiable: one GetItem node, so the gradient of a
    repeated position adds up."""
    x = _tensor(input)
    d = _dim("index_select", x, dim)
    idx = np.asarray(index.data if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise TypeError(f"index_select: expected a 1-D integer index, got dtype "
                        f"{idx.dtype} and shape {idx.shape}")
    n = x.shape[d]
    if idx.size and not (-n <= idx.min() and idx.max() < n):
        raise IndexError(f"index_select: index out of range for dim {dim} of size {n}")
    return getitem(x, (slice(None),) * d + (idx.reshape(-1),))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """``x`` broadcast to ``other``'s shape (an :func:`expand`)."""
    return expand(x, other.shape)


def clone(x: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``x`` in new memory, in the graph (the gradient passes unchanged);
    ``memory_format`` is accepted and ignored (NumPy arrays have one layout here)."""
    return Clone.apply(x)


# ------------------------------------------------------------- arithmetic methods
def add(input: TensorLike, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor:  # noqa: A002
    """``input + alpha * other``, as ``torch.add`` (differentiable through ``+`` and ``*``)."""
    return _add(input, other if _is_one(alpha) else _mul(other, alpha))


def sub(input: TensorLike, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor:  # noqa: A002
    """``input - alpha * other``, as ``torch.sub``."""
    return _sub(input, other if _is_one(alpha) else _mul(other, alpha))


def mul(input: TensorLike, other: TensorLike) -> Tensor:  # noqa: A002
    """``input * other`` (broadcast), as ``torch.mul``."""
    return _mul(input, other)


def div(input: TensorLike, other: TensorLike, *,  # noqa: A002
        rounding_mode: str | None = None) -> Tensor:
    """``input / other``, as ``torch.div``: true division, or rounded towards zero
    (``rounding_mode='trunc'``) or down (``'floor'``). Rounded results have a zero
    gradient, as PyTorch's; on integer tensors they stay integers."""
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: expected rounding_mode None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    a = input.data if isinstance(input, Tensor) else np.asarray(input)
    b = other.data if isinstance(other, Tensor) else np.asarray(other)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        if rounding_mode == "floor":
            return Tensor._wrap(np.asarray(np.floor_divide(a, b)))
        q = np.trunc(np.true_divide(a, b))
        return Tensor._wrap(np.asarray(q.astype(np.result_type(a, b))))
    quotient = _div(input, other)
    return floor(quotient) if rounding_mode == "floor" else trunc(quotient)


def _is_one(alpha: ArrayLike) -> bool:
    return isinstance(alpha, (int, float)) and alpha == 1


# ------------------------------------------------------------- predicates
def isnan(input: TensorLike) -> Tensor:  # noqa: A002
    """Where ``input`` is NaN: a boolean tensor with no history."""
    return Tensor._wrap(np.asarray(np.isnan(_tensor(input).data)))


def isinf(input: TensorLike) -> Tensor:  # noqa: A002
    """Where ``input`` is +inf or -inf: a boolean tensor with no history."""
    return Tensor._wrap(np.asarray(np.isinf(_tensor(input).data)))


def isfinite(input: TensorLike) -> Tensor:  # noqa: A002
    """Where ``input`` is neither NaN nor infinite: a boolean tensor with no history."""
    return Tensor._wrap(np.asarray(np.isfinite(_tensor(input).data)))


def allclose(input: TensorLike, other: TensorLike, rtol: float = 1e-05,  # noqa: A002
             atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether ``|input - other| <= atol + rtol |other|`` everywhere (broadcast), as
    ``torch.allclose`` and ``np.allclose`` (same defaults)."""
    a = input.data if isinstance(input, Tensor) else input
    b = other.data if isinstance(other, Tensor) else other
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def numel(input: TensorLike) -> int:  # noqa: A002
    """The number of elements of ``input``, as ``torch.numel``."""
    return int(_tensor(input).data.size)


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a minigrad Tensor (Parameters are), as ``torch.is_tensor``."""
    return isinstance(obj, Tensor)


METHODS = dict(index_select=index_select, expand_as=expand_as, clone=clone, add=add,
               sub=sub, mul=mul, div=div, isnan=isnan, isinf=isinf, isfinite=isfinite,
               allclose=allclose)
