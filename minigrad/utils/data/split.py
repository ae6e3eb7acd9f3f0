"""``random_split``: a dataset cut into disjoint random subsets that cover it."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from . import _checks
from .dataset import Indexable, Subset

T = TypeVar("T")


def _lengths(lengths: Sequence[int | float], n: int) -> list[int]:
    """Integer lengths summing to ``n``: given as such, or as fractions of ``n``
    (each floored, the remainder handed out one by one from the first, as PyTorch)."""
    if any(isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating))
           for x in lengths):
        raise TypeError(f"random_split: lengths should be integers or fractions, got "
                        f"{[type(x).__name__ for x in lengths]}")
    if all(isinstance(x, (int, np.integer)) for x in lengths):
        out = [int(x) for x in lengths]
        if any(x < 0 for x in out) or sum(out) != n:
            raise ValueError(f"random_split: lengths should be non-negative and sum to "
                             f"the dataset's length {n}, got {out} (sum {sum(out)})")
        return out
    fracs = [float(x) for x in lengths]
    if any(not 0.0 <= f <= 1.0 for f in fracs) or not math.isclose(sum(fracs), 1.0):
        raise ValueError(f"random_split: fractions should be in [0, 1] and sum to 1, "
                         f"got {fracs} (sum {sum(fracs)})")
    out = [int(math.floor(n * f)) for f in fracs]
    for i in range(n - sum(out)):
        out[i % len(out)] += 1
    return out


def random_split(dataset: Indexable[T], lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset[T]]:
    """Disjoint ``Subset``s of ``dataset`` with the given ``lengths`` that together
    cover it, from one random permutation of its indices.

    ``lengths`` are integers summing to ``len(dataset)`` or fractions summing to
    1 (``[0.8, 0.2]``). Only when all are integers are they read as counts (in
    PyTorch integers summing to 1, like ``[1, 0]``, are read as fractions). The
    permutation is drawn from ``generator``, else from minigrad's generator
    (``mg.manual_seed``).

    >>> train, val = random_split(range(10), [0.8, 0.2])
    >>> len(train), len(val)
    (8, 2)
    """
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence) \
            or len(lengths) == 0:
        raise TypeError(f"random_split: lengths should be a non-empty sequence, got "
                        f"{lengths!r}")
    gen = _checks.generator("random_split", generator)
    n = _checks.dataset_length("random_split", dataset)
    counts = _lengths(lengths, n)
    order = _checks.rng(gen).permutation(n).tolist()
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, order[start:start + c]))
        start += c
    return out
