"""Every layer: float64 gradient checks in train and eval mode over generated shapes,
forward values against formulas written independently here, and input errors.

The gradient checks are declared in one table, ``LAYERS``: a name and a
hypothesis strategy that draws ``(module, input)``. ``minigrad.testing.gradcheck_module``
runs ``mg.gradcheck`` with respect to the input and every parameter of the module
(the parameters are swapped for gradcheck's float64 copies during the call).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import arrays, gradcheck_module

# half the profile's examples per gradient check (10 in CI, 150 with 'thorough')
HALF = max(4, settings.default.max_examples // 2)

# ------------------------------------------------------------------ helpers


def t64(draw, shape, **kw):
    return mg.tensor(draw(arrays(tuple(shape), **kw)), requires_grad=True)


dim = st.integers(1, 3)


# ------------------------------------------------------------ layer strategies
@st.composite
def linear_case(draw):
    i, o = draw(dim), draw(dim)
    lead = draw(st.lists(dim, min_size=0, max_size=2))
    return nn.Linear(i, o, bias=draw(st.booleans())), t64(draw, lead + [i])


@st.composite
def conv_case(draw):
    c, o, k = draw(dim), draw(dim), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h, w = draw(st.integers(k, k + 3)), draw(st.integers(k, k + 3))
    return (nn.Conv2d(c, o, k, stride=stride, padding=pad, bias=draw(st.booleans())),
            t64(draw, (draw(dim), c, h, w)))


@st.composite
def pool_case(draw, cls):
    k = draw(st.integers(1, 3))
    stride = draw(st.sampled_from([None, 1, 2]))
    pad = draw(st.integers(0, k // 2))
    h, w = draw(st.integers(k, k + 3)), draw(st.integers(k, k + 3))
    x = t64(draw, (draw(dim), draw(dim), h, w), distinct=True)   # no ties for max
    return cls(k, stride=stride, padding=pad), x


@st.composite
def batchnorm_case(draw):
    c = draw(dim)
    if draw(st.booleans()):
        return nn.BatchNorm1d(c), t64(draw, (draw(st.integers(2, 4)), c))
    if draw(st.booleans()):
        return nn.BatchNorm1d(c), t64(draw, (draw(dim), c, draw(st.integers(2, 3))))
    return nn.BatchNorm2d(c), t64(draw, (draw(st.integers(1, 2)), c, 2, draw(dim)))


@st.composite
def layernorm_case(draw):
    ns = tuple(draw(st.lists(st.integers(2, 3), min_size=1, max_size=2)))
    lead = draw(st.lists(dim, min_size=0, max_size=2))
    return nn.LayerNorm(ns), t64(draw, lead + list(ns))


@st.composite
def groupnorm_case(draw):
    g, per = draw(dim), draw(st.integers(1, 2))
    spatial = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    if per * int(np.prod(spatial)) < 2:
        spatial = [2]
    return nn.GroupNorm(g, g * per), t64(draw, [draw(dim), g * per] + spatial)


@st.composite
def instancenorm_case(draw):
    c = draw(dim)
    return (nn.InstanceNorm2d(c, affine=draw(st.booleans())),
            t64(draw, (draw(dim), c, 2, draw(st.integers(1, 3)))))


@st.composite
def embedding_case(draw):
    n, d = draw(st.integers(2, 5)), draw(dim)
    shape = draw(st.lists(dim, min_size=1, max_size=2))
    idx = np.random.default_rng(draw(st.integers(0, 99))).integers(0, n, shape)
    return nn.Embedding(n, d), mg.tensor(idx)


@st.composite
def dropout_case(draw):
    return nn.Dropout(draw(st.sampled_from([0.0, 0.3, 0.5]))), t64(draw, (draw(dim), 4))


@st.composite
def sequential_case(draw):
    i = draw(dim)
    model = nn.Sequential(nn.Linear(i, 3), nn.Tanh(), nn.Dropout(0.2), nn.Linear(3, 2),
                          nn.Identity(), nn.Flatten(0))
    return model, t64(draw, (draw(dim), i))


@st.composite
def activation_case(draw, module):
    shape = draw(st.lists(dim, min_size=1, max_size=3))
    return module, t64(draw, shape, low=-3, high=3, away_from_zero=0.05)


ACTIVATIONS = [nn.ReLU(), nn.LeakyReLU(0.2), nn.ELU(alpha=0.7), nn.SELU(), nn.GELU(),
               nn.GELU(approximate="tanh"), nn.SiLU(), nn.Softplus(beta=2.0, threshold=3.0),
               nn.Sigmoid(), nn.Tanh(), nn.Softmax(axis=-1), nn.Softmax(axis=0),
               nn.LogSoftmax(axis=-1)]

LAYERS = {
    "Linear": linear_case(),
    "Conv2d": conv_case(),
    "MaxPool2d": pool_case(nn.MaxPool2d),
    "AvgPool2d": pool_case(nn.AvgPool2d),
    "BatchNorm": batchnorm_case(),
    "LayerNorm": layernorm_case(),
    "GroupNorm": groupnorm_case(),
    "InstanceNorm2d": instancenorm_case(),
    "Embedding": embedding_case(),
    "Dropout": dropout_case(),
    "Sequential": sequential_case(),
    **{repr(a): activation_case(a) for a in ACTIVATIONS},
}


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name", list(LAYERS))
@settings(max_examples=HALF)
@given(data=st.data())
def test_layer_gradcheck(name, mode, data):
    mg.set_default_dtype(mg.float64)
    module, x = data.draw(LAYERS[name])
    module.to(mg.float64)
    if mode == "eval" and x.dtype.kind == "f":
        with mg.no_grad():                      # give BatchNorm non-trivial running stats
            for _ in range(2):
                module(x * 1.5 + 0.3)
    if mode == "eval":
        module.eval()
    assert gradcheck_module(module, x, seed=3)


# ------------------------------------------------------- forward references
def conv2d_reference(x, w, b, stride, pad):
    """Direct sum over the kernel, written out with loops."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.einsum("ncpq,ocpq->no", patch, w) + (0 if b is None else b)
    return y


def pool_reference(x, k, s, pad, reduce):
    n, c, h, w = x.shape
    fill = -np.inf if reduce is np.max else 0.0
    xp = np.full((n, c, h + 2 * pad, w + 2 * pad), fill)
    xp[:, :, pad:pad + h, pad:pad + w] = x
    ho, wo = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            y[:, :, i, j] = reduce(xp[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return y


@settings(max_examples=HALF + 5)
@given(st.data())
def test_conv2d_matches_direct_sum(data):
    mg.set_default_dtype(mg.float64)
    conv, x = data.draw(conv_case())
    b = None if conv.bias is None else conv.bias.data
    want = conv2d_reference(x.data, conv.weight.data, b, conv.stride[0], conv.padding[0])
    np.testing.assert_allclose(conv(x).data, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,reduce", [(nn.MaxPool2d, np.max), (nn.AvgPool2d, np.mean)])
@settings(max_examples=HALF + 5)
@given(data=st.data())
def test_pool_matches_loops(cls, reduce, data):
    pool, x = data.draw(pool_case(cls))
    want = pool_reference(x.data, pool.kernel_size, pool.stride, pool.padding, reduce)
    np.testing.assert_allclose(pool(x).data, want, rtol=1e-12)


def test_maxpool_gradient_goes_to_the_first_maximum_only():
    x = mg.tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def _erf(v):
    return np.vectorize(math.erf)(v)


ACTIVATION_FORMULAS = [
    (nn.ReLU(), lambda x: np.where(x > 0, x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    (nn.SELU(), lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    (nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                       * (x + 0.044715 * x ** 3)))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Softplus(), lambda x: np.log(1 + np.exp(x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(axis=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (nn.LogSoftmax(axis=-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
]


@pytest.mark.parametrize("module,formula", ACTIVATION_FORMULAS, ids=lambda v: repr(v)[:20])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_values_and_dtype(module, formula, dtype):
    x = np.linspace(-6, 6, 49).reshape(7, 7).astype(dtype)
    y = module(mg.tensor(x))
    assert y.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.data, formula(x.astype(np.float64)), rtol=tol, atol=tol)


def test_softplus_is_linear_above_threshold_and_stable():
    x = mg.tensor(np.array([-800.0, 0.0, 25.0, 800.0]))
    y = F.softplus(x).data
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, [0.0, math.log(2), 25.0, 800.0])


def test_dropout_statistics_with_fixed_seed():
    mg.manual_seed(123)
    x = mg.ones(200_000)
    d = nn.Dropout(0.3)
    y = d(x).data
    zero = np.mean(y == 0)
    assert abs(zero - 0.3) < 0.005                     # 0.3 +- ~5 sigma
    assert np.allclose(y[y != 0], 1 / 0.7)             # survivors scaled
    assert abs(y.mean() - 1.0) < 0.01                  # expectation preserved
    mg.manual_seed(123)
    assert np.array_equal(d(x).data, y)                # reproducible from the seed
    assert not np.array_equal(d(x).data, y)            # a new mask next call
    d.eval()
    assert d(x) is x or np.array_equal(d(x).data, x.data)
    assert np.all(F.dropout(x, 1.0).data == 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_gradient_uses_the_same_mask():
    mg.manual_seed(0)
    x = mg.randn(50, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad != 0, y.data != 0)
    np.testing.assert_allclose(x.grad[x.grad != 0], 2.0)


def test_embedding_gradient_sums_repeated_indices():
    emb = nn.Embedding(4, 2)
    idx = mg.tensor(np.array([[1, 1], [3, 1]]))
    out = emb(idx)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx.data])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [0, 3, 0, 1])


# --------------------------------------------------------------- parameters
def test_parameter_names_shapes_and_default_init_match_pytorch():
    mg.manual_seed(0)
    lin = nn.Linear(400, 30)
    assert lin.weight.shape == (30, 400) and lin.bias.shape == (30,)
    assert lin.weight.dtype == mg.float32
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert np.abs(p.data).max() <= bound
    assert abs(lin.weight.data.std() - bound / math.sqrt(3)) < 0.05 * bound
    conv = nn.Conv2d(3, 8, (3, 5), stride=2)
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert conv.weight.shape == (8, 3, 3, 5)
    assert np.abs(conv.weight.data).max() <= 1 / math.sqrt(45)
    emb = nn.Embedding(1000, 20)
    assert abs(emb.weight.data.std() - 1) < 0.05
    bn = nn.BatchNorm2d(5)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert np.all(bn.weight.data == 1) and np.all(bn.bias.data == 0)
    assert list(nn.LayerNorm((2, 3)).state_dict()) == ["weight", "bias"]
    assert nn.LayerNorm((2, 3)).weight.shape == (2, 3)
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert nn.GroupNorm(2, 6).weight.shape == (6,)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_layers_are_built_in_the_default_dtype():
    mg.set_default_dtype(mg.float64)
    for m in (nn.Linear(2, 3), nn.Conv2d(1, 2, 3), nn.BatchNorm1d(3), nn.Embedding(3, 2)):
        assert all(p.dtype == mg.float64 for p in m.parameters())
    assert nn.BatchNorm1d(3).running_var.dtype == mg.float64


def test_float32_stays_float32_through_layers():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.GELU(),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3), nn.LayerNorm(3))
    x = mg.randn(2, 1, 4, 4, requires_grad=True)
    y = model(x)
    assert y.dtype == mg.float32
    F.cross_entropy(y, np.array([0, 2])).backward()
    assert x.grad.dtype == mg.float32
    assert all(p.grad.dtype == mg.float32 for p in model.parameters())


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("module,x,match", [
    (nn.Linear(4, 3), mg.randn(2, 5), r"Linear\(in_features=4.*\(\*, 4\), got \(2, 5\)"),
    (nn.Conv2d(3, 4, 3), mg.randn(2, 2, 5, 5), r"Conv2d\(3, 4.*expected 3 input channels.*got 2"),
    (nn.Conv2d(3, 4, 3), mg.randn(3, 5, 5), r"Conv2d.*expected a 4-D input, got a 3-D"),
    (nn.Conv2d(1, 1, 5), mg.randn(1, 1, 3, 3), r"conv2d: padded input 3x3 is smaller"),
    (nn.MaxPool2d(2), mg.randn(4, 4), r"MaxPool2d.*4-D input.*\(4, 4\)"),
    (nn.BatchNorm1d(3), mg.randn(4, 2), r"BatchNorm1d\(3.*expected 3 features on axis 1, got 2"),
    (nn.BatchNorm1d(3), mg.randn(4, 3, 2, 2), r"BatchNorm1d.*2-D or 3-D input"),
    (nn.BatchNorm2d(3), mg.randn(4, 3), r"BatchNorm2d.*4-D input"),
    (nn.BatchNorm1d(3), mg.randn(1, 3), r"more than 1 value per channel"),
    (nn.LayerNorm((2, 3)), mg.randn(4, 3, 2), r"LayerNorm.*\(\*, 2, 3\), got \(4, 3, 2\)"),
    (nn.GroupNorm(2, 4), mg.randn(2, 6, 3), r"GroupNorm\(2, 4.*expected 4 channels.*got 6"),
    (nn.InstanceNorm2d(3), mg.randn(2, 3, 4), r"InstanceNorm2d.*4-D input"),
    (nn.Embedding(5, 2), mg.tensor(np.array([0, 5])), r"Embedding\(5, 2\).*index 5 .*\[0, 5\)"),
])
def test_bad_input_errors_name_the_layer_and_shapes(module, x, match):
    with pytest.raises(ValueError, match=match):
        module(x)


def test_embedding_rejects_float_indices():
    with pytest.raises(TypeError, match="integer"):
        nn.Embedding(5, 2)(mg.tensor([0.0, 1.0]))


def test_groupnorm_rejects_indivisible_channels():
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
