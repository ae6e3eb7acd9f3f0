"""Early stopping: when it stops, and that it brings back the best weights."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import nn, optim


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.zeros(3))
        self.register_buffer("seen", np.zeros(1))


def ref_stop_epoch(metrics, patience, min_delta, mode):
    """Index of the step() that returns True (None if none), and the best index."""
    sign = 1.0 if mode == "min" else -1.0
    best, best_i, bad = math.inf, None, 0
    for i, m in enumerate(metrics):
        if sign * m < best - min_delta:
            best, best_i, bad = sign * m, i, 0
        else:
            bad += 1
            if bad >= patience:
                return i, best_i
    return None, best_i


@given(metrics=st.lists(st.sampled_from([3.0, 2.0, 1.5, 1.0, 0.99, 0.5]), min_size=1,
                        max_size=30),
       patience=st.integers(0, 5), min_delta=st.sampled_from([0.0, 0.01, 0.3]),
       mode=st.sampled_from(["min", "max"]))
def test_stops_when_documented_and_restores_best(metrics, patience, min_delta, mode):
    model = Tiny()
    stopper = optim.EarlyStopping(patience, min_delta=min_delta, mode=mode)
    want_stop, want_best = ref_stop_epoch(metrics, patience, min_delta, mode)
    got_stop = None
    for i, m in enumerate(metrics):
        model.w.data = np.full(3, float(i))          # "training" changes the weights
        model._buffers["seen"] = np.array([float(i)])
        if stopper.step(m, model):
            got_stop = i
            break
    assert got_stop == want_stop
    assert stopper.best_epoch == want_best
    if got_stop is not None and want_best is not None:
        np.testing.assert_array_equal(model.w.data, np.full(3, float(want_best)))
        np.testing.assert_array_equal(model.seen, [float(want_best)])


def test_saved_weights_are_a_copy():
    model = Tiny()
    stopper = optim.EarlyStopping(patience=1)
    stopper.step(1.0, model)
    model.w.data[...] = 5.0                           # in-place change after saving
    assert stopper.step(2.0, model) is True
    np.testing.assert_array_equal(model.w.data, np.zeros(3))


def test_restore_best_false_leaves_the_model():
    model = Tiny()
    stopper = optim.EarlyStopping(patience=1, restore_best=False)
    stopper.step(1.0, model)
    model.w.data = np.ones(3)
    assert stopper.step(2.0, model)
    np.testing.assert_array_equal(model.w.data, np.ones(3))
    assert stopper.best_state is None


def test_nan_is_never_an_improvement():
    stopper = optim.EarlyStopping(patience=2)
    assert not stopper.step(1.0)
    assert not stopper.step(float("nan"))
    assert stopper.step(float("nan"))
    assert stopper.best == 1.0


def test_regularises_a_noisy_fit():
    """Early stopping on held-out loss ends no worse (on held-out data) than
    training for the full budget: the overfitting it is there to prevent."""
    rng = np.random.default_rng(0)
    n, d = 20, 18                                     # nearly as many weights as samples
    X = rng.normal(size=(n, d))
    w_true = np.zeros(d)
    w_true[:2] = 1.0
    y = X @ w_true + rng.normal(size=n)
    Xv = rng.normal(size=(200, d))
    yv = Xv @ w_true + rng.normal(size=200)
    X, y, Xv, yv = map(mg.tensor, (X, y, Xv, yv))

    def fit(stopper):
        model = Tiny()
        model.w = nn.Parameter(np.zeros(d))
        opt = optim.SGD(model.parameters(), lr=0.05)
        for epoch in range(1000):
            opt.zero_grad()
            ((X @ model.w - y) ** 2).mean().backward()
            opt.step()
            with mg.no_grad():
                val = ((Xv @ model.w - yv) ** 2).mean().item()
            if stopper is not None and stopper.step(val, model):
                break
        with mg.no_grad():
            return ((Xv @ model.w - yv) ** 2).mean().item(), epoch

    stopped_val, stopped_epoch = fit(optim.EarlyStopping(patience=10))
    full_val, _ = fit(None)
    assert stopped_epoch < 999
    assert stopped_val < 0.5 * full_val


def test_errors():
    with pytest.raises(ValueError, match="patience"):
        optim.EarlyStopping(-1)
    with pytest.raises(ValueError, match="min_delta"):
        optim.EarlyStopping(3, min_delta=-0.1)
    with pytest.raises(ValueError, match="mode"):
        optim.EarlyStopping(3, mode="lowest")
