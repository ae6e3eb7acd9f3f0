"""The one random generator behind init, dropout, ``randn`` and ``rand``.

``manual_seed(seed)`` makes everything that draws from it reproducible.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_rng = [np.random.default_rng()]


def manual_seed(seed: int | np.integer[Any] | None) -> np.random.Generator:
    """Reseed minigrad's generator (init, dropout, randn/rand/randint/randperm and data
    shuffling draw from it) and return it, as PyTorch returns its generator (here the
    ``np.random.Generator`` itself)."""
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def get_rng() -> np.random.Generator:
    """The current ``np.random.Generator``."""
    return _rng[0]
