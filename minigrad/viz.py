"""Pictures of the computation graph and of gradients during training.

The graph is read from the tape alone: every recorded node knows its op's name
and its parents, and that structure survives ``backward()`` (only the saved
arrays are freed), so a graph can be drawn before or after the reverse pass.
Drawing is two steps, as in micrograd's ``trace_graph``: :func:`trace` walks
the tape into plain nodes and edges, and :func:`draw_graph` turns them into a
``graphviz.Digraph`` (DOT), which :func:`render` writes to SVG or PNG.

What the picture shows
----------------------
- one box per op (its name, output shape and dtype), one oval per leaf: a
  parameter's name (from ``params`` or ``model``), ``input``, or ``const`` (a
  0-d tensor that does not require grad); the output has a double border;
- tensors cut from the graph, by ``.detach()`` or computed from
  grad-requiring tensors under ``no_grad()``, are leaves drawn red and dashed
  with the label ``detached``: the truncation points of TBPTT (inside
  :class:`trace_modules`, values computed from a cut tensor without history,
  such as the slice ``h0[k]`` a recurrent layer takes, are marked too);
- ``show_grad_norms=True``: the norm of the gradient that flowed along every
  edge, as a label and a colour on a log scale with a legend. Norms of edges
  between ops are recorded during the reverse pass, so run it inside
  :class:`record_grad_norms`; leaves' norms come from their ``.grad``;
- module clusters: ops run inside a module's ``__call__`` are boxed by module,
  named from ``model``. Which module produced an op is recorded only inside
  :class:`trace_modules` (a single ``None`` check otherwise), so run the
  forward inside it;
- ``collapse_repeats=True`` folds repeated calls of a module with identical
  op sequences (an unrolled cell loop) into one node ``xN``, and identical
  sibling ops into one; ``max_nodes`` keeps the nodes nearest the output and
  says what it left out.

Example::

    with mg.viz.trace_modules():
        loss = loss_fn(net(x), y)
    with mg.viz.record_grad_norms():
        loss.backward()
    g = mg.viz.draw_graph(loss, model=net, show_grad_norms=True)
    mg.viz.render(g, "graph.svg")

Across training, :class:`GradNormRecorder` keeps per-parameter gradient norms
after each backward and plots them (matplotlib, optional).
"""
import math
import os
import shutil
import weakref
from collections import Counter, OrderedDict, deque

import numpy as np

from . import hooks as _hooks
from .nn import module as _nn_module
from . import tape as _tape
from .tensor import Tensor

__all__ = ["trace", "draw_graph", "render", "record_grad_norms", "edge_norm",
           "trace_modules", "GradNormRecorder", "plot_grad_norms", "GraphvizNotFoundError"]

INSTALL_HINT = ("install Graphviz: `apt-get install -y graphviz` (Debian/Ubuntu), "
                "`brew install graphviz` (macOS) or `conda install graphviz`, then "
                "make sure `dot` is on PATH")


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program, which is not on PATH."""


# ======================================================================= trace
class Node:
    """One node of a traced graph.

    ``kind``: ``"op"``, ``"param"``, ``"input"``, ``"const"`` or ``"detached"``;
    ``name``: the op's name, the parameter's name, or the kind for other leaves;
    ``tensor``: the op's output or the leaf; ``id``: ``"n0"``, ``"n1"``, ... in
    topological order (inputs before outputs).
    """

    __slots__ = ("id", "kind", "name", "tensor", "cut")

    def __init__(self, id, kind, name, tensor, cut=None):
        self.id, self.kind, self.name, self.tensor, self.cut = id, kind, name, tensor, cut

    @property
    def shape(self):
        return tuple(self.tensor.data.shape)

    @property
    def dtype(self):
        return str(self.tensor.data.dtype)

    @property
    def node(self):
        """The tape node (``Context``) of an op, None for a leaf."""
        return self.tensor.grad_fn

    def __repr__(self):
        return f"Node({self.id}, {self.kind}, {self.name!r}, {self.shape})"


def _param_names(params, model):
    """id(tensor) -> name from a dict / (name, tensor) pairs and a model."""
    names = {}
    if model is not None:
        for n, p in model.named_parameters():
            names.setdefault(id(p), n)
    if params is not None:
        items = params.items() if hasattr(params, "items") else params
        for n, p in items:
            if not isinstance(p, Tensor):
                raise TypeError(f"draw_graph: params['{n}'] is a {type(p).__name__}, "
                                f"expected a Tensor")
            names[id(p)] = n
    return names


# ================================================================ cut marks
# id(tensor) -> (weak reference, reason) for tensors cut from a graph
# ("detach" or "no_grad"), filled by a cut hook registered on import.
_CUTS = {}


def cut_reason(t):
    """Why ``t`` was cut from a graph (``"detach"`` / ``"no_grad"``), or None."""
    rec = _CUTS.get(id(t))
    return rec[1] if rec is not None and rec[0]() is t else None


def _mark_cut(t, reason):
    k = id(t)
    _CUTS[k] = (weakref.ref(t, lambda _r, k=k: _CUTS.pop(k, None)), reason)


def _on_cut(output, inputs, reason):
    _mark_cut(output, reason)


_hooks.register_cut_hook(_on_cut)


def _leaf_kind(t, names):
    if id(t) in names:
        return "param", names[id(t)]
    cut = cut_reason(t)
    if cut:
        return "detached", "detached"
    if t.data.ndim == 0 and not t._rg:
        return "const", "const"
    return "input", "input"


def trace(root, params=None, model=None):
    """Walk the tape back from ``root`` (a Tensor or a list of them).

    Returns ``(nodes, edges)``: ``nodes`` a list of :class:`Node` in topological
    order (every parent before its children, parents visited in argument order,
    ids ``n0, n1, ...`` in that order) and ``edges`` a list of
    ``(src_id, dst_id, arg_index)`` in the direction data flows. Every Tensor
    argument of a recorded op appears, whether it requires grad or not; Python
    scalars and arrays passed to ops are folded into the op.
    """
    roots = [root] if isinstance(root, Tensor) else list(root)
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"trace: expected a Tensor or a list of Tensors, got "
                            f"{type(r).__name__}")
    names = _param_names(params, model)
    order, seen = [], set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:                      # iterative post-order: no recursion limit
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
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    nodes, edges = [], []
    for t in order:
        fn = t.grad_fn
        if fn is None:
            kind, name = _leaf_kind(t, names)
            nodes.append(Node(ids[id(t)], kind, name, t, cut_reason(t)))
            continue
        nodes.append(Node(ids[id(t)], "op", fn.name, t))
        for i, p in enumerate(fn.parents):
            if p is not None:
                edges.append((ids[id(p)], ids[id(t)], i))
    return nodes, edges


# ================================================================ grad norms
# tape node -> (norm of dL/d(output), [norm of the gradient sent to parent i]),
# filled by record_grad_norms during a reverse pass; weak, so graphs still die.
_EDGE_NORMS = weakref.WeakKeyDictionary()


def _norm(g):
    g = np.asarray(g)
    if g.dtype.kind not in "fc":
        g = g.astype(np.float64)
    return float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))


class record_grad_norms:
    """Context manager: remember the gradient norm along every edge of reverse passes run inside.

    The norm of edge parent -> op is that of the gradient the op sent to that
    parent, summed back to the parent's shape (so for a leaf used once it is the
    norm of its ``.grad``). Costs nothing outside the ``with`` block. Read the
    norms with ``draw_graph(..., show_grad_norms=True)`` or :func:`edge_norm`.

    >>> with mg.viz.record_grad_norms():
    ...     loss.backward()
    """

    def _observe(self, node, out_grad, parent_grads):
        norms = []
        for p, g in zip(node.parents, parent_grads):
            if p is None or g is None or not p._rg:
                norms.append(None)
                continue
            g = np.asarray(g)
            if g.shape != p.data.shape:
                g = _tape.unbroadcast(g, p.data.shape)
            norms.append(_norm(g))
        _EDGE_NORMS[node] = (_norm(out_grad), norms)

    def __enter__(self):
        self._handle = _hooks.register_backward_observer(self._observe)
        return self

    def __exit__(self, *exc):
        self._handle.remove()
        return False


def edge_norm(node, index):
    """Recorded norm of the gradient that ``node`` (a Context) sent to parent ``index``, or None."""
    rec = _EDGE_NORMS.get(node)
    return None if rec is None else rec[1][index]


# ============================================================= module scopes
# tape node -> the module call path it was recorded in: a tuple of
# (module, call number) from outermost to innermost.
_SCOPES = weakref.WeakKeyDictionary()


class trace_modules:
    """Context manager: tag every op recorded inside with the modules being called.

    While active it subscribes to the engine's seams: global module forward
    hooks push and pop the module being called, a record hook tags each
    recorded node with that call path, and an op hook carries cut marks
    forward; outside the block nothing is registered. The tags outlive the
    block (and ``backward()``), so ``draw_graph(loss, model=net)`` can box ops
    by module afterwards. Nested blocks: the innermost one records.

    Inside the block, a tensor computed without history from a detached one
    (e.g. the slice ``h0[k]`` a recurrent layer takes of a detached state) is
    marked detached too, so the TBPTT cut shows where the slice enters the
    graph. (Outside, only ``detach()`` and ``no_grad`` results are marked.)

    >>> with mg.viz.trace_modules():
    ...     loss = criterion(net(x), y)
    """

    def __init__(self):
        self.path = ()
        self._stack = []
        self._calls = 0
        self._handles = []

    def _enter_module(self, module, args):
        self._calls += 1
        self._stack.append(self.path)
        self.path = self.path + ((module, self._calls),)

    def _exit_module(self, module, args, output):
        self.path = self._stack.pop()

    def _tag(self, node, inputs, output):
        if self.path:
            _SCOPES[node] = self.path

    @staticmethod
    def _derive(node, inputs, output):
        """Mark an unrecorded op's output as cut when an input was (e.g. ``h0[layer]``)."""
        if node is not None or cut_reason(output) is not None:
            return
        for p in inputs:
            if isinstance(p, Tensor):
                cut = cut_reason(p)
                if cut:
                    _mark_cut(output, cut)
                    return

    def __enter__(self):
        self._handles = [
            _nn_module.register_module_forward_pre_hook(self._enter_module),
            _nn_module.register_module_forward_hook(self._exit_module, always_call=True),
            _hooks.register_record_hook(self._tag),
            _hooks.register_op_hook(self._derive),
        ]
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles = []
        return False


# ================================================================= drawing
_STYLE = {
    "op": dict(shape="box", style="rounded,filled", fillcolor="#e8e8e8"),
    "param": dict(shape="ellipse", style="filled", fillcolor="#cfe2f3"),
    "input": dict(shape="ellipse", style="filled", fillcolor="#fff2cc"),
    "const": dict(shape="ellipse", style="filled", fillcolor="#f3f3f3"),
    "detached": dict(shape="ellipse", style="dashed,filled", fillcolor="#f4cccc",
                     color="#cc0000", fontcolor="#990000", penwidth="2"),
    "group": dict(shape="box3d", style="filled", fillcolor="#d9d2e9"),
    "note": dict(shape="note", style="filled", fillcolor="#fce5cd"),
}
_OUTPUT_STYLE = dict(peripheries="2", fillcolor="#d9ead3")
# log-scale palette, small norms (vanishing) blue -> large norms (exploding) red
_PALETTE = ["#313695", "#4575b4", "#74add1", "#66bd63", "#fdae61", "#f46d43", "#d73027",
            "#a50026"]
_ZERO_COLOR, _NONFINITE_COLOR, _UNKNOWN_COLOR = "#999999", "#ff00ff", "#bbbbbb"


def _fmt_shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _base_label(node, show_shapes):
    name = node.name
    if node.kind == "detached" and node.cut:
        name = f"detached ({node.cut})"
    if show_shapes:
        return f"{name}\\n{_fmt_shape(node.shape)} {node.dtype}"
    return name


def _fmt_norm(v):
    if v is None:
        return "?"
    if not math.isfinite(v):
        return str(v)
    return "0" if v == 0 else f"{v:.2e}"


class _LogScale:
    """Colour norms by decade: [1e-3, 1e-2) is one colour, and so on, over the decades seen."""

    def __init__(self, values):
        logs = [math.log10(v) for v in values if v is not None and math.isfinite(v) and v > 0]
        if logs:
            self.lo, self.hi = math.floor(min(logs)), math.floor(max(logs)) + 1
        else:
            self.lo = self.hi = None

    def decade(self, v):
        return min(self.hi - 1, max(self.lo, math.floor(math.log10(v))))

    def _bin_color(self, e):
        nd = self.hi - self.lo
        if nd == 1:
            return _PALETTE[len(_PALETTE) // 2]
        return _PALETTE[round((e - self.lo) * (len(_PALETTE) - 1) / (nd - 1))]

    def color(self, v):
        if v is None:
            return _UNKNOWN_COLOR
        if not math.isfinite(v):
            return _NONFINITE_COLOR
        if v == 0:
            return _ZERO_COLOR
        return self._bin_color(self.decade(v))

    def penwidth(self, v):
        if v is None or not math.isfinite(v) or v == 0:
            return "1"
        frac = (math.log10(v) - self.lo) / (self.hi - self.lo)
        return f"{1 + 2 * min(1.0, max(0.0, frac)):.2f}"

    def legend(self, note):
        """An HTML-like Graphviz table: one row per decade, largest first."""
        rows = ['<TR><TD COLSPAN="2"><B>gradient norm</B></TD></TR>']
        if self.lo is not None:
            for e in range(self.hi - 1, self.lo - 1, -1):
                rows.append(f'<TR><TD BGCOLOR="{self._bin_color(e)}" WIDTH="24"> </TD>'
                            f'<TD ALIGN="LEFT">1e{e} .. 1e{e + 1}</TD></TR>')
        rows.append(f'<TR><TD BGCOLOR="{_ZERO_COLOR}"> </TD><TD ALIGN="LEFT">0</TD></TR>')
        rows.append(f'<TR><TD BGCOLOR="{_NONFINITE_COLOR}"> </TD>'
                    f'<TD ALIGN="LEFT">nan / inf</TD></TR>')
        if note:
            rows.append(f'<TR><TD BGCOLOR="{_UNKNOWN_COLOR}"> </TD>'
                        f'<TD ALIGN="LEFT">? {note}</TD></TR>')
        return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                + "".join(rows) + "</TABLE>>")


def _module_names(model):
    return {} if model is None else {id(m): n for n, m in model.named_modules()}


def _frame_label(module, names):
    n = names.get(id(module))
    kind = type(module).__name__
    return f"{n}: {kind}" if n else kind


def _collapse_calls(nodes, scopes, model):
    """Group op nodes of repeated module calls with identical op sequences.

    Returns ``(group_of, sig_count)``: node id -> (signature, module, call no)
    for nodes inside the outermost repeated call, and signature -> number of calls.
    """
    calls = OrderedDict()             # (module id, call no) -> [node]
    for nd in nodes:
        for frame in scopes.get(nd.id, ()):
            calls.setdefault((id(frame[0]), frame[1]), []).append(nd)
    sig_count = Counter()
    call_sig = {}
    for key, members in calls.items():
        sig = (key[0], tuple((m.name, m.shape, m.dtype) for m in members))
        call_sig[key] = sig
        sig_count[sig] += 1
    group_of = {}
    for nd in nodes:
        for module, call in scopes.get(nd.id, ()):
            if model is not None and module is model:
                continue
            sig = call_sig[(id(module), call)]
            if sig_count[sig] > 1:
                group_of[nd.id] = (sig, module, call)
                break
    return group_of, sig_count


class _Drawable:
    """A node of the picture: one traced node, or a group of them."""

    __slots__ = ("id", "kind", "label", "members", "path", "count", "output")

    def __init__(self, id, kind, label, members, path, count=1):
        self.id, self.kind, self.label, self.members = id, kind, label, members
        self.path, self.count, self.output = path, count, False


def _scopes_and_owners(nodes, model):
    """Module call path of every traced op, and the module chain owning each parameter.

    ``scopes``: op-node id -> tuple of (module, call no), outermost first, the
    ``model`` frame itself dropped. ``owner``: id(parameter) -> tuple of modules
    from the model down to the parameter's owner (only when ops were traced, so
    plain drawings stay flat).
    """
    scopes = {}
    for nd in nodes:
        if nd.kind == "op":
            path = _SCOPES.get(nd.node, ())
            if model is not None:
                path = tuple(f for f in path if f[0] is not model)
            if path:
                scopes[nd.id] = path
    owner = {}
    if model is not None and scopes:
        mods = dict(model.named_modules())
        for pname, p in model.named_parameters():
            parts = pname.split(".")[:-1]
            owner[id(p)] = tuple(mods[".".join(parts[:k])] for k in range(1, len(parts) + 1))
    return scopes, owner


def _drawables(nodes, scopes, owner, group_of, sig_count, mnames, show_shapes):
    """One drawable per traced node, or one per group of repeated calls.

    Returns ``(rep, dmap, call_of)``: node id -> drawable id, drawable id ->
    drawable, and node id -> its call number for nodes inside a group.
    """
    drawables = OrderedDict()
    rep, call_of = {}, {}
    for nd in nodes:
        if nd.id in group_of:
            sig, module, call_of[nd.id] = group_of[nd.id]
            key = ("g", id(module), sig[1])
            d = drawables.get(key)
            if d is None:
                full = scopes[nd.id]
                depth = next(i for i, f in enumerate(full) if f[0] is module)
                d = _Drawable(f"g{len(drawables)}", "group", None, [],
                              tuple(m for m, _ in full[:depth]), count=sig_count[sig])
                d.label = (f"{_frame_label(module, mnames)} x{d.count}\\n"
                           f"{len(sig[1])} ops per call")
                drawables[key] = d
            d.members.append(nd)
            rep[nd.id] = d.id
        else:
            path = (tuple(m for m, _ in scopes.get(nd.id, ())) if nd.kind == "op"
                    else owner.get(id(nd.tensor), ()))
            drawables[nd.id] = _Drawable(nd.id, nd.kind, _base_label(nd, show_shapes),
                                         [nd], path)
            rep[nd.id] = nd.id
    return rep, {d.id: d for d in drawables.values()}, call_of


def _cap(dmap, dedges, root_ids, max_nodes):
    """Keep the ``max_nodes`` drawables nearest the output (breadth-first from it).

    Returns ``(kept dmap, left-out drawables)``.
    """
    if max_nodes is None or len(dmap) <= max_nodes:
        return dmap, []
    parents_of = {}
    for (s, t) in dedges:
        parents_of.setdefault(t, []).append(s)
    keep, queue = set(), deque(root_ids)
    while queue and len(keep) < max_nodes:
        d = queue.popleft()
        if d not in keep:
            keep.add(d)
            queue.extend(parents_of.get(d, ()))
    return ({k: v for k, v in dmap.items() if k in keep},
            [d for k, d in dmap.items() if k not in keep])


def draw_graph(root, params=None, show_shapes=True, show_grad_norms=False, model=None,
               max_nodes=300, collapse_repeats=False, rankdir="TB"):
    """The graph that produced ``root`` as a ``graphviz.Digraph``.

    Args:
        root: the output Tensor (or a list of outputs), e.g. the loss.
        params: dict name -> Tensor (e.g. ``dict(model.named_parameters())``)
            naming leaves; unnamed leaves read ``input``/``const``/``detached``.
        show_shapes: put each tensor's shape and dtype under its name.
        show_grad_norms: label and colour edges and leaves by gradient norm
            (log scale, with a legend); see :class:`record_grad_norms`. An
            edge standing for several (``xN``) shows the largest of their norms.
        model: an ``nn.Module``; names its parameters and, for ops recorded
            under :class:`trace_modules`, draws a cluster per module.
        max_nodes: keep at most this many nodes, those nearest the output; a
            note node says how many (and which ops) were left out.
        collapse_repeats: fold repeated module calls with identical op
            sequences into one node ``xN`` (needs :class:`trace_modules`) and
            identical sibling ops into one node.
        rankdir: Graphviz layout direction (``"TB"`` top-down, ``"LR"``).

    Edges point the way data flows: from inputs and parameters to the output.
    """
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be >= 1 or None, got {max_nodes}")
    nodes, edges = trace(root, params=params, model=model)
    roots = [root] if isinstance(root, Tensor) else list(root)
    root_ids = {n.id for n in nodes if any(n.tensor is r for r in roots)}
    mnames = _module_names(model)
    scopes, owner = _scopes_and_owners(nodes, model)
    group_of, sig_count = ({}, None)
    if collapse_repeats and scopes:
        group_of, sig_count = _collapse_calls(nodes, scopes, model)
    rep, dmap, call_of = _drawables(nodes, scopes, owner, group_of, sig_count, mnames,
                                    show_shapes)

    # ---- merge identical sibling ops (same label, same neighbours) when collapsing
    dedges = _drawable_edges(edges, rep, call_of)
    if collapse_repeats:
        rep, dmap, dedges = _merge_siblings(rep, dmap, dedges)

    for nid in root_ids:
        dmap[rep[nid]].output = True

    dmap, left_out = _cap(dmap, dedges, sorted({rep[r] for r in root_ids}), max_nodes)

    # ---- gradient norms
    norms = {}
    leaf_norms = {}
    note = None
    if show_grad_norms:
        norms, leaf_norms, note = _collect_norms(nodes, edges, rep, dmap, dedges)
    scale = _LogScale(list(norms.values()) + list(leaf_norms.values()))

    # ---- emit DOT
    import graphviz                                  # lazy: keeps `import minigrad` fast
    g = graphviz.Digraph("minigrad", graph_attr=dict(rankdir=rankdir, fontname="Helvetica"),
                         node_attr=dict(fontname="Helvetica", fontsize="11"),
                         edge_attr=dict(fontname="Helvetica", fontsize="9"))
    tree = _cluster_tree(dmap.values())
    _emit_clusters(g, tree, mnames, scale, leaf_norms, show_grad_norms)
    for (s, t), info in dedges.items():
        if s not in dmap or t not in dmap:
            continue
        attrs = {}
        label = []
        if info["count"] > 1:
            label.append(f"x{info['count']}")
        if show_grad_norms and dmap[s].members[0].tensor._rg:   # no gradient flows
            v = norms.get((s, t))                              # out of the others
            label.append(("max " if info["count"] > 1 else "") + _fmt_norm(v))
            attrs["color"] = scale.color(v)
            attrs["penwidth"] = scale.penwidth(v)
        if dmap[s].kind == "detached":
            attrs["style"] = "dashed"
        if label:
            attrs["label"] = " ".join(label)
        g.edge(s, t, **attrs)
    if left_out:
        ops = Counter(n.name for d in left_out for n in d.members if n.kind == "op")
        leaves = sum(1 for d in left_out for n in d.members if n.kind != "op")
        what = ", ".join(f"{k} x{v}" for k, v in sorted(ops.items(), key=lambda kv: -kv[1]))
        g.node("left_out", f"{len(left_out)} more nodes not shown (max_nodes={max_nodes})"
                           f"\\nops: {what or 'none'}; leaves: {leaves}", **_STYLE["note"])
        cut = {d.id for d in left_out}
        for (s, t) in dedges:
            if s in cut and t in dmap:
                g.edge("left_out", t, style="dotted")
    if show_grad_norms:
        g.node("legend", scale.legend(note), shape="plaintext")
    return g


def _drawable_edges(edges, rep, call_of):
    """(src drawable, dst drawable) -> {"count": n, "edges": [(src, dst, i)]}.

    An edge inside one call of a group is dropped; one from a call to the next
    (the carried state of an unrolled loop) becomes a self-loop.
    """
    out = OrderedDict()
    for s, t, i in edges:
        a, b = rep[s], rep[t]
        if a == b and call_of.get(s) == call_of.get(t):
            continue
        info = out.setdefault((a, b), {"count": 0, "edges": []})
        info["count"] += 1
        info["edges"].append((s, t, i))
    return out


def _merge_siblings(rep, dmap, dedges):
    """Fold ops (and unnamed inputs) with the same label, parents and children into one (xN).

    Parameters and detached leaves are never merged: each one is a distinct
    tensor the reader needs to see (e.g. the carried h and c of an LSTM).
    """
    parents, children = {}, {}
    for (s, t) in dedges:
        children.setdefault(s, set()).add(t)
        parents.setdefault(t, set()).add(s)
    buckets = OrderedDict()
    for d in dmap.values():
        if d.kind not in ("op", "input", "const"):
            continue
        key = (d.label, d.path, frozenset(parents.get(d.id, ())),
               frozenset(children.get(d.id, ())))
        buckets.setdefault(key, []).append(d)
    alias = {}
    for ds in buckets.values():
        if len(ds) < 2:
            continue
        head = ds[0]
        for d in ds[1:]:
            head.members.extend(d.members)
            head.count += d.count
            alias[d.id] = head.id
        head.label = head.label.replace("\\n", f" x{len(ds)}\\n", 1) \
            if "\\n" in head.label else f"{head.label} x{len(ds)}"
    if not alias:
        return rep, dmap, dedges
    rep = {k: alias.get(v, v) for k, v in rep.items()}
    dmap = {k: v for k, v in dmap.items() if k not in alias}
    merged = OrderedDict()
    for (s, t), info in dedges.items():
        key = (alias.get(s, s), alias.get(t, t))
        m = merged.setdefault(key, {"count": 0, "edges": []})
        m["count"] += info["count"]
        m["edges"].extend(info["edges"])
    return rep, dmap, merged


def _collect_norms(nodes, edges, rep, dmap, dedges):
    """Norm per drawn edge (max over merged edges) and per leaf; a note if some are missing."""
    by_id = {n.id: n for n in nodes}
    out_edges = Counter(s for s, _, _ in edges)
    per_edge = {}
    missing = False
    for s, t, i in edges:
        v = edge_norm(by_id[t].node, i)
        if v is None:
            src = by_id[s]
            if src.kind != "op" and out_edges[s] == 1 and src.tensor.grad is not None:
                v = _norm(src.tensor.grad)            # a leaf used once: its .grad
            elif src.tensor._rg:
                missing = True
        per_edge[(s, t, i)] = v
    norms = {}
    for key, info in dedges.items():
        vals = [per_edge[e] for e in info["edges"] if per_edge[e] is not None]
        norms[key] = max(vals) if vals else None
    leaf_norms = {}
    for d in dmap.values():
        if (d.kind in ("param", "input") and len(d.members) == 1
                and d.members[0].tensor.grad is not None):
            leaf_norms[d.id] = _norm(d.members[0].tensor.grad)
    note = "not recorded: run backward() in record_grad_norms()" if missing else None
    return norms, leaf_norms, note


def _cluster_tree(drawables):
    """Nested dict: module -> {"items": [...], "children": {...}} following each path."""
    tree = {"items": [], "children": OrderedDict(), "module": None}
    for d in drawables:
        node = tree
        for m in d.path:
            node = node["children"].setdefault(
                id(m), {"items": [], "children": OrderedDict(), "module": m})
        node["items"].append(d)
    return tree


def _emit_clusters(g, tree, mnames, scale, leaf_norms, show_grad_norms, counter=None):
    counter = counter if counter is not None else [0]
    for d in tree["items"]:
        attrs = dict(_STYLE[d.kind])
        label = d.label
        if d.output:
            attrs.update(_OUTPUT_STYLE)
            label = f"output: {label}"
        if show_grad_norms and d.id in leaf_norms:
            v = leaf_norms[d.id]
            label = f"{label}\\ngrad {_fmt_norm(v)}"
            attrs["color"] = scale.color(v)
            attrs["penwidth"] = "3"
        g.node(d.id, label, **attrs)
    for sub in tree["children"].values():
        name = f"cluster_{counter[0]}"
        counter[0] += 1
        with g.subgraph(name=name) as c:
            c.attr(label=_frame_label(sub["module"], mnames), style="rounded,dashed",
                   color="#666666", fontname="Helvetica")
            _emit_clusters(c, sub, mnames, scale, leaf_norms, show_grad_norms, counter)


# ================================================================= rendering
def render(graph, path, format=None):
    """Write ``graph`` (a ``graphviz.Digraph``) to ``path`` as SVG or PNG; returns the path.

    ``format`` defaults to the file's extension (``.svg``, ``.png``, ``.pdf``).
    Raises :class:`GraphvizNotFoundError` saying how to install Graphviz when
    its ``dot`` program is missing (building the graph and ``graph.source``
    work without it).
    """
    import graphviz
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".").lower()
    if not fmt:
        raise ValueError(f"render: cannot tell the format of '{path}'; pass format='svg' "
                         f"or 'png'")
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(f"render: Graphviz's `dot` program was not found on "
                                    f"PATH; {INSTALL_HINT}")
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotFoundError(f"render: Graphviz's `dot` could not be run ({e}); "
                                    f"{INSTALL_HINT}") from None
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


# ======================================================= norms over training
class GradNormRecorder:
    """Per-parameter gradient norms across training steps.

    ``params``: an ``nn.Module`` (its ``named_parameters()``), a dict
    name -> Tensor, or (name, Tensor) pairs. Call :meth:`record` after each
    ``backward()`` (before ``zero_grad()``); parameters without a gradient
    record ``nan``. ``history[name]`` is the list of L2 norms, ``steps`` the
    step numbers, ``total`` the global norm (as ``clip_grad_norm_`` computes it).

    >>> rec = mg.viz.GradNormRecorder(model)
    >>> for step in range(100):
    ...     loss = ...; loss.backward(); rec.record(); opt.step(); opt.zero_grad()
    >>> rec.plot("grad_norms.png")
    """

    def __init__(self, params):
        if hasattr(params, "named_parameters"):
            items = list(params.named_parameters())
        elif hasattr(params, "items"):
            items = list(params.items())
        else:
            items = list(params)
        if not items:
            raise ValueError("GradNormRecorder: no parameters given")
        for n, p in items:
            if not isinstance(p, Tensor):
                raise TypeError(f"GradNormRecorder: '{n}' is a {type(p).__name__}, "
                                f"expected a Tensor")
        self.params = OrderedDict(items)
        self.history = OrderedDict((n, []) for n in self.params)
        self.total = []
        self.steps = []

    def record(self, step=None):
        """Append the current ``.grad`` norm of every parameter; returns {name: norm}."""
        step = (self.steps[-1] + 1 if self.steps else 0) if step is None else step
        now, sq = {}, 0.0
        for n, p in self.params.items():
            v = _norm(p.grad) if p.grad is not None else float("nan")
            now[n] = v
            self.history[n].append(v)
            if p.grad is not None:
                sq += v * v
        self.steps.append(step)
        self.total.append(math.sqrt(sq))
        return now

    def __len__(self):
        return len(self.steps)

    def plot(self, path=None, logy=True, title="Gradient norm per parameter", total=True):
        """Plot the norms over steps (matplotlib); save a PNG to ``path`` if given.

        Returns the matplotlib Figure.
        """
        return plot_grad_norms(self, path, logy=logy, title=title, total=total)


def plot_grad_norms(recorder, path=None, logy=True, title="Gradient norm per parameter",
                    total=True):
    """Line plot of a :class:`GradNormRecorder`'s history; saves to ``path`` (PNG) if given."""
    if not recorder.steps:
        raise ValueError("plot_grad_norms: nothing recorded yet; call record() after backward()")
    try:
        import matplotlib
        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_grad_norms needs matplotlib, an optional dependency: "
                          "`pip install matplotlib`") from None
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    cmap = plt.get_cmap("tab10" if len(recorder.history) <= 10 else "tab20")
    for i, (n, vals) in enumerate(recorder.history.items()):
        ax.plot(recorder.steps, vals, label=n, linewidth=1.2, color=cmap(i % cmap.N))
    if total:
        ax.plot(recorder.steps, recorder.total, label="total", color="black",
                linewidth=2, linestyle="--")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("L2 norm of gradient")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    if path is not None:
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(path)
        plt.close(fig)
    return fig
