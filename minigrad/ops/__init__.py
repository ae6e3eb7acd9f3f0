"""The differentiable op set, as functions and as Tensor methods/operators.

Op families live in their own files (elementwise, reduce, shape, indexing,
matmul), forward and backward side by side. This module gives them their
public names (``mg.exp``, ``x.exp()``, ``x + y``...) and installs them on
:class:`~minigrad.tensor.Tensor`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, no_type_check

import numpy as np

from ..tensor import Tensor
from . import registry  # noqa: F401  (minigrad.ops.registry.ops(): every op by name)
from .elementwise import (Abs, Add, Cast, Clip, Div, Exp, Log, Maximum, Minimum, Mul,
                          Neg, Pow, Relu, Sigmoid, Sqrt, Sub, Tanh, Where)
from .indexing import GetItem
from .matmul import MatMul
from .reduce import LogSoftmax, Max, Mean, Min, Softmax, Std, Sum, Var
from .shape import Concatenate, Expand, Reshape, Stack, Transpose

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .._typing import Axis, DTypeLike, Index, TensorLike
    from ..function import Function


# ------------------------------------------------------------- elementwise
def _unary(op: type[Function], name: str) -> Callable[[TensorLike], Tensor]:
    def f(x: TensorLike) -> Tensor:
        return op.apply(x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = op.__doc__
    return f


def _binary(op: type[Function], name: str) -> Callable[[TensorLike, TensorLike], Tensor]:
    def f(a: TensorLike, b: TensorLike) -> Tensor:
        return op.apply(a, b)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = op.__doc__
    return f


add = _binary(Add, "add")
sub = _binary(Sub, "sub")
mul = _binary(Mul, "mul")
div = _binary(Div, "div")
pow = _binary(Pow, "pow")  # noqa: A001  (NumPy's name)
maximum = _binary(Maximum, "maximum")
minimum = _binary(Minimum, "minimum")
matmul = _binary(MatMul, "matmul")
neg = _unary(Neg, "neg")
exp = _unary(Exp, "exp")
log = _unary(Log, "log")
sqrt = _unary(Sqrt, "sqrt")
abs = _unary(Abs, "abs")  # noqa: A001
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")
relu = _unary(Relu, "relu")


def clip(x: TensorLike, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Clamp ``x`` to ``[lo, hi]``; either bound may be None."""
    return Clip.apply(x, lo=lo, hi=hi)


def where(cond: TensorLike, a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise ``a`` where ``cond`` else ``b`` (gradients flow to a and b only)."""
    if isinstance(cond, Tensor):
        cond = cond.data
    return Where.apply(np.asarray(cond, dtype=bool), a, b)


def astype(x: Tensor, dtype: DTypeLike) -> Tensor:
    """Differentiable dtype conversion."""
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    return Cast.apply(x, dtype=dtype)


# ------------------------------------------------------------- reductions
def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (None: all; an int or a tuple), like ``np.sum``.

    y = sum_i x_i over the reduced axes; dy/dx_i = 1, so the gradient is
    spread back over them. Shape: x's with the reduced axes removed (kept as
    size 1 with ``keepdims``).

    >>> mg.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
    tensor([4., 6.])
    """
    return Sum.apply(x, axis=_axis(axis), keepdims=keepdims)


def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``: y = (1/n) sum_i x_i with n the number of elements reduced;
    dy/dx_i = 1/n. Shapes as :func:`sum`."""
    return Mean.apply(x, axis=_axis(axis), keepdims=keepdims)


def var(x: TensorLike, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance over ``axis``: y = sum_i (x_i - mean)^2 / (n - ddof), as ``np.var``
    (``ddof=0`` biased, 1 unbiased); dy/dx_i = 2 (x_i - mean) / (n - ddof).
    Shapes as :func:`sum`."""
    return Var.apply(x, axis=_axis(axis), ddof=ddof, keepdims=keepdims)


def std(x: TensorLike, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation over ``axis``: y = sqrt(var(x, axis, ddof));
    dy/dx_i = (x_i - mean) / ((n - ddof) y). Shapes as :func:`sum`."""
    return Std.apply(x, axis=_axis(axis), ddof=ddof, keepdims=keepdims)


def max(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; the gradient goes to the maximal elements (shared
    equally between ties). Shapes as :func:`sum`."""
    return Max.apply(x, axis=_axis(axis), keepdims=keepdims)


def min(x: TensorLike, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; the gradient goes to the minimal elements (shared
    equally between ties). Shapes as :func:`sum`."""
    return Min.apply(x, axis=_axis(axis), keepdims=keepdims)


def softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """y_i = exp(x_i - m) / sum_j exp(x_j - m) along ``axis`` (m = max, so it never
    overflows); dL/dx = y * (g - sum(g * y)). Same shape as x."""
    return Softmax.apply(x, axis=axis)


def log_softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """y_i = x_i - m - log sum_j exp(x_j - m) along ``axis`` (m = max: finite for
    inputs of +-1000); dL/dx = g - softmax(x) sum(g). Same shape as x."""
    return LogSoftmax.apply(x, axis=axis)


def _axis(axis: Axis) -> int | tuple[int, ...] | None:
    return tuple(axis) if isinstance(axis, list) else axis


# ------------------------------------------------------------- shapes
def _shape_args(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x: TensorLike, *shape: int | Sequence[int]) -> Tensor:
    """The same elements in a new shape (``x.reshape(2, -1)`` or ``x.reshape((2, -1))``);
    the gradient is reshaped back."""
    return Reshape.apply(x, shape=_shape_args(shape))


def transpose(x: TensorLike, *axes: int | Sequence[int]) -> Tensor:
    """Permute axes like ``np.transpose``: no axes reverses them."""
    axes = _shape_args(axes)
    return Transpose.apply(x, axes=axes or None)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (a :func:`transpose`)."""
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return Transpose.apply(x, axes=tuple(axes))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` (all, by default) into one."""
    shape = x.shape
    if not shape:
        return reshape(x, 1)
    s, e = start_dim % len(shape), end_dim % len(shape)
    return reshape(x, shape[:s] + (-1,) + shape[e + 1:])


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove size-1 axes (all of them, or the given ones)."""
    shape = x.shape
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {shape[a]}, expected 1 "
                                 f"(shape {shape})")
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(x, new)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert a size-1 axis at ``axis``."""
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


def expand(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """Broadcast ``x`` to ``shape`` (-1 keeps an axis), like ``torch.expand``."""
    shape = _shape_args(shape)
    lead = len(shape) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return Expand.apply(x, shape=shape)


def concatenate(tensors: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis`` (shapes equal elsewhere), like
    ``np.concatenate``; the gradient is split back at the same boundaries."""
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """Join equally shaped tensors along a new ``axis``, like ``np.stack``; each
    gets its slice of the gradient back."""
    return Stack.apply(*tensors, axis=axis)


def getitem(x: TensorLike, index: Index) -> Tensor:
    """``x[index]`` with NumPy's basic and advanced indexing (ints, slices, None,
    Ellipsis, integer/boolean arrays or tensors). The gradient is scattered back
    into zeros of x's shape, accumulating where an index repeats (``np.add.at``)."""
    return GetItem.apply(x, _plain_index(index))


def _plain_index(index: Index) -> Any:
    """Tensors inside an index become their arrays (and lists become arrays)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray([i.data if isinstance(i, Tensor) else i for i in index])
    return index


# ------------------------------------------------------------- comparisons
def _compare(ufunc: np.ufunc) -> Callable[[TensorLike, TensorLike], Tensor]:
    def compare(a: TensorLike, b: TensorLike) -> Tensor:
        a = a.data if isinstance(a, Tensor) else a
        b = b.data if isinstance(b, Tensor) else b
        return Tensor._wrap(ufunc(a, b))
    return compare


# ------------------------------------------------------------- methods
def _swap(f: Callable[[Any, Any], Tensor]) -> Callable[[Any, Any], Tensor]:
    return lambda a, b: f(b, a)


@no_type_check      # it assigns what Tensor declares; a type checker forbids that
def _install() -> None:
    T = Tensor
    T.__add__, T.__radd__ = add, _swap(add)
    T.__sub__, T.__rsub__ = sub, _swap(sub)
    T.__mul__, T.__rmul__ = mul, _swap(mul)
    T.__truediv__, T.__rtruediv__ = div, _swap(div)
    T.__pow__, T.__rpow__ = pow, _swap(pow)
    T.__matmul__, T.__rmatmul__ = matmul, _swap(matmul)
    T.__neg__ = neg
    T.__pos__ = lambda self: self
    T.__getitem__ = getitem
    for name, uf in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                     ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)]:
        setattr(T, f"__{name}__", _compare(uf))
    methods = dict(exp=exp, log=log, sqrt=sqrt, abs=abs, tanh=tanh, sigmoid=sigmoid,
                   relu=relu, clip=clip, matmul=matmul, sum=sum, mean=mean, var=var,
                   std=std, max=max, min=min, softmax=softmax, log_softmax=log_softmax,
                   reshape=reshape, transpose=transpose, swapaxes=swapaxes,
                   flatten=flatten, squeeze=squeeze, unsqueeze=unsqueeze, expand=expand,
                   astype=astype)
    for name, f in methods.items():
        setattr(T, name, f)
    T.pow = pow
    T.T = property(lambda self: transpose(self), doc="The transpose: axes reversed.")
    T.__abs__ = abs


_install()
