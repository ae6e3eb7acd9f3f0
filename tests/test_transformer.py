"""The Transformer family: PyTorch's state-dict names, the layers against references
composed from core ops (tests/attention_reference.py), deep-copied stacks, the causal
mask, gradcheck, and clear errors."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
import attention_reference as ref

ENCODER_LAYER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
    "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
    "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
DECODER_LAYER_KEYS = ENCODER_LAYER_KEYS[:4] + [
    k.replace("self_attn", "multihead_attn") for k in ENCODER_LAYER_KEYS[:4]] + \
    ENCODER_LAYER_KEYS[4:] + ["norm3.weight", "norm3.bias"]

ACTIVATIONS = {"relu": "relu", "gelu": "gelu", "callable": lambda x: F.silu(x)}


def test_state_dict_names_and_shapes_are_pytorchs():
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=24)
    assert list(layer.state_dict()) == ENCODER_LAYER_KEYS
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert shapes["self_attn.in_proj_weight"] == (48, 16)
    assert shapes["linear1.weight"] == (24, 16) and shapes["linear2.weight"] == (16, 24)
    dec = nn.TransformerDecoderLayer(16, 4, dim_feedforward=24)
    assert list(dec.state_dict()) == DECODER_LAYER_KEYS
    model = nn.Transformer(16, 4, num_encoder_layers=2, num_decoder_layers=3,
                           dim_feedforward=24)
    keys = list(model.state_dict())
    want = ([f"encoder.layers.{i}.{k}" for i in range(2) for k in ENCODER_LAYER_KEYS]
            + ["encoder.norm.weight", "encoder.norm.bias"]
            + [f"decoder.layers.{i}.{k}" for i in range(3) for k in DECODER_LAYER_KEYS]
            + ["decoder.norm.weight", "decoder.norm.bias"])
    assert keys == want
    no_bias = nn.TransformerEncoderLayer(16, 4, dim_feedforward=24, bias=False)
    assert [k for k in no_bias.state_dict() if k.endswith("bias")] == []


@st.composite
def layer_case(draw):
    n, length, s_len = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    heads, head_dim = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    act = draw(st.sampled_from(sorted(ACTIVATIONS)))
    norm_first, batch_first = draw(st.booleans()), draw(st.booleans())
    masked = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    e = heads * head_dim
    shape = (lambda t: (n, t, e)) if batch_first else (lambda t: (t, n, e))
    pad = None
    if masked:
        pad = rng.random((n, s_len)) < 0.4
        pad[:, 0] = False
    return dict(e=e, heads=heads, act=act, norm_first=norm_first, batch_first=batch_first,
                x=rng.standard_normal(shape(length)), memory=rng.standard_normal(shape(s_len)),
                causal=mg.float64 if masked else None, pad=pad, ff=draw(st.integers(1, 5)))


def _layer(cls, case):
    mg.manual_seed(0)
    return cls(case["e"], case["heads"], dim_feedforward=case["ff"], dropout=0.1,
               activation=ACTIVATIONS[case["act"]], norm_first=case["norm_first"],
               batch_first=case["batch_first"]).to(mg.float64).eval()


def _same(a, b, params):
    """Same values, and the same gradients of a random projection w.r.t. ``params``."""
    np.testing.assert_allclose(a.data, b.data, rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(3).standard_normal(a.shape)
    for u, v in zip(mg.grad((a * g).sum(), params), mg.grad((b * g).sum(), params)):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-11)


@given(layer_case())
def test_encoder_layer_equals_the_reference(case):
    layer = _layer(nn.TransformerEncoderLayer, case)
    x = mg.tensor(case["x"], requires_grad=True)
    t = x.shape[1] if case["batch_first"] else x.shape[0]
    mask = nn.Transformer.generate_square_subsequent_mask(t, dtype=mg.float64) \
        if case["causal"] else None
    y = layer(x, src_mask=mask, is_causal=mask is not None)
    r = ref.encoder_layer(layer, x, mask)
    _same(y, r, [x] + list(layer.parameters()))


@given(layer_case())
def test_decoder_layer_equals_the_reference(case):
    layer = _layer(nn.TransformerDecoderLayer, case)
    x = mg.tensor(case["x"], requires_grad=True)
    mem = mg.tensor(case["memory"], requires_grad=True)
    t = x.shape[1] if case["batch_first"] else x.shape[0]
    mask = nn.Transformer.generate_square_subsequent_mask(t) if case["causal"] else None
    y = layer(x, mem, tgt_mask=mask, memory_key_padding_mask=case["pad"])
    r = ref.decoder_layer(layer, x, mem, tgt_mask=mask, memory_key_padding_mask=case["pad"])
    _same(y, r, [x, mem] + list(layer.parameters()))


def test_encoder_layer_gradcheck():
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation="gelu",
                                       dropout=0.0, batch_first=True).to(mg.float64)
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    pad = np.array([[False, False, True], [False, False, False]])
    assert mg.gradcheck(lambda x, *ps: layer(x, src_key_padding_mask=pad),
                        [x] + list(layer.parameters()))


def test_stacks_deep_copy_the_layer_and_apply_the_final_norm():
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0)
    enc = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(8)).to(mg.float64)
    a, b = enc.layers[0], enc.layers[1]
    assert a is not b and a is not layer and a.linear1.weight is not b.linear1.weight
    np.testing.assert_array_equal(a.linear1.weight.data, b.linear1.weight.data)
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 2, 8)))
    y = x
    for sub in enc.layers:
        y = ref.encoder_layer(sub, y)
    np.testing.assert_allclose(enc(x).data, ref.layer_norm(y, enc.norm.weight,
                                                           enc.norm.bias).data, atol=1e-12)
    a.linear1.weight.data[...] = 0
    assert not (b.linear1.weight.data == 0).all()


def test_transformer_is_its_encoder_then_its_decoder():
    mg.manual_seed(0)
    model = nn.Transformer(8, 2, 2, 2, 12, dropout=0.0, batch_first=True).to(mg.float64)
    rng = np.random.default_rng(0)
    src, tgt = mg.tensor(rng.standard_normal((2, 5, 8))), mg.tensor(rng.standard_normal((2, 4, 8)))
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    mem = src
    for sub in model.encoder.layers:
        mem = ref.encoder_layer(sub, mem)
    mem = ref.layer_norm(mem, model.encoder.norm.weight, model.encoder.norm.bias)
    y = tgt
    for sub in model.decoder.layers:
        y = ref.decoder_layer(sub, y, mem, tgt_mask=mask)
    y = ref.layer_norm(y, model.decoder.norm.weight, model.decoder.norm.bias)
    np.testing.assert_allclose(model(src, tgt, tgt_mask=mask).data, y.data, atol=1e-12)
    # every matrix re-initialised Xavier-uniform, as PyTorch's Transformer does
    w = model.encoder.layers[0].linear1.weight.data
    assert np.abs(w).max() <= math.sqrt(6.0 / (8 + 12))


def test_a_state_dict_loads_unchanged():
    mg.manual_seed(0)
    a = nn.Transformer(8, 2, 1, 1, 12, dropout=0.0)
    mg.manual_seed(1)
    b = nn.Transformer(8, 2, 1, 1, 12, dropout=0.0)
    src, tgt = mg.randn(5, 2, 8), mg.randn(3, 2, 8)
    assert not np.allclose(a(src, tgt).data, b(src, tgt).data)
    b.load_state_dict({k: np.array(v) for k, v in a.state_dict().items()})
    np.testing.assert_array_equal(a(src, tgt).data, b(src, tgt).data)


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(4)
    assert m.dtype == mg.float32 and m.shape == (4, 4)
    assert (m.data[np.tril_indices(4)] == 0).all()
    assert np.isneginf(m.data[np.triu_indices(4, 1)]).all()
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=mg.float64).dtype == \
        mg.float64


def test_dropout_in_training_only():
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = mg.randn(4, 2, 8)
    layer.eval()
    a, b = layer(x), layer(x)
    np.testing.assert_array_equal(a.data, b.data)
    layer.train()
    assert not np.allclose(layer(x).data, a.data)


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.TransformerEncoderLayer(10, 3), ValueError, "divisible by nhead"),
    (lambda: nn.TransformerDecoderLayer(8, 2, activation="tanh"), ValueError,
     "'relu' or 'gelu'"),
    (lambda: nn.TransformerEncoderLayer(8, 2, activation=3), TypeError, "callable"),
    (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0), ValueError,
     "num_layers"),
    (lambda: nn.Transformer(8, 2, 1, 1, 8)(mg.randn(3, 2, 8), mg.randn(3, 4, 8)),
     ValueError, "batch number"),
    (lambda: nn.Transformer(8, 2, 1, 1, 8)(mg.randn(3, 2, 6), mg.randn(3, 2, 6)),
     ValueError, "d_model=8"),
    (lambda: nn.TransformerEncoderLayer(8, 2)(mg.randn(3, 2, 8), src_mask=np.zeros((2, 2))),
     ValueError, r"attn_mask of shape"),
])
def test_bad_input_is_named(make, error, match):
    with pytest.raises(error, match=match):
        make()
