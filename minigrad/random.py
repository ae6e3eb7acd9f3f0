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
    ``np.random.Generator`` itself).

    ``seed``: a non-negative int, or None for fresh entropy from the system.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise (ValueError if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
               else TypeError)(f"manual_seed: seed must be a non-negative int or None, got "
                               f"{type(seed).__name__} {seed!r}")
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def get_rng() -> np.random.Generator:
    """The current ``np.random.Generator``."""
    return _rng[0]
