"""The one random generator behind init, dropout, ``randn`` and ``rand``.

``manual_seed(seed)`` makes everything that draws from it reproducible.
"""
import numpy as np

_rng = [np.random.default_rng()]


def manual_seed(seed):
    """Reseed minigrad's generator (init, dropout, randn/rand draw from it)."""
    _rng[0] = np.random.default_rng(seed)


def get_rng():
    """The current ``np.random.Generator``."""
    return _rng[0]
