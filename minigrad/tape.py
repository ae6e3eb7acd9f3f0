"""The tape: grad mode, and the reverse pass over recorded nodes.

Every differentiable op called while grad mode is on records a node (a
:class:`minigrad.function.Context`) on its output tensor's ``grad_fn``: the op,
the arrays it saved for backward and its parent tensors. The tape is therefore
the graph reachable from an output through ``grad_fn.parents``. ``backward``
orders that graph topologically (iteratively, so a chain of 100,000 ops needs
no recursion), walks it once in reverse, and accumulates gradients.

Grad mode lives in a ``contextvars.ContextVar``: every thread (and every
asyncio task) has its own, starting enabled, and reading it is the cheapest
per-thread lookup Python offers (it is read once per op).
"""
from __future__ import annotations

import contextvars
import functools
import sys
from heapq import heappop, heappush
from typing import TYPE_CHECKING, ClassVar, Literal, overload

import numpy as np

from .hooks import backward_observers, backward_pass_hooks
from .versions import changed_since, last_change, owner, version

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import ParamSpec, TypeVar

    from ._typing import Array, Shape
    from .function import Context
    from .tensor import Tensor

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

_grad_enabled = contextvars.ContextVar("minigrad_grad_enabled", default=True)
grad_enabled = _grad_enabled.get      # the per-op check (a C call, no Python frame)

def is_grad_enabled() -> bool:
    """True when ops record nodes on the tape (per thread)."""
    return _grad_enabled.get()


def set_grad_enabled(mode: bool) -> None:
    """Turn recording on or off for the current thread (prefer ``no_grad()``)."""
    _grad_enabled.set(bool(mode))


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it after."""
    mode: ClassVar[bool] = True

    def __enter__(self) -> None:
        self._prev = _grad_enabled.get()
        _grad_enabled.set(self.mode)

    def __exit__(self, *exc: object) -> Literal[False]:
        _grad_enabled.set(self._prev)
        return False

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        cls = type(self)

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with cls():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Record nothing: ops inside produce tensors without history.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False, no node recorded
    """
    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""
    mode = True


def gradient_sum(grad: Array, axis: int | tuple[int, ...], keepdims: bool = False) -> Array:
    """``np.add.reduce(grad, axis, keepdims=keepdims)`` in ``grad``'s dtype; a float32 (or
    narrower) gradient is accumulated in float64 and rounded once.

    NumPy sums over a leading axis row by row (pairwise summation only runs along
    the contiguous axis), so a float32 bias gradient over 700 rows was up to 9e-6
    off (PyTorch's: 1e-7..3e-7); accumulated in float64 it is correctly rounded.
    """
    acc = np.float64 if grad.dtype.itemsize < 8 and grad.dtype.kind == "f" else None
    # two calls, not keepdims=keepdims: NumPy's stubs type the result by a literal keepdims
    s = (np.add.reduce(grad, axis=axis, dtype=acc, keepdims=True) if keepdims
         else np.add.reduce(grad, axis=axis, dtype=acc))
    return s if acc is None else s.astype(grad.dtype)


def unbroadcast(grad: Array, shape: Shape) -> Array:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting (done once, here).

    Leading axes that broadcasting added are summed away, then axes where
    ``shape`` has size 1 but ``grad`` does not are summed with keepdims.
    Raises ValueError if ``grad`` cannot have come from broadcasting ``shape``.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = gradient_sum(grad, 0 if extra == 1 else tuple(range(extra)))
    elif extra < 0:
        raise ValueError(f"a gradient of shape {grad.shape} cannot belong to an "
                         f"input of shape {shape}")
    if grad.shape == shape:            # only leading axes were added (a bias): done
        return grad
    axes = tuple([i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1])
    if axes:
        grad = gradient_sum(grad, axes, keepdims=True)
    if grad.shape != shape:
        raise ValueError(f"a gradient of shape {grad.shape} cannot belong to an "
                         f"input of shape {shape}")
    return grad


def _freed_error(fn: Context) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time (node "
        f"'{fn.name}'): its saved arrays were freed after the first "
        f"backward. Pass retain_graph=True to the first backward() "
        f"if you need to backward through the graph again.")


@overload
def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Array],
                 retain_graph: bool = False, inputs: None = None) -> None: ...
@overload
def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Array],
                 retain_graph: bool = False, *, inputs: Sequence[Tensor]) -> list[Array]: ...
def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Array],
                 retain_graph: bool = False,
                 inputs: Sequence[Tensor] | None = None) -> list[Array] | None:
    """The reverse pass: one walk over the recorded nodes, accumulating gradients.

    roots: tensors to differentiate; root_grads: one ndarray per root (dL/droot).
    With ``inputs`` None, gradients are accumulated into ``.grad`` of leaves
    (and of tensors that called ``retain_grad()``). With ``inputs`` a list of
    tensors, their gradients are returned instead and no ``.grad`` is touched.
    Unless ``retain_graph``, every node walked releases its saved arrays.

    Order: nodes are numbered when they are recorded, and a node's parents
    always exist before it, so popping the highest number first from a heap
    of discovered nodes reaches every node after all the nodes that consume
    its output -- when its gradient is complete. That is a topological order
    without a separate sort, and no recursion. Leaves are finished last
    (hooks, then ``.grad += g``). For every parent an op returns a gradient
    for, the gradient is summed back over broadcast axes (``unbroadcast``) and
    cast to the parent's dtype here, once, so ops never do it.

    Per node the walk reads only what it needs: gradients are keyed by the tensor
    (its hash is the C object hash, ~20 ns a lookup against ~50 ns for ``id()``
    keys), ``release`` is inlined, ``unbroadcast`` is called only when the shapes
    differ, and a leaf takes a first gradient that nothing else holds without a
    copy (see ``_ALONE``). On the tiny-MLP step this and the ``apply`` changes cut
    CPU instructions per step from 511,869 to 428,370 (2.43x to 2.04x hand-written
    NumPy; ``benchmarks/overhead_calls.py --instructions``).
    """
    # Tensors are the dictionary keys (their hash is the C object hash, so this is
    # cheaper than keying by id()); the heap holds (-seq, id, tensor), the id only to
    # break a tie between two tensors of one node without comparing tensors.
    grads: dict[Tensor, Array] = {}    # tensor -> gradient accumulated so far
    heap: list[tuple[int, int, Tensor]] = []  # (-seq, id, tensor) of non-leaves to visit
    leaves: list[Tensor] = []          # leaf tensors reached, in order of discovery
    for r, g in zip(roots, root_grads):
        if r in grads:
            grads[r] = grads[r] + g
            continue
        grads[r] = g
        if r.grad_fn is None:
            leaves.append(r)
        else:
            heappush(heap, (-r.grad_fn.seq, id(r), r))
    wanted: dict[Tensor, Array | None] | None = \
        None if inputs is None else {t: None for t in inputs}
    if backward_pass_hooks:      # minigrad.hooks: the pass begins
        for h in tuple(backward_pass_hooks):
            h("begin", roots, inputs)
    obs = backward_observers     # minigrad.hooks: called per node, if any
    ndarray = np.ndarray
    while heap:
        t = heappop(heap)[2]
        g = grads.pop(t)
        if t._hooks:
            g = _run_hooks(t, g)
        if wanted is not None:
            if t in wanted:
                wanted[t] = g
        elif t._retain:
            t.grad = g.copy() if t.grad is None else t.grad + g
        fn: Context = t.grad_fn  # type: ignore[assignment]  # on the heap: not a leaf
        if fn.freed:
            raise _freed_error(fn)
        seq = fn.seq
        if seq < last_change[0]:       # something was changed in place after fn was made
            _check_saved(fn, t)
        in_grads = fn.fn.backward(fn, g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        parents = fn.parents
        if len(in_grads) != len(parents):
            raise RuntimeError(
                f"{fn.name}.backward returned {len(in_grads)} gradients for "
                f"{len(parents)} inputs")
        if obs:
            for o in tuple(obs):
                o(fn, g, in_grads)
        for p, pg in zip(parents, in_grads):
            if pg is None or p is None:
                continue
            pfn = p.grad_fn
            if pfn is not None and pfn.seq > seq:
                p = _as_of(p, seq)    # p was changed in place (recorded) after fn used it
                pfn = p.grad_fn
            if not p._rg:
                continue
            pd = p.data
            if type(pg) is not ndarray:
                pg = np.asarray(pg)
            if pg.shape != pd.shape:
                try:
                    pg = unbroadcast(pg, pd.shape)
                except ValueError as e:
                    raise RuntimeError(f"{fn.name}.backward: {e}") from None
            if pg.dtype is not pd.dtype and pg.dtype != pd.dtype:
                pg = pg.astype(pd.dtype)
            old = grads.get(p)
            if old is not None:
                grads[p] = old + pg
            else:
                grads[p] = pg
                if pfn is None:
                    leaves.append(p)
                else:
                    heappush(heap, (-pfn.seq, id(p), p))
        if not retain_graph:           # fn.release(), inlined (one call less per node)
            d = fn.__dict__
            d.clear()
            d["freed"] = True
    # no local may keep a gradient alive past here: a leaf takes the array itself as
    # its .grad when nothing else holds it (_ALONE)
    g = pg = in_grads = None          # type: ignore[assignment]
    for t in leaves:
        g = grads.pop(t)
        if t._hooks:
            g = _run_hooks(t, g)
        if wanted is not None:
            if t in wanted:
                wanted[t] = g
        elif t.grad is not None:
            t.grad = t.grad + g
        else:
            t.grad = g if (g.base is None and type(g) is ndarray
                           and _getrefcount(g) <= _ALONE) else g.copy()
    g = None                          # type: ignore[assignment]
    if backward_pass_hooks:      # minigrad.hooks: every gradient is accumulated
        for h in tuple(backward_pass_hooks):
            h("end", roots, inputs)
    if wanted is not None and inputs is not None:       # (one is None iff the other is)
        return [np.zeros_like(t.data) if (got := wanted[t]) is None else got
                for t in inputs]
    return None


# A leaf takes a gradient nothing else holds as its .grad without a copy. "Nothing
# else": a plain ndarray that owns its memory (``base`` None: not a view; a view of it
# would hold a reference to it) whose reference count is that of an array held by one
# local variable only (``_ALONE``, measured at import the same way, so an interpreter
# that counts differently still compares like with like). PyTorch's AccumulateGrad
# has the same rule (a gradient with no other owner is stolen, not cloned). An array
# an op saved, a hook or observer kept, the user holds, or that is also another
# leaf's gradient is copied as before. Saves a copy per parameter per backward (4 on
# the tiny MLP step: about 1 us of its ~58 us). Without reference counts (not
# CPython) every gradient is copied.
_getrefcount = getattr(sys, "getrefcount", lambda a: 1 << 62)


def _alone() -> int:
    g = np.empty(1)             # held by this local only, as a leaf's popped gradient
    return _getrefcount(g)


_ALONE = _alone()


def _as_of(p: Tensor, seq: int) -> Tensor:
    """The tensor ``p`` was when node ``seq`` used it, before later recorded in-place
    ops gave ``p`` a newer ``grad_fn`` (each such node keeps the version it replaced)."""
    while p.grad_fn is not None and p.grad_fn.seq > seq:
        prev = getattr(p.grad_fn, "replaced", None)
        if prev is None:
            break
        p = prev
    return p


def _check_saved(fn: Context, out: Tensor) -> None:
    """Raise if memory that ``fn`` saved for backward, belonging to its output or
    to one of its inputs, was changed in place after ``fn`` was recorded."""
    saved = {id(owner(a)) for a in _arrays(fn.saved)}
    if not saved:
        return
    roles = [("output 0", out)] + [(f"input {i}", p) for i, p in enumerate(fn.parents)]
    for role, x in roles:
        if x is None or id(owner(x.data)) not in saved or not changed_since(x.data, fn.seq):
            continue
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by "
            f"an inplace operation: [{x.data.dtype} {list(x.data.shape)}], which is "
            f"{role} of {fn.name}, is at version {version(x.data)}, changed after "
            f"{fn.name} saved it for backward. Hint: make the change out of place "
            f"(y = y + 1, not y += 1), or clone() the tensor before changing it; "
            f"call optimizer.step() after backward(), not between forward and backward.")


def _arrays(saved: object) -> list:
    """The arrays in what an op saved (``ctx.saved``): one array, or arrays inside
    tuples and lists (nested), among other values (ints, shapes, None)."""
    if isinstance(saved, np.ndarray):
        return [saved]
    if isinstance(saved, (tuple, list)):
        return [a for item in saved for a in _arrays(item)]
    return []


def _run_hooks(t: Tensor, g: Array) -> Array:
    """Call t's hooks in order; an array returned by one replaces the gradient."""
    for hook in list(t._hooks or ()):
        new = hook(g)
        if new is not None:
            new = np.asarray(new.data if hasattr(new, "grad_fn") else new)
            if new.shape != g.shape:
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a "
                                   f"gradient of shape {new.shape}, expected {g.shape}")
            g = new
    return g
