"""The scene: traced nodes turned into drawables (one per node, or one per group) and their edges.

:class:`Traced` gathers what layout knows about a traced graph (its nodes
and edges, outputs, module call paths, which modules own which parameters);
:func:`build_scene` makes one :class:`Drawable` per traced node, or one per
group of repeated module calls, and bundles the edges between drawables.
The folding steps in :mod:`minigrad.viz.folding` then edit the scene.
"""
from collections import OrderedDict
from typing import Any

from .recording import module_path


def _fmt_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def frame_label(module, module_names):
    """``"name: Kind"`` for a module of the model, else its class name."""
    n = module_names.get(id(module))
    kind = type(module).__name__
    return f"{n}: {kind}" if n else kind


class Traced:
    """A traced graph and what is known about it.

    ``nodes``/``edges`` as :func:`minigrad.viz.trace` returns them; ``by_id``
    node id -> node; ``root_ids`` the ids of the outputs; ``module_names``
    id(module) -> dotted name in ``model``; ``scopes`` op-node id -> its module
    call path ``((module, call no), ...)``, outermost first, the ``model`` frame
    dropped; ``owner`` id(parameter) -> the modules from the model down to the
    parameter's owner (only when some op was traced in a module, so plain
    drawings stay flat).
    """

    def __init__(self, nodes, edges, roots, model=None):
        self.nodes, self.edges, self.model = nodes, edges, model
        self.by_id = {n.id: n for n in nodes}
        self.root_ids = {n.id for n in nodes if any(n.tensor is r for r in roots)}
        self.module_names = ({} if model is None
                             else {id(m): n for n, m in model.named_modules()})
        self.scopes = {}
        for nd in nodes:
            if nd.kind == "op":
                path = module_path(nd.node)
                if model is not None:
                    path = tuple(f for f in path if f[0] is not model)
                if path:
                    self.scopes[nd.id] = path
        self.owner = {}
        if model is not None and self.scopes:
            mods = dict(model.named_modules())
            for pname, p in model.named_parameters():
                parts = pname.split(".")[:-1]
                self.owner[id(p)] = tuple(mods[".".join(parts[:k])]
                                          for k in range(1, len(parts) + 1))


class Drawable:
    """A node of the picture: one traced node, or a group of them (``members``).

    ``path``: the modules enclosing it, outermost first; ``count``: how many
    calls or siblings it stands for; ``output``: it holds an output.
    """

    __slots__ = ("id", "kind", "label", "members", "path", "count", "output")

    def __init__(self, id, kind, label, members, path, count=1):
        self.id, self.kind, self.label, self.members = id, kind, label, members
        self.path, self.count, self.output = path, count, False


class Bundle:
    """The traced edges ``(src, dst, arg index)`` one drawn edge stands for."""

    __slots__ = ("edges",)

    def __init__(self, edges=None):
        self.edges = [] if edges is None else edges

    @property
    def count(self):
        return len(self.edges)


class Scene:
    """Drawables (id -> :class:`Drawable`, in drawing order), ``rep`` (node id ->
    drawable id) and ``edges`` ((src, dst) drawable ids -> :class:`Bundle`)."""

    def __init__(self, drawables, rep, edges):
        self.drawables, self.rep, self.edges = drawables, rep, edges


def node_label(node, show_shapes):
    """A traced node's label: its name (and why it was cut), then shape and dtype."""
    name = node.name
    if node.kind == "detached" and node.cut:
        name = f"detached ({node.cut})"
    if show_shapes:
        return f"{name}\n{_fmt_shape(node.shape)} {node.dtype}"
    return name


def build_scene(traced, groups=None, show_shapes=True):
    """One drawable per traced node, or one per group of repeated calls, and the edges between.

    ``groups``: node id -> :class:`~minigrad.viz.folding.CallGroup` for the
    nodes inside a repeated call (see :func:`~minigrad.viz.folding.repeated_calls`).
    An edge inside one call of a group is dropped; one from a call to the next
    (the carried state of an unrolled loop) becomes a self-loop.
    """
    groups = groups or {}
    drawables: OrderedDict[Any, Drawable] = OrderedDict()
    rep = {}
    for nd in traced.nodes:
        g = groups.get(nd.id)
        if g is not None:
            key = ("g", id(g.module), g.ops)
            d = drawables.get(key)
            if d is None:
                full = traced.scopes[nd.id]
                depth = next(i for i, f in enumerate(full) if f[0] is g.module)
                label = (f"{frame_label(g.module, traced.module_names)} x{g.calls}\n"
                         f"{len(g.ops)} ops per call")
                d = drawables[key] = Drawable(f"g{len(drawables)}", "group", label, [],
                                              tuple(m for m, _ in full[:depth]),
                                              count=g.calls)
        else:
            path = (tuple(m for m, _ in traced.scopes.get(nd.id, ())) if nd.kind == "op"
                    else traced.owner.get(id(nd.tensor), ()))
            d = drawables[nd.id] = Drawable(nd.id, nd.kind, node_label(nd, show_shapes),
                                            [], path)
        d.members.append(nd)
        rep[nd.id] = d.id
    edges: OrderedDict[tuple[str, str], Bundle] = OrderedDict()
    for s, t, i in traced.edges:
        a, b = rep[s], rep[t]
        if a == b and _call(groups, s) == _call(groups, t):
            continue
        edges.setdefault((a, b), Bundle()).edges.append((s, t, i))
    return Scene({d.id: d for d in drawables.values()}, rep, edges)


def _call(groups, node_id):
    g = groups.get(node_id)
    return None if g is None else g.call
