"""``F.scaled_dot_product_attention``: PyTorch's signature over the fused op.

Argument checks and mask conversion live here; the maths is one op,
:class:`minigrad.ops.attention.ScaledDotProductAttention`.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minigrad.ops.attention import ScaledDotProductAttention
from minigrad.random import get_rng
from minigrad.tensor import Tensor, tensor_arg

if TYPE_CHECKING:
    from minigrad._typing import Array, Shape, TensorOrArray

__all__ = ["scaled_dot_product_attention", "attention_inputs", "split_mask",
           "causal_allowed", "dropout_keep"]


def attention_inputs(who: str, query: TensorOrArray, key: TensorOrArray,
                     value: TensorOrArray) -> tuple[Tensor, Tensor, Tensor, Shape]:
    """q, k, v as Tensors after checking their shapes agree; returns them and the
    logits' shape ``(*batch, L, S)``. Raises ValueError/TypeError naming ``who``."""
    q, k, v = (tensor_arg(t, who, name) for t, name in
               ((query, "query"), (key, "key"), (value, "value")))
    for t, name in ((q, "query"), (k, "key"), (v, "value")):
        if t.ndim < 2:
            raise ValueError(f"{who}: expected {name} with at least 2 dimensions "
                             f"(..., length, features), got shape {t.shape}")
        if t.dtype.kind != "f":
            raise TypeError(f"{who}: expected a floating {name}, got dtype {t.dtype}")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"{who}: query, key and value must have one dtype, got "
                        f"{q.dtype}, {k.dtype} and {v.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{who}: query (..., L, E) and key (..., S, E) must share E, got "
                         f"shapes {q.shape} and {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{who}: key (..., S, E) and value (..., S, Ev) must share S, got "
                         f"shapes {k.shape} and {v.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{who}: the batch axes of query {q.shape}, key {k.shape} and "
                         f"value {v.shape} do not broadcast") from None
    return q, k, v, tuple(batch) + (q.shape[-2], k.shape[-2])


def split_mask(who: str, mask: TensorOrArray | None, logits_shape: Shape, dtype: np.dtype,
               name: str = "attn_mask", true_means: str = "take part"
               ) -> tuple[Tensor | Array | None, Array | None]:
    """A mask as ``(bias, allowed)``: a float mask is an additive bias (a Tensor keeps
    its gradient), a boolean one ``allowed`` (True = ``true_means``). Checks that it
    broadcasts to ``logits_shape`` and has a boolean or ``dtype`` dtype."""
    if mask is None:
        return None, None
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_ and m.dtype != dtype:
        raise TypeError(f"{who}: expected {name} to be boolean (True = {true_means}) or "
                        f"float of the query's dtype {dtype}, got dtype {m.dtype}")
    try:
        fits = np.broadcast_shapes(m.shape, logits_shape) == tuple(logits_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{who}: {name} of shape {m.shape} does not broadcast to the "
                         f"attention logits' shape {tuple(logits_shape)} (..., L, S)")
    if m.dtype == np.bool_:
        return None, m
    return (mask if isinstance(mask, Tensor) else m), None


def causal_allowed(length: int, source_length: int) -> Array:
    """``(L, S)`` boolean, True on and below the diagonal (top-left aligned, as PyTorch)."""
    return np.tri(length, source_length, dtype=np.bool_)


def dropout_keep(who: str, p: float, shape: Shape, dtype: np.dtype) -> Array | None:
    """Inverted-dropout multipliers (0 or ``1/(1-p)``) from minigrad's generator, or None."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: dropout_p has to be between 0 and 1, got {p}")
    if p == 0.0:
        return None
    if p == 1.0:
        return np.zeros(shape, dtype)
    keep = get_rng().random(shape, dtype=np.float32 if dtype == np.float32 else np.float64)
    return np.where(keep >= p, np.asarray(1.0 / (1.0 - p), dtype), np.asarray(0, dtype))


def scaled_dot_product_attention(query: TensorOrArray, key: TensorOrArray,
                                 value: TensorOrArray, attn_mask: TensorOrArray | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None) -> Tensor:
    """``softmax(q k^T * scale + mask) @ v`` as one op (PyTorch's semantics).

    query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)`` -> ``(..., L, Ev)``;
    the batch axes ``...`` (e.g. ``(N, heads)``) broadcast. ``attn_mask`` broadcasts to
    ``(..., L, S)``: boolean (True = the key takes part) or float (added to the logits,
    ``-inf`` to exclude). ``is_causal``: query i sees keys ``0..i`` (no ``attn_mask``
    then). ``scale`` defaults to ``1/sqrt(E)``. ``dropout_p`` zeroes attention weights
    (always, as PyTorch: pass 0 in evaluation), drawn from ``mg.manual_seed``'s generator.
    A query row that may see no key gives zeros (PyTorch 2.13 does the same).

    >>> q = mg.randn(2, 4, 5, 8); y = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    """
    who = "scaled_dot_product_attention"
    q, k, v, shape = attention_inputs(who, query, key, value)
    if is_causal and attn_mask is not None:
        raise ValueError(f"{who}: give either attn_mask or is_causal=True, not both")
    bias, allowed = split_mask(who, attn_mask, shape, q.dtype)
    if is_causal:
        allowed = causal_allowed(shape[-2], shape[-1])
    keep = dropout_keep(who, dropout_p, shape, q.dtype)
    c = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return ScaledDotProductAttention.apply(q, k, v, bias, allowed=allowed, scale=c, keep=keep)
