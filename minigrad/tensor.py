"""Tensor: an ``np.ndarray`` plus what autodiff needs.

``data`` is the array, ``grad`` the accumulated gradient (an array or None),
``grad_fn`` the node on the tape that produced it (None for leaves). Operators
and differentiable methods are installed by :mod:`minigrad.ops`, where each
op's forward and backward live together.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes, tape, versions
from .hooks import cut_hooks
from .size import Size

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ._typing import Array, ArrayLike, Axis, DTypeLike, Index, Shape, TensorLike
    from .device import device as Device
    from .function import Context

    #: a gradient hook: dL/dtensor in, None or a replacement array out
    Hook = Callable[[Array], Array | None]


def _as_array(data: TensorLike, dtype: DTypeLike | None = None, copy: bool = False,
              where: str = "tensor") -> Array:
    """Array-like -> ndarray; Python floats/lists get the default dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        arr = np.array(data, dtype=dtype, copy=True) if copy else np.asarray(data, dtype=dtype)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except (ValueError, TypeError) as e:
            raise TypeError(f"{where}: cannot convert {type(data).__name__} to a "
                            f"numeric array ({e})") from None
        if arr.dtype.kind not in "biuf":
            got = "None" if data is None else type(data).__name__
            held = f" (whose values make dtype {arr.dtype})" if arr.ndim else ""
            raise TypeError(f"{where}: expected data to be a number, a nested list of "
                            f"numbers or a numeric array, got {got}{held}")
        if dtype is None and arr.dtype.kind == "f":
            arr = arr.astype(dtypes.get_default_dtype(), copy=False)
    dtypes.check_numeric(arr, where)
    return arr


class Tensor:
    """A multi-dimensional array that can record the ops applied to it.

    ``data``: the ``np.ndarray``; ``grad``: the accumulated dL/dself (an array
    of ``data``'s shape and dtype, or None); ``grad_fn``: the tape node of the
    op that made it (None for leaves); ``requires_grad``. Make tensors with
    :func:`minigrad.tensor` or the factories rather than calling the class.

    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("data", "grad", "_rg", "grad_fn", "_retain", "_hooks", "__weakref__")
    __array_ufunc__ = None          # make NumPy defer to our reflected operators
    __array_priority__ = 1000
    data: Array
    grad: Array | None
    grad_fn: Context | None
    _rg: bool
    _retain: bool
    _hooks: list[Hook] | None

    def __init__(self, data: TensorLike, requires_grad: bool = False,
                 dtype: DTypeLike | None = None) -> None:
        self.data = _as_array(data, dtype, where="Tensor")
        self.grad = None
        self.grad_fn = None
        self._retain = False
        self._hooks = None
        self._rg = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, array: Array, requires_grad: bool = False) -> Tensor:
        """Fast internal constructor: no validation or copy."""
        t = cls.__new__(cls)
        t.data = array
        t.grad = None
        t.grad_fn = None
        t._retain = False
        t._hooks = None
        t._rg = requires_grad
        return t

    if TYPE_CHECKING:
        # The operators and methods that minigrad.ops installs at import (see
        # _install there), declared for type checkers only: nothing here exists at
        # run time. tests/test_types.py checks these against what is installed.
        def __add__(self, other: TensorLike) -> Tensor: ...
        def __radd__(self, other: TensorLike) -> Tensor: ...
        def __sub__(self, other: TensorLike) -> Tensor: ...
        def __rsub__(self, other: TensorLike) -> Tensor: ...
        def __mul__(self, other: TensorLike) -> Tensor: ...
        def __rmul__(self, other: TensorLike) -> Tensor: ...
        def __truediv__(self, other: TensorLike) -> Tensor: ...
        def __rtruediv__(self, other: TensorLike) -> Tensor: ...
        def __pow__(self, other: TensorLike) -> Tensor: ...
        def __rpow__(self, other: TensorLike) -> Tensor: ...
        def __matmul__(self, other: TensorLike) -> Tensor: ...
        def __rmatmul__(self, other: TensorLike) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __getitem__(self, index: Index) -> Tensor: ...
        # comparisons give bool tensors (no gradient), as NumPy's do
        def __lt__(self, other: TensorLike) -> Tensor: ...
        def __le__(self, other: TensorLike) -> Tensor: ...
        def __gt__(self, other: TensorLike) -> Tensor: ...
        def __ge__(self, other: TensorLike) -> Tensor: ...
        def __eq__(self, other: object) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: object) -> Tensor: ...  # type: ignore[override]

        def exp(self) -> Tensor: ...
        def log(self) -> Tensor: ...
        def sqrt(self) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def tanh(self) -> Tensor: ...
        def sigmoid(self) -> Tensor: ...
        def relu(self) -> Tensor: ...
        def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor: ...
        def matmul(self, b: TensorLike) -> Tensor: ...
        def pow(self, b: TensorLike) -> Tensor: ...
        def astype(self, dtype: DTypeLike) -> Tensor: ...
        def sin(self) -> Tensor: ...
        def cos(self) -> Tensor: ...
        def tan(self) -> Tensor: ...
        def asin(self) -> Tensor: ...
        def acos(self) -> Tensor: ...
        def atan(self) -> Tensor: ...
        def sinh(self) -> Tensor: ...
        def cosh(self) -> Tensor: ...
        def exp2(self) -> Tensor: ...
        def expm1(self) -> Tensor: ...
        def log2(self) -> Tensor: ...
        def log10(self) -> Tensor: ...
        def log1p(self) -> Tensor: ...
        def rsqrt(self) -> Tensor: ...
        def square(self) -> Tensor: ...
        def erf(self) -> Tensor: ...
        def sign(self) -> Tensor: ...
        def floor(self) -> Tensor: ...
        def ceil(self) -> Tensor: ...
        def round(self) -> Tensor: ...
        def trunc(self) -> Tensor: ...

        # reductions: NumPy's axis/keepdims, or PyTorch's dim/keepdim (keywords)
        def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                keepdim: bool | None = None) -> Tensor: ...
        def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                 keepdim: bool | None = None) -> Tensor: ...
        # with one int dim (by position too): a (values, indices) pair (minigrad.ops.MaxMin)
        def max(self, dim: int | Tensor | None = None, keepdim: bool | None = None, *,
                axis: Axis = None, keepdims: bool = False) -> Any: ...
        def min(self, dim: int | Tensor | None = None, keepdim: bool | None = None, *,
                axis: Axis = None, keepdims: bool = False) -> Any: ...
        def argmax(self, axis: int | None = None, keepdims: bool = False, *,
                   dim: int | None = None, keepdim: bool | None = None) -> Tensor: ...
        def argmin(self, axis: int | None = None, keepdims: bool = False, *,
                   dim: int | None = None, keepdim: bool | None = None) -> Tensor: ...
        # dim (by position too): unbiased as PyTorch; axis=: NumPy's ddof=0
        def var(self, dim: Axis = None, ddof: int | None = None, keepdims: bool = False, *,
                axis: Axis = None, keepdim: bool | None = None, correction: int | None = None,
                unbiased: bool | None = None) -> Tensor: ...
        def std(self, dim: Axis = None, ddof: int | None = None, keepdims: bool = False, *,
                axis: Axis = None, keepdim: bool | None = None, correction: int | None = None,
                unbiased: bool | None = None) -> Tensor: ...
        def logsumexp(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                      keepdim: bool | None = None) -> Tensor: ...
        def prod(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                 keepdim: bool | None = None) -> Tensor: ...
        def cumsum(self, axis: int | None = None, *, dim: int | None = None) -> Tensor: ...
        def norm(self, p: Any = 2, dim: Axis = None, keepdim: bool = False) -> Tensor: ...
        def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor: ...
        def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor: ...

        def reshape(self, *shape: int | Sequence[int]) -> Tensor: ...
        def transpose(self, *axes: int | Sequence[int]) -> Tensor: ...
        def swapaxes(self, axis1: int, axis2: int) -> Tensor: ...
        def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor: ...
        def squeeze(self, axis: int | Sequence[int] | None = None, *,
                    dim: int | Sequence[int] | None = None) -> Tensor: ...
        def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor: ...
        def expand(self, *shape: int | Sequence[int]) -> Tensor: ...

        # PyTorch's spellings (minigrad/ops/spellings.py)
        def view(self, *shape: int | Sequence[int] | DTypeLike) -> Tensor: ...
        def view_as(self, other: Tensor) -> Tensor: ...
        def reshape_as(self, other: Tensor) -> Tensor: ...
        def t(self) -> Tensor: ...
        def contiguous(self) -> Tensor: ...
        def permute(self, *dims: int | Sequence[int]) -> Tensor: ...
        def narrow(self, dim: int, start: int, length: int) -> Tensor: ...
        def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0
                  ) -> tuple[Tensor, ...]: ...
        def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]: ...
        def repeat(self, *sizes: int | Sequence[int]) -> Tensor: ...
        def clamp(self, min: ArrayLike | Tensor | None = None,
                  max: ArrayLike | Tensor | None = None) -> Tensor: ...
        def type(self, dtype: DTypeLike | None = None) -> Any: ...
        def to(self, *args: Any, dtype: DTypeLike | None = None, device: Any = None,
               non_blocking: Any = False, copy: Any = False) -> Tensor: ...
        def cpu(self) -> Tensor: ...
        def new_zeros(self, *size: int | Sequence[int], dtype: DTypeLike | None = None,
                      requires_grad: bool = False, device: Any = None) -> Tensor: ...
        def new_ones(self, *size: int | Sequence[int], dtype: DTypeLike | None = None,
                     requires_grad: bool = False, device: Any = None) -> Tensor: ...
        def new_empty(self, *size: int | Sequence[int], dtype: DTypeLike | None = None,
                      requires_grad: bool = False, device: Any = None) -> Tensor: ...
        def new_full(self, size: Sequence[int], fill_value: ArrayLike,
                     dtype: DTypeLike | None = None, requires_grad: bool = False,
                     device: Any = None) -> Tensor: ...
        def new_tensor(self, data: TensorLike, dtype: DTypeLike | None = None,
                       requires_grad: bool = False, device: Any = None) -> Tensor: ...
        # selection and masking (minigrad/ops/selection.py); sort/topk: (values, indices)
        def tril(self, diagonal: int = 0) -> Tensor: ...
        def triu(self, diagonal: int = 0) -> Tensor: ...
        def masked_fill(self, mask: TensorLike, value: ArrayLike) -> Tensor: ...
        def gather(self, dim: int, index: TensorLike) -> Tensor: ...
        def sort(self, dim: int = -1, descending: bool = False, stable: bool = False
                 ) -> Any: ...
        def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
                 ) -> Any: ...
        def multinomial(self, num_samples: int, replacement: bool = False) -> Tensor: ...
        def lt(self, b: TensorLike) -> Tensor: ...
        def le(self, b: TensorLike) -> Tensor: ...
        def gt(self, b: TensorLike) -> Tensor: ...
        def ge(self, b: TensorLike) -> Tensor: ...
        def eq(self, b: TensorLike) -> Tensor: ...
        def ne(self, b: TensorLike) -> Tensor: ...
        # more PyTorch functions (minigrad/ops/tensor_functions.py)
        def index_select(self, dim: int, index: TensorLike) -> Tensor: ...
        def expand_as(self, other: Tensor) -> Tensor: ...
        def clone(self, *, memory_format: Any = None) -> Tensor: ...
        def add(self, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor: ...
        def sub(self, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor: ...
        def mul(self, other: TensorLike) -> Tensor: ...
        def div(self, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor: ...
        def isnan(self) -> Tensor: ...
        def isinf(self) -> Tensor: ...
        def isfinite(self) -> Tensor: ...
        def allclose(self, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
                     equal_nan: bool = False) -> bool: ...

        # in place (minigrad/ops/inplace.py): change self, bump its version, return self
        def add_(self, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor: ...
        def sub_(self, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor: ...
        def mul_(self, other: TensorLike) -> Tensor: ...
        def div_(self, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor: ...
        def pow_(self, exponent: TensorLike) -> Tensor: ...
        def clamp_(self, min: ArrayLike | Tensor | None = None,
                   max: ArrayLike | Tensor | None = None) -> Tensor: ...
        def masked_fill_(self, mask: TensorLike, value: ArrayLike) -> Tensor: ...
        def zero_(self) -> Tensor: ...
        def fill_(self, value: TensorLike) -> Tensor: ...
        def copy_(self, src: TensorLike, non_blocking: bool = False) -> Tensor: ...
        def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor: ...
        def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor: ...
        def __iadd__(self, other: TensorLike) -> Tensor: ...
        def __isub__(self, other: TensorLike) -> Tensor: ...
        def __imul__(self, other: TensorLike) -> Tensor: ...
        def __itruediv__(self, other: TensorLike) -> Tensor: ...
        def __ipow__(self, other: TensorLike) -> Tensor: ...
        def __setitem__(self, index: Index, value: TensorLike) -> None: ...

        @property
        def T(self) -> Tensor: ...
        @property
        def device(self) -> Device: ...

    # ---------------------------------------------------------------- flags
    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded so gradients can reach it.

        Only floating tensors may require grad; it can be switched off only
        on a leaf (use ``detach()`` otherwise)."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = bool(flag)
        if flag and self.data.dtype.kind != "f":
            raise dtypes.DTypeError(f"only floating-point tensors can require grad, "
                                    f"got dtype {self.data.dtype}")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf "
                               "tensor; use .detach() for a non-leaf")
        self._rg = flag

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = flag
        return self

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had (shared with every
        tensor and view over the same memory; see :mod:`minigrad.versions`)."""
        return versions.version(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (``grad_fn`` is None)."""
        return self.grad_fn is None

    # ------------------------------------------------------------ properties
    @property
    def shape(self) -> Shape:
        """The array's shape (a tuple)."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the data (``mg.float32``, ``mg.float64``, ...)."""
        return self.data.dtype

    @property
    def size(self) -> SizeAttribute:
        """The number of elements (as ``np.ndarray.size``), an int that can also be
        called as PyTorch's method: ``x.size()`` is the shape, ``x.size(d)`` its
        entry ``d`` (negative counts from the end)."""
        return SizeAttribute(self.data.shape)

    def dim(self) -> int:
        """The number of axes (PyTorch's name for ``ndim``)."""
        return self.data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """Iterate over the first axis (each item a differentiable ``self[i]``)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def numpy(self) -> Array:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The single element as a Python number (ValueError unless there is one)."""
        if self.data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, "
                             f"got shape {self.data.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with shape "
                             f"{self.data.shape} is ambiguous")
        return bool(self.data.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != dtypes.get_default_dtype():
            extra += f", dtype={self.data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}>"
        elif self._rg:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # --------------------------------------------------------------- autodiff
    def detach(self) -> Tensor:
        """A tensor sharing this data with no history: the cut that TBPTT makes."""
        t = Tensor._wrap(self.data)
        if cut_hooks:                   # minigrad.hooks: subscribers only
            for hook in tuple(cut_hooks):
                hook(t, (self,), "detach")
        return t

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._rg:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retain = True
        return self

    def register_hook(self, fn: Hook) -> _HookHandle:
        """Call ``fn(grad)`` with dL/dself during backward; a returned array replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _HookHandle(self, fn)

    def backward(self, grad: TensorLike | None = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        grad: dL/dself, a Tensor or array of self's shape; may be omitted for a
        one-element tensor (taken as 1). Without ``retain_graph`` the nodes
        walked release their saved arrays.
        """
        if not self._rg:
            raise RuntimeError(
                "backward() on a tensor that does not require grad and has no "
                "grad_fn: did an input set requires_grad=True, and was the "
                "graph built outside no_grad()?")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without grad is only defined for a scalar "
                    f"(one-element) output, got shape {self.data.shape}; pass "
                    f"grad=<array of that shape>")
            one = _ONES.get(self.data.dtype)       # (_one's lookup, without its call)
            grad = (one if one is not None else _one(self.data.dtype)).reshape(self.data.shape)
        else:
            grad = _as_array(grad, where="backward(grad)")
            if grad.shape != self.data.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape}, "
                                 f"expected the tensor's shape {self.data.shape}")
            grad = grad.astype(self.data.dtype, copy=False)
        tape.run_backward([self], [grad], retain_graph=retain_graph)

    if TYPE_CHECKING:
        # PyTorch's dtype conversions (minigrad/ops/spellings.py). Named like the
        # builtins, so they are declared last: annotations above mean the builtins.
        def float(self) -> Tensor: ...
        def double(self) -> Tensor: ...
        def long(self) -> Tensor: ...
        def int(self) -> Tensor: ...
        def bool(self) -> Tensor: ...


class SizeAttribute(int):
    """A tensor's number of elements (an ``int``) that, called, gives its shape.

    ``x.size == 6`` as NumPy's attribute; ``x.size() == (2, 3)`` (an
    :class:`mg.Size <minigrad.size.Size>`, as PyTorch's ``torch.Size``) and
    ``x.size(-1) == 3`` as PyTorch's method.
    Arithmetic on it gives plain ints.
    """

    shape: Shape

    def __new__(cls, shape: Shape) -> SizeAttribute:
        n = 1
        for side in shape:
            n *= side
        self = super().__new__(cls, n)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self.shape)
        ndim = len(self.shape)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"size(dim): expected an int dim, got {type(dim).__name__}")
        if not -ndim <= dim < ndim:
            raise IndexError(f"size({dim}): dimension out of range (expected one of "
                             f"[{-ndim}, {ndim - 1}] for shape {self.shape})")
        return self.shape[dim]


_ONES: dict[np.dtype[Any], Array] = {}


def _one(dtype: np.dtype[Any]) -> Array:
    """A read-only 0-d array holding 1 of ``dtype`` (the seed of ``backward()``)."""
    one = _ONES.get(dtype)
    if one is None:
        one = _ONES[dtype] = np.ones((), dtype)
        one.flags.writeable = False
    return one


class _HookHandle:
    def __init__(self, tensor: Tensor, fn: Hook) -> None:
        self._tensor, self._fn = tensor, fn

    def remove(self) -> None:
        hooks = self._tensor._hooks
        if hooks and self._fn in hooks:
            hooks.remove(self._fn)


def as_tensor(data: TensorLike, dtype: DTypeLike | None = None, *,
              copy: bool | None = None) -> Tensor:
    """``data`` as a Tensor, sharing memory unless told or forced to copy.

    ``copy`` follows ``np.asarray``'s rule (NumPy 2):

    - ``None`` (default): no copy when none is needed. A Tensor is returned
      as is (or converted with the differentiable ``astype`` when ``dtype``
      differs, so its history is kept); an ``np.ndarray`` is wrapped, sharing
      its memory (writes to one show in the other); a scalar or (nested) list
      becomes a new array (Python floats get the default dtype).
    - ``False``: never copy; ``ValueError`` when a copy would be needed
      (a dtype change, or a list).
    - ``True``: always a fresh array; for a Tensor, a new leaf without history
      (as :func:`tensor`).

    The result requires grad only when ``data`` is a Tensor that does.

    >>> a = np.zeros(3, np.float32)
    >>> t = mg.as_tensor(a); a[0] = 1.0; float(t[0].item())
    1.0
    """
    if copy is not None and not isinstance(copy, bool):
        raise TypeError(f"as_tensor: copy must be None, True or False, got {copy!r}")
    want = None if dtype is None else np.dtype(dtype)
    if isinstance(data, Tensor):
        if copy:
            return tensor(data.data, dtype=want)
        if want is None or want == data.data.dtype:
            return data
        if copy is False:
            raise ValueError(f"as_tensor: converting {data.data.dtype} to {want} needs a "
                             f"copy, but copy=False")
        return data.astype(want)
    if copy is False:
        if not isinstance(data, (np.ndarray, np.generic)):
            raise ValueError(f"as_tensor: a {type(data).__name__} must be copied into a "
                             f"new array, but copy=False")
        if want is not None and want != data.dtype:
            raise ValueError(f"as_tensor: converting {data.dtype} to {want} needs a "
                             f"copy, but copy=False")
    return Tensor._wrap(_as_array(data, want, copy=bool(copy), where="as_tensor()"))


def tensor_arg(x: TensorLike, where: str, what: str = "input",
               arrays_only: bool = True) -> Tensor:
    """An argument of ``where`` as a Tensor (:func:`as_tensor`), or a clear TypeError.

    With ``arrays_only`` only Tensors and NumPy arrays are accepted (what
    layers and the functional API take); otherwise anything ``as_tensor``
    converts (lists, scalars).
    """
    if isinstance(x, Tensor):
        return x
    if arrays_only and not isinstance(x, (np.ndarray, np.generic)):
        raise TypeError(f"{where}: expected {what} to be a Tensor or an array, got "
                        f"{type(x).__name__}")
    try:
        return as_tensor(x)
    except TypeError as e:
        raise TypeError(f"{where}: expected {what} to be a Tensor or an array, {e}") from None


def tensor(data: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    A Python float or list gets the default dtype; a NumPy array keeps its dtype.
    """
    t = Tensor._wrap(_as_array(data, dtype, copy=True, where="tensor()"))
    if requires_grad:
        t.requires_grad = True
    return t
