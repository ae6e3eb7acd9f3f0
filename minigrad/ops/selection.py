"""Selecting and masking with PyTorch's names, built from ``where`` and indexing:
``tril``/``triu``, ``masked_fill``, ``gather``, ``sort``, ``topk`` (their values
differentiable through those ops), and ``multinomial`` (sampling, no gradient).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..random import get_rng
from ..tensor import Tensor, as_tensor
from . import index_along, take_along_dim, where

if TYPE_CHECKING:
    from .._typing import ArrayLike, TensorLike


class ValuesIndices(NamedTuple):
    """What ``sort`` and ``topk`` return, as PyTorch's: the values (differentiable)
    and their int64 positions along the dim."""
    values: Tensor
    indices: Tensor


def _tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def _plain(a: Any) -> Any:
    return a.data if isinstance(a, Tensor) else a


def tril(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes (elements with column - row <=
    ``diagonal``), zeros above; the gradient passes on the kept elements."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"tril: expected at least 2 dims, got shape {x.shape}")
    keep = np.tri(x.shape[-2], x.shape[-1], diagonal, dtype=bool)
    return where(keep, x, np.zeros((), x.dtype))


def triu(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes (column - row >= ``diagonal``), zeros
    below; the gradient passes on the kept elements."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"triu: expected at least 2 dims, got shape {x.shape}")
    drop = np.tri(x.shape[-2], x.shape[-1], diagonal - 1, dtype=bool)
    return where(drop, np.zeros((), x.dtype), x)


def masked_fill(x: TensorLike, mask: TensorLike, value: ArrayLike) -> Tensor:
    """``x`` with ``value`` where the boolean ``mask`` (broadcast to x) is True; the
    gradient passes where it is False. Not in place (``masked_fill_`` is later)."""
    x = _tensor(x)
    m = np.asarray(_plain(mask))
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: expected a boolean mask, got dtype {m.dtype}")
    try:
        fits = np.broadcast_shapes(m.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to "
                         f"the input's shape {x.shape}")
    v = np.asarray(_plain(value))
    if v.ndim:
        raise ValueError(f"masked_fill: expected a single value, got shape {v.shape}")
    return where(m, v.astype(x.dtype) if x.dtype.kind == "f" else v, x)


def gather(x: TensorLike, dim: int, index: TensorLike) -> Tensor:
    """``out[i][j][k] = x[index[i][j][k]][j][k]`` for ``dim=0`` (and so on), as
    ``torch.gather``: ``index`` has x's number of dims, sizes no larger than x's
    off ``dim``; out has index's shape. The gradient is scattered back (repeats add)."""
    return index_along("gather", x, index, dim, sides_of_index=True)


def sort(x: TensorLike, dim: int = -1, descending: bool = False,
         stable: bool = False) -> ValuesIndices:
    """``(values, indices)`` sorted along ``dim`` (ascending unless ``descending``;
    always stable here); values are differentiable, indices int64."""
    x = _tensor(x)
    key = -x.data if descending else x.data
    order = np.argsort(key, axis=dim, kind="stable").astype(np.int64)
    return ValuesIndices(take_along_dim(x, order, dim), Tensor._wrap(order))


def topk(x: TensorLike, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> ValuesIndices:  # noqa: A002  (PyTorch's name)
    """The ``k`` largest (or, ``largest=False``, smallest) elements along ``dim`` and
    their positions, in sorted order; values differentiable."""
    x = _tensor(x)
    n = x.shape[dim] if x.ndim else 1
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} out of range for dim {dim} of size {n}")
    key = -x.data if largest else x.data
    order = np.argsort(key, axis=dim, kind="stable")
    order = np.take(order, np.arange(k), axis=dim).astype(np.int64)
    return ValuesIndices(take_along_dim(x, order, dim), Tensor._wrap(order))


def multinomial(x: TensorLike, num_samples: int, replacement: bool = False) -> Tensor:
    """Draw ``num_samples`` category indices per row of non-negative weights ``x``
    (1-D: one row; 2-D: one draw set per row), from minigrad's seeded generator, as
    ``torch.multinomial``; without replacement each category at most once. int64."""
    w = np.asarray(_plain(x), dtype=np.float64)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected 1 or 2 dims, got shape {w.shape}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("multinomial: weights must be finite and non-negative")
    rows = w.reshape(-1, w.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: every row needs a positive total weight")
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without "
                         f"replacement from rows with fewer non-zero weights")
    rng = get_rng()
    out = np.stack([rng.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum())
                    for r in rows]).astype(np.int64)
    return Tensor._wrap(out.reshape(w.shape[:-1] + (num_samples,)))
