"""minigrad.viz: rendering through Graphviz's `dot`, the missing-`dot` error, TBPTT cuts
through a real LSTM, and the gradient-norm recorder across training.

Rendering tests need `dot`: they run whenever it is installed, and under CI=true
they always run (a missing `dot` in CI fails them instead of skipping).
"""
import math
import os
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad import viz
from minigrad.nn.utils import detach_state

from test_viz import _mlp_graph, parse_dot

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's `dot` is not installed (apt-get install -y graphviz); "
           "rendering tests always run under CI=true")

SVG = "{http://www.w3.org/2000/svg}"


def _svg_nodes(path):
    root = ET.parse(path).getroot()             # parses as XML, or raises
    assert root.tag == SVG + "svg"
    titles = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            titles[g.find(SVG + "title").text] = g
    return titles


@needs_dot
@pytest.mark.parametrize("show_grad_norms", [False, True])
def test_render_svg_is_xml_with_one_svg_node_per_dot_node(tmp_path, show_grad_norms):
    x, W, b, y = _mlp_graph()
    with viz.record_grad_norms():
        y.backward()
    g = viz.draw_graph(y, params={"W": W, "b": b}, show_grad_norms=show_grad_norms)
    dot_nodes, _, _ = parse_dot(g.source)
    path = viz.render(g, tmp_path / "sub" / "g.svg")
    svg = _svg_nodes(path)
    assert set(svg) == set(dot_nodes)
    assert len(svg) == 7 + (1 if show_grad_norms else 0)     # 7 tensors (+ the legend)
    root = ET.parse(path).getroot()
    assert sum(1 for e in root.iter(SVG + "g") if e.get("class") == "edge") == 6


@needs_dot
def test_render_png_and_explicit_format(tmp_path):
    _, W, b, y = _mlp_graph()
    g = viz.draw_graph(y)
    png = viz.render(g, tmp_path / "g.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    other = viz.render(g, tmp_path / "graph_file", format="svg")
    assert len(_svg_nodes(other)) == 7
    with pytest.raises(ValueError, match="format"):
        viz.render(g, tmp_path / "no_extension")


def test_missing_dot_says_how_to_install_graphviz(tmp_path, monkeypatch):
    _, W, b, y = _mlp_graph()
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))       # a PATH without `dot`
    assert shutil.which("dot") is None
    g = viz.draw_graph(y, params={"W": W})        # building still works
    assert "MatMul" in g.source
    with pytest.raises(viz.GraphvizNotFoundError, match=r"apt-get install -y graphviz"):
        viz.render(g, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


# ---------------------------------------------- the TBPTT cut through nn.LSTM
def _lstm_chunk():
    lstm = nn.LSTM(3, 4, num_layers=2)
    x1, x2 = mg.randn(5, 2, 3), mg.randn(5, 2, 3)
    _, state = lstm(x1)
    state = detach_state(state)                  # the cut between chunks
    with viz.trace_modules():
        out, _ = lstm(x2, state)
    return lstm, x2, state, out.sum()


def test_tbptt_chunk_of_an_lstm_shows_the_detached_state():
    lstm, x2, state, loss = _lstm_chunk()
    g = viz.draw_graph(loss, model=lstm, show_shapes=True)
    nodes, edges, clusters = parse_dot(g.source)
    detached = {k for k, a in nodes.items() if a["label"].startswith("detached (detach)")}
    # h0[k] and c0[k] for each of the 2 layers, each feeding that layer's recurrent op
    assert len(detached) == 4
    assert all("dashed" in nodes[k]["style"] for k in detached)
    targets = {t for s, t, _ in edges if s in detached}
    assert len(targets) == 2
    assert {nodes[t]["label"].split("\\n")[0] for t in targets} == {"Recurrent"}
    assert {s for s, t, a in edges if s in detached and a.get("style") == "dashed"} == detached
    # without trace_modules only the detach() result itself is marked; the slices
    # h0[k] the layer takes are computed from it without history
    out2, _ = lstm(x2, state)
    plain, _, _ = parse_dot(viz.draw_graph(out2.sum()).source)
    assert not any(a["label"].startswith("detached") for a in plain.values())


@needs_dot
def test_render_clustered_graph_with_grad_norms(tmp_path):
    lstm, _, _, loss = _lstm_chunk()
    with viz.record_grad_norms():
        loss.backward()
    g = viz.draw_graph(loss, model=lstm, show_grad_norms=True)
    nodes, _, clusters = parse_dot(g.source)
    path = viz.render(g, tmp_path / "lstm.svg")
    assert set(_svg_nodes(path)) == set(nodes)
    root = ET.parse(path).getroot()
    svg_clusters = [e.find(SVG + "title").text for e in root.iter(SVG + "g")
                    if e.get("class") == "cluster"]
    assert sorted(svg_clusters) == sorted(clusters)


# ------------------------------------------------------ norms across training
def test_grad_norm_recorder_matches_numpy_norms_over_steps():
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    opt = optim.SGD(net.parameters(), lr=0.1)
    rec = viz.GradNormRecorder(net)
    names = [n for n, _ in net.named_parameters()]
    assert list(rec.history) == names
    expected = {n: [] for n in names}
    for step in range(4):
        x = mg.randn(6, 3)
        loss = (net(x) ** 2).mean()
        loss.backward()
        now = rec.record()
        for n, p in net.named_parameters():
            expected[n].append(float(np.linalg.norm(p.grad.astype(np.float64))))
            assert now[n] == pytest.approx(expected[n][-1], rel=1e-6)
        opt.step()
        opt.zero_grad()
    assert rec.steps == [0, 1, 2, 3] and len(rec) == 4
    for n in names:
        np.testing.assert_allclose(rec.history[n], expected[n], rtol=1e-6)
    total = [math.sqrt(sum(expected[n][i] ** 2 for n in names)) for i in range(4)]
    np.testing.assert_allclose(rec.total, total, rtol=1e-6)
    # a parameter without a gradient records nan; explicit step numbers are kept
    now = rec.record(step=10)
    assert all(math.isnan(v) for v in now.values())
    assert rec.steps[-1] == 10 and rec.total[-1] == 0.0


def test_grad_norm_recorder_lives_in_nn_utils_and_is_reexported_by_viz():
    assert viz.GradNormRecorder is nn.utils.GradNormRecorder
    assert viz.plot_grad_norms is nn.utils.plot_grad_norms


def test_grad_norm_recorder_accepts_dicts_and_pairs_and_rejects_junk():
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()
    for params in ({"w": w}, [("w", w)]):
        assert viz.GradNormRecorder(params).record() == {"w": pytest.approx(10.0)}
    with pytest.raises(ValueError, match="no parameters"):
        viz.GradNormRecorder({})
    with pytest.raises(TypeError, match="'w' is a list"):
        viz.GradNormRecorder({"w": [1.0]})


def test_grad_norm_plot_writes_a_png_or_explains_matplotlib_is_missing(tmp_path):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    rec = viz.GradNormRecorder({"w": w})
    with pytest.raises(ValueError, match="nothing recorded"):
        rec.plot(tmp_path / "empty.png")
    for k in range(5):
        w.grad = None
        (w * float(k + 1)).sum().backward()
        rec.record()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install matplotlib"):
            rec.plot(tmp_path / "norms.png")
        return
    rec.plot(tmp_path / "out" / "norms.png")
    with open(tmp_path / "out" / "norms.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
