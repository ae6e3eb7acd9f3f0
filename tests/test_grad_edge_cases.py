"""Gradient behaviours a mutation run found no test pinning down (issue 14, item 7):

* ``max``/``min`` over an axis with tied extremes share the gradient equally among
  the ties (``minigrad/ops/reduce.py``; PyTorch's ``amax``/``amin`` do the same);
* ``cross_entropy`` with class-probability targets q that do not sum to 1 has the
  documented gradient ``softmax(x) sum_c q_c - q`` (``minigrad/ops/loss.py``), and
  ``-log_softmax(x)`` with respect to q;
* ``clip``/``clamp`` pass the gradient at exactly ``x == lo`` and ``x == hi`` (as
  ``torch.clamp`` 2.13 does: ``grad * (lo <= x <= hi)``, checked during development)
  and block it strictly outside;
* a non-leaf's ``.grad`` kept with ``retain_grad()`` accumulates over two
  ``backward(retain_graph=True)`` calls, like a leaf's.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.testing import arrays, reduction, shapes


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("which", ["max", "min"])
@given(inputs=reduction(distinct=True), data=st.data())
def test_tied_extremes_share_the_gradient_equally(which, inputs, data):
    (x,) = inputs.arrays
    axis, keepdims = inputs.kwargs["axis"], inputs.kwargs["keepdims"]
    ext = getattr(np, which)(x, axis=axis, keepdims=True)
    # tie a random subset of each slice to its extreme (the extreme itself stays)
    tie = np.array(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size)),
                   dtype=bool).reshape(x.shape)
    x = np.where(tie, np.broadcast_to(ext, x.shape), x)
    is_ext = x == ext
    t = mg.tensor(x, requires_grad=True)
    out = getattr(t, which)(axis=axis, keepdims=keepdims)
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * w).sum().backward()
    count = is_ext.sum(axis=axis, keepdims=True)
    w_full = np.broadcast_to(w if keepdims or axis is None else
                             np.expand_dims(w, axis), ext.shape)
    np.testing.assert_allclose(t.grad, np.where(is_ext, w_full / count, 0.0), rtol=1e-12)


def test_tied_max_example_by_hand():
    t = mg.tensor(np.array([1.0, 3.0, 3.0, 2.0, 3.0]), requires_grad=True)
    t.max().backward()
    np.testing.assert_array_equal(t.grad, [0, 1 / 3, 1 / 3, 0, 1 / 3])


@pytest.mark.parametrize("reduction_", ["sum", "mean", "none"])
@given(data=st.data())
def test_cross_entropy_with_unnormalised_probability_targets(reduction_, data):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 5))
    x = data.draw(arrays((n, c), low=-3, high=3))
    q = data.draw(arrays((n, c), low=0.0, high=1.0))     # rows sum to anything in [0, c]
    xt, qt = mg.tensor(x, requires_grad=True), mg.tensor(q, requires_grad=True)
    loss = F.cross_entropy(xt, qt, reduction=reduction_)
    w = np.random.default_rng(1).standard_normal(loss.shape)
    (loss * w).sum().backward()
    logp = x - x.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss.data, {"sum": (-(q * logp).sum(1)).sum(),
                                           "mean": (-(q * logp).sum(1)).mean(),
                                           "none": -(q * logp).sum(1)}[reduction_], rtol=1e-12)
    per_row = w.reshape(-1, 1) if reduction_ == "none" else np.full((n, 1), w / (
        n if reduction_ == "mean" else 1))
    expected_x = per_row * (_softmax(x) * q.sum(axis=1, keepdims=True) - q)
    np.testing.assert_allclose(xt.grad, expected_x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(qt.grad, per_row * -logp, rtol=1e-10, atol=1e-12)


def test_cross_entropy_unnormalised_target_differs_from_softmax_minus_q():
    """The sum_c q_c factor matters: with q summing to 2 the gradient is 2 softmax - q."""
    x = np.array([[0.5, -1.0, 2.0]])
    q = np.array([[1.0, 0.5, 0.5]])
    xt = mg.tensor(x, requires_grad=True)
    F.cross_entropy(xt, mg.tensor(q), reduction="sum").backward()
    np.testing.assert_allclose(xt.grad, 2 * _softmax(x) - q, rtol=1e-12)
    assert not np.allclose(xt.grad, _softmax(x) - q)


CLIPS = {
    "clip(lo, hi)": (lambda t, lo, hi: t.clip(lo, hi), True, True),
    "clamp(lo, hi)": (lambda t, lo, hi: t.clamp(lo, hi), True, True),
    "mg.clip(lo=)": (lambda t, lo, hi: mg.clip(t, lo=lo), True, False),
    "mg.clip(hi=)": (lambda t, lo, hi: mg.clip(t, hi=hi), False, True),
    "clamp(min=)": (lambda t, lo, hi: t.clamp(min=lo), True, False),
    "clamp(max=)": (lambda t, lo, hi: t.clamp(max=hi), False, True),
}


@pytest.mark.parametrize("name", list(CLIPS))
@given(lo=st.floats(-2, 0.5), width=st.floats(0.0, 2.0), shape=shapes(max_dims=2))
def test_clip_passes_the_gradient_at_exactly_the_bounds(name, lo, width, shape):
    fn, has_lo, has_hi = CLIPS[name]
    hi = lo + width
    size = int(np.prod(shape))
    pool = np.array([lo, hi, lo - 0.25, hi + 0.25, (lo + hi) / 2])
    x = pool[np.arange(size) % 5].reshape(shape)
    t = mg.tensor(x, requires_grad=True)
    fn(t, lo, hi).sum().backward()
    inside = (x >= lo if has_lo else True) & (x <= hi if has_hi else True)
    np.testing.assert_array_equal(t.grad, np.where(inside, 1.0, 0.0))
    # the bounds themselves always pass (whether the other bound exists or not)
    assert (t.grad[(x == lo) & has_lo] == 1).all() and (t.grad[(x == hi) & has_hi] == 1).all()


def test_clip_at_the_bounds_by_hand():
    t = mg.tensor(np.array([-0.5, 0.7, 0.0, -0.6, 0.8]), requires_grad=True)
    t.clip(-0.5, 0.7).sum().backward()
    np.testing.assert_array_equal(t.grad, [1, 1, 1, 0, 0])     # torch.clamp: the same


@given(x=arrays(shapes(max_dims=2)))
def test_retained_non_leaf_grad_accumulates_over_two_backwards(x):
    a = mg.tensor(x, requires_grad=True)
    y = a * 3.0 + 1.0
    y.retain_grad()
    loss = (y ** 2).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad, 2 * (3 * x + 1), rtol=1e-12)
    first = y.grad.copy()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad, 2 * first, rtol=1e-12)
    np.testing.assert_allclose(a.grad, 2 * 3 * first, rtol=1e-12)


class _Biased(mg.Function):
    """y = 0 * x, whose backward adds 0.9 * atol to every element: each element passes
    gradcheck's element-wise tolerance, their sum along a direction does not."""

    @staticmethod
    def forward(ctx, x):
        return 0.0 * x

    @staticmethod
    def backward(ctx, g):
        return 0.0 * g + 0.9e-5 * np.sign(g)


def test_gradcheck_directional_check_catches_errors_below_the_element_tolerance():
    x = mg.tensor(np.random.default_rng(0).standard_normal(400), requires_grad=True)
    with pytest.raises(mg.GradcheckError, match="directional"):
        mg.gradcheck(_Biased.apply, [x], atol=1e-5)
