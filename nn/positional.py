"""Sinusoidal positional encoding (Vaswani et al. 2017, section 3.5).

minigrad's own module: PyTorch has no ``nn.PositionalEncoding``; this is the class its
word-language-model example (``examples/word_language_model/model.py``) defines, with
the same arguments, buffer and formula, so that example runs with its import changed.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minigrad.dtypes import get_default_dtype

from .dropout import Dropout
from .module import Module

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

__all__ = ["PositionalEncoding", "sinusoidal_table"]


def sinusoidal_table(max_len: int, d_model: int) -> np.ndarray:
    """``(max_len, d_model)``: ``pe[p, 2i] = sin(p w_i)``, ``pe[p, 2i+1] = cos(p w_i)``
    with ``w_i = 10000^(-2i / d_model)`` (float64)."""
    position = np.arange(max_len, dtype=np.float64)[:, None]
    div_term = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2] = np.sin(position * div_term)
    pe[:, 1::2] = np.cos(position * div_term[: d_model // 2])
    return pe


class PositionalEncoding(Module):
    """Add the sinusoidal position code to a sequence, then dropout.

    Input ``(S, N, d_model)`` (``(N, S, d_model)`` with ``batch_first=True``), S at most
    ``max_len``. The code is the buffer ``pe`` of shape ``(max_len, 1, d_model)``, as
    in PyTorch's word-language-model example (so its state dicts load); it is not
    learned. minigrad's module: PyTorch itself has none.

    >>> pos = nn.PositionalEncoding(32, dropout=0.1)
    >>> y = pos(mg.randn(10, 4, 32))             # (S, N, 32)
    """

    pe: np.ndarray

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000,
                 batch_first: bool = False) -> None:
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(f"PositionalEncoding: d_model and max_len must be positive, "
                             f"got d_model={d_model}, max_len={max_len}")
        self.d_model, self.max_len, self.batch_first = int(d_model), int(max_len), batch_first
        self.dropout = Dropout(p=dropout)
        table = sinusoidal_table(self.max_len, self.d_model).astype(get_default_dtype())
        self.register_buffer("pe", table[:, None, :])

    def forward(self, x: Tensor) -> Tensor:
        axis = 1 if self.batch_first else 0
        if x.ndim != 3 or x.shape[-1] != self.d_model or x.shape[axis] > self.max_len:
            raise ValueError(f"{self._who()}: expected input of shape "
                             f"{'(N, S, d_model)' if self.batch_first else '(S, N, d_model)'}"
                             f" with d_model={self.d_model} and S <= {self.max_len}, got "
                             f"{x.shape}")
        s = x.shape[axis]
        pe = self.pe[:s].astype(x.dtype, copy=False)
        return self.dropout(x + (pe.transpose(1, 0, 2) if self.batch_first else pe))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"
