"""The Transformer family (Vaswani et al. 2017) with PyTorch's names, so state dicts load.

``TransformerEncoderLayer`` (self-attention, then a feed-forward block ``linear1 ->
activation -> dropout -> linear2``, each wrapped in dropout, a residual connection and
a LayerNorm: after the sum by default, before the block with ``norm_first=True``),
``TransformerDecoderLayer`` (the same with cross-attention ``multihead_attn`` on the
encoder's output ``memory`` in between), the stacks ``TransformerEncoder`` /
``TransformerDecoder`` (``num_layers`` deep copies of one layer, an optional final
``norm``) and ``Transformer`` (an encoder and a decoder with final LayerNorms).

Sequences are ``(L, N, d_model)``, or ``(N, L, d_model)`` with ``batch_first=True``.
Masks are :class:`nn.MultiheadAttention`'s: boolean True = not allowed, float added
(``Transformer.generate_square_subsequent_mask(L)`` is the causal one).
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from minigrad.dtypes import get_default_dtype
from minigrad.tensor import Tensor, as_tensor

from . import functional as F
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

if TYPE_CHECKING:
    from collections.abc import Callable

    from minigrad._typing import DTypeLike, TensorOrArray

    Activation = Union[str, Callable[[Tensor], Tensor]]

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerDecoder", "Transformer"]

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


def _activation(who: str, activation: Activation) -> Callable[[Tensor], Tensor]:
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{who}: activation should be 'relu' or 'gelu' or a callable, "
                             f"got {activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{who}: activation should be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation


class _FeedForwardLayer(Module):
    """What the encoder and decoder layers share: the feed-forward block and its norm."""

    def __init__(self, who: str, d_model: int, nhead: int, dim_feedforward: int,
                 dropout: float, activation: Activation, layer_norm_eps: float,
                 batch_first: bool, norm_first: bool, bias: bool, norms: int) -> None:
        super().__init__()
        if d_model % nhead:
            raise ValueError(f"{who}: d_model must be divisible by nhead, got "
                             f"d_model={d_model}, nhead={nhead}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first)
        self._extra_attention(d_model, nhead, dropout, bias, batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = bool(norm_first)
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        for i in range(1, norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(who, activation)
        self.batch_first = bool(batch_first)

    def _extra_attention(self, d_model: int, nhead: int, dropout: float, bias: bool,
                         batch_first: bool) -> None:
        """Hook for the decoder's cross-attention, made between self_attn and linear1."""

    def _sa_block(self, x: Tensor, mask: TensorOrArray | None,
                  key_padding_mask: TensorOrArray | None, is_causal: bool) -> Tensor:
        y = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(y)

    def _ff_block(self, x: Tensor, out_dropout: Dropout) -> Tensor:
        return out_dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_FeedForwardLayer):
    """Self-attention and a feed-forward block, each with dropout, residual and LayerNorm.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: src
    ``(S, N, d_model)`` (``(N, S, d_model)`` with ``batch_first``) -> the same shape.
    Post-norm (``norm_first=False``, PyTorch's default)::

        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    Pre-norm: ``x = x + dropout1(self_attn(norm1(x)))`` and likewise with norm2.

    >>> layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, batch_first=True)
    >>> y = layer(mg.randn(8, 10, 32))           # (N, S, 32)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Activation = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True) -> None:
        super().__init__("TransformerEncoderLayer", d_model, nhead, dim_feedforward, dropout,
                         activation, layer_norm_eps, batch_first, norm_first, bias, norms=2)

    def forward(self, src: Tensor, src_mask: TensorOrArray | None = None,
                src_key_padding_mask: TensorOrArray | None = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_FeedForwardLayer):
    """Self-attention, cross-attention on ``memory``, feed-forward; each with dropout,
    residual and LayerNorm (``norm1``, ``norm2``, ``norm3``).

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``: tgt
    ``(T, N, d_model)``, memory ``(S, N, d_model)`` -> ``(T, N, d_model)``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Activation = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True) -> None:
        super().__init__("TransformerDecoderLayer", d_model, nhead, dim_feedforward, dropout,
                         activation, layer_norm_eps, batch_first, norm_first, bias, norms=3)

    def _extra_attention(self, d_model: int, nhead: int, dropout: float, bias: bool,
                         batch_first: bool) -> None:
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first)

    def _mha_block(self, x: Tensor, memory: Tensor, mask: TensorOrArray | None,
                   key_padding_mask: TensorOrArray | None, is_causal: bool) -> Tensor:
        y = self.multihead_attn(x, memory, memory, attn_mask=mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal)[0]
        return self.dropout2(y)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: TensorOrArray | None = None,
                memory_mask: TensorOrArray | None = None,
                tgt_key_padding_mask: TensorOrArray | None = None,
                memory_key_padding_mask: TensorOrArray | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))


def _clones(who: str, layer: Module, num_layers: int) -> ModuleList:
    if not isinstance(layer, Module):
        raise TypeError(f"{who}: expected a layer Module, got {type(layer).__name__}")
    if num_layers < 1:
        raise ValueError(f"{who}: num_layers must be at least 1, got {num_layers}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn, then ``norm``.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``; the copies
    start equal (as PyTorch's) and train separately. ``enable_nested_tensor`` and
    ``mask_check`` (PyTorch's fast-path switches) are accepted and change nothing. Parameters ``layers.0.self_attn.
    in_proj_weight``, ``layers.0.linear1.weight``, ... as PyTorch's.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones("TransformerEncoder", encoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src: Tensor, mask: TensorOrArray | None = None,
                src_key_padding_mask: TensorOrArray | None = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn, then ``norm``.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``.
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones("TransformerDecoder", decoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: TensorOrArray | None = None,
                memory_mask: TensorOrArray | None = None,
                tgt_key_padding_mask: TensorOrArray | None = None,
                memory_key_padding_mask: TensorOrArray | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """An encoder stack and a decoder stack, each ending in a LayerNorm (PyTorch's model).

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)``: src
    ``(S, N, d_model)``, tgt ``(T, N, d_model)`` -> ``(T, N, d_model)``. Every weight
    matrix is re-initialised Xavier-uniform, as PyTorch does.

    >>> model = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2,
    ...                        num_decoder_layers=2, dim_feedforward=64)
    >>> mask = nn.Transformer.generate_square_subsequent_mask(7)   # (7, 7), -inf above
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Activation = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True) -> None:
        super().__init__()

        def stack(custom: Module | None, layer_cls: Any, stack_cls: Any, n: int) -> Module:
            """``custom``, or ``n`` copies of a new layer under a final LayerNorm."""
            if custom is not None:
                return custom
            layer = layer_cls(d_model, nhead, dim_feedforward, dropout, activation,
                              layer_norm_eps, batch_first, norm_first, bias)
            return stack_cls(layer, n, LayerNorm(d_model, eps=layer_norm_eps, bias=bias))

        self.encoder: Module = stack(custom_encoder, TransformerEncoderLayer,
                                     TransformerEncoder, num_encoder_layers)
        self.decoder: Module = stack(custom_decoder, TransformerDecoderLayer,
                                     TransformerDecoder, num_decoder_layers)
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = int(d_model), int(nhead), bool(batch_first)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: TensorOrArray | None = None,
                tgt_mask: TensorOrArray | None = None,
                memory_mask: TensorOrArray | None = None,
                src_key_padding_mask: TensorOrArray | None = None,
                tgt_key_padding_mask: TensorOrArray | None = None,
                memory_key_padding_mask: TensorOrArray | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        who = "Transformer"
        b = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[b] != tgt.shape[b]:
            raise ValueError(f"{who}: the batch number of src {src.shape} and tgt "
                             f"{tgt.shape} must be equal (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"{who}: the feature number of src {src.shape} and tgt "
                             f"{tgt.shape} must be equal to d_model={self.d_model}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: object = None,
                                        dtype: DTypeLike | None = None) -> Tensor:
        """``(sz, sz)`` float mask: 0 on and below the diagonal, ``-inf`` above (causal)."""
        dt = np.dtype(get_default_dtype() if dtype is None else dtype)
        return as_tensor(np.triu(np.full((sz, sz), -np.inf, dt), k=1))
