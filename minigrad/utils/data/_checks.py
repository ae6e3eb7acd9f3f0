"""Argument checks shared by the samplers and the DataLoader: each names the
callee, the argument, what was expected and what was given."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...random import get_rng


def integer(where: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int ``>= minimum``; TypeError for a non-integer (a bool
    included), ValueError below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} should be an integer, got "
                        f"{type(value).__name__} {value!r}")
    if value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{where}: {name} should be {kind}, got {name}={value}")
    return int(value)


def boolean(where: str, name: str, value: Any) -> bool:
    """``value`` if it is a bool (or NumPy bool), else TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} should be a boolean, got "
                        f"{type(value).__name__} {value!r}")
    return bool(value)


def generator(where: str, value: Any) -> np.random.Generator | None:
    """``value`` if it is None or an ``np.random.Generator``, else TypeError."""
    if value is not None and not isinstance(value, np.random.Generator):
        raise TypeError(f"{where}: generator should be None or an np.random.Generator, "
                        f"got {type(value).__name__}")
    return value


def rng(gen: np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: ``gen``, or minigrad's (``mg.manual_seed``),
    looked up at draw time so a later reseed takes effect."""
    return gen if gen is not None else get_rng()


def dataset_length(where: str, dataset: Any) -> int:
    """``len(dataset)``, or a TypeError saying the dataset must define ``__len__``."""
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(f"{where}: the dataset must define __len__, got "
                        f"{type(dataset).__name__} without it") from None
