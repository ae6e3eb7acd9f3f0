"""Losses: float64 gradient checks over generated shapes and every reduction, values
against formulas written here, numerical stability, and target errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import arrays

# half the profile's examples per gradient check (10 in CI, 150 with 'thorough')
HALF = max(4, settings.default.max_examples // 2)

REDUCTIONS = ["mean", "sum", "none"]


def reduce_np(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def log_softmax_np(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# Each case draws (loss module, input, target, reference(input, target) -> per-element loss).
@st.composite
def regression_case(draw, cls, formula):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    x = mg.tensor(draw(arrays(tuple(shape))), requires_grad=True)
    t = mg.tensor(draw(arrays(tuple(shape))), requires_grad=True)
    if cls is nn.L1Loss:                       # keep |x - t| away from its kink
        t.data[np.abs(x.data - t.data) < 1e-2] += 0.1
    return cls, x, t, formula


@st.composite
def class_case(draw, cls, soft=False):
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    extra = draw(st.lists(st.integers(1, 2), min_size=0, max_size=1))
    x = mg.tensor(draw(arrays((n, c, *extra), low=-3, high=3)), requires_grad=True)
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    if soft:
        q = rng.random((n, c, *extra)) + 0.1
        t = mg.tensor(q / q.sum(axis=1, keepdims=True), requires_grad=True)

        def ref(x, t):
            return -(t * log_softmax_np(x)).sum(axis=1)
    else:
        t = mg.tensor(rng.integers(0, c, (n, *extra)))

        def ref(x, t):
            lp = log_softmax_np(x) if cls is nn.CrossEntropyLoss else x
            return -np.take_along_axis(lp, t[:, None], axis=1)[:, 0]
    return cls, x, t, ref


@st.composite
def binary_case(draw, cls):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    lo, hi = (0.05, 0.95) if cls is nn.BCELoss else (-4.0, 4.0)
    x = mg.tensor(draw(arrays(tuple(shape), low=lo, high=hi)), requires_grad=True)
    t = mg.tensor(draw(arrays(tuple(shape), low=0.0, high=1.0)), requires_grad=True)
    if cls is nn.BCELoss:
        def ref(p, t):
            return -(t * np.log(p) + (1 - t) * np.log(1 - p))
    else:
        def ref(z, t):
            p = 1 / (1 + np.exp(-z))
            return -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return cls, x, t, ref


LOSSES = {
    "MSELoss": regression_case(nn.MSELoss, lambda x, t: (x - t) ** 2),
    "L1Loss": regression_case(nn.L1Loss, lambda x, t: np.abs(x - t)),
    "CrossEntropyLoss": class_case(nn.CrossEntropyLoss),
    "CrossEntropyLoss-probabilities": class_case(nn.CrossEntropyLoss, soft=True),
    "NLLLoss": class_case(nn.NLLLoss),
    "BCELoss": binary_case(nn.BCELoss),
    "BCEWithLogitsLoss": binary_case(nn.BCEWithLogitsLoss),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(LOSSES))
@settings(max_examples=HALF)
@given(data=st.data())
def test_loss_value_and_gradcheck(name, reduction, data):
    cls, x, t, ref = data.draw(LOSSES[name])
    loss_fn = cls(reduction=reduction)
    out = loss_fn(x, t)
    want = reduce_np(ref(x.data, t.data), reduction)
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda x, t: loss_fn(x, t), [x, t])


def test_cross_entropy_is_stable_for_huge_logits():
    x = mg.tensor(np.array([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 1]))
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), 1000.0, rtol=1e-12)     # (2000 + 0) / 2
    loss.backward()
    np.testing.assert_allclose(x.grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-12)


def test_cross_entropy_equals_nll_of_log_softmax_in_float32():
    x = mg.randn(6, 5, requires_grad=True)
    t = np.array([0, 4, 2, 2, 1, 3])
    a = F.cross_entropy(x, t)
    b = F.nll_loss(F.log_softmax(x, axis=1), t)
    assert a.dtype == mg.float32
    np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    ga, gb = mg.grad(a, x)[0], mg.grad(b, x)[0]
    np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-7)


def test_bce_with_logits_does_not_overflow():
    x = mg.tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0])
    f32 = F.binary_cross_entropy_with_logits(mg.tensor([88.0, -104.0]), np.array([0.0, 1.0]))
    assert f32.dtype == mg.float32 and np.isfinite(f32.item())


def test_bce_clamps_the_log_at_minus_100():
    loss = F.binary_cross_entropy(mg.tensor(np.array([0.0, 1.0])), np.array([1.0, 0.0]),
                                  reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0])


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_index_out_of_range(fn):
    x = mg.randn(3, 4)
    with pytest.raises(ValueError, match=r"class index 4 is out of range \[0, 4\)"):
        fn(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"class index -1 is out of range"):
        fn(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\).*got \(2,\)"):
        fn(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        fn(mg.randn(4), np.array([1]))


def test_loss_errors():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3, 1\) and target shape \(3,\)"):
        F.mse_loss(mg.randn(3, 1), mg.randn(3))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([1.5]), np.array([1.0]))
    with pytest.raises(TypeError, match="integer"):
        F.nll_loss(mg.randn(2, 3), np.array([0.5, 0.5]))


def test_loss_module_repr_and_reduction():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    x = mg.tensor(np.array([[2.0, 0.0]]))
    assert math.isclose(nn.CrossEntropyLoss(reduction="sum")(x, np.array([0])).item(),
                        math.log(1 + math.exp(-2.0)))
