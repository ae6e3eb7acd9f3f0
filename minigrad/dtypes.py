"""dtypes: minigrad uses NumPy's dtypes directly; float32 is the default.

Floating tensors can require grad; integer and boolean tensors exist (class
targets, indices, masks) but never do.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._typing import Array, DTypeLike

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
bool_ = np.dtype(np.bool_)

_default: list[np.dtype[Any]] = [float32]


class DTypeError(TypeError, RuntimeError):
    """An operation got a tensor of a dtype it cannot handle (e.g. an integer
    tensor asked to require grad).

    It is a ``TypeError`` (the wrong kind of input) and, as PyTorch reports the
    same mistake, a ``RuntimeError``; ``except`` either catches it.
    """


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the dtype given to tensors made from Python floats/lists and to new layers."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    _default[0] = dt


def get_default_dtype() -> np.dtype[Any]:
    """The current default floating dtype (``float32`` unless changed)."""
    return _default[0]


def check_numeric(array: Array, where: str = "tensor") -> None:
    """Raise TypeError unless ``array`` holds booleans, integers or floats."""
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: expected a numeric (bool, integer or floating) array, "
            f"got dtype {array.dtype}")
