"""std / var gradients where the spread is zero or there are no degrees of freedom.

std is not differentiable at zero spread (|x|-like), so central differences cannot
check it there; PyTorch's choice is a gradient of exactly 0, and minigrad's std
gives the same (0/0 = nan before). var is differentiable there (gradient 0) and
goes through ``mg.gradcheck``. With ddof >= n the forward is inf (nan at zero
spread) as NumPy and PyTorch give; the backward then gives PyTorch 2.13's values
(var: inf, nan where x equals the mean; std: nan) instead of raising.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg


@st.composite
def rows_some_constant(draw):
    """An (R, n) array whose rows are constant where ``const`` says, random elsewhere.

    The constants are multiples of 1/4, so that the row mean is exact and the spread
    exactly zero (for 0.1, mean - x is an ulp and std is 1e-17, in PyTorch too)."""
    R, n = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.standard_normal((R, n))
    const = np.array(draw(st.lists(st.booleans(), min_size=R, max_size=R)))
    x[const] = rng.integers(-8, 9, (int(const.sum()), 1)) / 4
    return x, const


def _grad(fn, x, **kw):
    t = mg.tensor(x, requires_grad=True)
    y = fn(t, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no 0/0 inside the backward
        weights = np.arange(1.0, y.data.size + 1, dtype=x.dtype).reshape(y.shape)
        (y * mg.tensor(weights)).sum().backward()
    return t.grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=30, deadline=None)
@given(data=rows_some_constant(), ddof=st.sampled_from([0, 1]), keepdims=st.booleans())
def test_std_gradient_is_zero_at_zero_spread(dtype, data, ddof, keepdims):
    x, const = data
    x = x.astype(dtype)
    g = _grad(mg.std, x, axis=1, ddof=ddof, keepdims=keepdims)
    assert g.dtype == dtype and np.isfinite(g).all()
    np.testing.assert_array_equal(g[const], 0)
    # the other rows keep the usual d std = w (x - mean) / ((n - ddof) std), w = row weight
    x64 = x.astype(np.float64)
    c = x64 - x64.mean(axis=1, keepdims=True)
    w = np.arange(1.0, len(x) + 1)[:, None]
    with np.errstate(invalid="ignore"):
        ref = w * c / ((x.shape[1] - ddof) * x64.std(axis=1, ddof=ddof, keepdims=True))
    tol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(g[~const], ref[~const], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_of_a_constant_tensor_has_zero_gradient(dtype, ddof):
    for x in (np.full(5, 0.75, dtype), np.full((2, 3), -2.0, dtype)):
        np.testing.assert_array_equal(_grad(mg.std, x, ddof=ddof), np.zeros_like(x))
    np.testing.assert_array_equal(_grad(mg.std, np.array(1.5, dtype)), 0)   # 0-d, ddof 0


@settings(max_examples=30, deadline=None)
@given(data=rows_some_constant(), ddof=st.sampled_from([0, 1]), keepdims=st.booleans())
def test_var_gradcheck_at_zero_spread(data, ddof, keepdims):
    x, const = data
    t = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda a: a.var(axis=1, ddof=ddof, keepdims=keepdims), [t])
    np.testing.assert_array_equal(_grad(mg.var, x, axis=1, ddof=ddof)[const], 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_degrees_of_freedom(dtype):
    """ddof >= n: PyTorch 2.13's gradients (std nan; var inf, nan where x == mean)."""
    spread, const = np.array([1.0, 2.0], dtype), np.array([3.0, 3.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # the forward's own, as NumPy's
        for ddof in (2, 3):
            assert np.isnan(_grad(mg.std, spread, ddof=ddof)).all()
            assert np.isnan(_grad(mg.std, const, ddof=ddof)).all()
            g = _grad(mg.var, spread, ddof=ddof)
            assert g.dtype == dtype and (g == np.inf).all()
            assert np.isnan(_grad(mg.var, const, ddof=ddof)).all()
        assert np.isnan(_grad(mg.var, np.array([2.0], dtype), ddof=1)).all()
