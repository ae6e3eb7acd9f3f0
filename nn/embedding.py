"""Embedding: a lookup table of learnable vectors, one per index."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minigrad.dtypes import get_default_dtype

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

if TYPE_CHECKING:
    from minigrad._typing import TensorLike
    from minigrad.tensor import Tensor


class Embedding(Module):
    """Row ``i`` of ``weight (num_embeddings, embedding_dim)`` for each index ``i``.

    Input: integer indices of any shape ``(*)`` -> output ``(*, embedding_dim)``.
    ``weight`` is initialised from N(0, 1), as PyTorch. The gradient of a row
    is the sum over every position that looked it up (a row scatter-add,
    :mod:`minigrad.ops.scatter`). Fed straight into ``nn.RNN/LSTM/GRU`` (no
    Dropout or other op between), the layer fuses the lookup into its input
    projection when the table is small (2 * num_embeddings <= T*B, see
    ``nn/recurrent.py``), with the same results.

    >>> nn.Embedding(10, 3)(mg.tensor(np.array([[1, 2], [4, 9]]))).shape
    (2, 2, 3)
    """

    weight: Parameter

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        F.check_count("Embedding", embedding_dim=embedding_dim)
        if not F._is_int(num_embeddings) or num_embeddings < 0:   # (0 rows is allowed)
            raise (TypeError if not F._is_int(num_embeddings) else ValueError)(
                f"Embedding: num_embeddings must be a non-negative int, got "
                f"{type(num_embeddings).__name__} {num_embeddings!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim),
                                         get_default_dtype()))
        init.normal_(self.weight)

    def forward(self, idx: TensorLike) -> Tensor:
        F._indices(idx, self._who(), self.num_embeddings)
        return F.embedding(idx, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
