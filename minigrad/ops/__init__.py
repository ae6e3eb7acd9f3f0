"""The differentiable op set, as functions and as Tensor methods/operators.

Op families live in their own files (elementwise, reduce, shape, indexing,
matmul), forward and backward side by side. This module gives them their
public names (``mg.exp``, ``x.exp()``, ``x + y``...) and installs them on
:class:`~minigrad.tensor.Tensor`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, no_type_check

import numpy as np

from ..tensor import Tensor, as_tensor
from . import registry  # noqa: F401  (minigrad.ops.registry.ops(): every op by name)
from .elementwise import (Abs, Add, Cast, Clip, Div, Exp, Log, Maximum, Minimum, Mul,
                          Neg, Pow, Relu, Sigmoid, Sqrt, Sub, Tanh, Where)
from .einsum import Einsum, expand_ellipsis
from .indexing import GetItem
from .maths import (Acos, Asin, Atan, Ceil, Cos, Cosh, Erf, Exp2, Expm1, Floor, Log1p, Log2,
                    Log10, Round, Rsqrt, Sign, Sin, Sinh, Square, Tan, Trunc)
from .matmul import MatMul
from .pnorm import Norm
from .reduce import (CumSum, LogSoftmax, LogSumExp, Max, Mean, Min, Prod, Softmax, Std, Sum,
                     Var)
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
    """``name(a, b)``: ``op.apply(a, b)``; two Tensors of different dtypes promote as
    PyTorch's (an integer or boolean tensor meeting a floating one takes its dtype),
    which ``Function.apply`` does for ops with ``promotes`` (set here), so this
    wrapper -- also the Tensor operator -- is one call and nothing else."""
    op.promotes = True
    apply = op.apply        # bound once (reading op.apply binds a new method per call)

    def f(a: TensorLike, b: TensorLike) -> Tensor:
        return apply(a, b)
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
# the elementary functions of maths.py
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tan = _unary(Tan, "tan")
asin = _unary(Asin, "asin")
acos = _unary(Acos, "acos")
atan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
exp2 = _unary(Exp2, "exp2")
expm1 = _unary(Expm1, "expm1")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1p, "log1p")
rsqrt = _unary(Rsqrt, "rsqrt")
square = _unary(Square, "square")
erf = _unary(Erf, "erf")
sign = _unary(Sign, "sign")
floor = _unary(Floor, "floor")
ceil = _unary(Ceil, "ceil")
round = _unary(Round, "round")  # noqa: A001
trunc = _unary(Trunc, "trunc")


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
# Each takes NumPy's ``axis``/``keepdims`` and, keyword-only, PyTorch's
# ``dim``/``keepdim``; the PyTorch spelling is looked at only when given, so a
# call without it costs one test more and no extra frame.
def _torch_reduce(where: str, axis: Any, keepdims: bool, dim: Any,
                  keepdim: bool | None) -> tuple[Any, bool]:
    """``(axis, keepdims)`` from either spelling; TypeError when both name one thing."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; give one")
        axis = dim
    if keepdim is not None:
        if keepdims:
            raise TypeError(f"{where}: got both keepdims= and keepdim=; give one")
        keepdims = bool(keepdim)
    return axis, keepdims


def _torch_dim(where: str, axis: Any, default: Any, dim: Any) -> Any:
    """``axis`` or PyTorch's ``dim`` (not both: TypeError)."""
    if axis is not None and axis != default:
        raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; give one")
    return dim


def sum(x: TensorLike, axis: Axis = None, keepdims: bool = False, *,  # noqa: A001
        dim: Axis = None, keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (None: all; an int or a tuple), like ``np.sum``
    (``dim``/``keepdim``: PyTorch's names for ``axis``/``keepdims``).

    y = sum_i x_i over the reduced axes; dy/dx_i = 1, so the gradient is
    spread back over them. Shape: x's with the reduced axes removed (kept as
    size 1 with ``keepdims``).

    >>> mg.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
    tensor([4., 6.])
    """
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_reduce("sum", axis, keepdims, dim, keepdim)
    return Sum.apply(x, axis=axis if axis is None else _axis(axis), keepdims=keepdims)


def mean(x: TensorLike, axis: Axis = None, keepdims: bool = False, *,
         dim: Axis = None, keepdim: bool | None = None) -> Tensor:
    """Mean over ``axis``: y = (1/n) sum_i x_i with n the number of elements reduced;
    dy/dx_i = 1/n. Shapes and ``dim``/``keepdim`` as :func:`sum`."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_reduce("mean", axis, keepdims, dim, keepdim)
    return Mean.apply(x, axis=axis if axis is None else _axis(axis), keepdims=keepdims)


def var(x: TensorLike, dim: Axis = None, ddof: int | None = None, keepdims: bool = False,
        *, axis: Axis = None, keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Tensor:
    """Variance over the reduced axes: y = sum_i (x_i - mean)^2 / (n - ddof);
    dy/dx_i = 2 (x_i - mean) / (n - ddof). Shapes as :func:`sum`.

    The dims are given as PyTorch's ``dim`` (by position or keyword: unbiased,
    ``ddof`` 1, by default, as ``torch.var``) or NumPy's ``axis=`` (``ddof`` 0 by
    default, as ``np.var``); with neither, ``ddof`` is 0 (NumPy's reading of
    ``x.var()``). ``correction`` is PyTorch's name for ``ddof`` and ``unbiased``
    means ``correction=1`` (True) or 0; a second positional argument is ``ddof``
    (so PyTorch's ``x.var(d, True)`` reads the same).
    """
    if dim is not None or keepdim is not None or correction is not None or unbiased is not None:
        axis, keepdims = _torch_reduce("var", axis, keepdims, dim, keepdim)
        ddof = _correction("var", ddof, correction, unbiased, dim)
    return Var.apply(x, axis=_axis(axis), ddof=ddof or 0, keepdims=keepdims)


def std(x: TensorLike, dim: Axis = None, ddof: int | None = None, keepdims: bool = False,
        *, axis: Axis = None, keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Tensor:
    """Standard deviation over the reduced axes: y = sqrt(var(x, dim, ddof));
    dy/dx_i = (x_i - mean) / ((n - ddof) y). Shapes as :func:`sum`; ``dim`` (by
    position: unbiased, as PyTorch) or ``axis=`` (NumPy's ``ddof=0``), ``ddof``,
    ``keepdim``, ``correction``, ``unbiased`` as :func:`var`."""
    if dim is not None or keepdim is not None or correction is not None or unbiased is not None:
        axis, keepdims = _torch_reduce("std", axis, keepdims, dim, keepdim)
        ddof = _correction("std", ddof, correction, unbiased, dim)
    return Std.apply(x, axis=_axis(axis), ddof=ddof or 0, keepdims=keepdims)


def _correction(where: str, ddof: int | None, correction: int | None,
                unbiased: bool | None, dim: Axis) -> int:
    given = [(k, v) for k, v in (("ddof", ddof), ("correction", correction),
                                 ("unbiased", unbiased)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{where}: got {' and '.join(k for k, _ in given)}; give one")
    if unbiased is not None:
        return 1 if unbiased else 0
    if given:
        return int(given[0][1])
    return 0 if dim is None else 1


def max(x: TensorLike, dim: int | Tensor | None = None, keepdim: bool | None = None,  # noqa: A001
        *, axis: Axis = None, keepdims: bool = False) -> Any:
    """Maximum over the reduced axes; the gradient goes to the maximal elements
    (shared equally between ties). Shapes as :func:`sum`.

    With one int ``dim`` (by position, ``x.max(1)``, or keyword) it is PyTorch's:
    a pair ``(values, indices)`` (also ``.values``, ``.indices``), the gradient
    going to the element ``indices`` names (a tuple ``dim``: TypeError, as
    PyTorch). NumPy's ``axis=`` (an int, a tuple or None), or no dim, gives the
    values only, as ``np.max``. A tensor
    in place of ``dim`` is PyTorch's ``max(input, other)``: :func:`maximum`.
    """
    if dim is None and keepdim is None:     # NumPy's reading: no extra frame
        return Max.apply(x, axis=_axis(axis), keepdims=keepdims)
    return _extreme("max", Max, np.argmax, maximum, x, dim, keepdim, axis, keepdims)


def min(x: TensorLike, dim: int | Tensor | None = None, keepdim: bool | None = None,  # noqa: A001
        *, axis: Axis = None, keepdims: bool = False) -> Any:
    """Minimum over the reduced axes; the gradient goes to the minimal elements
    (shared equally between ties). Shapes as :func:`sum`; one int ``dim`` gives
    PyTorch's ``(values, indices)`` pair, ``axis=`` NumPy's values, a tensor
    ``other`` :func:`minimum`, as :func:`max`."""
    if dim is None and keepdim is None:
        return Min.apply(x, axis=_axis(axis), keepdims=keepdims)
    return _extreme("min", Min, np.argmin, minimum, x, dim, keepdim, axis, keepdims)


def _extreme(where: str, op: type[Function], arg: Callable[..., Any],
             elementwise: Callable[[TensorLike, TensorLike], Tensor], x: TensorLike,
             dim: Any, keepdim: bool | None, axis: Axis, keepdims: bool) -> Any:
    if isinstance(dim, Tensor):             # PyTorch's max(input, other): elementwise
        return elementwise(x, dim)
    if dim is not None:
        return _extreme_at(where, arg, x, axis, keepdims, dim, keepdim)
    if keepdim is not None:
        axis, keepdims = _torch_reduce(where, axis, keepdims, None, keepdim)
    return op.apply(x, axis=_axis(axis), keepdims=keepdims)


class MaxMin(NamedTuple):
    """What ``x.max(dim=d)`` / ``x.min(dim=d)`` return, as PyTorch's: the extremes
    along ``d`` (differentiable) and their int64 positions."""
    values: Tensor
    indices: Tensor


def _extreme_at(where: str, arg: Callable[..., Any], x: TensorLike, axis: Axis,
                keepdims: bool, dim: int, keepdim: bool | None) -> MaxMin:
    axis, keepdims = _torch_reduce(where, axis, keepdims, dim, keepdim)
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{where}(dim=...): expected one int dim, got {axis!r} (axis= "
                        f"reduces over several, as NumPy)")
    x = x if isinstance(x, Tensor) else as_tensor(x)
    idx = arg(x.data, axis=axis, keepdims=True)
    values = take_along_dim(x, idx, int(axis))
    if not keepdims:
        values, idx = squeeze(values, int(axis)), np.squeeze(idx, int(axis))
    return MaxMin(values, Tensor._wrap(idx.astype(np.int64, copy=False)))


def take_along_dim(x: TensorLike, indices: TensorLike, dim: int) -> Tensor:
    """``x``'s elements at ``indices`` along ``dim`` (``np.take_along_axis``; PyTorch's
    ``torch.take_along_dim`` and, with equal sides elsewhere, ``gather``): the
    output has ``indices``' shape; the gradient is scattered back (repeats add)."""
    return index_along("take_along_dim", x, indices, dim, sides_of_index=False)


def index_along(where: str, x: TensorLike, indices: TensorLike, dim: int,
                sides_of_index: bool) -> Tensor:
    """``x[..., indices[i, j, ...], ...]`` at ``dim``, the other axes indexed by their
    positions: over x's sides (``take_along_dim``: indices broadcast) or over the
    index's own (``gather``). One GetItem node, so repeats accumulate."""
    x = x if isinstance(x, Tensor) else as_tensor(x)
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer indices, got dtype {idx.dtype}")
    if idx.ndim != x.ndim:
        raise ValueError(f"{where}: indices have {idx.ndim} dims, expected "
                         f"{x.ndim} (the input's shape {x.shape})")
    d = dim % x.ndim
    if sides_of_index and any(n > m for a, (n, m) in enumerate(zip(idx.shape, x.shape))
                              if a != d):
        raise ValueError(f"{where}: index shape {idx.shape} is larger than the input's "
                         f"{x.shape} off dim {dim}")
    sides = idx.shape if sides_of_index else x.shape
    index = tuple(idx if a == d else
                  np.arange(n).reshape((1,) * a + (n,) + (1,) * (x.ndim - a - 1))
                  for a, n in enumerate(sides))
    return GetItem.apply(x, index)


def argmax(x: TensorLike, axis: int | None = None, keepdims: bool = False, *,
           dim: int | None = None, keepdim: bool | None = None) -> Tensor:
    """The int64 position of the maximum along ``axis`` (None: in the flattened
    tensor), as ``np.argmax``/``torch.argmax``; no gradient."""
    return _arg("argmax", np.argmax, x, axis, keepdims, dim, keepdim)


def argmin(x: TensorLike, axis: int | None = None, keepdims: bool = False, *,
           dim: int | None = None, keepdim: bool | None = None) -> Tensor:
    """The int64 position of the minimum along ``axis``, as :func:`argmax`."""
    return _arg("argmin", np.argmin, x, axis, keepdims, dim, keepdim)


def _arg(where: str, arg: Callable[..., Any], x: TensorLike, axis: Any, keepdims: bool,
         dim: Any, keepdim: bool | None) -> Tensor:
    axis, keepdims = _torch_reduce(where, axis, keepdims, dim, keepdim)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    out = arg(data, axis=axis, keepdims=keepdims)
    return Tensor._wrap(np.asarray(out, dtype=np.int64))


def logsumexp(x: TensorLike, axis: Axis = None, keepdims: bool = False, *,
              dim: Axis = None, keepdim: bool | None = None) -> Tensor:
    """y = log sum_i exp(x_i) over ``axis``, max-shifted (finite for inputs of +-1000);
    dy/dx_i = exp(x_i - y), a softmax. Shapes and ``dim``/``keepdim`` as :func:`sum`."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_reduce("logsumexp", axis, keepdims, dim, keepdim)
    return LogSumExp.apply(x, axis=_axis(axis), keepdims=keepdims)


def prod(x: TensorLike, axis: Axis = None, keepdims: bool = False, *,
         dim: Axis = None, keepdim: bool | None = None) -> Tensor:
    """Product over ``axis``; dy/dx_i = the product of the other elements (exact when
    some are zero). Shapes and ``dim``/``keepdim`` as :func:`sum`."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_reduce("prod", axis, keepdims, dim, keepdim)
    return Prod.apply(x, axis=_axis(axis), keepdims=keepdims)


def cumsum(x: TensorLike, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Running sums along ``axis`` (``dim``: PyTorch's name); None sums the flattened
    tensor as ``np.cumsum``. Same shape as x (flattened for None)."""
    if dim is not None:
        axis = _torch_dim("cumsum", axis, None, dim)
    if axis is None:
        return CumSum.apply(reshape(x, -1), axis=0)
    return CumSum.apply(x, axis=axis)


def norm(x: TensorLike, p: Any = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The p-norm ``(sum_i |x_i|^p)^(1/p)`` over ``dim`` (None: all elements), as
    ``torch.norm``: ``p`` a positive number, ``'fro'`` (2) or ``inf`` (``max |x_i|``).
    ``dy/dx_i = sign(x_i) |x_i|^(p-1) / y^(p-1)``, and 0 where the norm is 0 (PyTorch's
    subgradient, not 0/0); ``inf`` goes through max and abs."""
    x = x if isinstance(x, Tensor) else as_tensor(x)
    if p == "fro":
        p = 2
    if isinstance(p, str) or isinstance(p, bool) or not p > 0:
        raise ValueError(f"norm: expected p to be a positive number, 'fro' or inf, got {p!r}")
    if p == float("inf"):
        return max(abs(x), axis=_axis(dim), keepdims=keepdim)
    return Norm.apply(x, p=p, axis=_axis(dim), keepdims=keepdim)


def softmax(x: TensorLike, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """y_i = exp(x_i - m) / sum_j exp(x_j - m) along ``axis`` (m = max, so it never
    overflows); dL/dx = y * (g - sum(g * y)). Same shape as x. ``dim``: PyTorch's
    name for ``axis``."""
    if dim is not None:
        axis = _torch_dim("softmax", axis, -1, dim)
    return Softmax.apply(x, axis=axis)


def log_softmax(x: TensorLike, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """y_i = x_i - m - log sum_j exp(x_j - m) along ``axis`` (m = max: finite for
    inputs of +-1000); dL/dx = g - softmax(x) sum(g). Same shape as x. ``dim``:
    PyTorch's name for ``axis``."""
    if dim is not None:
        axis = _torch_dim("log_softmax", axis, -1, dim)
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
    """Exactly two ints ``d0, d1`` swap those two axes (PyTorch's ``transpose``, also
    on a 2-D tensor); otherwise axes are permuted like ``np.transpose``: none
    reverses them, a full permutation (a tuple, or three or more ints) reorders them."""
    if len(axes) == 2 and isinstance(axes[0], (int, np.integer)) \
            and isinstance(axes[1], (int, np.integer)):
        x = x if isinstance(x, Tensor) else as_tensor(x)
        return swapaxes(x, int(axes[0]), int(axes[1]))
    axes = _shape_args(axes)
    return Transpose.apply(x, axes=axes or None)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (a :func:`transpose`)."""
    ndim = x.ndim
    bound = ndim or 1               # a 0-D tensor accepts dims 0 and -1, as PyTorch
    for a in (axis1, axis2):
        if not -bound <= a < bound:
            raise IndexError(f"transpose: dimension {a} out of range for a {ndim}-D tensor "
                             f"(shape {x.shape})")
    if ndim == 0:
        return x
    axes = list(range(ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return Transpose.apply(x, axes=tuple(axes))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` (all, by default) into one."""
    shape = x.shape
    if not shape:
        return reshape(x, 1)
    s, e = start_dim % len(shape), end_dim % len(shape)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"for a {len(shape)}-D input of shape {shape}")
    merged = 1
    for n in shape[s:e + 1]:          # (not -1: a size-0 axis leaves -1 undetermined)
        merged *= n
    return reshape(x, shape[:s] + (merged,) + shape[e + 1:])


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None, *,
            dim: int | Sequence[int] | None = None) -> Tensor:
    """Remove size-1 axes (all of them, or the given ones; ``dim``: PyTorch's name)."""
    if dim is not None:
        axis = _torch_dim("squeeze", axis, None, dim)
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


def unsqueeze(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Insert a size-1 axis at ``axis`` (``dim``: PyTorch's name; one is required)."""
    if dim is not None:
        axis = _torch_dim("unsqueeze", axis, None, dim)
    if axis is None:
        raise TypeError("unsqueeze: expected the position of the new axis (axis= or dim=)")
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


def expand(x: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """Broadcast ``x`` to ``shape`` (-1 keeps an axis), like ``torch.expand``."""
    shape = _shape_args(shape)
    lead = len(shape) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return Expand.apply(x, shape=shape)


def concatenate(tensors: Sequence[TensorLike], axis: int = 0, *,
                dim: int | None = None) -> Tensor:
    """Join tensors along an existing ``axis`` (shapes equal elsewhere), like
    ``np.concatenate``; the gradient is split back at the same boundaries.
    ``dim``: PyTorch's name for ``axis``."""
    if dim is not None:
        axis = _torch_dim("concatenate", axis, 0, dim)
    return Concatenate.apply(*tensors, axis=axis)


def cat(tensors: Sequence[TensorLike], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """PyTorch's name for :func:`concatenate`: join along an existing ``dim``."""
    if axis is not None:
        dim = _torch_dim("cat", dim, 0, axis)
    return Concatenate.apply(*tensors, axis=dim)


def stack(tensors: Sequence[TensorLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join equally shaped tensors along a new ``axis``, like ``np.stack``; each
    gets its slice of the gradient back. ``dim``: PyTorch's name for ``axis``."""
    if dim is not None:
        axis = _torch_dim("stack", axis, 0, dim)
    return Stack.apply(*tensors, axis=axis)


def einsum(equation: str, *operands: TensorLike | Sequence[TensorLike]) -> Tensor:
    """``torch.einsum`` / ``np.einsum``: e.g. ``einsum('bij,bjk->bik', a, b)`` (operands
    also as one list). Each operand's letters name its axes; letters missing from the
    output are summed; a letter repeated in one operand takes its diagonal
    (``'ii->'``: the trace); ``...`` stands for the remaining axes (broadcast between
    operands). Differentiable for every operand (see minigrad/ops/einsum.py)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: expected the equation first, got {type(equation).__name__}")
    xs = [x if isinstance(x, Tensor) else as_tensor(x)  # type: ignore[arg-type]
          for x in operands]
    equation, shapes = expand_ellipsis(equation, [x.shape for x in xs])
    xs = [x if shape is None else reshape(x, shape) for x, shape in zip(xs, shapes)]
    return Einsum.apply(*xs, equation=equation)


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
    compare.__name__ = compare.__qualname__ = ufunc.__name__
    compare.__doc__ = (f"Elementwise ``np.{ufunc.__name__}`` of two tensors (or a tensor and "
                       f"an array or number), broadcast: a boolean tensor with no history.")
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
                   astype=astype, argmax=argmax, argmin=argmin, logsumexp=logsumexp,
                   prod=prod, cumsum=cumsum, norm=norm)
    methods.update((f.__name__, f) for f in (sin, cos, tan, asin, acos, atan, sinh, cosh, exp2, expm1, log2, log10, log1p, rsqrt, square, erf, sign, floor, ceil, round, trunc))
    methods.update(spellings.METHODS)
    methods.update(tensor_functions.METHODS)
    methods.update((f.__name__, f) for f in (selection.tril, selection.triu, selection.gather,
                                             selection.masked_fill, selection.sort,
                                             selection.topk, selection.multinomial))
    for name, uf in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                     ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)]:
        methods[name] = getattr(T, f"__{name}__")
    for name, f in methods.items():
        setattr(T, name, f)
    T.pow = pow
    T.T = property(lambda self: transpose(self), doc="The transpose: axes reversed.")
    T.device = property(lambda self: CPU, doc="Where the data lives: always the CPU "
                                              "(``mg.device('cpu')``).")
    T.__abs__ = abs


from ..device import CPU  # noqa: E402
from . import selection, spellings, tensor_functions  # noqa: E402  (built from the above)

_install()

from . import inplace  # noqa: E402  (built on the ops above)

inplace.install()
