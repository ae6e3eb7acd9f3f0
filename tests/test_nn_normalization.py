"""Normalisation layers against their definitions, written independently here:
BatchNorm's batch statistics and running-statistics updates over several steps
(biased variance to normalise, unbiased to track), its eval mode, and the
per-sample statistics of LayerNorm, GroupNorm and InstanceNorm."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn

# half the profile's examples per gradient check (10 in CI, 150 with 'thorough')
HALF = max(4, settings.default.max_examples // 2)


@pytest.mark.parametrize("shape,axes", [((8, 3), (0,)), ((4, 3, 5), (0, 2)),
                                        ((2, 3, 4, 5), (0, 2, 3))])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_running_statistics_over_several_steps(shape, axes, momentum):
    mg.set_default_dtype(mg.float64)
    bn = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(3, momentum=momentum)
    rng = np.random.default_rng(1)
    bn.weight.data[...] = rng.uniform(0.5, 2, 3)
    bn.bias.data[...] = rng.uniform(-1, 1, 3)
    c = (1, 3) + (1,) * (len(shape) - 2)
    rm, rv = np.zeros(3), np.ones(3)
    n = int(np.prod([shape[a] for a in axes]))
    for step in range(1, 6):
        x = rng.standard_normal(shape) * (step + 1) + step
        y = bn(mg.tensor(x)).data
        mean = x.mean(axis=axes)
        var_biased = ((x - mean.reshape(c)) ** 2).sum(axis=axes) / n
        var_unbiased = ((x - mean.reshape(c)) ** 2).sum(axis=axes) / (n - 1)
        want = ((x - mean.reshape(c)) / np.sqrt(var_biased.reshape(c) + 1e-5)
                * bn.weight.data.reshape(c) + bn.bias.data.reshape(c))
        np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)
        m = 1.0 / step if momentum is None else momentum
        rm = (1 - m) * rm + m * mean
        rv = (1 - m) * rv + m * var_unbiased
        np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var, rv, rtol=1e-12)
        assert int(bn.num_batches_tracked) == step
    bn.eval()
    x = rng.standard_normal(shape)
    y = bn(mg.tensor(x)).data
    want = ((x - rm.reshape(c)) / np.sqrt(rv.reshape(c) + 1e-5) * bn.weight.data.reshape(c)
            + bn.bias.data.reshape(c))
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(bn.running_mean, rm)     # eval does not update
    assert int(bn.num_batches_tracked) == 5


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    assert list(bn.state_dict()) == []
    x = mg.randn(6, 2)
    y = bn(x).data
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(y.var(0), 1, atol=1e-3)


def test_batchnorm_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(mg.randn(4, 2) + 3)
    bn.reset_running_stats()
    assert np.all(bn.running_mean == 0) and np.all(bn.running_var == 1)
    assert int(bn.num_batches_tracked) == 0


def _standardise(x, axes, eps=1e-5):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


@settings(max_examples=HALF)
@given(n=st.integers(1, 3), g=st.integers(1, 3), per=st.integers(1, 3),
       hw=st.tuples(st.integers(1, 3), st.integers(2, 3)), seed=st.integers(0, 99))
def test_layer_group_instance_norm_statistics(n, g, per, hw, seed):
    mg.set_default_dtype(mg.float64)
    rng = np.random.default_rng(seed)
    c = g * per
    x = rng.standard_normal((n, c) + hw) * 3 + 1
    w, b = rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    cshape = (1, c, 1, 1)

    gn = nn.GroupNorm(g, c)
    gn.weight.data[...], gn.bias.data[...] = w, b
    want = _standardise(x.reshape(n, g, -1), (2,)).reshape(x.shape) * w.reshape(cshape) \
        + b.reshape(cshape)
    np.testing.assert_allclose(gn(mg.tensor(x)).data, want, rtol=1e-9, atol=1e-10)

    inorm = nn.InstanceNorm2d(c, affine=True)
    inorm.weight.data[...], inorm.bias.data[...] = w, b
    want = _standardise(x, (2, 3)) * w.reshape(cshape) + b.reshape(cshape)
    for mode in (True, False):                      # no running stats: same in eval
        np.testing.assert_allclose(inorm.train(mode)(mg.tensor(x)).data, want,
                                   rtol=1e-9, atol=1e-10)

    ln = nn.LayerNorm(hw)
    ln.weight.data[...] = rng.uniform(0.5, 2, hw)
    want = _standardise(x, (2, 3)) * ln.weight.data
    np.testing.assert_allclose(ln(mg.tensor(x)).data, want, rtol=1e-9, atol=1e-10)
