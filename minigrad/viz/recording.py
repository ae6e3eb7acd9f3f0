"""Recording: what the tape alone does not keep, remembered by subscribing to the engine's seams.

Three records, each held weakly so graphs still die:

- why a tensor was cut from the graph (``"detach"`` or ``"no_grad"``, read
  by :func:`cut_reason`): a cut hook (:func:`minigrad.hooks.register_cut_hook`)
  registered when ``minigrad.viz`` is imported;
- the module call path of every op recorded inside :class:`trace_modules`
  (read by :func:`module_path`): global module forward (pre-)hooks of
  ``minigrad.nn`` push and pop the call, a record hook tags each node, and
  an op hook carries cut marks forward, all registered only inside the block;
- the norm of the gradient along every edge of reverse passes run inside
  :class:`record_grad_norms` (read by :func:`edge_norm`): a backward observer,
  registered only inside the block.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Literal, Optional, Tuple

import numpy as np

from minigrad import hooks as _hooks
from minigrad.nn import register_module_forward_hook, register_module_forward_pre_hook
from minigrad.tape import unbroadcast
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from minigrad._typing import Array
    from minigrad.function import Context
    from minigrad.hooks import RemovableHandle
    from minigrad.nn.module import Module

    #: the module calls an op was recorded in, outermost first: (module, call number)
    ModulePath = Tuple[Tuple[Module, int], ...]

# id(tensor) -> (weak reference to it, why it was cut: "detach" or "no_grad").
# Not a WeakKeyDictionary: that compares live keys with ==, elementwise for Tensors.
_CUTS: Dict[int, Tuple[Callable[[], Any], str]] = {}

# tape node -> the module call path it was recorded in: a tuple of
# (module, call number) from outermost to innermost.
_SCOPES: "weakref.WeakKeyDictionary[Any, Tuple[Tuple[Any, int], ...]]" = \
    weakref.WeakKeyDictionary()

# tape node -> (norm of dL/d(output), [norm of the gradient sent to parent i]).
_EDGE_NORMS: "weakref.WeakKeyDictionary[Any, Tuple[float, List[Optional[float]]]]" = \
    weakref.WeakKeyDictionary()


def array_norm(g: Any) -> float:
    """L2 norm of an array, summed in float64 (integer arrays are cast first)."""
    g = np.asarray(g)
    if g.dtype.kind not in "fc":
        g = g.astype(np.float64)
    return float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))


def cut_reason(t: Tensor) -> Optional[str]:
    """Why ``t`` was cut from a graph: ``"detach"``, ``"no_grad"``, or None."""
    rec = _CUTS.get(id(t))
    return rec[1] if rec is not None and rec[0]() is t else None


def _mark_cut(t: Tensor, reason: str) -> None:
    k = id(t)

    def forget(ref: weakref.ref[Tensor]) -> None:
        if _CUTS.get(k, (None,))[0] is ref:       # not a newer tensor with the same id
            del _CUTS[k]

    _CUTS[k] = (weakref.ref(t, forget), reason)


def _on_cut(output: Tensor, inputs: tuple[Any, ...], reason: str) -> None:
    _mark_cut(output, reason)


_hooks.register_cut_hook(_on_cut)     # for the life of the process: a dict store per cut


def module_path(node: Context) -> ModulePath:
    """The ``((module, call number), ...)`` path ``node`` (a Context) was recorded in; ``()``."""
    return _SCOPES.get(node, ())


def edge_norm(node: Context, index: int) -> Optional[float]:
    """Recorded norm of the gradient that ``node`` (a Context) sent to parent ``index``, or None."""
    rec = _EDGE_NORMS.get(node)
    return None if rec is None else rec[1][index]


class record_grad_norms:
    """Context manager: remember the gradient norm along every edge of reverse passes run inside.

    The norm of edge parent -> op is that of the gradient the op sent to that
    parent, summed back to the parent's shape (so for a leaf used once it is the
    norm of its ``.grad``). Costs nothing outside the ``with`` block. Read the
    norms with ``draw_graph(..., show_grad_norms=True)`` or :func:`edge_norm`.

    >>> with mg.viz.record_grad_norms():
    ...     loss.backward()
    """

    def _observe(self, node: Context, out_grad: Array,
                 parent_grads: tuple[Array | None, ...]) -> None:
        norms: list[float | None] = []
        for p, g in zip(node.parents, parent_grads):
            if p is None or g is None or not p._rg:
                norms.append(None)
                continue
            g = np.asarray(g)
            if g.shape != p.data.shape:
                g = unbroadcast(g, p.data.shape)
            norms.append(array_norm(g))
        _EDGE_NORMS[node] = (array_norm(out_grad), norms)

    def __enter__(self) -> record_grad_norms:
        self._handle = _hooks.register_backward_observer(self._observe)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self._handle.remove()
        return False


class trace_modules:
    """Context manager: tag every op recorded inside with the modules being called.

    While active it subscribes to the engine's seams: global module forward
    hooks push and pop the module being called (the pop also when ``forward``
    raises), a record hook tags each recorded node with that call path, and
    an op hook carries cut marks forward; outside the block nothing is
    registered. The tags outlive the block (and ``backward()``), so
    ``draw_graph(loss, model=net)`` can box ops by module afterwards. Nested
    blocks: the innermost one's tags win.

    Inside the block, a tensor computed without history from a detached one
    (e.g. the slice ``h0[k]`` a recurrent layer takes of a detached state) is
    marked detached too, so the TBPTT cut shows where the slice enters the
    graph. (Outside, only ``detach()`` and ``no_grad`` results are marked.)

    >>> with mg.viz.trace_modules():
    ...     loss = criterion(net(x), y)
    """

    def __init__(self) -> None:
        self.path: ModulePath = ()
        self._stack: list[ModulePath] = []
        self._calls = 0
        self._handles: list[RemovableHandle] = []

    def _enter_module(self, module: Module, args: tuple[Any, ...]) -> None:
        self._calls += 1
        self._stack.append(self.path)
        self.path = self.path + ((module, self._calls),)

    def _exit_module(self, module: Module, args: tuple[Any, ...], output: Any) -> None:
        self.path = self._stack.pop()

    def _tag(self, node: Context, inputs: tuple[Any, ...], output: Tensor) -> None:
        if self.path:
            _SCOPES[node] = self.path

    @staticmethod
    def _derive(node: Context | None, inputs: tuple[Any, ...], output: Tensor) -> None:
        """Mark an unrecorded op's output as cut when an input was (e.g. ``h0[layer]``)."""
        if node is not None or cut_reason(output) is not None:
            return
        for p in inputs:
            if isinstance(p, Tensor):
                cut = cut_reason(p)
                if cut:
                    _mark_cut(output, cut)
                    return

    def __enter__(self) -> trace_modules:
        self._handles = [
            register_module_forward_pre_hook(self._enter_module),
            register_module_forward_hook(self._exit_module, always_call=True),
            _hooks.register_record_hook(self._tag),
            _hooks.register_op_hook(self._derive),
        ]
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        for h in self._handles:
            h.remove()
        self._handles = []
        return False
