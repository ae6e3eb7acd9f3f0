"""nn.MultiheadAttention: PyTorch's parameters, masks and outputs, against a reference
composed from core ops (tests/attention_reference.py), gradcheck, and clear errors."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
import attention_reference as ref

MASKS = ("none", "bool-attn", "float-attn-per-head", "bool-padding", "float-padding", "both")


@st.composite
def mha_case(draw):
    n, length, s_len = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    heads, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch_first, need, average = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    kind = draw(st.sampled_from(MASKS))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    attn = pad = None
    if kind in ("bool-attn", "both"):
        attn = rng.random((length, s_len)) < 0.3
    if kind == "float-attn-per-head":
        attn = rng.standard_normal((n * heads, length, s_len))
    if kind in ("bool-padding", "both"):
        pad = rng.random((n, s_len)) < 0.3
        pad[:, 0] = False                       # every sequence keeps a key (no NaN rows)
    if kind == "float-padding":
        pad = rng.standard_normal((n, s_len))
    if attn is not None and attn.dtype == bool:
        attn[:, 0] = False
    e = heads * head_dim
    q_shape = (n, length, e) if batch_first else (length, n, e)
    kv_shape = (n, s_len, e) if batch_first else (s_len, n, e)
    arrays = [rng.standard_normal(s) for s in (q_shape, kv_shape, kv_shape)]
    return dict(e=e, heads=heads, batch_first=batch_first, arrays=arrays,
                kw=dict(attn_mask=attn, key_padding_mask=pad, need_weights=need,
                        average_attn_weights=average))


def _module(case, **kw):
    mg.manual_seed(0)
    return nn.MultiheadAttention(case["e"], case["heads"], batch_first=case["batch_first"],
                                 **kw).to(mg.float64)


@given(mha_case())
def test_equals_the_core_op_reference(case):
    m = _module(case)
    xs = [mg.tensor(a, requires_grad=True) for a in case["arrays"]]
    rs = [mg.tensor(a, requires_grad=True) for a in case["arrays"]]
    out, w = m(*xs, **case["kw"])
    r_out, r_w = ref.mha(m, *rs, **case["kw"])
    np.testing.assert_allclose(out.data, r_out.data, rtol=1e-10, atol=1e-12)
    assert (w is None) == (r_w is None)
    g = np.random.default_rng(1).standard_normal(out.shape)
    loss, r_loss = (out * g).sum(), (r_out * g).sum()
    if w is not None:
        np.testing.assert_allclose(w.data, r_w.data, rtol=1e-10, atol=1e-12)
        gw = np.random.default_rng(2).standard_normal(w.shape)
        loss, r_loss = loss + (w * gw).sum(), r_loss + (r_w * gw).sum()
    grads = mg.grad(loss, xs + list(m.parameters()))
    r_grads = mg.grad(r_loss, rs + list(m.parameters()))
    for a, b in zip(grads, r_grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@given(mha_case())
def test_gradcheck(case):
    m = _module(case)
    xs = [mg.tensor(a, requires_grad=True) for a in case["arrays"]]
    params = list(m.parameters())

    def fn(q, k, v, *ps):
        out, w = m(q, k, v, **case["kw"])
        return out if w is None else out.sum() + (w * w).sum()
    assert mg.gradcheck(fn, xs + params)


def test_pytorch_parameter_names_shapes_and_init():
    m = nn.MultiheadAttention(12, 3)
    assert {k: v.shape for k, v in m.state_dict().items()} == {
        "in_proj_weight": (36, 12), "in_proj_bias": (36,),
        "out_proj.weight": (12, 12), "out_proj.bias": (12,)}
    assert m.head_dim == 4 and m.batch_first is False
    bound = math.sqrt(6.0 / (12 + 36))                     # xavier_uniform_ on (3E, E)
    assert np.abs(m.in_proj_weight.data).max() <= bound
    assert (m.in_proj_bias.data == 0).all() and (m.out_proj.bias.data == 0).all()
    assert np.abs(m.out_proj.weight.data).max() <= 1 / math.sqrt(12)
    sep = nn.MultiheadAttention(8, 2, bias=False, kdim=3, vdim=5)
    assert {k: v.shape for k, v in sep.state_dict().items()} == {
        "q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5),
        "out_proj.weight": (8, 8)}
    assert sep.in_proj_weight is None and sep.in_proj_bias is None


def test_kdim_vdim_match_the_reference():
    mg.manual_seed(1)
    m = nn.MultiheadAttention(6, 2, kdim=3, vdim=4, batch_first=True).to(mg.float64)
    rng = np.random.default_rng(0)
    q, k, v = (mg.tensor(rng.standard_normal(s)) for s in ((2, 3, 6), (2, 5, 3), (2, 5, 4)))
    out, w = m(q, k, v)
    r_out, r_w = ref.mha(m, q, k, v)
    np.testing.assert_allclose(out.data, r_out.data, atol=1e-12)
    np.testing.assert_allclose(w.data, r_w.data, atol=1e-12)


def test_unbatched_input_is_a_batch_of_one():
    m = nn.MultiheadAttention(8, 2).to(mg.float64)
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((3, 8)), rng.standard_normal((5, 8))
    pad = np.array([False, False, True, False, True])
    out, w = m(mg.tensor(q), mg.tensor(k), mg.tensor(k), key_padding_mask=pad)
    out1, w1 = m(mg.tensor(q[:, None]), mg.tensor(k[:, None]), mg.tensor(k[:, None]),
                 key_padding_mask=pad[None])
    assert out.shape == (3, 8) and w.shape == (3, 5)
    np.testing.assert_allclose(out.data, out1.data[:, 0], atol=1e-12)
    np.testing.assert_allclose(w.data, w1.data[0], atol=1e-12)
    assert (w.data[:, pad] == 0).all()


def test_fully_masked_rows_as_pytorch():
    """With the weights, a row that may see no key is NaN (PyTorch's softmax); without
    them it is zero (PyTorch's scaled_dot_product_attention)."""
    m = nn.MultiheadAttention(4, 2, batch_first=True)
    x = mg.randn(2, 3, 4)
    pad = np.array([[True, True, True], [False, True, False]])
    out, w = m(x, x, x, key_padding_mask=pad)
    assert np.isnan(out.data[0]).all() and np.isnan(w.data[0]).all()
    assert np.isfinite(out.data[1]).all()
    out2, none = m(x, x, x, key_padding_mask=pad, need_weights=False)
    assert none is None and (out2.data[0] == 0).all()
    np.testing.assert_allclose(out2.data[1], out.data[1], rtol=1e-5, atol=1e-6)


def test_dropout_acts_in_training_only():
    mg.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = mg.randn(2, 6, 8)
    m.eval()
    a = m(x, x, x)[0]
    m.dropout = 0.0
    np.testing.assert_array_equal(a.data, m(x, x, x)[0].data)
    m.dropout = 0.5
    m.train()
    for need in (True, False):
        mg.manual_seed(4)
        b = m(x, x, x, need_weights=need)[0]
        mg.manual_seed(4)
        np.testing.assert_array_equal(b.data, m(x, x, x, need_weights=need)[0].data)
        assert not np.allclose(a.data, b.data)


@pytest.mark.parametrize("build, call, error, match", [
    (dict(embed_dim=10, num_heads=3), None, ValueError, "divisible by num_heads"),
    (dict(embed_dim=8, num_heads=2, add_bias_kv=True), None, NotImplementedError,
     "add_bias_kv"),
    (dict(embed_dim=8, num_heads=2, dropout=2.0), None, ValueError, "dropout"),
    (dict(embed_dim=8, num_heads=2), dict(attn_mask=np.zeros((3, 4), bool)), ValueError,
     r"attn_mask of shape \(L, S\) = \(3, 5\) .* got \(3, 4\)"),
    (dict(embed_dim=8, num_heads=2), dict(attn_mask=np.zeros((3, 5), np.int32)), TypeError,
     "attn_mask to be boolean"),
    (dict(embed_dim=8, num_heads=2), dict(key_padding_mask=np.zeros((5, 2), bool)),
     ValueError, r"key_padding_mask of shape \(N, S\) = \(2, 5\)"),
    (dict(embed_dim=8, num_heads=2), dict(key_padding_mask=np.zeros((2, 5), np.int64)),
     TypeError, "key_padding_mask to be boolean"),
    (dict(embed_dim=8, num_heads=2), dict(is_causal=True), ValueError, "give attn_mask"),
])
def test_bad_input_is_named(build, call, error, match):
    with pytest.raises(error, match=match):
        m = nn.MultiheadAttention(**build)
        x, y = mg.randn(2, 3, 8), mg.randn(2, 5, 8)
        m.batch_first = True
        m(x, y, y, **call)


def test_bad_shapes_are_named():
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    x = mg.randn(2, 3, 8)
    with pytest.raises(ValueError, match="8 features"):
        m(mg.randn(2, 3, 6), x, x)
    with pytest.raises(ValueError, match="different batch sizes"):
        m(x, mg.randn(3, 3, 8), mg.randn(3, 3, 8))
    with pytest.raises(ValueError, match="must agree"):
        m(x, x, mg.randn(2, 4, 8))
