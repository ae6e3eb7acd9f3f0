"""The elementary functions (minigrad/ops/maths.py): values against NumPy and the C
library, dtypes kept, step functions pass no gradient. Gradients: tests/test_core_grad.py."""
import math

import numpy as np
import pytest

import minigrad as mg

REFERENCE = dict(sin=np.sin, cos=np.cos, tan=np.tan, asin=np.arcsin, acos=np.arccos,
                 atan=np.arctan, sinh=np.sinh, cosh=np.cosh, exp2=np.exp2, expm1=np.expm1,
                 log2=np.log2, log10=np.log10, log1p=np.log1p, square=np.square,
                 rsqrt=lambda x: 1 / np.sqrt(x), sign=np.sign, floor=np.floor,
                 ceil=np.ceil, round=np.round, trunc=np.trunc,
                 erf=np.vectorize(math.erf))


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_dtype(name, dtype):
    x = np.linspace(0.05, 0.95, 7, dtype=dtype) * np.array([1, -1] * 3 + [1], dtype=dtype)
    if name in ("log2", "log10", "rsqrt"):
        x = np.abs(x)
    t = mg.tensor(x)
    for y in (getattr(t, name)(), getattr(mg, name)(t)):
        assert y.dtype == dtype and y.shape == x.shape
        np.testing.assert_allclose(y.data, REFERENCE[name](x).astype(dtype),
                                   rtol=1e-6 if dtype == np.float32 else 1e-15, atol=0)


def test_erf_is_exact_in_float64_over_a_wide_range():
    x = np.linspace(-6, 6, 2001)
    want = np.array([math.erf(v) for v in x])
    assert np.array_equal(mg.erf(mg.tensor(x)).data, want)
    assert mg.erf(mg.tensor(np.zeros((0, 2)))).shape == (0, 2)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_step_functions_pass_zero_gradient(name):
    x = mg.tensor([-1.3, 0.4, 2.6], requires_grad=True)
    getattr(x, name)().sum().backward()
    assert x.grad is not None and np.array_equal(x.grad, np.zeros(3))


def test_round_halves_to_even():
    np.testing.assert_array_equal(mg.tensor([0.5, 1.5, 2.5, -0.5]).round().data,
                                  [0.0, 2.0, 2.0, -0.0])
