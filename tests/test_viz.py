"""minigrad.viz: exact DOT structure, detached cuts, gradient norms, clusters, collapsing.

The DOT text is parsed back into nodes, edges and clusters and compared with
the full expected structure up to a renaming of node ids (:func:`match_graph`
finds the renaming, or fails); gradient norms are checked against norms
computed here with NumPy from the closed-form gradients.
"""
import math
import re
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad import viz

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*>|[^\s\]]+)')
_NODE = re.compile(r'^\s*(\w+) \[(.*)\]$')
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?$')


def _attrs(text):
    out = {}
    for k, v in _ATTR.findall(text or ""):
        out[k] = v[1:-1] if v.startswith('"') else v
    return out


def parse_dot(source):
    """DOT text -> (nodes {id: attrs}, edges [(src, dst, attrs)], clusters {name: info}).

    clusters[name] = {"label": ..., "nodes": set of node ids directly inside,
    "parent": enclosing cluster name or None}.
    """
    nodes, edges, clusters = {}, [], {}
    stack = []
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("subgraph "):
            name = s.split()[1]
            clusters[name] = {"label": None, "nodes": set(),
                              "parent": stack[-1] if stack else None}
            stack.append(name)
            continue
        if s == "}":
            if stack:
                stack.pop()
            continue
        if stack and "[" not in s and "->" not in s and "=" in s:     # cluster attributes
            clusters[stack[-1]]["label"] = _attrs(s).get("label")
            continue
        m = _EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), _attrs(m.group(3))))
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = _attrs(m.group(2))
            if stack:
                clusters[stack[-1]]["nodes"].add(m.group(1))
    return nodes, edges, clusters


def labels(nodes):
    return {k: v["label"] for k, v in nodes.items()}


FIXED = ("legend", "left_out")          # nodes with fixed names, not renamed ids


def match_graph(got_nodes, got_edges, want_nodes, want_edges):
    """The renaming {wanted name: got id} under which two graphs are equal; fails if none.

    ``got_nodes``: id -> label (any comparable value); ``got_edges``: a list of
    ``(src, dst)`` or ``(src, dst, key)`` (a key such as an edge label or an
    argument index must match too); ``want_*`` the same with names of the
    test's choosing. Equal means: a bijection of nodes keeping every label,
    under which the edge multisets are the same.
    """
    def keyed(edges):
        pairs = {}
        for e in edges:
            pairs.setdefault((e[0], e[1]), Counter())[e[2:]] += 1
        return pairs

    assert sorted(map(repr, got_nodes.values())) == sorted(map(repr, want_nodes.values()))
    assert len(got_edges) == len(want_edges), (sorted(got_edges), sorted(want_edges))
    got_pairs, want_pairs = keyed(got_edges), keyed(want_edges)
    names = list(want_nodes)
    rename, used = {}, set()

    def consistent(name):
        for other in list(rename):
            for a, b in ((name, other), (other, name)):
                if want_pairs.get((a, b)) != got_pairs.get((rename[a], rename[b])):
                    return False
        return True

    def extend(i):
        if i == len(names):
            return True
        name = names[i]
        for gid, lab in got_nodes.items():
            if gid in used or lab != want_nodes[name]:
                continue
            rename[name] = gid
            used.add(gid)
            if consistent(name) and extend(i + 1):
                return True
            del rename[name]
            used.discard(gid)
        return False

    assert extend(0), f"no renaming of {sorted(got_edges)} gives {sorted(want_edges)}"
    return rename


def match_dot(nodes, edges, want_nodes, want_edges, edge_key=None):
    """:func:`match_graph` on parsed DOT, by label, leaving out the fixed legend/note nodes.

    ``edge_key(attrs)`` adds an edge attribute to what must match (e.g. its label).
    """
    got_nodes = {k: a["label"] for k, a in nodes.items() if k not in FIXED}
    got_edges = [(s, t) + (() if edge_key is None else (edge_key(a),))
                 for s, t, a in edges if s not in FIXED and t not in FIXED]
    return match_graph(got_nodes, got_edges, want_nodes, want_edges)


def edge_label(attrs):
    return attrs.get("label")


def f32(*shape, scale=1.0):
    return (np.random.randn(*shape) * scale).astype(np.float32)


# ---------------------------------------------------------------- structure
def _mlp_graph():
    x = mg.tensor(f32(4, 2))
    W = nn.Parameter(f32(2, 3))
    b = nn.Parameter(f32(3))
    y = (x @ W + b).relu().sum()
    return x, W, b, y


def test_exact_nodes_labels_and_edges():
    x, W, b, y = _mlp_graph()
    nodes, edges, clusters = parse_dot(viz.draw_graph(y, params={"W": W, "b": b}).source)
    m = match_dot(nodes, edges, {
        "x": "input\\n(4, 2) float32",
        "W": "W\\n(2, 3) float32",
        "mm": "MatMul\\n(4, 3) float32",
        "b": "b\\n(3,) float32",
        "add": "Add\\n(4, 3) float32",
        "relu": "Relu\\n(4, 3) float32",
        "sum": "output: Sum\\n() float32",
    }, [("x", "mm"), ("W", "mm"), ("mm", "add"), ("b", "add"), ("add", "relu"),
        ("relu", "sum")])
    assert set(nodes) == set(m.values())
    assert clusters == {}
    # kinds have their own shapes; the output alone has a double border
    assert {k for k, a in nodes.items() if a["shape"] == "box"} == \
        {m[k] for k in ("mm", "add", "relu", "sum")}
    assert {k for k, a in nodes.items() if a.get("peripheries") == "2"} == {m["sum"]}
    assert nodes[m["W"]]["fillcolor"] == nodes[m["b"]]["fillcolor"] != nodes[m["x"]]["fillcolor"]


def test_trace_returns_plain_nodes_and_edges():
    x, W, b, y = _mlp_graph()
    nodes, edges = viz.trace(y, params={"W": W})
    # topological order, parents in argument order
    assert [(n.kind, n.name, n.shape) for n in nodes] == [
        ("input", "input", (4, 2)), ("param", "W", (2, 3)), ("op", "MatMul", (4, 3)),
        ("input", "input", (3,)), ("op", "Add", (4, 3)), ("op", "Relu", (4, 3)),
        ("op", "Sum", ())]
    assert len({n.id for n in nodes}) == len(nodes)
    m = match_graph({n.id: (n.kind, n.name, n.shape) for n in nodes}, edges, {
        "x": ("input", "input", (4, 2)), "W": ("param", "W", (2, 3)),
        "mm": ("op", "MatMul", (4, 3)), "b": ("input", "input", (3,)),
        "add": ("op", "Add", (4, 3)), "relu": ("op", "Relu", (4, 3)),
        "sum": ("op", "Sum", ())},
        [("x", "mm", 0), ("W", "mm", 1), ("mm", "add", 0), ("b", "add", 1),
         ("add", "relu", 0), ("relu", "sum", 0)])
    by_id = {n.id: n for n in nodes}
    # b is a Parameter but unnamed here: it requires grad, so it is an "input" leaf
    assert by_id[m["b"]].tensor is b and by_id[m["W"]].tensor is W and by_id[m["x"]].tensor is x
    assert by_id[m["sum"]].tensor is y and by_id[m["sum"]].node is y.grad_fn


def test_tensor_used_twice_by_one_op_gives_one_edge_x2_and_shapes_can_be_hidden():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    tnodes, tedges = viz.trace(y)
    match_graph({n.id: n.name for n in tnodes}, tedges, {"a": "input", "mul": "Mul", "sum": "Sum"},
                [("a", "mul", 0), ("a", "mul", 1), ("mul", "sum", 0)])
    nodes, edges, _ = parse_dot(viz.draw_graph(y, show_shapes=False).source)
    assert len(nodes) == 3
    match_dot(nodes, edges, {"a": "input", "mul": "Mul", "sum": "output: Sum"},
              [("a", "mul", "x2"), ("mul", "sum", None)], edge_key=edge_label)


def test_const_leaf_and_scalar_operands():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (a * mg.tensor(3.0) + 1.0).sum()          # 1.0 is folded into Add
    nodes, edges, _ = parse_dot(viz.draw_graph(y).source)
    assert len(nodes) == 5
    match_dot(nodes, edges, {"a": "input\\n(2,) float32", "three": "const\\n() float32",
                             "mul": "Mul\\n(2,) float32", "add": "Add\\n(2,) float32",
                             "sum": "output: Sum\\n() float32"},
              [("a", "mul"), ("three", "mul"), ("mul", "add"), ("add", "sum")])


def test_graph_drawn_after_backward_is_the_same():
    x, W, b, y = _mlp_graph()
    before = viz.draw_graph(y, params={"W": W, "b": b}).source
    y.backward()
    assert viz.draw_graph(y, params={"W": W, "b": b}).source == before


def test_model_names_parameters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(f32(3))

        def forward(self, x):
            return (x * self.w).sum()

    net = Net()
    y = net(mg.tensor(f32(3)))
    nodes, edges, clusters = parse_dot(viz.draw_graph(y, model=net, show_shapes=False).source)
    assert len(nodes) == 4
    match_dot(nodes, edges, {"x": "input", "w": "w", "mul": "Mul", "sum": "output: Sum"},
              [("x", "mul"), ("w", "mul"), ("mul", "sum")])
    assert clusters == {}       # no trace_modules(): no clusters


def test_draw_graph_is_trace_then_one_picture_then_dot():
    from minigrad.viz.dot import to_dot
    from minigrad.viz.layout import DrawOptions, layout
    x, W, b, y = _mlp_graph()
    nodes, edges = viz.trace(y, params={"W": W, "b": b})
    picture = layout(nodes, edges, roots=[y], options=DrawOptions(show_shapes=False))
    assert picture.frame.label is None and picture.frame.frames == []
    boxes = {box.id: box for box in picture.frame.boxes}
    assert sorted(box.label for box in boxes.values()) == sorted(
        ["input", "W", "MatMul", "b", "Add", "Relu", "output: Sum"])
    assert [box.label for box in boxes.values() if box.output] == ["output: Sum"]
    assert sorted((a.src, a.dst) for a in picture.arrows) == sorted((s, t) for s, t, _ in edges)
    assert picture.note is None and picture.legend is None
    assert to_dot(picture).source == viz.draw_graph(y, params={"W": W, "b": b},
                                                    show_shapes=False).source


def test_bad_arguments_raise_clear_errors():
    _, _, _, y = _mlp_graph()
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.draw_graph(np.ones(3))
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        viz.draw_graph(y, params={"w": np.ones(3)})
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(y, max_nodes=0)


# ------------------------------------------------------------- detached cuts
def test_detached_and_no_grad_leaves_carry_the_detached_style():
    W = nn.Parameter(f32(3, 3))
    h0 = mg.tensor(f32(2, 3))
    h1 = (h0 @ W).tanh()
    cut = h1.detach()                      # the TBPTT cut
    with mg.no_grad():
        frozen = h1 * 2.0                  # computed from W without history
    plain = mg.tensor(f32(2, 3))
    y = ((cut @ W).tanh() + frozen + plain).sum()
    nodes, edges, _ = parse_dot(viz.draw_graph(y, params={"W": W}).source)
    assert len(nodes) == 9
    m = match_dot(nodes, edges, {
        "cut": "detached (detach)\\n(2, 3) float32", "W": "W\\n(3, 3) float32",
        "mm": "MatMul\\n(2, 3) float32", "tanh": "Tanh\\n(2, 3) float32",
        "frozen": "detached (no_grad)\\n(2, 3) float32", "add1": "Add\\n(2, 3) float32",
        "plain": "input\\n(2, 3) float32", "add2": "Add\\n(2, 3) float32",
        "sum": "output: Sum\\n() float32"},
        [("cut", "mm"), ("W", "mm"), ("mm", "tanh"), ("tanh", "add1"), ("frozen", "add1"),
         ("add1", "add2"), ("plain", "add2"), ("add2", "sum")])
    detached = {k for k, a in nodes.items() if "dashed" in a.get("style", "")}
    assert detached == {m["cut"], m["frozen"]}
    for k in detached:
        assert nodes[k]["color"] == "#cc0000"
    assert "color" not in nodes[m["plain"]]
    dashed_edges = {(s, t) for s, t, a in edges if a.get("style") == "dashed"}
    assert dashed_edges == {(m["cut"], m["mm"]), (m["frozen"], m["add1"])}


def test_tensor_made_without_grad_is_not_marked_detached():
    with mg.no_grad():
        z = mg.tensor(f32(3)) * 2.0        # no input required grad: nothing was cut
    assert viz.cut_reason(z) is None
    a = mg.tensor(f32(3), requires_grad=True)
    assert viz.cut_reason(a.detach()) == "detach"
    with mg.no_grad():
        assert viz.cut_reason(a * 2.0) == "no_grad"


def test_cut_marks_do_not_keep_tensors_alive():
    import gc
    import weakref
    a = mg.tensor(f32(3), requires_grad=True)
    cut = a.detach()
    with mg.no_grad():
        frozen = a * 2.0
    refs = [weakref.ref(cut), weakref.ref(frozen)]
    del cut, frozen
    gc.collect()
    assert all(r() is None for r in refs)


# --------------------------------------------------------------- grad norms
def _tanh_layer():
    x = mg.tensor(f32(5, 3))
    W = nn.Parameter(f32(3, 4))
    b = nn.Parameter(f32(4))
    v = mg.tensor(f32(4) * 100)                    # no grad; scales the upstream grad
    y = ((x @ W + b).tanh() * v).sum()
    return x, W, b, v, y


def _expected_norms(x, W, b, v):
    """Closed-form gradients of sum(tanh(x W + b) * v), by NumPy."""
    t = np.tanh(x.data.astype(np.float64) @ W.data + b.data)
    g_t = np.broadcast_to(v.data.astype(np.float64), t.shape)   # d/d tanh output
    g_pre = g_t * (1 - t * t)                                   # d/d (x W + b)
    n = np.linalg.norm
    return {"mul->sum": n(np.ones(t.shape)), "tanh->mul": n(g_t), "add->tanh": n(g_pre),
            "matmul->add": n(g_pre), "b->add": n(g_pre.sum(0)),
            "W->matmul": n(x.data.T.astype(np.float64) @ g_pre)}


def _match_tanh_layer(nodes, edges):
    """The renaming for the picture of ``_tanh_layer`` (labels up to their ``grad`` line)."""
    no_grad_line = {k: dict(a, label=a["label"].split("\\ngrad ")[0]) for k, a in nodes.items()}
    return match_dot(no_grad_line, edges, {
        "x": "input\\n(5, 3) float32", "W": "W\\n(3, 4) float32", "mm": "MatMul\\n(5, 4) float32",
        "b": "b\\n(4,) float32", "add": "Add\\n(5, 4) float32", "tanh": "Tanh\\n(5, 4) float32",
        "v": "input\\n(4,) float32", "mul": "Mul\\n(5, 4) float32",
        "sum": "output: Sum\\n() float32"},
        [("x", "mm"), ("W", "mm"), ("mm", "add"), ("b", "add"), ("add", "tanh"),
         ("tanh", "mul"), ("v", "mul"), ("mul", "sum")])


def test_grad_norm_labels_equal_independent_norms():
    x, W, b, v, y = _tanh_layer()
    with viz.record_grad_norms():
        y.backward()
    nodes, edges, _ = parse_dot(
        viz.draw_graph(y, params={"W": W, "b": b}, show_grad_norms=True).source)
    exp = _expected_norms(x, W, b, v)
    assert len(nodes) == 9 + 1                                   # 9 tensors and the legend
    m = _match_tanh_layer(nodes, edges)
    want = {("W", "mm"): exp["W->matmul"], ("mm", "add"): exp["matmul->add"],
            ("b", "add"): exp["b->add"], ("add", "tanh"): exp["add->tanh"],
            ("tanh", "mul"): exp["tanh->mul"], ("mul", "sum"): exp["mul->sum"]}
    got = {(s, t): a.get("label") for s, t, a in edges}
    for (s, t), val in want.items():
        assert got.pop((m[s], m[t])) == f"{val:.2e}", (s, t)
    assert got == {(m["x"], m["mm"]): None, (m["v"], m["mul"]): None}   # no grad from x, v
    # leaves show the norm of their .grad
    assert nodes[m["W"]]["label"] == f"W\\n(3, 4) float32\\ngrad {exp['W->matmul']:.2e}"
    assert nodes[m["b"]]["label"] == f"b\\n(4,) float32\\ngrad {exp['b->add']:.2e}"
    # the recorded values themselves, to float tolerance
    add_node = y.grad_fn.parents[0].grad_fn.parents[0].grad_fn.parents[0].grad_fn
    assert add_node.name == "Add"
    assert viz.edge_norm(add_node, 1) == pytest.approx(exp["b->add"], rel=1e-5)
    assert viz.edge_norm(add_node, 0) == pytest.approx(exp["matmul->add"], rel=1e-5)


def test_grad_norm_colours_follow_decades_with_a_matching_legend():
    x, W, b, v, y = _tanh_layer()
    with viz.record_grad_norms():
        y.backward()
    nodes, edges, _ = parse_dot(
        viz.draw_graph(y, params={"W": W, "b": b}, show_grad_norms=True).source)
    norms = {(s, t): float(a["label"]) for s, t, a in edges if "label" in a}
    decades = {(s, t): math.floor(math.log10(val)) for (s, t), val in norms.items()}
    colours = {(s, t): a["color"] for s, t, a in edges if "label" in a}
    for e1 in norms:
        for e2 in norms:
            assert (decades[e1] == decades[e2]) == (colours[e1] == colours[e2])
    # one legend row per decade between the smallest and largest norm
    legend = nodes["legend"]["label"]
    rows = re.findall(r'BGCOLOR="(#\w+)" WIDTH="24"> </TD><TD ALIGN="LEFT">1e(-?\d+) ', legend)
    lo, hi = min(decades.values()), max(decades.values())
    assert [int(e) for _, e in rows] == list(range(hi, lo - 1, -1))
    legend_colour = {int(e): c for c, e in rows}
    for key, d in decades.items():
        assert colours[key] == legend_colour[d]
    assert hi - lo >= 2            # v scales the gradients, so the picture spans decades


def test_grad_norms_without_recording_use_leaf_grads_and_say_what_is_missing():
    x, W, b, v, y = _tanh_layer()
    y.backward()                                       # not recorded
    nodes, edges, _ = parse_dot(
        viz.draw_graph(y, params={"W": W, "b": b}, show_grad_norms=True).source)
    exp = _expected_norms(x, W, b, v)
    m = _match_tanh_layer(nodes, edges)
    got = {(s, t): a.get("label") for s, t, a in edges}
    assert got[(m["W"], m["mm"])] == f"{exp['W->matmul']:.2e}"   # leaf used once: its .grad
    assert got[(m["b"], m["add"])] == f"{exp['b->add']:.2e}"
    assert got[(m["mm"], m["add"])] == got[(m["tanh"], m["mul"])] == "?"
    assert "record_grad_norms" in nodes["legend"]["label"]


def test_recording_costs_nothing_outside_the_block():
    before = list(mg.hooks.backward_observers)
    with viz.record_grad_norms():
        assert len(mg.hooks.backward_observers) == len(before) + 1
    assert mg.hooks.backward_observers == before


# ----------------------------------------------------------------- clusters
class Dense(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight = nn.Parameter(f32(i, o, scale=0.5))
        self.bias = nn.Parameter(f32(o))

    def forward(self, x):
        return (x @ self.weight + self.bias).tanh()


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Dense(3, 3)

    def forward(self, x):
        return self.inner(x) * 2.0


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = Dense(2, 3)
        self.block = Block()

    def forward(self, x):
        return self.block(self.fc1(x)).sum()


def test_ops_are_clustered_by_the_module_that_produced_them():
    net = Net()
    x = mg.tensor(f32(4, 2))
    with viz.trace_modules():
        y = net(x)
    nodes, edges, clusters = parse_dot(
        viz.draw_graph(y, model=net, show_shapes=False).source)
    assert len(nodes) == 13
    m = match_dot(nodes, edges, {
        "x": "input", "w1": "fc1.weight", "mm1": "MatMul", "b1": "fc1.bias", "add1": "Add",
        "tanh1": "Tanh", "w2": "block.inner.weight", "mm2": "MatMul", "b2": "block.inner.bias",
        "add2": "Add", "tanh2": "Tanh", "mul": "Mul", "sum": "output: Sum"},
        [("x", "mm1"), ("w1", "mm1"), ("mm1", "add1"), ("b1", "add1"), ("add1", "tanh1"),
         ("tanh1", "mm2"), ("w2", "mm2"), ("mm2", "add2"), ("b2", "add2"), ("add2", "tanh2"),
         ("tanh2", "mul"), ("mul", "sum")])
    by_label = {c["label"]: c for c in clusters.values()}
    assert set(by_label) == {"fc1: Dense", "block: Block", "block.inner: Dense"}
    assert by_label["fc1: Dense"]["nodes"] == {m[k] for k in ("w1", "mm1", "b1", "add1", "tanh1")}
    assert by_label["block: Block"]["nodes"] == {m["mul"]}
    assert by_label["block.inner: Dense"]["nodes"] == \
        {m[k] for k in ("w2", "mm2", "b2", "add2", "tanh2")}
    assert by_label["fc1: Dense"]["parent"] is None
    inner_parent = by_label["block.inner: Dense"]["parent"]
    assert clusters[inner_parent]["label"] == "block: Block"
    # the ops recorded outside the context carry no tags
    y2 = net(x)
    _, _, clusters2 = parse_dot(viz.draw_graph(y2, model=net).source)
    assert clusters2 == {}


def test_trace_modules_restores_the_hook_and_survives_errors():
    from minigrad.nn import module as nn_module
    registries = (mg.hooks.record_hooks, mg.hooks.op_hooks,
                  nn_module._global_forward_pre_hooks, nn_module._global_forward_hooks)
    before = [list(r) for r in registries]
    with pytest.raises(RuntimeError, match="boom"):
        with viz.trace_modules():
            assert all(len(r) == len(b) + 1 for r, b in zip(registries, before))
            raise RuntimeError("boom")
    assert [list(r) for r in registries] == before

    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("inside")

    with viz.trace_modules() as scope:
        with pytest.raises(ValueError):
            Bad()(mg.tensor(1.0))
        assert scope.path == ()        # the failed call was popped


# --------------------------------------------------------------- collapsing
class Cell(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w_x = nn.Parameter(f32(n, n, scale=0.3))
        self.w_h = nn.Parameter(f32(n, n, scale=0.3))

    def forward(self, x, h):
        return (x @ self.w_x + h @ self.w_h).tanh()     # 4 ops per call


class Loop(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.cell = Cell(n)

    def forward(self, xs, h):
        for t in range(xs.shape[0]):
            h = self.cell(xs[t], h)
        return h.sum()


def test_unrolled_loop_collapses_to_one_node_with_a_repeat_count():
    T = 5
    net = Loop()
    xs = mg.tensor(f32(T, 2, 3))
    h0 = mg.tensor(f32(2, 3)).detach()
    with viz.trace_modules():
        y = net(xs, h0)
    full, _, _ = parse_dot(viz.draw_graph(y, model=net).source)
    assert sum(1 for a in full.values() if a["shape"] == "box") == 4 * T + 1
    assert sum(1 for a in full.values() if a["label"].startswith("input")) == T   # xs[t]
    nodes, edges, clusters = parse_dot(
        viz.draw_graph(y, model=net, collapse_repeats=True, show_shapes=False).source)
    # h0, the xs[t] (identical sibling inputs, merged), the cell group, its weights, Sum
    assert sorted(labels(nodes).values()) == sorted([
        "detached (detach)", "input x5", "cell: Cell x5\\n4 ops per call",
        "cell.w_x", "cell.w_h", "output: Sum"])
    ids = {v: k for k, v in labels(nodes).items()}
    group = ids["cell: Cell x5\\n4 ops per call"]
    assert nodes[group]["shape"] == "box3d"
    got = {(s, t): a.get("label") for s, t, a in edges}
    assert got == {
        (ids["detached (detach)"], group): None,
        (ids["input x5"], group): "x5",
        (ids["cell.w_x"], group): "x5",
        (ids["cell.w_h"], group): "x5",
        (group, group): "x4",                        # h_t -> next call: the recurrence
        (group, ids["output: Sum"]): None,
    }
    # the weights are drawn in the cell's cluster, beside the collapsed calls
    (cell_cluster,) = [c for c in clusters.values() if c["label"] == "cell: Cell"]
    assert cell_cluster["nodes"] == {ids["cell.w_x"], ids["cell.w_h"]}


def test_max_nodes_keeps_the_nodes_nearest_the_output_and_says_what_it_left_out():
    a = mg.tensor(f32(3), requires_grad=True)
    h = a
    for _ in range(20):
        h = h.tanh()
    for _ in range(10):
        h = h.sigmoid()
    y = h.sum()
    nodes, edges, _ = parse_dot(viz.draw_graph(y, max_nodes=8, show_shapes=False).source)
    assert len(nodes) == 8 + 1                    # the kept nodes and the note
    # kept: the chain of the last 7 sigmoids into the output
    chain = [f"s{i}" for i in range(7)] + ["sum"]
    m = match_dot(nodes, edges, dict({s: "Sigmoid" for s in chain[:-1]}, sum="output: Sum"),
                  list(zip(chain, chain[1:])))
    # left out: 3 sigmoids, 20 tanhs and the input leaf
    assert nodes["left_out"]["label"] == ("24 more nodes not shown (max_nodes=8)"
                                          "\\nops: Tanh x20, Sigmoid x3; leaves: 1")
    # the note points at the first kept node, whose parent was left out
    assert [(s, t, a.get("style")) for s, t, a in edges if "left_out" in (s, t)] == \
        [("left_out", m["s0"], "dotted")]


# -------------------------------------------------------------- import cost
def test_import_minigrad_does_not_import_graphviz_or_matplotlib():
    code = ("import sys, minigrad; "
            "print(sorted(m for m in ('graphviz', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_collapsed_edges_show_the_largest_of_the_per_step_gradient_norms():
    T = 4
    net = Loop()
    xs = mg.tensor(f32(T, 2, 3))
    h0 = mg.tensor(f32(2, 3)).detach()
    with viz.trace_modules():
        y = net(xs, h0)
    with viz.record_grad_norms():
        y.backward()
    # BPTT by hand, in float64: h_t = tanh(x_t Wx + h_{t-1} Wh), y = sum(h_T)
    Wx, Wh = (net.cell.w_x.data.astype(np.float64), net.cell.w_h.data.astype(np.float64))
    hs = [h0.data.astype(np.float64)]
    for t in range(T):
        hs.append(np.tanh(xs.data[t] @ Wx + hs[-1] @ Wh))
    g = np.ones_like(hs[-1])
    n_wx, n_wh, n_carry = [], [], []
    for t in range(T, 0, -1):
        dpre = g * (1 - hs[t] ** 2)
        n_wx.append(np.linalg.norm(xs.data[t - 1].T @ dpre))
        n_wh.append(np.linalg.norm(hs[t - 1].T @ dpre))
        g = dpre @ Wh.T
        if t > 1:
            n_carry.append(np.linalg.norm(g))        # into h_{t-1}, made by call t-1
    nodes, edges, _ = parse_dot(viz.draw_graph(
        y, model=net, collapse_repeats=True, show_grad_norms=True, show_shapes=False).source)
    ids = {v["label"].split("\\n")[0]: k for k, v in nodes.items()}
    group = ids["cell: Cell x4"]
    got = {(s, t): a.get("label") for s, t, a in edges}
    assert got[(ids["cell.w_x"], group)] == f"x4 max {max(n_wx):.2e}"
    assert got[(ids["cell.w_h"], group)] == f"x4 max {max(n_wh):.2e}"
    assert got[(group, group)] == f"x3 max {max(n_carry):.2e}"
    assert got[(group, ids["output: Sum"])] == f"{np.sqrt(6):.2e}"     # ones of shape (2, 3)
