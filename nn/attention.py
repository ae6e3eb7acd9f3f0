"""Multi-head attention (Vaswani et al. 2017) with PyTorch's parameters and masks.

``nn.MultiheadAttention(embed_dim, num_heads)`` projects query, key and value with
``in_proj_weight (3E, E)`` / ``in_proj_bias (3E,)`` (or ``q_proj_weight (E, E)``,
``k_proj_weight (E, kdim)``, ``v_proj_weight (E, vdim)`` when kdim/vdim differ from E),
splits E into ``num_heads`` heads of ``E / num_heads``, attends in every head at once
(one fused op, :func:`F.scaled_dot_product_attention`'s) and mixes the heads with
``out_proj`` (a Linear E -> E). Mask conventions are PyTorch's for this layer: a
*boolean* ``attn_mask`` or ``key_padding_mask`` is True where attention is **not**
allowed (the opposite of ``scaled_dot_product_attention``'s), a float one is added to
the logits.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minigrad.ops.attention import AttentionWeights, ScaledDotProductAttention
from minigrad.tensor import Tensor, tensor_arg

from . import functional as F
from . import init
from .attention_functional import dropout_keep
from .linear import Linear, empty_parameter
from .module import Module
from .parameter import Parameter

if TYPE_CHECKING:
    from minigrad._typing import Array, TensorOrArray

__all__ = ["MultiheadAttention", "merge_masks"]


def _mask_array(who: str, name: str, mask: TensorOrArray, dtype: np.dtype) -> Array:
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_ and m.dtype.kind != "f":
        raise TypeError(f"{who}: expected {name} to be boolean (True = not allowed) or "
                        f"float (added to the logits), got dtype {m.dtype}")
    return m if m.dtype == np.bool_ else m.astype(dtype, copy=False)


def merge_masks(who: str, attn_mask: TensorOrArray | None,
                key_padding_mask: TensorOrArray | None, n: int, heads: int, length: int,
                source_length: int, dtype: np.dtype) -> tuple[Array | None, Array | None]:
    """PyTorch's two masks as one ``(bias, allowed)`` pair broadcasting to ``(N, H, L, S)``.

    attn_mask: ``(L, S)`` or ``(N * H, L, S)``; key_padding_mask: ``(N, S)``. Boolean
    masks are True where attention is not allowed, float masks are added. Raises
    ValueError (shape) or TypeError (dtype) naming ``who`` and the mask.
    """
    bias: Array | None = None
    allowed: Array | None = None

    def add(m: Array, shape: tuple[int, ...]) -> None:
        nonlocal bias, allowed
        m = m.reshape(shape)
        if m.dtype == np.bool_:
            allowed = ~m if allowed is None else allowed & ~m
        else:
            bias = m if bias is None else bias + m
    if key_padding_mask is not None:
        m = _mask_array(who, "key_padding_mask", key_padding_mask, dtype)
        if m.shape != (n, source_length):
            raise ValueError(f"{who}: expected key_padding_mask of shape (N, S) = "
                             f"{(n, source_length)}, got {m.shape}")
        add(m, (n, 1, 1, source_length))
    if attn_mask is not None:
        m = _mask_array(who, "attn_mask", attn_mask, dtype)
        if m.shape == (length, source_length):
            add(m, (1, 1, length, source_length))
        elif m.shape == (n * heads, length, source_length):
            add(m, (n, heads, length, source_length))
        else:
            raise ValueError(f"{who}: expected attn_mask of shape (L, S) = "
                             f"{(length, source_length)} or (N * num_heads, L, S) = "
                             f"{(n * heads, length, source_length)}, got {m.shape}")
    return bias, allowed


class MultiheadAttention(Module):
    """Attention from a query sequence to a key/value sequence in ``num_heads`` heads.

    ``forward(query, key, value)``: query ``(L, N, E)``, key ``(S, N, kdim)``, value
    ``(S, N, vdim)`` (``(N, L, E)`` ... with ``batch_first=True``; ``(L, E)`` unbatched)
    -> ``(output (L, N, E), weights)``, ``weights`` ``(N, L, S)`` averaged over heads
    (``(N, H, L, S)`` with ``average_attn_weights=False``) or None when
    ``need_weights=False`` (the faster path the Transformer layers take). Dropout
    ``dropout`` acts on the attention weights in training. Init as PyTorch:
    in-projection Xavier-uniform, biases zero, ``out_proj.weight`` as a Linear's.

    >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
    >>> y, w = mha(x, x, x)                 # x (N, L, 16) -> y (N, L, 16), w (N, L, L)
    """

    in_proj_weight: Parameter | None
    q_proj_weight: Parameter | None
    k_proj_weight: Parameter | None
    v_proj_weight: Parameter | None
    in_proj_bias: Parameter | None

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None,
                 batch_first: bool = False) -> None:
        super().__init__()
        who = "MultiheadAttention"
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"{who}: embed_dim and num_heads must be positive, got "
                             f"embed_dim={embed_dim}, num_heads={num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"{who}: embed_dim must be divisible by num_heads, got "
                             f"embed_dim={embed_dim}, num_heads={num_heads}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{who}: dropout has to be between 0 and 1, got {dropout}")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(f"{who}: add_bias_kv and add_zero_attn are not "
                                      f"supported by minigrad (leave them False)")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_parameter(3 * e, e)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty_parameter(e, e)
            self.k_proj_weight = empty_parameter(e, self.kdim)
            self.v_proj_weight = empty_parameter(e, self.vdim)
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias", empty_parameter(3 * e) if bias else None)
        self.out_proj = Linear(e, e, bias=bias)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                  self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
        if self.out_proj.bias is not None:
            init.constant_(self.out_proj.bias, 0.0)

    def _projections(self) -> tuple[Tensor, Tensor, Tensor]:
        e = self.embed_dim
        if self.in_proj_weight is not None:
            w = self.in_proj_weight
            return w[:e], w[e:2 * e], w[2 * e:]
        assert self.q_proj_weight is not None and self.k_proj_weight is not None \
            and self.v_proj_weight is not None
        return self.q_proj_weight, self.k_proj_weight, self.v_proj_weight

    def _check(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        """Validate the shapes; return whether the input is batched."""
        who = self._who()
        if query.ndim not in (2, 3):
            raise ValueError(f"{who}: expected query of 2 (unbatched) or 3 dimensions, "
                             f"got shape {query.shape}")
        for t, name, d in ((query, "query", self.embed_dim), (key, "key", self.kdim),
                           (value, "value", self.vdim)):
            if t.ndim != query.ndim or t.shape[-1] != d:
                raise ValueError(f"{who}: expected {name} with {query.ndim} dimensions and "
                                 f"{d} features on the last axis, got shape {t.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{who}: key {key.shape} and value {value.shape} must agree "
                             f"on every axis but the last")
        batched = query.ndim == 3
        if batched:
            b = 0 if self.batch_first else 1
            if query.shape[b] != key.shape[b]:
                raise ValueError(f"{who}: query {query.shape} and key {key.shape} have "
                                 f"different batch sizes (batch_first={self.batch_first})")
        return batched

    def _heads(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """(N, L, in) -> projected and split into heads, (N, H, L, head_dim)."""
        n, length = x.shape[0], x.shape[1]
        y = F.linear(x, w, b)
        return y.reshape(n, length, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def forward(self, query: TensorOrArray, key: TensorOrArray, value: TensorOrArray,
                key_padding_mask: TensorOrArray | None = None, need_weights: bool = True,
                attn_mask: TensorOrArray | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """See the class docstring. ``is_causal`` is PyTorch's hint that ``attn_mask`` is
        the causal mask; the mask itself is what is applied, so it must be given."""
        who = self._who()
        q, k, v = (tensor_arg(t, who, name) for t, name in
                   ((query, "query"), (key, "key"), (value, "value")))
        batched = self._check(q, k, v)
        if is_causal and attn_mask is None:
            raise ValueError(f"{who}: is_causal=True is a hint that attn_mask is the causal "
                             f"mask; give attn_mask too (e.g. "
                             f"nn.Transformer.generate_square_subsequent_mask(L))")
        if not batched:
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = _mask_array(who, "key_padding_mask", key_padding_mask,
                                               q.dtype)[None]
        elif not self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        n, length, source_length = q.shape[0], q.shape[1], k.shape[1]
        bias, allowed = merge_masks(who, attn_mask, key_padding_mask, n, self.num_heads,
                                    length, source_length, q.dtype)
        wq, wk, wv = self._projections()
        bq, bk, bv = (None, None, None) if self.in_proj_bias is None else \
            (self.in_proj_bias[:self.embed_dim],
             self.in_proj_bias[self.embed_dim:2 * self.embed_dim],
             self.in_proj_bias[2 * self.embed_dim:])
        qh, kh, vh = self._heads(q, wq, bq), self._heads(k, wk, bk), self._heads(v, wv, bv)
        p = self.dropout if self.training else 0.0
        scale = 1.0 / math.sqrt(self.head_dim)
        weights: Tensor | None = None
        if need_weights:
            weights = AttentionWeights.apply(qh, kh, bias, allowed=allowed, scale=scale)
            heads = F.dropout(weights, p, training=p > 0) @ vh
        else:
            keep = dropout_keep(who, p, (n, self.num_heads, length, source_length), q.dtype)
            heads = ScaledDotProductAttention.apply(qh, kh, vh, bias, allowed=allowed,
                                                    scale=scale, keep=keep)
        out = self.out_proj(heads.transpose(0, 2, 1, 3).reshape(n, length, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(axis=1)
        if not batched:
            return out.squeeze(0), None if weights is None else weights.squeeze(0)
        if not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")
