"""Independent references for the attention modules, composed from minigrad's core ops.

Each takes the module under test only for its parameters and recomputes the layer from
``@``, ``reshape``/``transpose``, ``softmax``, ``mean``/``var`` and the pointwise ops
(each gradient-checked in test_core_grad.py), the formulas written out as in
"Attention Is All You Need" and PyTorch's documentation. No fused attention op, no
nn.Linear/nn.LayerNorm call: a bug shared with the modules cannot hide here.
"""
import math

import numpy as np

import minigrad as mg


def additive(mask, dtype):
    """A PyTorch module mask (bool: True = not allowed; float: added) as a float array."""
    if mask is None:
        return None
    m = mask.data if isinstance(mask, mg.Tensor) else np.asarray(mask)
    return np.where(m, -np.inf, 0.0).astype(dtype) if m.dtype == bool else m.astype(dtype)


def linear(x, w, b):
    y = x @ w.transpose(-1, -2)
    return y if b is None else y + b


def layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mu) / (var + eps).sqrt()
    y = y * w if w is not None else y
    return y + b if b is not None else y


def mha(m, query, key, value, key_padding_mask=None, attn_mask=None, need_weights=True,
        average_attn_weights=True):
    """nn.MultiheadAttention's forward for batched input, from core ops.

    A row with no allowed key gives NaN with need_weights and zeros without (PyTorch)."""
    if not m.batch_first:
        query, key, value = (t.transpose(0, 1) for t in (query, key, value))
    n, length, e = query.shape
    s_len, h, d = key.shape[1], m.num_heads, m.head_dim
    if m.in_proj_weight is not None:
        wq, wk, wv = (m.in_proj_weight[i * e:(i + 1) * e] for i in range(3))
    else:
        wq, wk, wv = m.q_proj_weight, m.k_proj_weight, m.v_proj_weight
    bq = bk = bv = None
    if m.in_proj_bias is not None:
        bq, bk, bv = (m.in_proj_bias[i * e:(i + 1) * e] for i in range(3))

    def heads(x, w, b, size):
        return linear(x, w, b).reshape(n, size, h, d).transpose(0, 2, 1, 3)
    q, k, v = heads(query, wq, bq, length), heads(key, wk, bk, s_len), heads(value, wv, bv, s_len)
    logits = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(d)
    bias = np.zeros((n, h, length, s_len), query.dtype)
    if key_padding_mask is not None:
        bias = bias + additive(key_padding_mask, query.dtype)[:, None, None, :]
    if attn_mask is not None:
        am = additive(attn_mask, query.dtype)
        bias = bias + (am if am.ndim == 2 else am.reshape(n, h, length, s_len))
    empty = np.isneginf(bias).all(axis=-1, keepdims=True)
    safe = np.where(np.isneginf(bias), -1e300, bias)      # finite, so softmax is defined
    p = (logits + safe).softmax(axis=-1)
    if need_weights:
        p = mg.where(np.broadcast_to(empty, p.shape), np.nan, p)
    else:
        p = p * ~empty
    out = (p @ v).transpose(0, 2, 1, 3).reshape(n, length, e)
    out = linear(out, m.out_proj.weight, m.out_proj.bias)
    if not m.batch_first:
        out = out.transpose(0, 1)
    if not need_weights:
        return out, None
    return out, (p.mean(axis=1) if average_attn_weights else p)


def _act(layer, x):
    return layer.activation(x)


def _ff(layer, x):
    return linear(_act(layer, linear(x, layer.linear1.weight, layer.linear1.bias)),
                  layer.linear2.weight, layer.linear2.bias)


def _norm(norm, x):
    return layer_norm(x, norm.weight, norm.bias, norm.eps)


def encoder_layer(layer, x, mask=None, key_padding_mask=None):
    """nn.TransformerEncoderLayer without dropout (eval), post- or pre-norm."""
    def sa(y):
        return mha(layer.self_attn, y, y, y, key_padding_mask, mask, need_weights=False)[0]
    if layer.norm_first:
        x = x + sa(_norm(layer.norm1, x))
        return x + _ff(layer, _norm(layer.norm2, x))
    x = _norm(layer.norm1, x + sa(x))
    return _norm(layer.norm2, x + _ff(layer, x))


def decoder_layer(layer, x, memory, tgt_mask=None, memory_mask=None,
                  tgt_key_padding_mask=None, memory_key_padding_mask=None):
    """nn.TransformerDecoderLayer without dropout (eval), post- or pre-norm."""
    def sa(y):
        return mha(layer.self_attn, y, y, y, tgt_key_padding_mask, tgt_mask,
                   need_weights=False)[0]

    def ca(y):
        return mha(layer.multihead_attn, y, memory, memory, memory_key_padding_mask,
                   memory_mask, need_weights=False)[0]
    if layer.norm_first:
        x = x + sa(_norm(layer.norm1, x))
        x = x + ca(_norm(layer.norm2, x))
        return x + _ff(layer, _norm(layer.norm3, x))
    x = _norm(layer.norm1, x + sa(x))
    x = _norm(layer.norm2, x + ca(x))
    return _norm(layer.norm3, x + _ff(layer, x))
