"""Function: the base of every differentiable op, built-in or user-defined.

An op is a subclass with two static methods that live side by side::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):            # np.ndarray in, np.ndarray out
            y = np.exp(x)
            ctx.save_for_backward(y)    # save only what backward needs
            return y

        @staticmethod
        def backward(ctx, grad):        # dL/dy -> dL/dx, one per input
            (y,) = ctx.saved
            return grad * y

    y = Exp.apply(x)                    # Tensors in, a Tensor out

``apply`` unwraps tensors to arrays (anything else, e.g. a Python scalar, is
passed through as a constant), runs ``forward``, and, when grad mode is on and
an input requires grad, records the context as the output's ``grad_fn`` node.
Features (pictures, anomaly checks, ...) observe ``apply`` through the
record, op and cut hooks of :mod:`minigrad.hooks`; ``apply`` knows none of them.
``backward`` returns one gradient per input (a bare array for one input, a
tuple for several, ``None`` where no gradient is needed); gradients of
broadcast inputs are summed back to the input's shape by the tape, not the op.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .hooks import cut_hooks, op_hooks, record_hooks
from .tape import grad_enabled
from .tensor import Tensor
from .versions import next_seq as _next_seq  # one clock for nodes and in-place stamps

_NUMERIC_KINDS = "biuf"
_NO_GRADS = ((), (False,), (False, False), (False, False, False))
_ndarray = np.ndarray
_new = object.__new__           # Tensor.__new__, read once


def _promote(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's promotion between two tensors' arrays (ops with ``promotes``): an
    integer or boolean array meeting a floating one takes the floating dtype (NumPy
    would give float32 + int64 -> float64); other pairs are left to NumPy (float32 +
    float64 -> float64)."""
    fa, fb = a.dtype.kind == "f", b.dtype.kind == "f"
    if fa and not fb:
        return a, b.astype(a.dtype)
    if fb and not fa:
        return a.astype(b.dtype), b
    return a, b


def _unwrap(inputs: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[bool, ...],
                                              tuple[Tensor | None, ...]]:
    """(arrays, needs grad, parents) of ``apply``'s inputs, any mix of Tensors and
    constants (a constant is passed through; it needs no grad and has no parent)."""
    arrays: list[Any] = []
    needs: list[bool] = []
    parents: list[Tensor | None] = []
    for x in inputs:            # one pass, no comprehensions (each costs a frame)
        if isinstance(x, Tensor):
            arrays.append(x.data)
            needs.append(x._rg)
            parents.append(x)
        else:
            arrays.append(x)
            needs.append(False)
            parents.append(None)
    return tuple(arrays), tuple(needs), tuple(parents)


class Context:
    """A node on the tape: the op, its parents and what forward saved.

    ``ctx.needs_input_grad[i]`` tells forward and backward whether input i
    needs a gradient. ``ctx.saved`` holds what forward kept for backward
    (``save_for_backward`` sets it); other attributes may be set freely in
    forward (e.g. ``ctx.shape``). ``fn`` (the op), ``parents`` (one Tensor or
    None per positional input) and ``seq`` are set when the node is recorded.
    ``seq`` numbers nodes in creation order: a node's parents were always made
    before it, so decreasing ``seq`` is a valid order for the reverse pass.
    A node made by a recorded in-place op also has ``replaced``: the tensor as it
    was before (nodes recorded earlier differentiate through that one; it
    survives ``release``, like the graph's shape).
    """

    __slots__ = ("fn", "parents", "needs_input_grad", "seq", "replaced", "__dict__",
                 "__weakref__")
    fn: type[Function]
    parents: tuple[Tensor | None, ...]
    needs_input_grad: tuple[bool, ...]
    seq: int
    saved: tuple[Any, ...] = ()
    freed = False

    if TYPE_CHECKING:
        # forward may keep anything else on the context (``ctx.shape = ...``)
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep ``arrays`` for backward (read back as ``ctx.saved``)."""
        self.saved = arrays

    @property
    def name(self) -> str:
        """The op's name (its class name unless the class sets ``name``)."""
        fn = getattr(self, "fn", None)
        return fn.name if fn is not None else "?"

    def release(self) -> None:
        """Drop everything forward saved (after a backward without retain_graph).

        The op, parents and ``needs_input_grad`` stay, so the graph's shape is
        still known (for pictures and for the second-backward error).
        """
        d = self.__dict__
        d.clear()
        d["freed"] = True

    def __repr__(self) -> str:
        return f"<{self.name} node>"


class Function:
    """Base class of ops; see the module docstring. ``name`` defaults to the class name."""

    name: ClassVar[str] = "Function"
    #: two Tensors of different dtypes promote as PyTorch's (``_promote``) before
    #: forward: set on the binary arithmetic ops (``+ - * / **``, maximum, minimum, @)
    promotes: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        """Compute the output array from input arrays (override)."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        """Map dL/doutput to dL/dinput, one entry per positional input (override)."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:
        """Run the op on ``inputs`` (Tensors or constants) and record it if needed.

        Returns a new Tensor. Keyword arguments go to ``forward`` unchanged and
        are not inputs (no gradient). This is the hot path of every op: keep it
        lean. One to three inputs that are all Tensors (or a Tensor and a constant)
        are unwrapped without lists, ``inputs`` itself becoming the parents tuple,
        and ``forward`` is called positionally when there are no keywords
        (``f(ctx, *arrays, **kwargs)`` cost ~280 ns against ~125 ns); other inputs
        take ``_unwrap``. With the binary ops' promotion moved here (``promotes``),
        the tiny-MLP step (8 ops) went from 71 to 47 Python calls and from 201 to 146
        C calls per step (``benchmarks/overhead_calls.py``, which also counts the
        backward and optimizer changes).
        """
        ctx = Context()
        # The common arities, all inputs Tensors, without building lists: one tuple
        # each of arrays and flags, and ``inputs`` itself is the parents tuple.
        arrays: tuple[Any, ...]
        needs: tuple[bool, ...]
        parents: tuple[Tensor | None, ...]
        n = len(inputs)
        if n == 2:
            a, b = inputs
            if not isinstance(a, Tensor):
                arrays, needs, parents = _unwrap(inputs)
            elif isinstance(b, Tensor):
                arrays = (a.data, b.data)
                if arrays[0].dtype is not arrays[1].dtype and cls.promotes:
                    arrays = _promote(*arrays)
                needs = (a._rg, b._rg)
                parents = inputs
            else:                               # x ** 2, x * 0.5: a constant second
                arrays, needs, parents = (a.data, b), (a._rg, False), (a, None)
        elif n == 1:
            a = inputs[0]
            if isinstance(a, Tensor):
                arrays, needs, parents = (a.data,), (a._rg,), inputs
            else:
                arrays, needs, parents = (a,), (False,), (None,)
        elif n == 3 and isinstance(a := inputs[0], Tensor) and \
                isinstance(b := inputs[1], Tensor) and isinstance(c := inputs[2], Tensor):
            arrays, needs, parents = (a.data, b.data, c.data), (a._rg, b._rg, c._rg), inputs
        else:
            arrays, needs, parents = _unwrap(inputs)
        record = True in needs and grad_enabled()
        ctx.needs_input_grad = needs if record else _NO_GRADS[n] if n < 4 else (False,) * n
        try:        # plain positional calls where they fit: f(ctx, *a, **kw) costs twice
            if kwargs:
                out = cls.forward(ctx, *arrays, **kwargs)
            elif n == 2:
                out = cls.forward(ctx, arrays[0], arrays[1])
            elif n == 1:
                out = cls.forward(ctx, arrays[0])
            else:
                out = cls.forward(ctx, *arrays)
        except ValueError as e:
            shapes = ", ".join(str(a.shape) for a in arrays if isinstance(a, np.ndarray))
            raise ValueError(f"{cls.name}: {e} (input shapes: {shapes})") from None
        except TypeError as e:
            kinds = ", ".join(type(a).__name__ if not isinstance(a, np.ndarray)
                              else f"array[{a.dtype}]" for a in arrays)
            raise TypeError(f"{cls.name}: unsupported inputs ({kinds}): {e}") from e
        if type(out) is not _ndarray:
            out = np.asarray(out)
        kind = out.dtype.kind
        if kind not in _NUMERIC_KINDS:
            raise TypeError(f"{cls.name}: produced a non-numeric output (dtype "
                            f"{out.dtype}); expected bool, integer or floating inputs")
        t = _new(Tensor)
        t.data = out
        t.grad = None
        t._retain = False
        t._hooks = None
        if record:
            if kind != "f":
                raise TypeError(
                    f"{cls.name}: produced a {out.dtype} output from inputs that "
                    f"require grad; differentiable ops must return floating arrays")
            ctx.fn = cls
            ctx.parents = parents
            ctx.seq = _next_seq()
            t._rg = True
            t.grad_fn = ctx
            if record_hooks:                 # minigrad.hooks: subscribers only
                for record_hook in tuple(record_hooks):
                    record_hook(ctx, inputs, t)
        else:
            ctx = None  # type: ignore[assignment]  # not recorded: op hooks get no node
            t._rg = False
            t.grad_fn = None
            if cut_hooks and True in needs:  # made under no_grad from inputs that need grad
                for cut_hook in tuple(cut_hooks):
                    cut_hook(t, inputs, "no_grad")
        if op_hooks:
            for op_hook in tuple(op_hooks):
                op_hook(ctx, inputs, t)
        return t
