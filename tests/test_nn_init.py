"""nn.init: the distributions' scales and bounds, the gain table, orthogonality, and
the reason it matters: a 20-layer MLP keeps its activation and gradient scale with
the matching initialisation and loses it with a mismatched one."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn import init


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def _p(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float64))


@pytest.mark.parametrize("fill,shape,std,bound", [
    (lambda w: init.xavier_uniform_(w), (300, 200), math.sqrt(2 / 500), math.sqrt(6 / 500)),
    (lambda w: init.xavier_uniform_(w, gain=2.0), (300, 200), 2 * math.sqrt(2 / 500),
     2 * math.sqrt(6 / 500)),
    (lambda w: init.xavier_normal_(w), (300, 200), math.sqrt(2 / 500), None),
    (lambda w: init.kaiming_uniform_(w), (300, 200), math.sqrt(2 / 200), math.sqrt(6 / 200)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out"), (300, 200), math.sqrt(2 / 300), None),
    (lambda w: init.kaiming_normal_(w, nonlinearity="tanh"), (300, 200), 5 / 3 / math.sqrt(200),
     None),
    (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5), nonlinearity="leaky_relu"),
     (64, 8, 3, 3), 1 / math.sqrt(3 * 72), 1 / math.sqrt(72)),        # conv fans: 8 * 3 * 3
    (lambda w: init.normal_(w, 2.0, 0.5), (300, 200), 0.5, None),
    (lambda w: init.uniform_(w, -3.0, 3.0), (300, 200), math.sqrt(3), 3.0),
])
def test_init_scales(fill, shape, std, bound):
    mg.manual_seed(0)
    w = _p(*shape)
    assert fill(w) is w
    assert abs(w.data.std() - std) < 0.03 * std
    if bound is not None:
        assert np.abs(w.data).max() <= bound
        assert np.abs(w.data).max() > 0.98 * bound


def test_fills_and_orthogonal():
    w = _p(3, 4)
    assert np.all(init.ones_(w).data == 1) and np.all(init.zeros_(w).data == 0)
    assert np.all(init.constant_(w, 0.25).data == 0.25)
    assert np.array_equal(init.eye_(w).data, np.eye(3, 4))
    for shape in [(5, 8), (8, 5), (4, 2, 3)]:
        q = init.orthogonal_(_p(*shape), gain=2.0).data.reshape(shape[0], -1)
        small = min(q.shape)
        gram = q @ q.T if q.shape[0] == small else q.T @ q
        np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-10)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(_p(5))
    mg.manual_seed(7)
    a = init.normal_(_p(4, 4)).data.copy()
    mg.manual_seed(7)
    assert np.array_equal(init.normal_(_p(4, 4)).data, a)


# --------------------------------------------------- the 20-layer demonstration
DEPTH, WIDTH = 20, 256


def _scales(act, fill):
    """(std of the last activation / std of the input,
        |dL/d input of layer 1| / |dL/d input of layer 20|) for a fixed random cotangent."""
    mg.set_default_dtype(mg.float64)
    mg.manual_seed(0)
    layers = [nn.Linear(WIDTH, WIDTH) for _ in range(DEPTH)]
    for lin in layers:
        fill(lin.weight)
        init.zeros_(lin.bias)
    x = mg.randn(128, WIDTH, requires_grad=True)
    h, inputs = x, []
    for lin in layers:
        inputs.append(h)
        h = act(lin(h))
    loss = (h * mg.randn(*h.shape)).sum()
    g_first, g_last = mg.grad(loss, [inputs[0], inputs[-1]])
    return (float(h.data.std() / x.data.std()),
            float(np.linalg.norm(g_first) / np.linalg.norm(g_last)))


@pytest.mark.parametrize("name,act,good,bad", [
    ("tanh", F.tanh, lambda w: init.xavier_normal_(w, gain=init.calculate_gain("tanh")),
     lambda w: init.normal_(w, 0.0, 0.01)),
    ("relu", F.relu, lambda w: init.kaiming_normal_(w, nonlinearity="relu"),
     lambda w: init.xavier_normal_(w)),                 # Xavier ignores ReLU's halving
    ("relu-explode", F.relu, lambda w: init.kaiming_normal_(w, nonlinearity="relu"),
     lambda w: init.normal_(w, 0.0, 0.15)),
])
def test_deep_mlp_keeps_scale_with_the_right_init_only(name, act, good, bad):
    fwd, grad = _scales(act, good)
    assert 0.3 < fwd < 3, f"{name}: activation scale drifted to {fwd} with the right init"
    assert 0.1 < grad < 10, f"{name}: gradient ratio first/last layer {grad}"
    fwd_bad, grad_bad = _scales(act, bad)
    if name == "relu-explode":                      # gain (0.15 / sqrt(2/256))^2 per layer
        assert fwd_bad > 1e3 and grad_bad > 1e2, (fwd_bad, grad_bad)
    else:                                           # vanishing, forward and backward
        assert fwd_bad < 1e-2 and grad_bad < 1e-2, (fwd_bad, grad_bad)
