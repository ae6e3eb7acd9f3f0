"""Gradient clipping against the formulas, written out here.

clip_grad_norm_:  n = (sum_i sum_j |g_ij|^p)^(1/p)   (n = max |g_ij| for p = inf)
                  g <- g * min(1, max_norm / (n + 1e-6)), returns n (pre-clip) as a float
clip_grad_value_: g <- clip(g, -v, v)
"""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_, total_grad_norm

from minigrad.testing import arrays, shapes


@st.composite
def params_with_grads(draw, max_params=4):
    """Leaf tensors with random float64 gradients (some without a gradient)."""
    n = draw(st.integers(1, max_params))
    scale = draw(st.sampled_from([1e-3, 1.0, 50.0]))
    out = []
    for _ in range(n):
        shape = draw(shapes(min_dims=0, max_dims=3))
        p = mg.tensor(np.zeros(shape), requires_grad=True)
        if draw(st.integers(0, 4)) > 0:
            p.grad = np.asarray(draw(arrays(shape)) * scale)
        out.append(p)
    return out


def formula_norm(grads, p):
    flat = np.concatenate([g.ravel() for g in grads]) if grads else np.zeros(0)
    if p == math.inf:
        return np.abs(flat).max() if flat.size else 0.0
    return np.sum(np.abs(flat) ** p) ** (1.0 / p)


@given(params=params_with_grads(), p=st.sampled_from([1.0, 2.0, 3.0, 0.5, math.inf, "inf"]),
       max_norm=st.floats(0.0, 20.0))
def test_clip_grad_norm_matches_formula(params, p, max_norm):
    pf = math.inf if p == "inf" else p
    had = [q.grad is not None for q in params]
    before = [q.grad.copy() for q in params if q.grad is not None]
    n = formula_norm(before, pf)
    total = clip_grad_norm_(params, max_norm, norm_type=p)
    assert type(total) is float
    assert total == pytest.approx(n, rel=1e-12, abs=1e-300)
    coef = max_norm / (n + 1e-6)
    after = [q.grad for q in params if q.grad is not None]
    for g0, g1 in zip(before, after):
        np.testing.assert_allclose(g1, g0 * coef if coef < 1 else g0, rtol=1e-12, atol=0)
    if before:
        assert formula_norm(after, pf) <= max(max_norm, n) * (1 + 1e-12)
    assert [q.grad is not None for q in params] == had    # no gradient is created


def test_clip_grad_norm_float32_and_single_tensor():
    w = mg.tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    w.grad = np.array([3.0, 4.0], dtype=np.float32)
    total = clip_grad_norm_(w, 1.0)                       # one tensor, not a list
    assert total == pytest.approx(5.0)
    assert w.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad, np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-6)


def test_clip_grad_norm_below_threshold_leaves_grads_alone():
    w = mg.tensor(np.zeros(3), requires_grad=True)
    w.grad = np.array([0.1, -0.2, 0.2])
    g = w.grad.copy()
    assert clip_grad_norm_([w], 1.0) == pytest.approx(0.3)
    np.testing.assert_array_equal(w.grad, g)


def test_clip_grad_norm_no_grads_returns_zero():
    assert clip_grad_norm_([mg.tensor(np.zeros(3), requires_grad=True)], 1.0) == 0.0
    assert clip_grad_norm_([], 1.0) == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("p", [2.0, math.inf])
def test_clip_grad_norm_nonfinite(bad, p):
    a = mg.tensor(np.zeros(3), requires_grad=True)
    b = mg.tensor(np.zeros(2), requires_grad=True)
    a.grad, b.grad = np.array([1.0, bad, 2.0]), np.array([1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite.*error_if_nonfinite=False"):
        clip_grad_norm_([a, b], 1.0, norm_type=p, error_if_nonfinite=True)
    assert b.grad.tolist() == [1.0, 1.0]                  # untouched when it raises
    total = clip_grad_norm_([a, b], 1.0, norm_type=p)     # PyTorch: scale anyway
    assert not math.isfinite(total)
    # inf norm -> factor 0 (finite entries become 0); nan norm -> factor nan
    if np.isnan(bad):
        assert np.isnan(b.grad).all()
    else:
        assert b.grad.tolist() == [0.0, 0.0]


def test_clip_grad_norm_bad_arguments():
    w = mg.tensor(np.zeros(2), requires_grad=True)
    w.grad = np.ones(2)
    with pytest.raises(ValueError, match="norm_type must be > 0.*got -1"):
        clip_grad_norm_([w], 1.0, norm_type=-1)
    with pytest.raises(TypeError, match="norm_type must be a positive number or inf.*'fro'"):
        clip_grad_norm_([w], 1.0, norm_type="fro")
    with pytest.raises(ValueError, match="max_norm must be >= 0, got -1"):
        clip_grad_norm_([w], -1.0)
    with pytest.raises(TypeError, match="expected Tensors.*got ndarray"):
        clip_grad_norm_([np.ones(2)], 1.0)


@given(params=params_with_grads(), v=st.floats(0.0, 3.0))
def test_clip_grad_value_matches_formula(params, v):
    before = [None if q.grad is None else q.grad.copy() for q in params]
    clip_grad_value_(params, v)
    for q, g0 in zip(params, before):
        if g0 is None:
            assert q.grad is None
        else:
            np.testing.assert_array_equal(q.grad, np.minimum(np.maximum(g0, -v), v))


def test_clip_grad_value_bad_value():
    w = mg.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="clip_value must be >= 0, got -0.5"):
        clip_grad_value_([w], -0.5)


def test_total_grad_norm_after_backward():
    """The norm of real gradients from a backward pass, p = 2 and inf."""
    w = mg.tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    b = mg.tensor(np.array([0.25, -1.0]), requires_grad=True)
    ((w * w).sum() + (b * 3.0).sum()).backward()          # grads 2w and 3
    g = np.concatenate([2 * w.data.ravel(), [3.0, 3.0]])
    assert total_grad_norm([w, b]) == pytest.approx(np.sqrt(np.sum(g ** 2)))
    assert total_grad_norm([w, b], math.inf) == pytest.approx(6.0)


def test_total_grad_norm_leaves_grads_untouched():
    """A query: read-only gradients stay the same objects, unchanged."""
    w = mg.tensor(np.ones(3), requires_grad=True)
    g = np.array([3.0, 4.0, 0.0])
    g.flags.writeable = False
    w.grad = g
    assert total_grad_norm([w]) == pytest.approx(5.0)
    assert w.grad is g and not w.grad.flags.writeable


def test_clip_grad_norm_checks_everything_before_changing_a_grad():
    w = mg.tensor(np.ones(2), requires_grad=True)
    g = np.array([30.0, 40.0])
    g.flags.writeable = False
    w.grad = g
    with pytest.raises(TypeError, match="expected Tensors"):
        clip_grad_norm_([w, "not a tensor"], 1.0)
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        clip_grad_norm_([w], -1.0)
    assert w.grad is g
