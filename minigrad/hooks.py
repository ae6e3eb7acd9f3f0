"""Engine seams: where features subscribe to the tape without the engine knowing them.

Five kinds of hook, each a plain function registered here and called by the
engine at one point. Nothing is called, and nothing costs more than a list's
truthiness check per op, while none is registered. Every ``register_*``
returns a :class:`RemovableHandle` (``handle.remove()``, or use it as a
context manager).

=========================  ======================================  ==========================
hook                       called as                               when
=========================  ======================================  ==========================
record hook                ``fn(node, inputs, output)``            an op is recorded on the
                                                                   tape (``node`` is its
                                                                   :class:`~minigrad.function.Context`)
op hook                    ``fn(node, inputs, output)``            every op applied, recorded
                                                                   or not (``node`` is None
                                                                   when not recorded)
cut hook                   ``fn(output, inputs, reason)``          a tensor is cut from the
                                                                   graph: ``reason`` is
                                                                   ``"detach"`` or ``"no_grad"``
backward observer          ``fn(node, grad_output, grad_inputs)``  per node of a reverse pass,
                                                                   after its backward ran
backward pass hook         ``fn(phase, roots, inputs)``            a reverse pass begins
                                                                   (``"begin"``) or has
                                                                   accumulated every
                                                                   gradient (``"end"``)
=========================  ======================================  ==========================

``inputs`` is the tuple of positional inputs given to ``Function.apply``
(Tensors or constants); for ``"detach"`` it is ``(source,)``. A ``"no_grad"``
cut is an op run with grad mode off on inputs at least one of which requires
grad. ``grad_output`` is dL/d(node's output); ``grad_inputs`` is the tuple the
op's backward returned (one entry per parent, ``None`` allowed), before the
tape sums it back over broadcast axes. For a backward pass hook, ``roots`` are
the tensors differentiated and ``inputs`` is None for ``backward()`` (gradients
accumulated into ``.grad``) or the tensors ``mg.autograd.grad`` returns
gradients for (no ``.grad`` touched); ``"end"`` comes after every ``.grad`` is
written (a pass that raises has no ``"end"``). Hooks must not change the arrays they
are given. Hooks are called in registration order; one registered while the
engine is calling hooks is called from the next event on.

>>> import minigrad as mg
>>> seen = []
>>> with mg.hooks.register_record_hook(lambda node, inputs, out: seen.append(node.name)):
...     y = (mg.ones(2, requires_grad=True) * 3).sum()
>>> seen
['Mul', 'Sum']

This module imports nothing from minigrad: the engine (``function``,
``tensor``, ``tape``) reads the lists below directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TypeVar

    from ._typing import Array
    from .function import Context
    from .tensor import Tensor

    RecordHook = Callable[[Context, tuple[Any, ...], Tensor], object]
    OpHook = Callable[[Context | None, tuple[Any, ...], Tensor], object]
    CutHook = Callable[[Tensor, tuple[Any, ...], str], object]
    BackwardObserver = Callable[[Context, Array, tuple[Array | None, ...]], object]
    BackwardPassHook = Callable[[str, Sequence[Tensor], Sequence[Tensor] | None], object]
    _H = TypeVar("_H", bound=Callable[..., object])

__all__ = ["RemovableHandle", "register_record_hook", "register_op_hook",
           "register_cut_hook", "register_backward_observer", "register_backward_pass_hook"]

# The engine reads these lists; they are only ever mutated in place.
record_hooks: list[RecordHook] = []
op_hooks: list[OpHook] = []
cut_hooks: list[CutHook] = []
backward_observers: list[BackwardObserver] = []
backward_pass_hooks: list[BackwardPassHook] = []


class RemovableHandle:
    """Returned by every ``register_*``: ``remove()`` unregisters (idempotent).

    Also a context manager that removes the hook on exit::

        with mg.hooks.register_backward_observer(fn):
            loss.backward()
    """

    __slots__ = ("_registry", "_fn")
    _registry: list[Any] | None         # None once removed
    _fn: object                         # the registered hook (or its record)

    def __init__(self, registry: list[Any], fn: object) -> None:
        self._registry, self._fn = registry, fn

    def remove(self) -> None:
        """Unregister the hook; calling it again does nothing."""
        registry, self._registry = self._registry, None
        if registry is None:
            return
        for i, f in enumerate(registry):
            if f is self._fn:
                del registry[i]
                return

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self.remove()
        return False


def _register(registry: list[_H], fn: _H, what: str) -> RemovableHandle:
    if not callable(fn):
        raise TypeError(f"{what}: expected a callable, got {type(fn).__name__}")
    registry.append(fn)
    return RemovableHandle(registry, fn)


def register_record_hook(fn: RecordHook) -> RemovableHandle:
    """Call ``fn(node, inputs, output)`` each time an op is recorded on the tape."""
    return _register(record_hooks, fn, "register_record_hook")


def register_op_hook(fn: OpHook) -> RemovableHandle:
    """Call ``fn(node, inputs, output)`` after every op; ``node`` is None if not recorded."""
    return _register(op_hooks, fn, "register_op_hook")


def register_cut_hook(fn: CutHook) -> RemovableHandle:
    """Call ``fn(output, inputs, reason)`` when a tensor is cut from the graph.

    ``reason``: ``"detach"`` (``Tensor.detach()``; ``inputs`` is ``(source,)``)
    or ``"no_grad"`` (an op under ``no_grad()`` on an input that requires grad).
    """
    return _register(cut_hooks, fn, "register_cut_hook")


def register_backward_observer(fn: BackwardObserver) -> RemovableHandle:
    """Call ``fn(node, grad_output, grad_inputs)`` for each node of every reverse pass."""
    return _register(backward_observers, fn, "register_backward_observer")


def register_backward_pass_hook(fn: BackwardPassHook) -> RemovableHandle:
    """Call ``fn(phase, roots, inputs)`` when a reverse pass begins and when it has ended.

    ``phase`` is ``"begin"`` (before any node's backward) or ``"end"`` (after
    every gradient is accumulated into ``.grad``); ``roots`` are the tensors
    differentiated; ``inputs`` is None for ``backward()``, or the tensors that
    ``mg.autograd.grad`` returns gradients for. Together with a backward
    observer this is what gradient reduction across processes needs (count the
    edges into each parameter at ``"begin"``, reduce a parameter's gradient as
    soon as its last contribution is observed, wait for the reductions at
    ``"end"``): ``nn.parallel.DistributedDataParallel`` is built this way.
    """
    return _register(backward_pass_hooks, fn, "register_backward_pass_hook")
