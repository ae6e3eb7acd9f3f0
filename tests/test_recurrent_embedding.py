"""Embedding-fed recurrent layers: the fused lookup (``Recurrent`` with ``index``).

When a layer's input is a recorded lookup ``E[index]`` and 2*V <= T*B, layer 0
runs the fused op (input projection as a lookup in E W_ih^T, backward a
scatter into that table). References built here: the same model with the
lookup multiplied by 1.0 (an op in between: never fused), so the unfused path
of the same weights; float64, outputs, states and every gradient to 1e-10.
Each test also checks which path ran (a spy on ``Recurrent.forward``), so a
fusion that silently stopped happening fails.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.ops.recurrent import op as recurrent_op
from minigrad.ops.recurrent import recurrent

KINDS = ["RNN", "LSTM", "GRU"]


@contextlib.contextmanager
def spy():
    """Yields a list of (fused?) per recurrent op call."""
    calls = []
    real = recurrent_op.Recurrent.forward

    def forward(ctx, *args, **kw):
        calls.append(kw.get("index") is not None)
        return real(ctx, *args, **kw)
    recurrent_op.Recurrent.forward = staticmethod(forward)
    try:
        yield calls
    finally:
        recurrent_op.Recurrent.forward = staticmethod(real)


def run(kind, fused, *, V=5, I=4, H=3, T=6, B=2, L=1, bi=False, bf=False, h0=False,
        tied=False, also=False, between=None):
    """Outputs and gradients of Embedding -> layer (-> tied head), float64."""
    mg.set_default_dtype(mg.float64)
    mg.manual_seed(0)
    emb = nn.Embedding(V, I)
    layer = getattr(nn, kind)(I, H, num_layers=L, bidirectional=bi, batch_first=bf)
    head = nn.Linear(I, V, bias=False)                # (made before any forward)
    head.weight = emb.weight                          # tied to E
    rng = np.random.default_rng(3)
    idx = rng.integers(0, V, (B, T) if bf else (T, B))
    D = 2 if bi else 1
    state = None
    if h0:
        h = mg.tensor(rng.standard_normal((L * D, B, H)), requires_grad=True)
        state = (h, mg.tensor(rng.standard_normal((L * D, B, H)))) if kind == "LSTM" else h
    x = emb(mg.tensor(idx))
    fed = x if fused else x * 1.0
    if between is not None:
        fed = between(fed)
    out, hn = layer(fed) if state is None else layer(fed, state)
    hn = hn if kind != "LSTM" else hn[0] + 2 * hn[1]
    loss = (out ** 2).sum() + (hn ** 3).sum()
    if also:                                          # the lookup used elsewhere too
        loss = loss + (x ** 3).sum()
    if tied:                                          # a head sharing E
        loss = loss + (head(x) ** 2).sum()
    loss.backward()
    grads = [np.asarray(p.grad) for p in list(emb.parameters()) + list(layer.parameters())]
    if h0:
        grads.append(np.asarray(h.grad))
    return [out.data, hn.data] + grads


CASES = [dict(), dict(bf=True), dict(bi=True), dict(L=2), dict(L=2, bi=True, bf=True),
         dict(h0=True), dict(h0=True, L=2, bi=True), dict(also=True), dict(tied=True),
         dict(tied=True, also=True, bi=True)]


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c) or "plain")
def test_fused_equals_unfused(kind, case, numba, monkeypatch):
    monkeypatch.setattr(mg.config, "use_numba", numba)
    with spy() as calls:
        fused = run(kind, True, **case)
    D = 2 if case.get("bi") else 1
    assert calls[:D] == [True] * D and not any(calls[D:])     # layer 0 only
    with spy() as calls:
        plain = run(kind, False, **case)
    assert not any(calls)
    assert len(fused) == len(plain)
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_dropout_between_is_not_fused_and_the_rule_holds():
    """A Dropout after the Embedding breaks the lookup form; a table with more than
    T*B/2 rows is not fused (the size rule)."""
    with spy() as calls:
        run("LSTM", True, between=nn.Dropout(0.5))
    assert calls == [False]
    with spy() as calls:
        run("LSTM", True, V=7, T=6, B=2)                # 2*7 > 12
    assert calls == [False]
    with spy() as calls:
        run("LSTM", True, V=6, T=6, B=2)                # 2*6 <= 12
    assert calls == [True]


def test_a_table_changed_after_the_lookup_is_not_read():
    mg.set_default_dtype(mg.float64)
    emb, lstm = nn.Embedding(4, 3), nn.LSTM(3, 2)
    idx = mg.tensor(np.array([[0, 1], [1, 2], [0, 0]]))
    x = emb(idx)
    want, _ = lstm(x * 1.0)
    emb.weight.data[1] += 1.0                          # after the lookup
    with spy() as calls:
        got, _ = lstm(x)
    assert calls == [False]
    np.testing.assert_allclose(got.data, want.data, rtol=0, atol=1e-12)


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
@settings(max_examples=6, deadline=None)
@given(T=st.integers(1, 4), B=st.integers(1, 3), V=st.integers(1, 4), I=st.integers(1, 3),
       H=st.integers(1, 3), reverse=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_fused_op_gradcheck(cell, numba, T, B, V, I, H, reverse, seed):
    G = {"lstm": 4, "gru": 3, "rnn_tanh": 1}[cell]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, V, (T, B))                  # repeats whenever T*B > V
    ts = [mg.tensor(rng.standard_normal(s) * 0.5, requires_grad=True)
          for s in [(V, I), (B, H), (G * H, I), (G * H, H), (G * H,), (G * H,)]]
    c0 = mg.tensor(rng.standard_normal((B, H)), requires_grad=True) if cell == "lstm" else None
    old = mg.config.use_numba
    mg.config.use_numba = numba
    try:
        assert mg.gradcheck(lambda E, h, wi, wh, bi, bh, *c: recurrent(
            E, h, c[0] if c else None, wi, wh, bi, bh, cell=cell, reverse=reverse,
            index=idx), ts + ([c0] if c0 is not None else []))
    finally:
        mg.config.use_numba = old


def test_a_wrong_table_gradient_is_caught(monkeypatch):
    """A scatter that drops repeated indices (assigns) must fail the gradient check."""
    def assign(out, rows, g):
        out[rows] = g
        return out
    monkeypatch.setattr(recurrent_op, "scatter_add_rows", assign)
    rng = np.random.default_rng(0)
    idx = np.array([[0, 1], [0, 0], [1, 0]])
    ts = [mg.tensor(rng.standard_normal(s) * 0.5, requires_grad=True)
          for s in [(2, 3), (8, 3), (8, 2)]]
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda E, wi, wh: recurrent(E, None, None, wi, wh, None, None,
                                                 index=idx), ts)


@pytest.mark.parametrize("args, match", [
    (dict(index=np.zeros((2, 3), float)), "integers of shape"),
    (dict(index=np.zeros(6, int)), "integers of shape"),
    (dict(index=np.full((2, 3), 5)), "out of range"),
    (dict(index=np.zeros((2, 3), int), table_3d=True), "table of shape"),
])
def test_bad_index_input(args, match):
    E = mg.randn(4, 3, 2) if args.pop("table_3d", False) else mg.randn(4, 3)
    w_ih, w_hh = mg.randn(8, 3), mg.randn(8, 2)
    with pytest.raises(ValueError, match=match):
        recurrent(E, None, None, w_ih, w_hh, None, None, **args)


@pytest.mark.parametrize("ask", ["hook", "retain_grad"])
def test_a_lookup_whose_gradient_is_asked_for_is_not_fused(ask):
    """A hook on the looked-up tensor, or retain_grad(), wants the gradient through
    it: the layer runs unfused, and the hook sees the gradient."""
    mg.set_default_dtype(mg.float64)
    emb, lstm = nn.Embedding(3, 2), nn.LSTM(2, 2)
    x = emb(mg.tensor(np.array([[0, 1], [1, 2], [0, 0], [2, 2]])))
    seen = []
    if ask == "hook":
        x.register_hook(lambda g: seen.append(g))
    else:
        x.retain_grad()
    with spy() as calls:
        out, _ = lstm(x)
    assert calls == [False]
    out.sum().backward()
    got = seen[0] if ask == "hook" else x.grad
    assert got is not None and got.shape == (4, 2, 2) and np.abs(got).sum() > 0


@pytest.mark.parametrize("kind", KINDS)
def test_fused_lookup_in_batch_parts_gives_the_same_results(kind, monkeypatch):
    """The fused op run by several threads in batch parts (minigrad.threads) equals
    one part exactly: the lookup table and its scatter are computed once, outside the
    parts."""
    from minigrad import threads
    monkeypatch.setattr(mg.config, "use_numba", True)
    monkeypatch.setattr(threads, "_MIN_WORK", 0)
    old = mg.get_num_threads()
    try:
        mg.set_num_threads(1)
        with spy() as calls:
            one = run(kind, True, B=6, T=5, bi=True)
        assert calls == [True, True]
        mg.set_num_threads(3)
        parts = []
        real = threads.run_parts
        monkeypatch.setattr(threads, "run_parts",
                            lambda fn, p: (parts.append(len(p)), real(fn, p))[1])
        many = run(kind, True, B=6, T=5, bi=True)
        assert 3 in parts
    finally:
        mg.set_num_threads(old)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)
