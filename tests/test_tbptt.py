"""Truncated BPTT: detach_state, tbptt_chunks, and TBPTT(k1, k2) against brute force.

The reference in this file is written independently of nn.utils: it runs the
model one step at a time, enumerates the Williams-Peng windows itself, zeroes
reset rows with its own multiply, and takes each update's gradient with
``mg.grad`` on a freshly built unrolled window. TBPTT is driven with an
optimizer stand-in that records the gradient it sees at every ``step()`` and
then applies plain SGD (lr = 0 leaves the parameters fixed).
"""
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn.utils import TBPTT, detach_state, tbptt_chunks, tbptt_windows


# ----------------------------------------------------------------- test models
class TinyRNN(nn.Module):
    """h_t = tanh(x_t W^T + h_{t-1} U^T + b), out_t = h_t V^T + c, from core ops, step by step."""

    def __init__(self, I=2, H=3, O=2, seed=0):
        super().__init__()
        r = np.random.default_rng(seed)
        self.W = nn.Parameter(r.normal(0, 0.6, (H, I)))
        self.U = nn.Parameter(r.normal(0, 0.6, (H, H)))
        self.b = nn.Parameter(r.normal(0, 0.3, (H,)))
        self.V = nn.Parameter(r.normal(0, 0.6, (O, H)))
        self.c = nn.Parameter(r.normal(0, 0.3, (O,)))
        self.H = H

    def forward(self, x, h=None):
        if h is None:
            h = mg.zeros(x.shape[1], self.H, dtype=np.float64)
        outs = []
        for t in range(x.shape[0]):
            h = mg.tanh(x[t] @ self.W.T + h @ self.U.T + self.b)
            outs.append(h @ self.V.T + self.c)
        return mg.stack(outs, axis=0), h


class TinyStack(nn.Module):
    """Two stacked TinyRNN-like layers; the state is the tuple (h1, h2)."""

    def __init__(self, I=2, H=3, O=2, seed=0):
        super().__init__()
        self.l1 = TinyRNN(I, H, H, seed)
        self.l2 = TinyRNN(H, H, O, seed + 1)

    def forward(self, x, state=None):
        h1, h2 = (None, None) if state is None else state
        z, h1 = self.l1(x, h1)
        out, h2 = self.l2(z, h2)
        return out, (h1, h2)


class LayerWithHead(nn.Module):
    """An nn recurrent layer followed by a Linear head, TBPTT calling convention."""

    def __init__(self, kind, I=2, H=3, O=2, num_layers=1):
        super().__init__()
        self.rnn = kind(I, H, num_layers=num_layers)
        self.head = nn.Linear(H, O)

    def forward(self, x, state=None):
        out, state = self.rnn(x, state)
        return self.head(out), state


def mse(out, y):
    return ((out - y) ** 2).mean()


class RecordingSGD:
    """Optimizer stand-in: records a copy of every gradient at step(), then p -= lr * grad."""

    def __init__(self, params, lr=0.0):
        self.params, self.lr, self.grads = list(params), lr, []

    def step(self):
        self.grads.append([p.grad.copy() for p in self.params])
        for p in self.params:
            p.data = p.data - self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# ------------------------------------------------------------ brute force
def _windows(T, k1, k2):
    """Williams-Peng updates written out: (start, loss_start, end) per update."""
    ends = list(range(k1, T + 1, k1))
    if T % k1:
        ends.append(T)
    return [(max(0, e - k2), ([0] + ends)[i], e) for i, e in enumerate(ends)]


def _zero_rows(state, keep):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(_zero_rows(s, keep) for s in state)
    return state * mg.tensor(keep.astype(np.float64)[:, None])


def _fresh(state):
    """A new leaf copy of a state (no history)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(_fresh(s) for s in state)
    return mg.tensor(state.data.copy())


def brute_force(model, x, y, k1, k2, lr, reset=None, state=None):
    """Per-update gradients of TBPTT(k1, k2) by unrolling each window step by step.

    The state entering a window's first step is the one the previous window
    computed (with the parameters of that update); parameters follow SGD.
    Returns (list of per-update gradient lists, final state, per-update losses).
    """
    params = list(model.parameters())
    T = x.shape[0]
    wins = _windows(T, k1, k2)
    all_grads, losses = [], []
    entering = _fresh(state)                      # state entering wins[0]'s start
    for i, (s, p, e) in enumerate(wins):
        nxt = wins[i + 1][0] if i + 1 < len(wins) else e
        h, outs, new_entering = entering, [], (entering if nxt == s else None)
        for t in range(s, e):
            if reset is not None:
                h = _zero_rows(h, ~reset[t])
            o, h = model(mg.tensor(x[t:t + 1]), h)
            outs.append(o)
            if t + 1 == nxt:
                new_entering = _fresh(h)
        loss = mse(mg.concatenate(outs[p - s:], axis=0), mg.tensor(y[p:e]))
        g = mg.grad(loss, params)
        all_grads.append(g)
        losses.append(loss.item())
        for prm, gi in zip(params, g):
            prm.data = prm.data - lr * gi
        entering = new_entering
    return all_grads, entering, losses


def _assert_grads_equal(got, want, rtol=1e-9, atol=1e-12):
    assert len(got) == len(want), f"{len(got)} updates, expected {len(want)}"
    for i, (gs, ws) in enumerate(zip(got, want)):
        for j, (g, w) in enumerate(zip(gs, ws)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol,
                                       err_msg=f"update {i}, parameter {j}")


def _flat(state):
    if isinstance(state, tuple):
        return [a for s in state for a in _flat(s)]
    return [state.data]


def _data(T, B, I=2, O=2, seed=0):
    r = np.random.default_rng(seed)
    return r.normal(size=(T, B, I)), r.normal(size=(T, B, O))


# ------------------------------------------------------------ detach_state
def test_detach_state_nested_structures():
    a = mg.tensor(np.ones((2, 3)), requires_grad=True)
    h, c, z = a * 2.0, a * 3.0, a * 4.0
    state = (h, [c, (z, None)])
    d = detach_state(state)
    assert type(d) is tuple and type(d[1]) is list and type(d[1][1]) is tuple
    assert d[1][1][1] is None
    for orig, new in [(h, d[0]), (c, d[1][0]), (z, d[1][1][0])]:
        assert new.grad_fn is None and not new.requires_grad
        assert np.shares_memory(new.data, orig.data)
    # gradient stops at the cut: a loss of the detached state does not reach `a`
    w = mg.tensor(np.ones((2, 3)), requires_grad=True)
    (d[0] * w + d[1][0]).sum().backward()
    assert a.grad is None and np.array_equal(w.grad, h.data)
    assert detach_state(None) is None


def test_detach_state_rejects_other_types():
    with pytest.raises(TypeError, match="detach_state: expected a Tensor.*got ndarray"):
        detach_state(np.zeros(3))
    with pytest.raises(TypeError, match="got dict"):
        detach_state({"h": mg.zeros(2)})


def test_reset_state_zeroes_batch_rows_of_every_tensor():
    from minigrad.nn.utils import reset_state
    a = mg.tensor(np.arange(1.0, 13.0).reshape(2, 3, 2), requires_grad=True)   # (L, B, H)
    h, c = a * 1.0, a * 2.0
    mask = np.array([False, True, False])
    hr, cr = reset_state((h, c), mask)
    want = a.data * np.array([1.0, 0.0, 1.0])[:, None]
    np.testing.assert_array_equal(hr.data, want)
    np.testing.assert_array_equal(cr.data, 2 * want)
    (hr.sum() + cr.sum()).backward()                  # no gradient reaches the reset row
    keep = np.array([1.0, 0.0, 1.0])[:, None]
    np.testing.assert_array_equal(a.grad, 3 * keep * np.ones((2, 3, 2)))
    cell_state = mg.tensor(np.ones((3, 4)))           # (B, H)
    np.testing.assert_array_equal(reset_state(cell_state, mask).data.sum(axis=1), [4, 0, 4])
    assert reset_state(None, mask) is None
    with pytest.raises(ValueError, match="shape \\(2, 4\\) has no batch axis -2 of size 3"):
        reset_state(mg.tensor(np.ones((2, 4))), mask)


# ------------------------------------------------------------ tbptt_chunks
@given(T=st.integers(1, 12), k=st.integers(1, 14), axis=st.integers(0, 1))
def test_tbptt_chunks_cover_the_sequence(T, k, axis):
    shape = (T, 2) if axis == 0 else (2, T)
    x = np.arange(2 * T, dtype=np.float64).reshape(shape)
    chunks = list(tbptt_chunks(x, k, axis=axis))
    lengths = [c.shape[axis] for c in chunks]
    assert lengths == [k] * (T // k) + ([T % k] if T % k else [])
    assert all(isinstance(c, mg.Tensor) for c in chunks)
    np.testing.assert_array_equal(np.concatenate([c.data for c in chunks], axis=axis), x)


def test_tbptt_chunks_differentiable_when_input_requires_grad():
    x = mg.tensor(np.arange(10.0), requires_grad=True)
    weights = [1.0, 2.0, 3.0, 4.0]
    sum(w * c.sum() for w, c in zip(weights, tbptt_chunks(x, 3))).backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4])


def test_tbptt_chunks_bad_input():
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        list(tbptt_chunks(np.zeros(4), 0))
    with pytest.raises(TypeError, match="k must be a positive integer"):
        list(tbptt_chunks(np.zeros(4), 2.5))
    with pytest.raises(ValueError, match="axis 2 is out of range.*shape \\(4, 3\\)"):
        list(tbptt_chunks(np.zeros((4, 3)), 2, axis=2))


def test_tbptt_windows_schedule():
    # Williams-Peng schedule, written out by hand for T=7, k1=2, k2=3
    assert list(tbptt_windows(7, 2, 3)) == [(0, 0, 2), (1, 2, 4), (3, 4, 6), (4, 6, 7)]
    assert list(tbptt_windows(4, 4)) == [(0, 0, 4)]


# ------------------------------------------------------------------- TBPTT
@given(T=st.integers(1, 9), B=st.integers(1, 3), extra=st.integers(0, 3))
def test_k_equal_to_sequence_length_is_full_bptt(T, B, extra):
    x, y = _data(T, B, seed=T * 7 + B)
    model = TinyRNN()
    rec = RecordingSGD(model.parameters())
    loss, _ = TBPTT(model, mse, rec, k1=T + extra).run(x, y)
    out, _ = model(mg.tensor(x), None)
    full = mse(out, mg.tensor(y))
    want = mg.grad(full, list(model.parameters()))
    _assert_grads_equal(rec.grads, [want])
    assert loss == pytest.approx(full.item(), rel=1e-12)


@given(n=st.integers(1, 4), k=st.integers(1, 4))
def test_chunked_gradients_are_sums_of_per_chunk_gradients(n, k):
    """k1 = k2 = k with k dividing T is the plain chunk loop. (At a ragged end the last
    Williams-Peng window reaches back k2 steps, overlapping the previous chunk; the
    brute-force test below covers that case.)"""
    T = n * k
    x, y = _data(T, 2, seed=T + 31 * k)
    model = TinyRNN()
    rec = RecordingSGD(model.parameters())               # lr = 0: fixed parameters
    TBPTT(model, mse, rec, k1=k).run(x, y)
    # the manual chunk loop, gradients accumulating in .grad across chunks
    state = None
    for xc, yc in zip(tbptt_chunks(x, k), tbptt_chunks(y, k)):
        out, state = model(xc, state)
        mse(out, yc).backward()
        state = detach_state(state)
    for j, p in enumerate(model.parameters()):
        np.testing.assert_allclose(sum(g[j] for g in rec.grads), p.grad, rtol=1e-9, atol=1e-12)
    # and the brute-force windows give the same per-chunk gradients
    want, _, _ = brute_force(TinyRNN(), x, y, k, k, lr=0.0)
    _assert_grads_equal(rec.grads, want)


@st.composite
def tbptt_cases(draw):
    T = draw(st.integers(1, 10))
    k1 = draw(st.integers(1, 4))
    k2 = draw(st.integers(k1, k1 + 4))
    B = draw(st.integers(1, 3))
    lr = draw(st.sampled_from([0.0, 0.3]))
    seed = draw(st.integers(0, 2**16))
    with_reset = draw(st.booleans())
    reset = np.random.default_rng(seed).random((T, B)) < 0.25 if with_reset else None
    return T, k1, k2, B, lr, seed, reset


@pytest.mark.parametrize("make", [TinyRNN, TinyStack], ids=["tensor-state", "tuple-state"])
@given(case=tbptt_cases())
def test_tbptt_k1_k2_matches_brute_force_windows(make, case):
    T, k1, k2, B, lr, seed, reset = case
    x, y = _data(T, B, seed=seed)
    model = make(seed=seed % 7)
    rec = RecordingSGD(model.parameters(), lr=lr)
    h0 = None if seed % 2 else _fresh(model(mg.tensor(x[:1]), None)[1])   # some non-zero h0
    loss, state = TBPTT(model, mse, rec, k1=k1, k2=k2).run(x, y, state=h0, reset=reset)
    want, want_state, losses = brute_force(make(seed=seed % 7), x, y, k1, k2, lr, reset, h0)
    _assert_grads_equal(rec.grads, want)
    for a, b in zip(_flat(state), _flat(want_state)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert all(s.grad_fn is None for s in (state if isinstance(state, tuple) else (state,)))
    n = [e - p for _, p, e in _windows(T, k1, k2)]
    assert loss == pytest.approx(np.dot(losses, n) / T, rel=1e-9)


def _numpy_states(model, x):
    """h_t for t = 0..T (h_0 = 0) of TinyRNN, in plain NumPy."""
    W, U, b = model.W.data, model.U.data, model.b.data
    hs = [np.zeros((x.shape[1], U.shape[0]))]
    for t in range(x.shape[0]):
        hs.append(np.tanh(x[t] @ W.T + hs[-1] @ U.T + b))
    return hs


@given(T=st.integers(2, 12), k1=st.integers(1, 3), dk=st.integers(0, 5))
def test_windows_start_from_the_true_state_when_parameters_are_fixed(T, k1, dk):
    """With lr = 0 every window starts from the state a single full forward pass gives."""
    k2 = k1 + dk
    x, y = _data(T, 2, seed=T * 13 + k1)
    model = TinyRNN()
    rec = RecordingSGD(model.parameters())
    TBPTT(model, mse, rec, k1=k1, k2=k2).run(x, y)
    hs = _numpy_states(model, x)
    params = list(model.parameters())
    want = []
    for s, p, e in _windows(T, k1, k2):
        out, _ = model(mg.tensor(x[s:e]), mg.tensor(hs[s]))
        want.append(mg.grad(mse(out[p - s:], mg.tensor(y[p:e])), params))
    _assert_grads_equal(rec.grads, want)


class StepCounter(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner, self.steps, self.calls = inner, 0, 0

    def forward(self, x, state):
        self.steps += x.shape[0]
        self.calls += 1
        return self.inner(x, state)


@pytest.mark.parametrize("T,k1,k2", [(40, 1, 5), (40, 3, 10), (41, 4, 4), (37, 5, 12)])
def test_no_recomputation_from_the_start(T, k1, k2):
    """Each window runs exactly its own k2 steps (at most two model calls), never from step 0."""
    x, y = _data(T, 2)
    model = StepCounter(TinyRNN())
    TBPTT(model, mse, RecordingSGD(model.parameters()), k1=k1, k2=k2).run(x, y)
    wins = _windows(T, k1, k2)
    assert model.steps == sum(e - s for s, _, e in wins)
    assert model.calls <= 3 * len(wins)      # pieces: [s, next s), [next s, loss start), rest


def test_clip_norm_scales_each_update():
    T, k1, k2, c = 12, 3, 5, 0.05
    x, y = _data(T, 2, seed=3)
    model = TinyRNN()
    rec = RecordingSGD(model.parameters())
    TBPTT(model, mse, rec, k1=k1, k2=k2, clip_norm=c).run(x, y)
    want, _, _ = brute_force(TinyRNN(), x, y, k1, k2, lr=0.0)
    scaled = []
    for g in want:
        n = np.sqrt(sum(np.sum(a ** 2) for a in g))
        assert n > c                          # the test really clips
        scaled.append([a * (c / (n + 1e-6)) for a in g])
    _assert_grads_equal(rec.grads, scaled)


def test_reset_mask_stops_leakage_across_documents():
    """A document's losses and gradients do not depend on the document before it."""
    T1, T2, k1, k2 = 8, 9, 2, 5                         # boundary at step 8 = 4 * k1
    r = np.random.default_rng(1)
    doc_c = r.normal(size=(T2, 1, 2)), r.normal(size=(T2, 1, 2))
    runs = []
    for seed, use_reset in [(10, True), (11, True), (10, False), (11, False)]:
        rr = np.random.default_rng(seed)
        x = np.concatenate([rr.normal(size=(T1, 1, 2)) * 3, doc_c[0]])
        y = np.concatenate([rr.normal(size=(T1, 1, 2)), doc_c[1]])
        reset = np.zeros((T1 + T2, 1), dtype=bool)
        reset[T1] = use_reset
        model = TinyRNN()
        rec = RecordingSGD(model.parameters())
        trainer = TBPTT(model, mse, rec, k1=k1, k2=k2)
        _, state = trainer.run(x, y, reset=reset)
        runs.append((rec.grads[T1 // k1:], state.data))   # updates whose losses lie in doc C
    (ga, sa), (gb, sb) = runs[0], runs[1]
    _assert_grads_equal(ga, gb, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(sa, sb)
    # without the reset the previous document leaks in (the test can tell)
    assert not np.allclose(runs[2][0][0][0], runs[3][0][0][0])
    assert not np.allclose(runs[2][1], runs[3][1])


def test_reset_rows_independently():
    """Row 1 restarts at step 3, row 0 does not: row 1's outputs equal a fresh run."""
    x, y = _data(7, 2, seed=4)
    reset = np.zeros((7, 2), dtype=bool)
    reset[3, 1] = True
    outs = []

    class Record(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = TinyRNN()

        def forward(self, xw, state):
            out, state = self.inner(xw, state)
            outs.append(out.data)
            return out, state

    model = Record()
    TBPTT(model, mse, RecordingSGD(model.parameters()), k1=2, k2=4).run(x, y, reset=reset)
    fresh, _ = TinyRNN()(mg.tensor(x[3:, 1:]), None)
    ran = np.concatenate(outs[-2:])                      # the last window covers [3, 7)
    np.testing.assert_allclose(ran[:, 1:], fresh.data, rtol=1e-12)
    joined, _ = TinyRNN()(mg.tensor(x[:, :1]), None)     # row 0 never resets
    np.testing.assert_allclose(ran[:, :1], joined.data[3:], rtol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_tbptt_with_nn_layers_matches_brute_force(kind):
    mg.set_default_dtype(mg.float64)
    T, B, k1, k2 = 11, 2, 3, 7
    x, y = _data(T, B, seed=5)
    reset = np.zeros((T, B), dtype=bool)
    reset[5, 0] = True

    def make():
        mg.manual_seed(3)
        return LayerWithHead(getattr(nn, kind), num_layers=2)

    model = make()
    rec = RecordingSGD(model.parameters(), lr=0.2)
    loss, state = TBPTT(model, mse, rec, k1=k1, k2=k2).run(x, y, reset=reset)
    want, want_state, _ = brute_force(make(), x, y, k1, k2, 0.2, reset)
    _assert_grads_equal(rec.grads, want)
    if kind == "LSTM":
        assert isinstance(state, tuple) and state[0].shape == (2, B, 3)
    for a, b in zip(_flat(state), _flat(want_state)):
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_tbptt_trains_an_lstm_with_adam_and_clipping():
    """End to end with a real optimizer: the loss on a learnable stream goes down."""
    mg.set_default_dtype(mg.float64)
    T, B = 60, 4
    t = np.arange(T)[:, None, None]
    x = np.sin(0.3 * t + np.arange(B)[None, :, None]) * np.ones((1, 1, 2))
    y = np.roll(x, -1, axis=0)                            # predict the next value
    model = LayerWithHead(nn.LSTM, I=2, H=8, O=2)
    trainer = TBPTT(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.02),
                    k1=5, k2=10, clip_norm=1.0)
    first, _ = trainer.run(x, y)
    for _ in range(15):
        last, _ = trainer.run(x, y)
    assert last < 0.3 * first
    assert trainer.num_updates == 16 * 12


def _peak_bytes(T, k, model, opt, loss_fn):
    x = np.random.default_rng(0).normal(size=(T, 4, 3))
    y = np.random.default_rng(1).normal(size=(T, 4, 2))
    trainer = TBPTT(model, loss_fn, opt, k1=k)
    tracemalloc.start()
    try:
        trainer.run(x, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_sequence_grows():
    mg.set_default_dtype(mg.float64)
    model = LayerWithHead(nn.GRU, I=3, H=16, O=2)
    opt = optim.SGD(model.parameters(), lr=0.01)
    _peak_bytes(50, 20, model, opt, nn.MSELoss())         # warm-up (kernels, caches)
    short = _peak_bytes(1_000, 50, model, opt, nn.MSELoss())
    long = _peak_bytes(10_000, 50, model, opt, nn.MSELoss())
    assert long <= 1.2 * short, f"peak {long} B at T=10,000 vs {short} B at T=1,000"
    # the measurement sees a growing graph: full BPTT (k = T) grows with T
    full1 = _peak_bytes(1_000, 1_000, model, opt, nn.MSELoss())
    full2 = _peak_bytes(2_000, 2_000, model, opt, nn.MSELoss())
    assert full2 > 1.6 * full1 and full1 > 3 * short


def test_bad_input_errors():
    model = TinyRNN()
    opt = RecordingSGD(model.parameters())
    with pytest.raises(ValueError, match="k1 must be <= k2.*k1=5, k2=3"):
        TBPTT(model, mse, opt, k1=5, k2=3)
    with pytest.raises(ValueError, match="k1 must be a positive integer, got 0"):
        TBPTT(model, mse, opt, k1=0)
    with pytest.raises(ValueError, match="k2 must be a positive integer, got -2"):
        TBPTT(model, mse, opt, k1=1, k2=-2)
    with pytest.raises(TypeError, match="k1 must be a positive integer"):
        TBPTT(model, mse, opt, k1=2.0)
    with pytest.raises(ValueError, match="clip_norm must be a positive number"):
        TBPTT(model, mse, opt, k1=2, clip_norm=0)
    with pytest.raises(TypeError, match="optimizer must have a step\\(\\) method"):
        TBPTT(model, mse, object(), k1=2)
    trainer = TBPTT(model, mse, opt, k1=2)
    x, y = _data(6, 2)
    with pytest.raises(ValueError, match="same length along time.*\\(6, 2, 2\\).*\\(5, 2, 2\\)"):
        trainer.run(x, y[:5])
    with pytest.raises(ValueError, match="expected x of shape \\(T, B, ...\\), got shape \\(6,\\)"):
        trainer.run(np.zeros(6), np.zeros(6))
    with pytest.raises(ValueError, match="reset must be a boolean mask of shape \\(T, B\\) = "
                                         "\\(6, 2\\), got bool of shape \\(6, 3\\)"):
        trainer.run(x, y, reset=np.zeros((6, 3), dtype=bool))
    bad = TBPTT(lambda xw, s: xw, mse, opt, k1=2)
    with pytest.raises(TypeError, match="must return \\(outputs, new_state\\)"):
        bad.run(x, y)


@pytest.mark.parametrize("progress, shown", [(True, True), (False, False), (None, False)])
def test_run_shows_a_progress_bar_only_when_asked(capsys, progress, shown):
    """progress=True draws a bar over the updates with the running loss; False and
    None (stderr is not a terminal under pytest) draw nothing; the result is the same."""
    mg.manual_seed(0)
    model = nn.GRU(2, 3)
    trainer = TBPTT(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.0), k1=4)
    x, y = mg.randn(12, 2, 2), mg.randn(12, 2, 3)
    loss, _ = trainer.run(x, y, progress=progress)
    err = capsys.readouterr().err
    assert ("TBPTT" in err and "/3 [" in err and "update" in err) is shown
    assert shown or err == ""
    assert loss == TBPTT(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.0),
                         k1=4).run(x, y, progress=False)[0]
