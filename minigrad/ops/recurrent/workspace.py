"""The buffer workspace: recycles the big per-sequence buffers of the recurrent op.

A fresh multi-megabyte ``np.empty`` is fresh memory from the OS: every 4 KiB
page costs a page fault and zeroing on first touch (about 2,000 faults, some
10% of an LSTM chunk at H = 128). :meth:`Workspace.empty` hands out a view of
a pooled buffer instead (XP, S, Wk, dGh/dGi, the packed weight blocks, the
per-step product, the packed output).
"""
import sys
import threading

import numpy as np


class Workspace:
    """A pool of buffers by (shape, dtype), handed out as views.

    Every view, and every view of a view, refers to the buffer (``.base``), so a
    buffer whose reference count is back to the pool's own reference is free;
    none is reused while any array still uses it. At most ``keep`` buffers per
    (shape, dtype) and ``max_keys`` shapes are kept.
    """

    def __init__(self, keep=4, max_keys=16):
        self.keep, self.max_keys = keep, max_keys
        self._bufs = {}
        self._lock = threading.Lock()
        probe = [np.empty(1)]
        self._free_refs = sys.getrefcount(probe[0])   # held by the pool list only

    def empty(self, shape, dtype):
        """An uninitialised array of ``shape`` and ``dtype`` (a view of a pooled buffer)."""
        key = (tuple(shape), np.dtype(dtype))
        with self._lock:
            bufs = self._bufs.pop(key, [])
            self._bufs[key] = bufs                        # most recently used last
            while len(self._bufs) > self.max_keys:
                del self._bufs[next(iter(self._bufs))]
            for i in range(len(bufs)):
                if sys.getrefcount(bufs[i]) <= self._free_refs:
                    return bufs[i][...]
            buf = np.empty(key[0], key[1])
            if len(bufs) < self.keep:
                bufs.append(buf)
            return buf[...]


workspace = Workspace()
