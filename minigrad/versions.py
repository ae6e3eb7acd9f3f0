"""Version counters: how the tape learns that memory it saved was changed in place.

A tape node (``Context``) keeps arrays for backward. If an in-place op (``x.add_``,
``x[i] = v``, ``optimizer.step()``) later overwrites one of them, backward would
use the new values with the old graph and return a wrong gradient. PyTorch raises
instead; so does minigrad.

Versions belong to memory, not to Tensor objects: every Tensor (and every NumPy
view) over the same buffer -- ``x.detach()``, ``x.reshape(...)``, ``x[1:]`` -- sees
the same counter, as PyTorch's views share their base's. The buffer is the
array's *owner* (the end of its ``.base`` chain). A counter is created the first
time its buffer is changed in place and dies with the buffer.

Each change is also *stamped* from the clock that numbers tape nodes
(``next_seq``): memory stamped after a node was recorded was changed after that
node saved it. The tape therefore needs one integer comparison per node
(``node.seq < last_change[0]``) to know that nothing was changed since, and
looks closer only when something was.
"""
from __future__ import annotations

import functools
import itertools
import weakref
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ._typing import Array

__all__ = ["next_seq", "last_change", "owner", "bump", "version", "changed_since"]

#: numbers tape nodes in creation order and stamps in-place changes (one clock)
next_seq = itertools.count(1).__next__
#: the stamp of the latest in-place change anywhere (0: none yet)
last_change = [0]


class _Counter:
    __slots__ = ("ref", "version", "stamp")

    def __init__(self, ref: weakref.ref[Array]) -> None:
        self.ref = ref
        self.version = 0
        self.stamp = 0


_counters: dict[int, _Counter] = {}     # id(owner array) -> its counter


def owner(a: Array) -> Array:
    """The array that owns ``a``'s memory (``a`` itself unless it is a view)."""
    b = a.base
    while isinstance(b, np.ndarray):
        a, b = b, b.base
    return a


def _forget(key: int, ref: weakref.ref[Array]) -> None:
    c = _counters.get(key)
    if c is not None and c.ref is ref:
        del _counters[key]


def bump(*arrays: Array) -> None:
    """Record that the memory of each of ``arrays`` was just changed in place: each
    version goes up by one, and all are stamped with one new time of the node clock
    (an optimizer step bumps all its parameters in one call)."""
    if not arrays:
        return
    stamp = last_change[0] = next_seq()
    counters, ndarray = _counters, np.ndarray
    for a in arrays:
        b = a.base              # owner(a), inlined: this runs per parameter per step
        while b is not None and isinstance(b, ndarray):     # (an owner's base is None)
            a, b = b, b.base
        key = id(a)
        c = counters.get(key)
        if c is None or c.ref() is not a:
            c = counters[key] = _Counter(weakref.ref(a, functools.partial(_forget, key)))
        c.version += 1
        c.stamp = stamp


def _counter(a: Array) -> _Counter | None:
    o = owner(a)
    c = _counters.get(id(o))
    return c if c is not None and c.ref() is o else None


def version(a: Array) -> int:
    """How many in-place changes ``a``'s memory has had (0 if none)."""
    c = _counter(a)
    return 0 if c is None else c.version


def changed_since(a: Array, seq: int) -> bool:
    """Whether ``a``'s memory was changed in place after the node numbered ``seq``."""
    c = _counter(a)
    return c is not None and c.stamp > seq
