"""RNN / LSTM / GRU layers: one fused tape node per (layer, direction).

References, all built inside the tests (no PyTorch here):

* the step-by-step composition of the cells (``nn.RNNCell/LSTMCell/GRUCell``,
  made of core ops) with the layer's own Parameters, over layers and
  directions, for outputs, final states and every gradient;
* the other path: Numba kernels and the NumPy path must agree to 1e-10 in
  float64;
* central differences (``mg.gradcheck``) through the fused node, over
  hypothesis-generated T, B, I, H, num_layers and directions, on both paths.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn

KINDS = ["RNN", "LSTM", "GRU"]
PATHS = [True, False]          # mg.config.use_numba


@contextlib.contextmanager
def numba_path(flag):
    old = mg.config.use_numba
    mg.config.use_numba = flag
    try:
        yield
    finally:
        mg.config.use_numba = old


def make(kind, I, H, L=1, bidirectional=False, batch_first=False, **kw):
    mg.set_default_dtype(mg.float64)
    return getattr(nn, kind)(I, H, num_layers=L, bidirectional=bidirectional,
                             batch_first=batch_first, **kw)


def run(layer, x, state):
    """Call a layer or the reference; returns (output, [h_n] or [h_n, c_n])."""
    if isinstance(layer, nn.LSTM):
        out, (h, c) = layer(x, state)
        return out, [h, c]
    if isinstance(layer, nn.Module):
        out, h = layer(x, None if state is None else state[0])
        return out, [h]
    return layer(x, state)


def cell_reference(layer):
    """The layer rebuilt from cells (core ops) sharing the layer's Parameters."""
    kind = type(layer).__name__
    D = 2 if layer.bidirectional else 1
    cells = {}
    for k in range(layer.num_layers):
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            n_in = layer.input_size if k == 0 else layer.hidden_size * D
            if kind == "RNN":
                cell = nn.RNNCell(n_in, layer.hidden_size, layer.bias, layer.nonlinearity)
            else:
                cell = getattr(nn, kind + "Cell")(n_in, layer.hidden_size, layer.bias)
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                if layer.bias or name.startswith("weight"):
                    setattr(cell, name, getattr(layer, name + sfx))
            cells[k, d] = cell

    def forward(x, state):
        if layer.batch_first:
            x = x.transpose(1, 0, 2)
        T = x.shape[0]
        finals = [[], []]
        inp = x
        for k in range(layer.num_layers):
            outs = []
            for d in range(D):
                j = k * D + d
                if kind == "LSTM":
                    s = None if state is None else (state[0][j], state[1][j])
                else:
                    s = None if state is None else state[0][j]
                seq = [None] * T
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    s = cells[k, d](inp[t], s)
                    seq[t] = s[0] if kind == "LSTM" else s
                outs.append(mg.stack(seq, axis=0))
                finals[0].append(s[0] if kind == "LSTM" else s)
                if kind == "LSTM":
                    finals[1].append(s[1])
            inp = outs[0] if D == 1 else mg.concatenate(outs, axis=2)
        out = inp.transpose(1, 0, 2) if layer.batch_first else inp
        return out, [mg.stack(f, axis=0) for f in finals if f]
    return forward


def loss_and_grads(fn, layer, x, state, weights):
    """sum(w_i * output_i) over output and final states, and the gradients."""
    layer.zero_grad()
    for t in [x] + list(state or []):
        t.grad = None
    out, finals = run(fn, x, state)
    loss = (out * weights[0]).sum()
    for f, w in zip(finals, weights[1:]):
        loss = loss + (f * w).sum()
    loss.backward()
    grads = {n: p.grad.copy() for n, p in layer.named_parameters()}
    grads["x"] = x.grad.copy()
    for i, s in enumerate(state or []):
        grads[f"state{i}"] = s.grad.copy()
    return [out.data] + [f.data for f in finals], grads


def random_case(kind, T, B, I, H, L, bi, batch_first, with_state, seed):
    rng = np.random.default_rng(seed)
    D = 2 if bi else 1
    x = mg.tensor(rng.standard_normal((B, T, I) if batch_first else (T, B, I)),
                  requires_grad=True)
    S = 2 if kind == "LSTM" else 1
    state = [mg.tensor(rng.standard_normal((L * D, B, H)), requires_grad=True)
             for _ in range(S)] if with_state else None
    out_shape = (B, T, D * H) if batch_first else (T, B, D * H)
    weights = [rng.standard_normal(out_shape)] + \
        [rng.standard_normal((L * D, B, H)) for _ in range(S)]
    return x, state, weights


dims = dict(T=st.integers(1, 5), B=st.integers(1, 4), I=st.integers(1, 4),
            H=st.integers(1, 5), L=st.integers(1, 3), bi=st.booleans(),
            batch_first=st.booleans(), with_state=st.booleans(), seed=st.integers(0, 2**31))


@pytest.mark.parametrize("kind", KINDS + ["RNN_relu"])
@settings(max_examples=40)
@given(**dims)
def test_layer_equals_cell_composition_on_both_paths(kind, T, B, I, H, L, bi, batch_first,
                                                     with_state, seed):
    extra = {"nonlinearity": "relu"} if kind == "RNN_relu" else {}
    kind = kind.split("_")[0]
    layer = make(kind, I, H, L, bi, batch_first, **extra)
    x, state, w = random_case(kind, T, B, I, H, L, bi, batch_first, with_state, seed)
    ref_vals, ref_grads = loss_and_grads(cell_reference(layer), layer, x, state, w)
    results = {}
    for path in PATHS:
        with numba_path(path):
            results[path] = loss_and_grads(layer, layer, x, state, w)
        vals, grads = results[path]
        for a, b in zip(vals, ref_vals):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        assert grads.keys() == ref_grads.keys()
        for name in grads:
            np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-11,
                                       err_msg=f"{kind} gradient of {name} (numba={path})")
    # and the two paths against each other
    (va, ga), (vb, gb) = results[True], results[False]
    for a, b in zip(va, vb):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for name in ga:
        np.testing.assert_allclose(ga[name], gb[name], rtol=1e-10, atol=1e-12, err_msg=name)


@contextlib.contextmanager
def small_blocks(mnk, min_block):
    """Make the per-step products split into column blocks at test sizes."""
    from minigrad.ops.recurrent import products as rec
    old = rec._SMALL_MNK, rec._MIN_BLOCK
    rec._SMALL_MNK, rec._MIN_BLOCK = mnk, min_block
    try:
        yield
    finally:
        rec._SMALL_MNK, rec._MIN_BLOCK = old


def test_block_width_rule():
    from minigrad.ops.recurrent.products import _block_width
    # (batch, K, N) of the forward (B, H) @ (H, G*H) and backward (B, G*H) @ (G*H, H)
    assert _block_width(32, 128, 512) == 128
    assert _block_width(32, 256, 1024) == 64
    assert _block_width(32, 512, 2048) == 32
    assert _block_width(32, 512, 128) == 32
    assert _block_width(32, 1024, 256) == 16
    assert _block_width(32, 2048, 512) == 512          # blocks of 8 would be needed: one product
    assert _block_width(32, 64, 256) == 256
    assert _block_width(3, 4, 12) == 12                 # test sizes: never split by default
    with small_blocks(30, 1):
        assert _block_width(3, 4, 12) == 2


@pytest.mark.parametrize("kind", KINDS + ["RNN_relu"])
@settings(max_examples=15)
@given(T=st.integers(1, 4), B=st.integers(1, 3), I=st.integers(1, 3), H=st.integers(2, 6),
       bi=st.booleans(), mnk=st.integers(1, 200), seed=st.integers(0, 2**31))
def test_products_in_column_blocks_match_cells(kind, T, B, I, H, bi, mnk, seed):
    extra = {"nonlinearity": "relu"} if kind == "RNN_relu" else {}
    kind = kind.split("_")[0]
    layer = make(kind, I, H, 1, bi, False, **extra)
    x, state, w = random_case(kind, T, B, I, H, 1, bi, False, True, seed)
    ref_vals, ref_grads = loss_and_grads(cell_reference(layer), layer, x, state, w)
    for path in PATHS:
        with numba_path(path), small_blocks(mnk, 1):
            vals, grads = loss_and_grads(layer, layer, x, state, w)
        for a, b in zip(vals, ref_vals):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        for name in grads:
            np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-11,
                                       err_msg=f"{kind} gradient of {name} (numba={path})")


def functional(layer):
    """fn(x, *state, *params) running ``layer`` with the given tensors as parameters."""
    names = [n for n, _ in layer.named_parameters()]
    S = 2 if isinstance(layer, nn.LSTM) else 1

    def fn(x, *rest):
        state, params = rest[:-len(names)], rest[-len(names):]
        saved = dict(layer._parameters)
        layer._parameters.update(zip(names, params))
        try:
            out, finals = run(layer, x, list(state) if state else None)
        finally:
            layer._parameters.update(saved)
        return [out] + finals
    return fn, S


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", PATHS, ids=["numba", "numpy"])
@settings(max_examples=20)
@given(T=st.integers(1, 3), B=st.integers(1, 2), I=st.integers(1, 2), H=st.integers(1, 2),
       L=st.integers(1, 2), bi=st.booleans(), with_state=st.booleans(),
       seed=st.integers(0, 2**31))
def test_gradcheck_through_fused_node(kind, path, T, B, I, H, L, bi, with_state, seed):
    layer = make(kind, I, H, L, bi)
    fn, S = functional(layer)
    rng = np.random.default_rng(seed)
    D = 2 if bi else 1
    x = mg.tensor(rng.standard_normal((T, B, I)), requires_grad=True)
    state = [mg.tensor(rng.standard_normal((L * D, B, H)), requires_grad=True)
             for _ in range(S)] if with_state else []
    params = [mg.tensor(p.data, requires_grad=True) for p in layer.parameters()]
    with numba_path(path):
        assert mg.gradcheck(fn, [x] + state + params, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_a_layer_direction_is_one_tape_node():
    layer = make("LSTM", 3, 4, L=2, bidirectional=True)
    out, (h, c) = layer(mg.randn(5, 2, 3, dtype=mg.float64))
    seen, stack, nodes = set(), [out.grad_fn, h.grad_fn, c.grad_fn], []
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        nodes.append(n.name)
        stack.extend(p.grad_fn for p in n.parents if p is not None)
    assert nodes.count("Recurrent") == 4          # 2 layers x 2 directions


def _on_both_paths(layer, x):
    """{use_numba: [output, dL/dx, dL/dparams...]} of L = sum(out^2) on each path."""
    res = {}
    for path in PATHS:
        with numba_path(path):
            layer.zero_grad()
            x.grad = None
            out, _ = run(layer, x, None)
            assert out.dtype == x.dtype
            (out * out).sum().backward()
            res[path] = [out.data, x.grad] + [p.grad for p in layer.parameters()]
    return res


@pytest.mark.parametrize("kind", KINDS)
def test_float32_paths_agree(kind):
    mg.set_default_dtype(mg.float32)
    layer = getattr(nn, kind)(6, 16, num_layers=2, bidirectional=True)
    x = mg.tensor(np.random.default_rng(1).standard_normal((7, 3, 6)).astype(np.float32),
                  requires_grad=True)
    res = _on_both_paths(layer, x)
    for a, b in zip(res[True], res[False]):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_saturated_gates_have_zero_gradient(kind):
    """Pre-activations of +-10^4 saturate every gate: float32 tanh/sigmoid are exactly
    +-1 / 0 / 1 there, so the derivatives formed from the saved outputs are exactly 0 on
    both paths (the Numba tanh once stopped 4 ulp short of 1: gradients of ~5e-4)."""
    mg.set_default_dtype(mg.float32)
    layer = getattr(nn, kind)(1, 1)
    layer.weight_ih_l0.data[...] = 1000
    x = mg.tensor(np.array([10, -10, 10, 10], np.float32).reshape(4, 1, 1), requires_grad=True)
    res = _on_both_paths(layer, x)
    for a, b in zip(res[True][1:], res[False][1:]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, np.zeros_like(a))


@pytest.mark.parametrize("kind", KINDS)
def test_batch_first_and_omitted_state(kind):
    layer = make(kind, 3, 4, L=2, bidirectional=True)
    x = mg.tensor(np.random.default_rng(2).standard_normal((5, 2, 3)))
    out, finals = run(layer, x, None)
    zeros = [mg.zeros(4, 2, 4, dtype=mg.float64) for _ in finals]
    out0, finals0 = run(layer, x, zeros)
    np.testing.assert_array_equal(out.data, out0.data)
    layer.batch_first = True
    out_bf, finals_bf = run(layer, x.transpose(1, 0, 2), None)
    assert out_bf.shape == (2, 5, 8)
    np.testing.assert_allclose(out_bf.data, out.data.transpose(1, 0, 2), rtol=1e-12)
    for a, b in zip(finals, finals_bf):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
    # the last layer's forward-direction h_n is its output at the last step,
    # the reverse direction's is its output at the first step
    np.testing.assert_allclose(finals[0].data[2], out.data[-1, :, :4], rtol=1e-12)
    np.testing.assert_allclose(finals[0].data[3], out.data[0, :, 4:], rtol=1e-12)


def test_parameter_names_shapes_and_init():
    H = 16
    lstm = make("LSTM", 10, H, L=2, bidirectional=True)
    names = [(n, p.shape) for n, p in lstm.named_parameters()]
    expected = []
    for k in range(2):
        for sfx in ("", "_reverse"):
            n_in = 10 if k == 0 else 2 * H
            expected += [(f"weight_ih_l{k}{sfx}", (4 * H, n_in)),
                         (f"weight_hh_l{k}{sfx}", (4 * H, H)),
                         (f"bias_ih_l{k}{sfx}", (4 * H,)), (f"bias_hh_l{k}{sfx}", (4 * H,))]
    assert names == expected
    gru = make("GRU", 3, H, bias=False)
    assert [(n, p.shape) for n, p in gru.named_parameters()] == \
        [("weight_ih_l0", (3 * H, 3)), ("weight_hh_l0", (3 * H, H))]
    for p in lstm.parameters():
        assert np.abs(p.data).max() <= 1 / np.sqrt(H)
        assert p.data.std() > 0.5 / np.sqrt(3 * H)   # uniform(-k, k) has std k/sqrt(3)
    cell = nn.GRUCell(5, 7)
    assert [(n, p.shape) for n, p in cell.named_parameters()] == [
        ("weight_ih", (21, 5)), ("weight_hh", (21, 7)), ("bias_ih", (21,)), ("bias_hh", (21,))]


@pytest.mark.parametrize("kind", KINDS)
def test_no_bias_layers_match_cells(kind):
    layer = make(kind, 2, 3, L=2, bias=False)
    x, state, w = random_case(kind, 4, 2, 2, 3, 2, False, False, True, 3)
    ref_vals, ref_grads = loss_and_grads(cell_reference(layer), layer, x, state, w)
    vals, grads = loss_and_grads(layer, layer, x, state, w)
    for a, b in zip(vals, ref_vals):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-12)


def test_inter_layer_dropout_train_and_eval():
    layer = make("GRU", 3, 8, L=2, dropout=0.5)
    x = mg.tensor(np.random.default_rng(4).standard_normal((6, 4, 3)))
    a, _ = layer(x)
    b, _ = layer(x)
    assert not np.allclose(a.data, b.data)        # a new mask each call
    layer.eval()
    c, _ = layer(x)
    d, _ = layer(x)
    np.testing.assert_array_equal(c.data, d.data)
    no_drop = make("GRU", 3, 8, L=2)
    no_drop.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(no_drop(x)[0].data, c.data)
    # a single layer has no inter-layer dropout, even in training mode
    one = make("GRU", 3, 8, L=1, dropout=0.5)
    np.testing.assert_array_equal(one(x)[0].data, one(x)[0].data)


def test_dropout_masks_the_first_layers_output():
    """With dropout p, layer 2 sees layer 1's output times a {0, 1/(1-p)} mask."""
    layer = make("RNN", 2, 5, L=2, dropout=0.4)
    x = mg.tensor(np.random.default_rng(5).standard_normal((3, 2, 2)))
    mg.manual_seed(11)
    out, _ = layer(x)
    first = make("RNN", 2, 5)
    second = make("RNN", 5, 5)
    sd = layer.state_dict()
    first.load_state_dict({k: v for k, v in sd.items() if k.endswith("_l0")})
    second.load_state_dict({k.replace("_l1", "_l0"): v for k, v in sd.items()
                            if k.endswith("_l1")})
    y1 = first(x)[0].data
    # the mask is the first draw from the seeded generator (dropout draws nothing else)
    mg.manual_seed(11)
    mask = (mg.random.get_rng().random(y1.shape) >= 0.4) / 0.6
    np.testing.assert_allclose(second(mg.tensor(y1 * mask))[0].data, out.data, rtol=1e-12)
    assert 0 < (mask == 0).mean() < 1
    with pytest.raises(AssertionError):           # and it did change the result
        np.testing.assert_allclose(second(mg.tensor(y1))[0].data, out.data, rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_inputs_name_what_was_expected(kind):
    layer = make(kind, 3, 4, L=2, bidirectional=True)
    S = 2 if kind == "LSTM" else 1
    with pytest.raises(ValueError, match=r"3-D input.*input_size=3.*got shape \(5, 3\)"):
        run(layer, mg.zeros(5, 3), None)
    with pytest.raises(ValueError, match=r"input feature size input_size=3, got 7"):
        run(layer, mg.zeros(5, 2, 7), None)
    good = mg.zeros(4, 2, 4)
    with pytest.raises(ValueError, match=r"h0 of shape .*=4, batch=2, hidden_size=4.*"
                                         r"got \(2, 2, 4\)"):
        run(layer, mg.zeros(5, 2, 3), [mg.zeros(2, 2, 4)] + [good] * (S - 1))
    with pytest.raises(ValueError, match=r"batch=2.*got \(4, 3, 4\)"):
        run(layer, mg.zeros(5, 2, 3), [mg.zeros(4, 3, 4)] + [good] * (S - 1))
    if kind == "LSTM":
        with pytest.raises(ValueError, match=r"c0 of shape .*got \(4, 2, 5\)"):
            run(layer, mg.zeros(5, 2, 3), [good, mg.zeros(4, 2, 5)])
        with pytest.raises(ValueError, match=r"tuple \(h0, c0\)"):
            layer(mg.zeros(5, 2, 3), good)
    layer.batch_first = True
    with pytest.raises(ValueError, match=r"\(batch, seq_len, input_size=3\)"):
        run(layer, mg.zeros(2, 3, 4, 3), None)


@pytest.mark.parametrize("kind", KINDS)
def test_cells_check_shapes_and_gradcheck(kind):
    mg.set_default_dtype(mg.float64)
    cell = getattr(nn, kind + "Cell")(3, 2)
    with pytest.raises(ValueError, match=r"input of shape \(batch, input_size=3\), got \(4, 5\)"):
        cell(mg.zeros(4, 5))
    with pytest.raises(ValueError, match=r"h of shape \(batch=4, hidden_size=2\), got \(3, 2\)"):
        cell(mg.zeros(4, 3), mg.zeros(3, 2) if kind != "LSTM" else (mg.zeros(3, 2),
                                                                      mg.zeros(4, 2)))
    rng = np.random.default_rng(6)
    x = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = mg.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    c = mg.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    names = [n for n, _ in cell.named_parameters()]
    params = [mg.tensor(p.data, requires_grad=True) for p in cell.parameters()]

    def fn(x, h, c, *ps):
        saved = dict(cell._parameters)
        cell._parameters.update(zip(names, ps))
        try:
            return cell(x, (h, c)) if kind == "LSTM" else cell(x, h)
        finally:
            cell._parameters.update(saved)
    assert mg.gradcheck(fn, [x, h, c] + params)


def test_recurrent_op_rejects_an_unknown_cell():
    from minigrad.ops.recurrent import recurrent
    with pytest.raises(ValueError, match="unknown cell 'lstmx'"):
        recurrent(mg.zeros(2, 1, 1), None, None, mg.zeros(4, 1), mg.zeros(4, 1), None, None,
                  cell="lstmx")


@pytest.mark.parametrize("path", PATHS, ids=["numba", "numpy"])
def test_results_survive_later_calls(path):
    """Buffers are recycled between calls: nothing a caller still holds may be overwritten."""
    layer = make("LSTM", 3, 4)
    rng = np.random.default_rng(7)
    with numba_path(path):
        x1 = mg.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
        out1, (h1, c1) = layer(x1)
        kept = [out1.data[1:], h1.data, c1.data]      # views, not copies
        copies = [k.copy() for k in kept]
        (out1 * out1).sum().backward()
        g1 = x1.grad.copy()
        for _ in range(3):
            out, _ = layer(mg.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True))
            (out * 3).sum().backward()
        for k, c in zip(kept, copies):
            np.testing.assert_array_equal(k, c)
        np.testing.assert_array_equal(x1.grad, g1)
        # and the graph of the first call can still be differentiated again
        out2, _ = layer(x1)
        (out2 * out2).sum().backward(retain_graph=True)
        g2 = x1.grad.copy()
        layer(mg.tensor(rng.standard_normal((5, 2, 3))))
        (out2 * out2).sum().backward()
        np.testing.assert_allclose(x1.grad - g2, g2 - g1, rtol=1e-12)


def test_recurrent_op_checks_shapes():
    from minigrad.ops.recurrent import recurrent
    x = mg.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"expected w_ih of shape \(20, 4\), got \(20, 3\)"):
        recurrent(x, None, None, mg.zeros(20, 3), mg.zeros(20, 5), None, None, cell="lstm")
    with pytest.raises(ValueError, match=r"expected h0 of shape \(3, 5\), got \(2, 5\)"):
        recurrent(x, mg.zeros(2, 5), None, mg.zeros(15, 4), mg.zeros(15, 5), None, None,
                  cell="gru")
    with pytest.raises(ValueError, match=r"expected x of shape \(T, B, I\)"):
        recurrent(mg.zeros(3, 4), None, None, mg.zeros(5, 4), mg.zeros(5, 5), None, None,
                  cell="rnn_tanh")


@pytest.mark.parametrize("path", PATHS, ids=["numba", "numpy"])
@pytest.mark.parametrize("kind", KINDS)
def test_bias_gradients_are_independent_arrays(kind, path):
    """db_ih and db_hh are equal for RNN/LSTM, but must not be one array: an
    optimizer or hook writing into one gradient would change the other."""
    layer = make(kind, 3, 4)
    x = mg.tensor(np.random.default_rng(3).standard_normal((5, 2, 3)))
    with numba_path(path):
        out = layer(x)[0]
        for params in ([layer.bias_ih_l0, layer.bias_hh_l0],
                       [layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0,
                        layer.bias_hh_l0]):
            grads = mg.grad((out * out).sum(), params, retain_graph=True)
            db_ih, db_hh = grads[-2:]
            assert not np.shares_memory(db_ih, db_hh)
            before = db_hh.copy()
            db_ih += 1.0
            np.testing.assert_array_equal(db_hh, before)
