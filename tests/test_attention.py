"""F.scaled_dot_product_attention: one fused op, against a reference built from core ops.

The reference composes ``@``, ``masked_fill``/``+`` and ``softmax`` (each checked in
test_core_grad.py); the fused op must give the same values and gradients, pass
``mg.gradcheck`` over hypothesis-drawn shapes, masks and heads, and a deliberately
wrong backward must be caught by the same check.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops import attention as attention_ops

MASKS = ("none", "causal", "padding", "bool", "additive", "additive-grad")


@st.composite
def attention_case(draw):
    """q (*bq, L, E), k (*bk, S, E), v (*bv, S, Ev) with broadcasting batch axes
    (up to batch and heads), and one kind of mask."""
    batch = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    L, S, E, Ev = (draw(st.integers(1, 4)) for _ in range(4))

    def squeeze_some(shape):
        keep = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
        cut = draw(st.integers(0, len(shape)))
        return tuple(n if k else 1 for n, k in zip(shape, keep))[cut:]

    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(tuple(batch) + (L, E))
    k = rng.standard_normal(squeeze_some(batch) + (S, E))
    v = rng.standard_normal(squeeze_some(batch) + (S, Ev))
    kind = draw(st.sampled_from(MASKS))
    mask = None
    if kind == "padding":                     # (N, 1, 1, S): some keys of a sequence hidden
        lead = (batch[0],) + (1,) * (len(batch) - 1) if batch else ()
        mask = rng.random(lead + (1, S)) > 0.3
    elif kind == "bool":
        mask = rng.random((L, S)) > 0.3
    elif kind.startswith("additive"):
        mask = rng.standard_normal(squeeze_some(batch) + (L, S))
    scale = draw(st.sampled_from([None, 0.7]))
    return q, k, v, kind, mask, scale


def reference(q, k, v, mask=None, is_causal=False, scale=None):
    """softmax(q k^T scale + mask) v from core ops; rows with no key -> 0 (as PyTorch)."""
    c = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = (q @ k.transpose(-1, -2)) * c
    allowed = None
    if is_causal:
        allowed = np.tri(q.shape[-2], k.shape[-2], dtype=bool)
    elif mask is not None and (mask.dtype if isinstance(mask, np.ndarray) else
                               mask.data.dtype) == np.bool_:
        allowed = mask
    elif mask is not None:
        s = s + mask
    if allowed is not None:
        allowed = np.broadcast_to(allowed, s.shape)
        s = s.masked_fill(~allowed, -1e300)     # finite: softmax stays defined
        p = s.softmax(axis=-1) * allowed.any(axis=-1, keepdims=True)
    else:
        p = s.softmax(axis=-1)
    return p @ v


def _call(fn, q, k, v, kind, mask, scale):
    return fn(q, k, v, mask, is_causal=kind == "causal", scale=scale) if kind != "causal" \
        else fn(q, k, v, None, is_causal=True, scale=scale)


def _inputs(q, k, v, kind, mask):
    ts = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    if kind == "additive-grad":
        ts.append(mg.tensor(mask, requires_grad=True))
    return ts


@given(attention_case())
def test_gradcheck(case):
    q, k, v, kind, mask, scale = case
    ts = _inputs(q, k, v, kind, mask)

    def fn(q, k, v, m=None):
        m = mask if m is None else m
        return _call(F.scaled_dot_product_attention, q, k, v, kind, m, scale)
    assert mg.gradcheck(fn, ts)


@given(attention_case())
def test_equals_the_core_op_reference(case):
    q, k, v, kind, mask, scale = case
    fused, ref = _inputs(q, k, v, kind, mask), _inputs(q, k, v, kind, mask)
    m_fused = fused[3] if kind == "additive-grad" else mask
    m_ref = ref[3] if kind == "additive-grad" else mask
    y = _call(F.scaled_dot_product_attention, *fused[:3], kind, m_fused, scale)
    r = _call(reference, *ref[:3], kind, m_ref, scale)
    np.testing.assert_allclose(y.data, r.data, rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(y.shape)
    (y * w).sum().backward()
    (r * w).sum().backward()
    for a, b in zip(fused, ref):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-9, atol=1e-11)


def test_is_one_op_on_the_tape():
    q, k, v = (mg.randn(2, 3, 4, 5, requires_grad=True) for _ in range(3))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert y.grad_fn.name == "ScaledDotProductAttention"
    assert list(y.grad_fn.parents[:3]) == [q, k, v]
    assert y.shape == (2, 3, 4, 5) and y.dtype == np.float32


def test_a_wrong_backward_is_caught(monkeypatch):
    """The softmax backward without its row-sum term: gradcheck must reject it."""
    monkeypatch.setattr(attention_ops, "_softmax_grad", lambda p, dp: p * dp)
    rng = np.random.default_rng(0)
    ts = [mg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True) for _ in range(3)]
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), ts)


def test_large_logits_are_stable_and_fully_masked_rows_are_zero():
    rng = np.random.default_rng(0)
    q = mg.tensor(rng.standard_normal((2, 3, 4)) * 1e3, requires_grad=True)
    k = mg.tensor(rng.standard_normal((2, 5, 4)) * 1e3, requires_grad=True)
    v = mg.tensor(rng.standard_normal((2, 5, 6)), requires_grad=True)
    mask = np.ones((3, 5), bool)
    mask[1] = False
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.isfinite(y.data).all()
    assert (y.data[:, 1] == 0).all()
    hard = np.argmax(np.where(mask, q.data @ k.data.swapaxes(1, 2), -np.inf), axis=-1)
    picked = np.take_along_axis(v.data, hard[..., None], axis=1)    # one-hot weights
    np.testing.assert_allclose(y.data[:, [0, 2]], picked[:, [0, 2]], atol=1e-6)
    additive = np.where(mask, 0.0, -np.inf)
    y2 = F.scaled_dot_product_attention(q, k, v, attn_mask=additive)
    np.testing.assert_array_equal(y.data, y2.data)
    y.sum().backward()
    assert np.isfinite(q.grad).all() and (q.grad[:, 1] == 0).all()


def test_dropout_follows_the_seed_and_scales_survivors():
    q, k, v = (mg.randn(4, 8, 16) for _ in range(3))
    mg.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    mg.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    np.testing.assert_array_equal(a.data, b.data)
    plain = F.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(a.data, plain.data)
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert (zero.data == 0).all()
    # dropout on the weights, with v = identity, shows the weights: 0 or w / (1 - p)
    eye = mg.tensor(np.broadcast_to(np.eye(8, dtype=np.float32), (4, 8, 8)).copy())
    w = F.scaled_dot_product_attention(q[:, :, :8], k[:, :, :8], eye)
    mg.manual_seed(5)
    wd = F.scaled_dot_product_attention(q[:, :, :8], k[:, :, :8], eye, dropout_p=0.25)
    kept = wd.data != 0
    np.testing.assert_allclose(wd.data[kept], w.data[kept] / 0.75, rtol=1e-5)
    assert 0.6 < kept.mean() < 0.9


def test_dropout_gradient():
    rng = np.random.default_rng(2)
    ts = [mg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True) for _ in range(3)]

    def fn(q, k, v):
        mg.manual_seed(7)                       # the same mask on every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    assert mg.gradcheck(fn, ts)


@pytest.mark.parametrize("args, kwargs, error, match", [
    (((2, 3, 4), (2, 5, 3), (2, 5, 4)), {}, ValueError, "share E"),
    (((2, 3, 4), (2, 5, 4), (2, 6, 4)), {}, ValueError, "share S"),
    (((2, 3, 4), (3, 5, 4), (3, 5, 4)), {}, ValueError, "do not broadcast"),
    (((4,), (5, 4), (5, 4)), {}, ValueError, "at least 2 dimensions"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), dict(attn_mask=np.ones((3, 4), bool)),
     ValueError, r"attn_mask of shape \(3, 4\) does not broadcast"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), dict(attn_mask=np.ones((3, 5), np.int64)),
     TypeError, "boolean .* or float"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), dict(attn_mask=np.ones((3, 5), bool),
                                            is_causal=True), ValueError, "not both"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), dict(dropout_p=1.5), ValueError, "dropout_p"),
])
def test_bad_input_is_named(args, kwargs, error, match):
    q, k, v = (mg.randn(*s) for s in args)
    with pytest.raises(error, match=match):
        F.scaled_dot_product_attention(q, k, v, **kwargs)


def test_dtypes_must_agree_and_be_floating():
    q = mg.randn(2, 3, 4)
    with pytest.raises(TypeError, match="one dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(TypeError, match="floating query"):
        F.scaled_dot_product_attention(q.long(), q, q)
