"""Anomaly mode (mg.detect_anomaly): the first non-finite forward output or backward
gradient raises mg.AnomalyError naming the op, its inputs and the user's line; no
false alarm on values that were already non-finite; nothing changes when it is off."""
import inspect
import os
import sys
import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim

HERE = os.path.abspath(__file__)


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # NumPy's 'divide by zero'
        yield
    assert not mg.is_anomaly_enabled()                      # every test leaves it off
    assert mg.hooks.op_hooks == [] and mg.hooks.backward_observers == []


def _next_line():
    """The caller's next line number (the line a test is about to run)."""
    return inspect.currentframe().f_back.f_lineno + 1


class LogFeatures(nn.Module):
    """A user's layer deep in a model that takes log of its input (-inf where it is 0)."""

    def forward(self, x):
        self.line = _next_line()
        return x.log()


def test_log_of_zero_deep_in_a_model_names_the_op_inputs_and_the_user_line():
    mg.manual_seed(0)
    logs = LogFeatures()
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Identity(), logs),
                          nn.Linear(4, 2))
    for p in model.parameters():          # ReLU(0 @ W + 0) = 0 -> log(0) = -inf inside
        p.data[...] = 0.0
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError) as info:
            model(mg.zeros(5, 3))
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert msg.startswith("Log returned a non-finite value (-inf) from finite inputs")
    assert "(5, 4) float32" in msg
    # the innermost line outside minigrad: the user's layer, through nn's frames
    assert f"{HERE}:{logs.line}" in msg and "return x.log()" in msg


def test_a_nan_inside_minigrad_s_own_layers_names_the_test_line():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4, eps=0.0), nn.Linear(4, 2))
    model[0].weight.data[...] = 0.0          # rows of zeros: variance 0, and eps = 0
    model[0].bias.data[...] = 0.0
    x = mg.randn(2, 3)
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError) as info:
            line = _next_line()
            model(x)
    msg = str(info.value)
    assert "non-finite value" in msg and "from finite inputs" in msg
    assert f"{HERE}:{line}" in msg and "model(x)" in msg     # not a line of nn/


def test_an_unrecorded_op_is_checked_too():
    x = mg.tensor([[1.0, -1.0]])                 # requires no grad: no node is recorded
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match=r"Sqrt .*\(nan\).*\(1, 2\) float32") as info:
            line = _next_line()
            x.sqrt()
    assert f"{HERE}:{line}" in str(info.value)


def test_overflow_to_inf_from_finite_inputs_is_reported():
    big = mg.tensor(np.full((2, 2), 1e30, np.float32), requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"MatMul.*\(inf\)"):
        big @ big


def test_inputs_already_non_finite_raise_nothing():
    x = mg.tensor([np.nan, 1.0, np.inf], requires_grad=True)
    with mg.detect_anomaly():
        y = (x * 2.0 + 1.0).exp().sum()         # NaN and inf in, NaN and inf out: no alarm
        y.backward()                            # gradient NaN from a NaN forward: no alarm
    assert np.isnan(y.item())
    w = mg.tensor([1.0], requires_grad=True)
    with mg.detect_anomaly():
        z = w * float("inf")                     # a non-finite constant input: no alarm,
        z.sum().backward()                       # in forward nor in backward
    assert np.isinf(z.item()) and np.isinf(w.grad[0])


def test_finite_values_and_integer_ops_pass():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        (x.log() * mg.tensor([3, 4])).sum().backward()
        mg.arange(0, 4).sum()
    np.testing.assert_allclose(x.grad, [3.0, 2.0])


# ------------------------------------------------------------------ backward
def test_sqrt_at_zero_in_backward_names_the_node_and_its_creation_line():
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.detect_anomaly():
        line = _next_line()
        y = x.sqrt()                             # forward is finite: sqrt(0) = 0
        loss = (y * 3.0).sum()
        with pytest.raises(mg.AnomalyError) as info:
            loss.backward()
    msg = str(info.value)
    assert msg.startswith("Sqrt.backward returned a non-finite gradient (inf) for its input 0")
    assert f"created at {HERE}:{line}" in msg and "y = x.sqrt()" in msg
    assert "(2,) float32" in msg
    assert x.grad is None                       # raised before any leaf was written


def test_backward_through_a_model_names_the_layer_line():
    mg.manual_seed(0)
    lin = nn.Linear(2, 2)

    class Norm(nn.Module):
        def forward(self, h):
            return (h * h).sum(axis=1, keepdims=True).sqrt()      # |h|: kink at 0

    model = nn.Sequential(lin, Norm())
    lin.weight.data[...] = 0.0
    lin.bias.data[...] = 0.0
    with mg.detect_anomaly():
        out = model(mg.ones(3, 2)).sum()
        with pytest.raises(mg.AnomalyError, match=r"^Sqrt\.backward") as info:
            out.backward()
    assert f"{HERE}:" in str(info.value) and "(h * h).sum(axis=1" in str(info.value)


def test_a_node_made_while_off_says_its_line_was_not_recorded():
    x = mg.tensor([0.0], requires_grad=True)
    y = x.sqrt().sum()
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="while anomaly mode was off"):
        y.backward()


def test_a_non_finite_gradient_given_by_the_user_raises_nothing():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        (x * 2.0).backward(np.array([np.nan, 1.0], np.float32))
    assert np.isnan(x.grad[0]) and x.grad[1] == 2.0


def test_check_nan_false_records_sites_but_checks_nothing():
    x = mg.tensor([0.0], requires_grad=True)
    with mg.detect_anomaly(check_nan=False):
        assert mg.is_anomaly_enabled() and not mg.is_anomaly_check_nan_enabled()
        y = x.log()
        y.sum().backward()
    assert np.isinf(y.item())


# ------------------------------------------------------------------ switching
def test_nesting_decorator_and_set_detect_anomaly():
    assert not mg.is_anomaly_enabled()
    with mg.detect_anomaly():
        with mg.detect_anomaly():
            assert mg.is_anomaly_enabled()
        assert mg.is_anomaly_enabled()
        with mg.set_detect_anomaly(False):
            assert not mg.is_anomaly_enabled()
            mg.tensor([0.0]).log()              # off inside: no error
        assert mg.is_anomaly_enabled()
    assert not mg.is_anomaly_enabled()

    @mg.detect_anomaly()
    def step(x):
        assert mg.is_anomaly_enabled()
        return x.log()
    with pytest.raises(mg.AnomalyError):
        step(mg.tensor([0.0]))
    assert not mg.is_anomaly_enabled()          # restored after the exception

    mg.set_detect_anomaly(True)
    try:
        assert mg.is_anomaly_enabled() and mg.hooks.op_hooks != []
    finally:
        mg.set_detect_anomaly(False)
    assert mg.hooks.op_hooks == []

    cm = mg.detect_anomaly()                     # one object entered twice, nested
    with cm:
        with cm:
            pass
        assert mg.is_anomaly_enabled()


@pytest.mark.parametrize("call, match", [
    (lambda: mg.set_detect_anomaly("yes"), r"mode must be a bool, got str 'yes'"),
    (lambda: mg.set_detect_anomaly(True, check_nan=1), r"check_nan must be a bool, got int"),
    (lambda: mg.detect_anomaly(check_nan=None), r"check_nan must be a bool, got NoneType"),
])
def test_bad_arguments(call, match):
    with pytest.raises(TypeError, match=match):
        call()
    assert not mg.is_anomaly_enabled()


def test_the_mode_is_per_thread():
    seen = {}
    started, finish = threading.Event(), threading.Event()

    def worker():
        with mg.detect_anomaly():
            started.set()
            finish.wait(10)
            try:
                mg.tensor([0.0]).log()
            except mg.AnomalyError:
                seen["worker"] = "raised"

    t = threading.Thread(target=worker)
    t.start()
    assert started.wait(10)
    try:
        assert not mg.is_anomaly_enabled()       # on in the worker, off here
        y = mg.tensor([0.0]).log()               # the hooks are installed, but not for us
        assert np.isinf(y.item())
        t2 = threading.Thread(target=lambda: seen.update(new=mg.is_anomaly_enabled()))
        t2.start()
        t2.join()
    finally:
        finish.set()
        t.join()
    assert seen == {"worker": "raised", "new": False}


# ------------------------------------------------------------------ cost when off
def _tiny_step():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, t = mg.randn(16, 4), np.arange(16) % 2

    def step():
        loss = F.cross_entropy(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def _calls(step):
    """Python and C calls made by one step (after a warm-up step)."""
    step()
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event in ("call", "c_call"):
            n += 1
    sys.setprofile(prof)
    try:
        step()
    finally:
        sys.setprofile(None)
    return n


def test_off_costs_nothing_and_leaves_no_hooks():
    step = _tiny_step()
    before = _calls(step)
    with mg.detect_anomaly():
        on = _calls(step)
        with mg.detect_anomaly():
            pass
    after = _calls(step)
    assert on > before                          # the count sees the checks when on ...
    assert after == before                      # ... and none are left after
    assert mg.hooks.op_hooks == [] and mg.hooks.backward_observers == []


def test_results_are_the_same_with_the_mode_on():
    params = []
    for mode in (False, True):
        step = _tiny_step()
        with mg.set_detect_anomaly(mode):
            step()
        params.append([p.copy() for p in _last_params(step)])
    for a, b in zip(*params):
        np.testing.assert_array_equal(a, b)


def _last_params(step):
    """The model parameters a ``_tiny_step`` closure updates."""
    model = next(c.cell_contents for c in step.__closure__
                 if isinstance(c.cell_contents, nn.Module))
    return [p.data for p in model.parameters()]
