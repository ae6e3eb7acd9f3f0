"""float32 gradients that are sums over many rows (a bias's) are as accurate as PyTorch's.

NumPy sums a C-contiguous (M, N) array over axis 0 row by row, so a float32 bias
gradient over 700 rows was up to 9e-6 off in relative (norm) terms, PyTorch's 1e-7..3e-7;
the fused Linear op and the tape's unbroadcast now accumulate float32 in float64.
The reference is the same float32 upstream gradient summed in float64.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


def _rel(a, ref):
    return np.linalg.norm(a.astype(np.float64) - ref) / np.linalg.norm(ref)


def _upstream(rng, M, N, kind):
    """dL/dy: a mean loss's constant 1/(M N), or positive weights (no cancellation)."""
    if kind == "mean":
        return np.full((M, N), 1.0 / (M * N), np.float32)
    return rng.uniform(0.5, 1.5, (M, N)).astype(np.float32)


@pytest.mark.parametrize("kind", ["mean", "weights"])
@settings(max_examples=10, deadline=None)
@given(N=st.sampled_from([1, 10, 512]), seed=st.integers(0, 2**31))
def test_linear_bias_gradient_over_700_rows(kind, N, seed):
    rng = np.random.default_rng(seed)
    mg.set_default_dtype(mg.float32)
    lin = nn.Linear(20, N)
    x = mg.tensor(rng.standard_normal((700, 20)).astype(np.float32))
    g = _upstream(rng, 700, N, kind)
    (lin(x) * mg.tensor(g)).sum().backward()
    assert lin.bias.grad.dtype == np.float32
    assert _rel(lin.bias.grad, g.astype(np.float64).sum(axis=0)) < 2e-7     # PyTorch: 1e-7..3e-7


@pytest.mark.parametrize("bias_shape", [(10,), (1, 10)])
@pytest.mark.parametrize("kind", ["mean", "weights"])
def test_broadcast_bias_gradient_over_700_rows(bias_shape, kind):
    """The same sum done by the tape undoing a broadcast (``x @ W + b``)."""
    rng = np.random.default_rng(5)
    x = mg.tensor(rng.standard_normal((700, 20)).astype(np.float32))
    W = mg.tensor(rng.standard_normal((20, 10)).astype(np.float32))
    b = mg.tensor(np.zeros(bias_shape, np.float32), requires_grad=True)
    g = _upstream(rng, 700, 10, kind)
    ((x @ W + b) * mg.tensor(g)).sum().backward()
    assert b.grad.dtype == np.float32 and b.grad.shape == bias_shape
    ref = g.astype(np.float64).sum(axis=0).reshape(bias_shape)
    assert _rel(b.grad, ref) < 2e-7


def test_float64_bias_gradient_stays_float64():
    rng = np.random.default_rng(6)
    mg.set_default_dtype(mg.float64)
    lin = nn.Linear(3, 4)
    g = rng.standard_normal((50, 4))
    (lin(mg.tensor(rng.standard_normal((50, 3)))) * mg.tensor(g)).sum().backward()
    assert lin.bias.grad.dtype == np.float64
    np.testing.assert_allclose(lin.bias.grad, g.sum(axis=0), rtol=1e-14)
