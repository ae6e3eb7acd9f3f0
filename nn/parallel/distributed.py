"""``DistributedDataParallel``: one model replica per MPI rank, gradients averaged in backward."""
from __future__ import annotations

import contextlib
import itertools
import numbers
from typing import TYPE_CHECKING, Any

from minigrad import distributed as dist
from minigrad.distributed.world import world
from minigrad.tape import is_grad_enabled

from ..module import Module
from ._reducer import FIRST_BUCKET_BYTES, MIB, Reducer

if TYPE_CHECKING:
    from collections.abc import Iterator


class DistributedDataParallel(Module):
    """Data-parallel training over MPI: each rank runs ``module`` on its own share of the
    batch, and after ``backward()`` every rank holds the mean of all ranks' gradients.

    module: the model (an ``nn.Module``), built the same way on every rank.
    bucket_cap_mb: the size (MiB) of the buckets gradients are reduced in
        (PyTorch's default 25; the first bucket, the one finished first in
        backward, holds at most 1 MiB, as PyTorch's, so communication starts early).
    broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm's running
        statistics) to every rank at the start of each forward, as PyTorch does.

    When built (every rank at once, after ``minigrad.distributed.init()``) it
    checks that the ranks' parameters have the same names, shapes and dtypes,
    then broadcasts rank 0's parameters and buffers, so differently seeded
    ranks start equal. During a backward pass after a forward through this
    wrapper, gradients are reduced in buckets in reverse parameter order, each
    bucket's non-blocking all-reduce started as soon as all its gradients are
    final, so communication overlaps the rest of the reverse pass; the pass
    ends once every bucket is reduced, and each ``.grad`` is then the mean over
    ranks (a parameter shared between layers is reduced once). Clipping,
    schedulers and every optimizer then see the same gradient on every rank
    and keep the replicas equal. A parameter that gets no gradient in a pass
    contributes its ``.grad`` (or zeros) and ends with the mean (zeros where
    no rank used it, where PyTorch would leave it None).

    ``forward`` is the module's; ``state_dict()`` keys carry the ``module.``
    prefix, as PyTorch's: save ``ddp.module.state_dict()`` to load it into a
    plain model. ``no_sync()`` accumulates local gradients without reducing.

    >>> dist.init()
    >>> model = nn.parallel.DistributedDataParallel(Net())
    >>> loss_fn(model(x_local), y_local).backward()   # .grad: the mean over ranks
    >>> opt.step()
    """

    module: Module
    broadcast_buffers: bool
    bucket_cap_mb: float
    require_backward_grad_sync: bool      # False inside no_sync()
    reducer: Reducer

    def __init__(self, module: Module, *, bucket_cap_mb: float = 25,
                 broadcast_buffers: bool = True) -> None:
        where = "DistributedDataParallel"
        if not isinstance(module, Module):
            raise TypeError(f"{where}: module must be an nn.Module, got {type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, numbers.Real) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"{where}: bucket_cap_mb must be a positive number, got "
                             f"{bucket_cap_mb!r}")
        mpi, comm = world(where)
        params = [p for p in module.parameters() if p.requires_grad]
        _check_same_layout(module, comm, where)
        super().__init__()
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        for p in module.parameters():
            dist.broadcast(p, src=0)
        self._sync_buffers()
        cap = max(1, int(bucket_cap_mb * MIB))
        self.reducer = Reducer(params, comm, mpi, cap, min(cap, FIRST_BUCKET_BYTES))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """``module(*args, **kwargs)``; arms the gradient reduction of the next backward.

        Under grad mode, the backward pass that follows reduces gradients
        unless this forward ran inside :meth:`no_sync`.
        """
        if self.broadcast_buffers:
            self._sync_buffers()
        if is_grad_enabled():
            self.reducer.armed = self.require_backward_grad_sync
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, forwards and backwards only accumulate local gradients (no communication).

        The first backward after a forward outside reduces the accumulated
        sum, as PyTorch's: ``k`` micro-batches, ``k - 1`` of them under
        ``no_sync()``, give the same step as one batch ``k`` times larger
        (with a loss summed, not averaged, over the micro-batches).
        """
        before = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before

    def _sync_buffers(self) -> None:
        if dist.get_world_size() > 1:
            for b in self.module.buffers():
                dist.broadcast(b, src=0)

    def extra_repr(self) -> str:
        return f"bucket_cap_mb={self.bucket_cap_mb}, buckets={len(self.reducer.buckets)}"


def _check_same_layout(module: Module, comm: Any, where: str) -> None:
    """Every rank's module has the same parameters and buffers (names, shapes, dtypes)."""
    layout = [(name, p.data.shape, str(p.data.dtype), p.requires_grad)
              for name, p in module.named_parameters()]
    layout += [(name, b.shape, str(b.dtype), False) for name, b in module.named_buffers()]
    layouts = comm.allgather(layout)
    bad = [r for r, other in enumerate(layouts) if other != layouts[0]]
    if bad:
        diff = next(f"{a} on rank 0 but {b} on rank {bad[0]}"
                    for a, b in itertools.zip_longest(layouts[0], layouts[bad[0]]) if a != b)
        raise ValueError(f"{where}: the ranks' models differ (ranks {bad} differ from rank 0): "
                         f"{diff}; build the same model on every rank")
