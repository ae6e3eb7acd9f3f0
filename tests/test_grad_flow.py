"""Gradient-flow diagnostics against closed forms and independently built gradients."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import gradient_by_lag, grad_norms_per_step, state_grad_norms


class LinearRecurrence(nn.Module):
    """h_t = a h_{t-1} + x_t with a scalar Parameter a; outputs are the states themselves."""

    def __init__(self, a):
        super().__init__()
        self.a = nn.Parameter(np.array([a]))

    def forward(self, x, h=None):
        if h is None:
            h = mg.zeros(*x.shape[1:], dtype=np.float64)
        outs = []
        for t in range(x.shape[0]):
            h = h * self.a + x[t]
            outs.append(h)
        return mg.stack(outs, axis=0), h


class TanhCells(nn.Module):
    """h_t = tanh(x_t W^T + h_{t-1} U^T), out_t = h_t V^T, from core ops."""

    def __init__(self, I=2, H=4, O=2, seed=0):
        super().__init__()
        r = np.random.default_rng(seed)
        self.W = nn.Parameter(r.normal(0, 0.8, (H, I)))
        self.U = nn.Parameter(r.normal(0, 0.8, (H, H)))
        self.V = nn.Parameter(r.normal(0, 0.8, (O, H)))
        self.H = H

    def step(self, xt, h):
        return mg.tanh(xt @ self.W.T + h @ self.U.T)

    def forward(self, x, h=None):
        if h is None:
            h = mg.zeros(x.shape[1], self.H, dtype=np.float64)
        outs = []
        for t in range(x.shape[0]):
            h = self.step(x[t], h)
            outs.append(h @ self.V.T)
        return mg.stack(outs, axis=0), h


def sum_loss(out, y):
    return (out * y).sum()


# ------------------------------------------------------------ per-step output norms
@given(T=st.integers(1, 8), B=st.integers(1, 3), batch_first=st.booleans(),
       seed=st.integers(0, 1000))
def test_grad_norms_per_step_reads_the_retained_output_gradient(T, B, batch_first, seed):
    mg.set_default_dtype(mg.float64)
    r = np.random.default_rng(seed)
    rnn = nn.GRU(3, 4, batch_first=batch_first)
    x = r.normal(size=(B, T, 3) if batch_first else (T, B, 3))
    C = r.normal(size=(B, T, 4) if batch_first else (T, B, 4))
    out, _ = rnn(mg.tensor(x))
    out.retain_grad()
    (out * mg.tensor(C)).sum().backward()                   # so dL/d out = C exactly
    axis = 1 if batch_first else 0
    want = np.sqrt((np.moveaxis(C, axis, 0) ** 2).reshape(T, -1).sum(axis=1))
    np.testing.assert_allclose(grad_norms_per_step(out, axis=axis), want, rtol=1e-12)
    np.testing.assert_allclose(grad_norms_per_step(out.grad, axis=axis), want, rtol=1e-12)


def test_grad_norms_per_step_needs_retain_grad():
    out, _ = nn.RNN(2, 3)(mg.randn(4, 1, 2))
    out.sum().backward()
    with pytest.raises(RuntimeError, match="output.grad is None; call output.retain_grad\\(\\)"):
        grad_norms_per_step(out)


# ------------------------------------------------------------ closed forms
@given(a=st.floats(-1.5, 1.5).filter(lambda a: abs(a) > 0.05), T=st.integers(2, 10),
       B=st.integers(1, 3))
def test_gradient_by_lag_of_a_linear_recurrence_is_a_power_of_a(a, T, B):
    """h_t = a h_{t-1} + x_t, L_t = sum_b h_t[b]:  ||dL_t / dh_{t-k}|| = |a|^k sqrt(B)."""
    x = np.random.default_rng(T).normal(size=(T, B, 1))
    y = np.ones((T, B, 1))
    lags, norms = gradient_by_lag(LinearRecurrence(a), x, y, sum_loss)
    assert lags.tolist() == list(range(1, T))
    np.testing.assert_allclose(norms, np.abs(a) ** lags * np.sqrt(B), rtol=1e-10)
    # several anchors: lags beyond an anchor average over the anchors that reach them
    lags, norms = gradient_by_lag(LinearRecurrence(a), x, y, sum_loss,
                                  anchors=[T - 1, T // 2], max_lag=T)
    np.testing.assert_allclose(norms[:-1], np.abs(a) ** lags[:-1] * np.sqrt(B), rtol=1e-10)
    assert np.isnan(norms[-1])                               # no anchor reaches lag T


@given(a=st.floats(-1.5, 1.5), T=st.integers(1, 10), B=st.integers(1, 3))
def test_state_grad_norms_of_a_linear_recurrence(a, T, B):
    """L = sum_t sum_b h_t[b]:  dL/dh_t = sum_{u >= t} a^(u - t) per batch row."""
    x = np.random.default_rng(T).normal(size=(T, B, 1))
    norms = state_grad_norms(LinearRecurrence(a), x, np.ones((T, B, 1)), sum_loss)
    want = [abs(sum(a ** (u - t) for u in range(t, T))) * np.sqrt(B) for t in range(T)]
    np.testing.assert_allclose(norms, want, rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------ independent references
@given(T=st.integers(1, 8), B=st.integers(1, 3), seed=st.integers(0, 1000))
def test_state_grad_norms_equal_gradients_of_injected_perturbations(T, B, seed):
    """dL/dh_t is the gradient of L w.r.t. a zero perturbation added to h_t."""
    r = np.random.default_rng(seed)
    model = TanhCells(seed=seed)
    x, y = r.normal(size=(T, B, 2)), r.normal(size=(T, B, 2))
    got = state_grad_norms(model, x, y, sum_loss)
    deltas = [mg.tensor(np.zeros((B, model.H)), requires_grad=True) for _ in range(T)]
    h, outs = mg.zeros(B, model.H, dtype=np.float64), []
    for t in range(T):
        h = model.step(mg.tensor(x[t]), h) + deltas[t]
        outs.append(h @ model.V.T)
    grads = mg.grad(sum_loss(mg.stack(outs), mg.tensor(y)), deltas)
    np.testing.assert_allclose(got, [np.linalg.norm(g) for g in grads], rtol=1e-10)


def _layer_model(kind, I, H, O):
    rnn, head = kind(I, H), nn.Linear(H, O)

    def model(x, state):
        out, state = rnn(x, state)
        return head(out), state
    return model, rnn


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_state_grad_norms_of_nn_layers_against_rerun_from_a_leaf_state(kind):
    """dL/ds_t by re-running the layer over steps > t from a fresh leaf copy of s_t."""
    mg.set_default_dtype(mg.float64)
    T, B, I, H = 7, 2, 3, 4
    r = np.random.default_rng(1)
    x, y = r.normal(size=(T, B, I)), r.normal(size=(T, B, 2))
    model, rnn = _layer_model(getattr(nn, kind), I, H, 2)

    def loss_fn(out, yy):
        return ((out - yy) ** 2).mean()

    got = state_grad_norms(model, x, y, loss_fn)
    if kind == "LSTM":
        h_only = state_grad_norms(model, x, y, loss_fn, part=0)
        c_only = state_grad_norms(model, x, y, loss_fn, part=1)
        np.testing.assert_allclose(got, np.hypot(h_only, c_only), rtol=1e-12)
    with mg.no_grad():
        states = [model(mg.tensor(x[:t + 1]), None) for t in range(T)]
    for t in range(T - 1):
        past, s = states[t]
        leaf = tuple(mg.tensor(a.data, requires_grad=True) for a in s) \
            if isinstance(s, tuple) else (mg.tensor(s.data, requires_grad=True),)
        future, _ = model(mg.tensor(x[t + 1:]), leaf if kind == "LSTM" else leaf[0])
        L = loss_fn(mg.concatenate([past, future]), mg.tensor(y))
        want = np.sqrt(sum(np.sum(g ** 2) for g in mg.grad(L, list(leaf))))
        assert got[t] == pytest.approx(want, rel=1e-9), f"step {t}"
    assert got[-1] == 0.0                        # the final state feeds no loss


def test_gradient_by_lag_agrees_with_state_grad_norms_for_a_last_step_loss():
    mg.set_default_dtype(mg.float64)
    T = 9
    r = np.random.default_rng(2)
    x, y = r.normal(size=(T, 2, 3)), r.normal(size=(T, 2, 2))
    model, _ = _layer_model(nn.GRU, 3, 5, 2)

    def last_step_loss(out, yy):
        return ((out[-1] - yy[-1]) ** 2).mean()

    n = state_grad_norms(model, x, y, last_step_loss)
    lags, g = gradient_by_lag(model, x, y, last_step_loss)
    np.testing.assert_allclose(g, n[T - 1 - lags], rtol=1e-10)
    assert (np.diff(n[:-1]) > 0).all()           # at init, the gradient fades going back


def test_diagnostics_bad_input():
    model = LinearRecurrence(0.5)
    x, y = np.zeros((5, 1, 1)), np.zeros((5, 1, 1))
    with pytest.raises(ValueError, match="anchors must be steps in \\[0, 5\\), got \\[7\\]"):
        gradient_by_lag(model, x, y, sum_loss, anchors=[7])
    with pytest.raises(ValueError, match="same length along time.*\\(5, 1, 1\\).*\\(4, 1, 1\\)"):
        gradient_by_lag(model, x, y[:4], sum_loss)
    with pytest.raises(ValueError, match="max_lag must be >= 1"):
        gradient_by_lag(model, x, y, sum_loss, anchors=[0])
    with pytest.raises(ValueError, match="part=0 picks an element of a tuple state.*Tensor"):
        state_grad_norms(model, x, y, sum_loss, part=0)
