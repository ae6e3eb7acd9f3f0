"""In-place ops with PyTorch's names and rules: ``add_ sub_ mul_ div_ pow_ clamp_
masked_fill_ zero_ fill_ copy_ normal_ uniform_``, the augmented operators
(``+= -= *= /= **=``) and ``x[index] = value``.

Each changes ``x.data`` itself (same array object, so views and aliases see it),
returns ``x`` and bumps the version of its memory (:mod:`minigrad.versions`), so
a node that saved that memory for backward raises instead of giving a wrong
gradient. One mechanism serves every op: the op is written once as an
out-of-place computation on the old value, and

- under ``no_grad()`` or when nothing involved requires grad, its result is
  computed without recording, checked (shape, dtype, writable memory) and copied
  into ``x.data``: a call that raises has changed nothing;
- in grad mode on a leaf that requires grad it is refused (``RuntimeError``, as
  PyTorch): change parameters under ``no_grad()`` as optimizers do;
- otherwise (``x`` is a non-leaf in the graph, or an operand requires grad) the
  computation is recorded on the tape as usual, the result is copied into
  ``x.data`` and the new node becomes ``x.grad_fn``. Nodes recorded earlier that
  used ``x`` keep differentiating through the value they saw (the new node
  remembers it as ``replaced``; the tape follows it), and arrays the new node
  saved that alias the memory being overwritten are copied first. An in-place
  change of a view (``x.data`` not owning its memory) is refused while
  recording, because other tensors over the same memory could not see it in
  their history: use the out-of-place op or change a ``clone()``.

``x.data`` is the ``np.ndarray``: writing into it with NumPy is not tracked,
the same escape hatch as PyTorch's ``.data``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, no_type_check

import numpy as np

from .. import tape
from ..random import get_rng
from ..tensor import Tensor
from ..versions import bump, next_seq, owner
from . import where
from .indexing import SetItem
from .selection import masked_fill
from .spellings import clamp

if TYPE_CHECKING:
    from .._typing import ArrayLike, Index, TensorLike

__all__ = ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "masked_fill_", "zero_",
           "fill_", "copy_", "normal_", "uniform_", "setitem"]

Compute = Callable[[Tensor], Tensor]


def _run(x: Tensor, name: str, operands: tuple[Any, ...], compute: Compute,
         casting: str = "same_kind") -> Tensor:
    """Apply the out-of-place ``compute(old) -> Tensor`` to ``x`` in place (see the
    module docstring for the three cases)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if tape.grad_enabled():
        _refuse_leaf(x, name)
        if x._rg or any(isinstance(o, Tensor) and o._rg for o in operands):
            return _recorded(x, name, compute, casting)
    with tape.no_grad():
        result = compute(Tensor._wrap(x.data)).data
    _check_fits(x, name, result, casting)
    _write(x, result)
    return x


def _write(x: Tensor, result: np.ndarray) -> None:
    """Copy ``result`` (checked by ``_check_fits``) into x's array and bump its version."""
    np.copyto(x.data, result, casting="unsafe")
    bump(x.data)


def _refuse_leaf(x: Tensor, name: str) -> None:
    if x._rg and x.grad_fn is None:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad (shape {list(x.shape)}) is "
            f"being used in an in-place operation; change it under "
            f"`with mg.no_grad():` (as optimizers do), or change a clone()")


def _recorded(x: Tensor, name: str, compute: Compute, casting: str) -> Tensor:
    if x.data.base is not None:
        raise RuntimeError(
            f"{name}: cannot record an in-place change of a tensor that is a view of "
            f"other memory (shape {list(x.shape)}): tensors sharing that memory would "
            f"not see it in their history. Use the out-of-place op (y = y * 2, not "
            f"y *= 2), or change a clone()")
    old = Tensor._wrap(x.data, x._rg)
    old.grad_fn = x.grad_fn
    r = compute(old)
    _check_fits(x, name, r.data, casting)
    node = r.grad_fn
    if node is None:                       # the result needs no gradient after all
        _write(x, r.data)
        return x
    mine = owner(x.data)
    node.saved = tuple(a.copy() if isinstance(a, np.ndarray) and owner(a) is mine else a
                       for a in node.saved)
    _write(x, r.data)
    node.seq = next_seq()                  # newer than the change it made
    node.replaced = old
    x.grad_fn = node
    x._rg = True
    return x


def _check_fits(x: Tensor, name: str, result: np.ndarray, casting: str) -> None:
    """The result must have x's shape and a dtype x can hold, and x must be writable."""
    if result.shape != x.data.shape:
        raise RuntimeError(f"{name}: the result has shape {list(result.shape)}, which does "
                           f"not fit the tensor's shape {list(x.data.shape)} (an in-place "
                           f"op cannot change the shape)")
    if not np.can_cast(result.dtype, x.data.dtype, casting=casting):  # type: ignore[arg-type]
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the "
                           f"tensor's dtype {x.data.dtype}")
    if not x.data.flags.writeable:
        raise RuntimeError(f"{name}: the tensor's memory is read-only (e.g. made by "
                           f"expand() or broadcasting); change a clone()")


def _scaled(other: Any, alpha: Any) -> Any:
    return other if alpha == 1 else other * alpha


# ------------------------------------------------------------------ the ops
def add_(x: Tensor, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor:
    """``x += alpha * other`` in place; returns ``x``."""
    return _run(x, "add_", (other,), lambda old: old + _scaled(other, alpha))


def sub_(x: Tensor, other: TensorLike, *, alpha: ArrayLike = 1) -> Tensor:
    """``x -= alpha * other`` in place; returns ``x``."""
    return _run(x, "sub_", (other,), lambda old: old - _scaled(other, alpha))


def mul_(x: Tensor, other: TensorLike) -> Tensor:
    """``x *= other`` in place; returns ``x``."""
    return _run(x, "mul_", (other,), lambda old: old * other)


def div_(x: Tensor, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor:
    """``x /= other`` in place (``rounding_mode`` None, ``'trunc'`` or ``'floor'`` as
    PyTorch's ``div``; rounded quotients have zero gradient); returns ``x``."""
    if rounding_mode not in (None, "trunc", "floor"):
        raise ValueError(f"div_: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")

    def compute(old: Tensor) -> Tensor:
        q = old / other
        if rounding_mode is None:
            return q
        return q.trunc() if rounding_mode == "trunc" else q.floor()
    return _run(x, "div_", (other,), compute,
                "same_kind" if rounding_mode is None else "unsafe")


def pow_(x: Tensor, exponent: TensorLike) -> Tensor:
    """``x **= exponent`` in place; returns ``x``."""
    return _run(x, "pow_", (exponent,), lambda old: old ** exponent)


def clamp_(x: Tensor, min: ArrayLike | Tensor | None = None,  # noqa: A002  (PyTorch's names)
           max: ArrayLike | Tensor | None = None) -> Tensor:  # noqa: A002
    """Clamp ``x`` to ``[min, max]`` in place (either may be None); returns ``x``."""
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must be given")
    return _run(x, "clamp_", (), lambda old: clamp(old, min, max))


def masked_fill_(x: Tensor, mask: TensorLike, value: ArrayLike) -> Tensor:
    """Set ``x`` to ``value`` where the boolean ``mask`` (broadcast to x) is True, in
    place; returns ``x``."""
    return _run(x, "masked_fill_", (), lambda old: masked_fill(old, mask, value), "unsafe")


def _assign(x: Tensor, name: str, values: Any) -> Tensor:
    """x's every element replaced by ``values`` (broadcast to x's shape); the
    gradient goes to ``values`` when it is a Tensor that requires grad."""
    keep = np.zeros(x.data.shape, dtype=bool)
    return _run(x, name, (values,), lambda old: where(keep, old, values), "unsafe")


def fill_(x: Tensor, value: TensorLike) -> Tensor:
    """Set every element of ``x`` to ``value`` (a number or one-element tensor); returns ``x``."""
    v = value.data if isinstance(value, Tensor) else np.asarray(value)
    if v.ndim:
        raise RuntimeError(f"fill_: expected a number or a 0-dimensional tensor, got "
                           f"shape {list(v.shape)}")
    return _assign(x, "fill_", value)


def zero_(x: Tensor) -> Tensor:
    """Set every element of ``x`` to zero; returns ``x``."""
    return _assign(x, "zero_", np.zeros((), x.data.dtype))


def copy_(x: Tensor, src: TensorLike, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to x's shape, converted to x's dtype) into ``x``;
    the gradient flows to ``src``. Returns ``x``."""
    return _assign(x, "copy_", src)


def _random(x: Tensor, name: str, draw: Callable[[np.random.Generator], np.ndarray]) -> Tensor:
    if x.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating tensor, got dtype {x.data.dtype}")
    return _assign(x, name, draw(get_rng()).astype(x.data.dtype, copy=False))


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``x`` with draws from N(mean, std^2) (minigrad's generator, so
    ``mg.manual_seed`` makes it reproducible); returns ``x``."""
    if not std >= 0:
        raise ValueError(f"normal_: expected std >= 0, got {std}")
    return _random(x, "normal_", lambda rng: rng.normal(mean, std, x.data.shape))


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``x`` with draws from U[a, b) (minigrad's generator); returns ``x``."""
    if not a <= b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
    return _random(x, "uniform_", lambda rng: rng.uniform(a, b, x.data.shape))


def setitem(x: Tensor, index: Index, value: TensorLike) -> None:
    """``x[index] = value``: an in-place write (version-counted; recorded when x is
    in the graph or ``value`` requires grad)."""
    where_: Any = index            # NumPy's index types are wider than its stubs say
    if isinstance(index, Tensor):
        where_ = index.data
    elif isinstance(index, tuple):
        where_ = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if not isinstance(x, Tensor):
        raise TypeError(f"__setitem__: expected a Tensor, got {type(x).__name__}")
    if tape.grad_enabled():
        _refuse_leaf(x, "__setitem__")
        if x._rg or (isinstance(value, Tensor) and value._rg):
            _recorded(x, "__setitem__", lambda old: SetItem.apply(old, value, index=where_),
                      "unsafe")
            return
    v = value.data if isinstance(value, Tensor) else value
    if not x.data.flags.writeable:
        raise RuntimeError("__setitem__: the tensor's memory is read-only (e.g. made by "
                           "expand() or broadcasting); change a clone()")
    try:
        x.data[where_] = v      # NumPy checks index and shape before writing
    except (ValueError, IndexError, TypeError) as e:
        raise type(e)(f"__setitem__: {e} (tensor shape {list(x.data.shape)})") from None
    bump(x.data)


def _augmented(f: Callable[[Tensor, Any], Tensor], dunder: str, symbol: str
               ) -> Callable[[Tensor, Any], Tensor]:
    def op(self: Tensor, other: Any) -> Tensor:
        return f(self, other)
    op.__name__ = op.__qualname__ = dunder
    op.__doc__ = f"``x {symbol} other`` changes x in place (:func:`{f.__name__}`)."
    return op


@no_type_check      # it assigns what Tensor declares; a type checker forbids that
def install() -> None:
    """Install the in-place methods and operators on Tensor (called by minigrad.ops)."""
    for f in (add_, sub_, mul_, div_, pow_, clamp_, masked_fill_, zero_, fill_, copy_,
              normal_, uniform_):
        setattr(Tensor, f.__name__, f)
    for f, dunder, symbol in [(add_, "__iadd__", "+="), (sub_, "__isub__", "-="),
                              (mul_, "__imul__", "*="), (div_, "__itruediv__", "/="),
                              (pow_, "__ipow__", "**=")]:
        setattr(Tensor, dunder, _augmented(f, dunder, symbol))
    Tensor.__setitem__ = setitem
