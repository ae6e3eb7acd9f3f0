"""The gradient reducer behind ``DistributedDataParallel``: buckets, and when to reduce them.

Parameters are assigned to buckets in reverse registration order (the order
their gradients tend to become final in a reverse pass), one dtype per bucket,
the first bucket capped at 1 MiB and the others at ``bucket_cap_mb`` (PyTorch's
assignment). During a reverse pass the reducer learns through
:mod:`minigrad.hooks` when each gradient is final:

* ``"begin"`` (backward pass hook): walk the graph from the roots and count,
  for every parameter, the graph edges that lead into it -- the number of
  contributions the engine will deliver;
* backward observer: each contribution to a parameter is summed (over
  broadcast axes, in the parameter's dtype, as the engine does) into its slot
  of a fresh bucket buffer; after the last one the parameter's earlier
  ``.grad`` (accumulated under ``no_sync``) is added, and when every slot of a
  bucket is final its non-blocking all-reduce (``Iallreduce``) starts. Buckets
  start strictly in bucket order, so every rank issues the same collectives in
  the same order whatever its graph;
* ``"end"``: start the buckets still waiting (a parameter that received no
  gradient contributes its ``.grad``, or zeros), wait for all of them, divide
  by the world size, and make each ``.grad`` a view of its bucket.
"""
from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import hooks
from minigrad.tape import unbroadcast

if TYPE_CHECKING:
    from collections.abc import Sequence

    from minigrad._typing import Array
    from minigrad.function import Context
    from minigrad.nn.parameter import Parameter
    from minigrad.tensor import Tensor

MIB = 1024 * 1024
FIRST_BUCKET_BYTES = MIB        # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


def assign_buckets(params: Sequence[Parameter], cap_bytes: int,
                   first_cap_bytes: int = FIRST_BUCKET_BYTES) -> list[list[int]]:
    """Indices into ``params``, grouped into buckets (PyTorch's assignment by size).

    Walks ``params`` in reverse, keeping one open bucket per dtype; a bucket
    closes once it holds at least its cap (``first_cap_bytes`` for the first
    bucket closed, ``cap_bytes`` after). Buckets are ordered by their first
    (highest) parameter index, i.e. the order a reverse pass finishes them.
    """
    open_: dict[np.dtype[Any], list[int]] = {}
    sizes: dict[np.dtype[Any], int] = {}
    done: list[list[int]] = []
    for i in reversed(range(len(params))):
        dt = params[i].data.dtype
        open_.setdefault(dt, []).append(i)
        sizes[dt] = sizes.get(dt, 0) + params[i].data.nbytes
        if sizes[dt] >= (first_cap_bytes if not done else cap_bytes):
            done.append(open_.pop(dt))
            sizes[dt] = 0
    done.extend(b for b in open_.values() if b)
    return sorted(done, key=lambda b: -b[0])


class _Bucket:
    """One flat buffer per pass for a few parameters of one dtype, reduced together."""

    __slots__ = ("members", "offsets", "size", "dtype", "buffer", "views", "pending",
                 "request")

    def __init__(self, members: list[int], params: Sequence[Parameter]) -> None:
        self.members = members
        self.offsets: list[int] = []
        n = 0
        for i in members:
            self.offsets.append(n)
            n += params[i].data.size
        self.size, self.dtype = n, params[members[0]].data.dtype
        self.buffer: Array = np.empty(0, self.dtype)
        self.views: list[Array] = []
        self.pending = 0
        self.request: Any = None

    def fresh(self, params: Sequence[Parameter]) -> None:
        """A new buffer for this pass (the last pass's is now the parameters' ``.grad``)."""
        self.buffer = np.empty(self.size, self.dtype)
        self.views = [self.buffer[o:o + params[i].data.size].reshape(params[i].data.shape)
                      for i, o in zip(self.members, self.offsets)]
        self.pending = len(self.members)
        self.request = None


class Reducer:
    """Averages the gradients of ``params`` over ``comm`` during each armed backward pass."""

    def __init__(self, params: Sequence[Parameter], comm: Any, mpi: Any,
                 bucket_cap_bytes: int, first_bucket_bytes: int = FIRST_BUCKET_BYTES) -> None:
        self.params = list(params)
        self.comm, self.mpi = comm, mpi
        self.world_size = int(comm.Get_size())
        self.buckets = [_Bucket(b, self.params)
                        for b in assign_buckets(self.params, bucket_cap_bytes,
                                                first_bucket_bytes)]
        # id(param) -> (index into params, bucket number, slot in the bucket)
        self.slot: dict[int, tuple[int, int, int]] = {}
        for bi, b in enumerate(self.buckets):
            for si, i in enumerate(b.members):
                self.slot[id(self.params[i])] = (i, bi, si)
        self.armed = False        # the next backward pass is to be reduced
        self.active = False       # inside a reduced backward pass
        self.left: list[int] = []     # contributions still to come, per parameter
        self.seen: list[bool] = []    # a contribution has been written into the slot
        self.next_bucket = 0      # buckets start in order: the next one to start
        self.wait_seconds = 0.0   # time spent waiting for all-reduces at "end", summed
        self._handles = _register_weakly(self)

    def close(self) -> None:
        """Unregister from the engine's hooks (the reducer then never runs again)."""
        for h in self._handles:
            h.remove()

    # ----------------------------------------------------------- the pass
    def on_pass(self, phase: str, roots: Sequence[Tensor],
                inputs: Sequence[Tensor] | None) -> None:
        if phase == "begin":
            if inputs is not None:      # mg.autograd.grad: no .grad written, nothing to reduce
                self.active = False
                return
            self.active, self.armed = self.armed, False
            if self.active:
                self._begin(roots)
        elif self.active:
            self.active = False
            self._end()

    def _begin(self, roots: Sequence[Tensor]) -> None:
        for b in self.buckets:
            b.fresh(self.params)
        self.left = _edges_into(roots, self.slot, len(self.params))
        self.seen = [False] * len(self.params)
        self.next_bucket = 0
        for i, n in enumerate(self.left):
            if n == 0:                  # no gradient will come this pass
                self._final(i)

    def observe(self, node: Context, grad_output: Array,
                grad_inputs: tuple[Array | None, ...]) -> None:
        if not self.active:
            return
        slot = self.slot
        for p, g in zip(node.parents, grad_inputs):
            if g is None or p is None or not p._rg or (s := slot.get(id(p))) is None:
                continue
            i, bi, si = s
            if self.left[i] <= 0:
                raise RuntimeError(
                    f"DistributedDataParallel: parameter {i} received more gradient "
                    f"contributions than graph edges lead into it (from node '{node.name}')")
            view = self.buckets[bi].views[si]
            g = np.asarray(g)
            if g.shape != view.shape:
                g = unbroadcast(g, view.shape)
            if self.seen[i]:
                np.add(view, g, out=view, casting="unsafe")
            else:
                np.copyto(view, g, casting="unsafe")
                self.seen[i] = True
            self.left[i] -= 1
            if self.left[i] == 0:
                self._final(i)
        if self.next_bucket:
            self._progress()

    def _final(self, i: int) -> None:
        """Parameter i's local gradient is complete: add its earlier .grad; maybe start."""
        _, bi, si = self.slot[id(self.params[i])]
        b = self.buckets[bi]
        view, prev = b.views[si], self.params[i].grad
        if not self.seen[i]:
            view[...] = 0 if prev is None else prev
        elif prev is not None:
            np.add(view, prev, out=view, casting="unsafe")
        b.pending -= 1
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].pending == 0:
            self._start(self.buckets[self.next_bucket])
            self.next_bucket += 1

    def _start(self, b: _Bucket) -> None:
        b.request = self.comm.Iallreduce(self.mpi.IN_PLACE, b.buffer, op=self.mpi.SUM)

    def _progress(self) -> None:
        """Let MPI move the started reductions on (MPICH progresses inside MPI calls)."""
        started = [b.request for b in self.buckets[:self.next_bucket]]
        self.mpi.Request.Testall(started)

    def _end(self) -> None:
        for i, p in enumerate(self.params):
            if self.left[i] > 0:     # an edge delivered no gradient: take the engine's sum
                _, bi, si = self.slot[id(p)]
                b = self.buckets[bi]
                b.views[si][...] = 0 if p.grad is None else p.grad
                b.pending -= 1
        t0 = time.perf_counter()
        for b in self.buckets[self.next_bucket:]:
            self._start(b)
        self.next_bucket = len(self.buckets)
        self.mpi.Request.Waitall([b.request for b in self.buckets])
        self.wait_seconds += time.perf_counter() - t0
        for b in self.buckets:
            if self.world_size > 1:
                b.buffer /= self.world_size
            for i, view in zip(b.members, b.views):
                self.params[i].grad = view
            b.request = None


def _edges_into(roots: Sequence[Tensor], slot: dict[int, tuple[int, int, int]],
                n: int) -> list[int]:
    """For each parameter (by index), how many graph edges from the roots lead into it.

    Follows what the engine's walk reaches: parents that require grad, through
    their ``grad_fn``, each node once.
    """
    counts = [0] * n
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    seen = {id(node) for node in stack}
    while stack:
        node = stack.pop()
        for p in node.parents:
            if p is None or not p._rg:
                continue
            s = slot.get(id(p))
            if s is not None:
                counts[s[0]] += 1
            elif (fn := p.grad_fn) is not None and id(fn) not in seen:
                seen.add(id(fn))
                stack.append(fn)
    return counts


def _register_weakly(reducer: Reducer) -> list[hooks.RemovableHandle]:
    """Subscribe ``reducer`` to the engine's hooks without keeping it alive."""
    ref = weakref.ref(reducer)

    def on_pass(phase: str, roots: Sequence[Tensor], inputs: Sequence[Tensor] | None) -> None:
        r = ref()
        if r is not None:
            r.on_pass(phase, roots, inputs)

    def observe(node: Context, grad_output: Array,
                grad_inputs: tuple[Array | None, ...]) -> None:
        r = ref()
        if r is not None:
            r.observe(node, grad_output, grad_inputs)

    handles = [hooks.register_backward_pass_hook(on_pass),
               hooks.register_backward_observer(observe)]
    for h in handles:
        weakref.finalize(reducer, h.remove)
    return handles
