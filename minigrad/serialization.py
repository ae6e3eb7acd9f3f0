"""``save`` / ``load``: a state dict as a NumPy ``.npz`` file, never pickle."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .tensor import Tensor

if TYPE_CHECKING:
    import os

    from ._typing import Array, TensorLike


def save(state_dict: dict[str, TensorLike], path: str | os.PathLike[str]) -> None:
    """Write ``{name: array or Tensor}`` to ``path`` as an ``.npz`` archive (exact path)."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: expected a dict name -> array, got {type(state_dict).__name__}")
    arrays: dict[str, Any] = {}     # (Any: numpy's stub would match **arrays to allow_pickle)
    for k, v in state_dict.items():
        if not isinstance(k, str):
            raise TypeError(f"save: keys must be str, got {k!r}")
        arr = np.asarray(v.data if isinstance(v, Tensor) else v)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: '{k}' is not a numeric array (dtype {arr.dtype})")
        arrays[k] = arr
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load(path: str | os.PathLike[str]) -> dict[str, Array]:
    """Read a state dict written by :func:`save` (``allow_pickle=False``), in order."""
    with np.load(path, allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files}
