"""Tracing: walk the tape back from an output into plain nodes and edges.

Every recorded node knows its op's name and its parents, and that structure
survives ``backward()`` (only the saved arrays are freed), so a graph can be
traced before or after the reverse pass.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, List, Mapping, Optional, Sequence, Tuple, Union

from minigrad.tensor import Tensor

from .recording import cut_reason

if TYPE_CHECKING:
    from collections.abc import Iterable

    from minigrad.function import Context
    from minigrad.nn.module import Module


class Node:
    """One node of a traced graph.

    ``kind``: ``"op"``, ``"param"``, ``"input"``, ``"const"`` or ``"detached"``;
    ``name``: the op's name, the parameter's name, or the kind for other leaves;
    ``tensor``: the op's output or the leaf; ``id``: ``"n0"``, ``"n1"``, ... in
    topological order (inputs before outputs); ``cut``: why a detached leaf was
    cut (``"detach"`` or ``"no_grad"``), else None.
    """

    __slots__ = ("id", "kind", "name", "tensor", "cut")
    id: str
    kind: str
    name: str
    tensor: Tensor
    cut: str | None

    def __init__(self, id: str, kind: str, name: str, tensor: Tensor,
                 cut: str | None = None) -> None:
        self.id, self.kind, self.name, self.tensor, self.cut = id, kind, name, tensor, cut

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.data.shape)

    @property
    def dtype(self) -> str:
        return str(self.tensor.data.dtype)

    @property
    def node(self) -> Context | None:
        """The tape node (``Context``) of an op, None for a leaf."""
        return self.tensor.grad_fn

    def __repr__(self) -> str:
        return f"Node({self.id}, {self.kind}, {self.name!r}, {self.shape})"


def as_roots(root: Tensor | Iterable[Tensor], where: str) -> list[Tensor]:
    """``root`` (a Tensor or a list of them) as a list of Tensors, checked."""
    roots = [root] if isinstance(root, Tensor) else list(root)
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"{where}: expected a Tensor or a list of Tensors, got "
                            f"{type(r).__name__}")
    return roots


def param_names(params: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None,
                model: Module | None = None, where: str = "draw_graph") -> dict[int, str]:
    """id(tensor) -> name, from a dict or (name, tensor) pairs and a model's parameters."""
    names: dict[int, str] = {}
    if model is not None:
        for n, p in model.named_parameters():
            names.setdefault(id(p), n)
    if params is not None:
        items = params.items() if hasattr(params, "items") else params
        for n, t in items:
            if not isinstance(t, Tensor):
                raise TypeError(f"{where}: params['{n}'] is a {type(t).__name__}, "
                                f"expected a Tensor")
            names[id(t)] = n
    return names


def _leaf(t: Tensor, names: dict[int, str], cut: str | None) -> tuple[str, str]:
    """(kind, name) of a leaf tensor; ``cut`` is why it was cut from a graph, or None."""
    if id(t) in names:
        return "param", names[id(t)]
    if cut:
        return "detached", "detached"
    if t.data.ndim == 0 and not t._rg:
        return "const", "const"
    return "input", "input"


def _post_order(roots: list[Tensor]) -> list[Tensor]:
    """Tensors reachable from ``roots``, every parent before its children (no recursion)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        fn = t.grad_fn
        if fn is not None:
            for p in reversed(fn.parents):
                if p is not None and id(p) not in seen:
                    stack.append((p, False))
    return order


Edge = Tuple[str, str, int]


def trace(root: Union[Tensor, Sequence[Tensor]],
          params: Optional[Union[Mapping[str, Tensor], Sequence[Tuple[str, Tensor]]]] = None,
          model: Module | None = None) -> Tuple[List[Node], List[Edge]]:
    """Walk the tape back from ``root`` (a Tensor or a list of them).

    Returns ``(nodes, edges)``: ``nodes`` a list of :class:`Node` in topological
    order (every parent before its children, parents visited in argument order,
    ids ``n0, n1, ...`` in that order) and ``edges`` a list of
    ``(src_id, dst_id, arg_index)`` in the direction data flows. Every Tensor
    argument of a recorded op appears, whether it requires grad or not; Python
    scalars and arrays passed to ops are folded into the op. ``params`` (dict
    name -> Tensor, or pairs) and ``model`` (an ``nn.Module``) name parameters.
    """
    order = _post_order(as_roots(root, "trace"))
    names = param_names(params, model)
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    nodes: list[Node] = []
    edges: list[Edge] = []
    for t in order:
        fn = t.grad_fn
        if fn is None:
            cut = cut_reason(t)
            kind, name = _leaf(t, names, cut)
            nodes.append(Node(ids[id(t)], kind, name, t, cut))
            continue
        nodes.append(Node(ids[id(t)], "op", fn.name, t))
        for i, p in enumerate(fn.parents):
            if p is not None:
                edges.append((ids[id(p)], ids[id(t)], i))
    return nodes, edges
