"""The one random generator behind init, dropout, ``randn`` and ``rand``.

``manual_seed(seed)`` makes everything that draws from it reproducible.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_rng = [np.random.default_rng()]


def manual_seed(seed: int | np.integer[Any] | None) -> None:
    """Reseed minigrad's generator (init, dropout, randn/rand draw from it)."""
    _rng[0] = np.random.default_rng(seed)


def get_rng() -> np.random.Generator:
    """The current ``np.random.Generator``."""
    return _rng[0]
