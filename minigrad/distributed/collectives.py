"""Collectives over the MPI world, in place on arrays and Tensors: every rank calls
each one, in the same order."""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.tensor import Tensor

from .world import world

if TYPE_CHECKING:
    from minigrad._typing import Array

REDUCE_OPS = ("sum", "mean", "max", "min")


def _array(x: object, where: str) -> Array:
    """The array ``x`` stands for (a Tensor's ``.data``), checked before any MPI call."""
    arr = x.data if isinstance(x, Tensor) else x
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{where}: x must be a NumPy array or a Tensor (changed in place), "
                        f"got {type(x).__name__}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: x must hold numbers, got dtype {arr.dtype}")
    if not arr.flags.writeable:
        raise ValueError(f"{where}: x is read-only, and the result is written into it")
    return arr


def _in_place(arr: Array, collective: Any) -> None:
    """Run ``collective(buffer)`` on ``arr``'s memory, through a copy if not contiguous."""
    if arr.flags.c_contiguous:
        collective(arr)
        return
    buf = np.ascontiguousarray(arr)
    collective(buf)
    arr[...] = buf


def all_reduce(x: Array | Tensor, op: str = "sum") -> None:
    """Reduce ``x`` over all ranks, elementwise, and leave the result in ``x`` on every rank.

    x: an array or Tensor of any shape, the same shape and dtype on every rank.
    op: ``'sum'``, ``'mean'`` (the sum divided by the world size; floating
    point only), ``'max'`` or ``'min'``. Returns None, as PyTorch's.
    """
    where = "all_reduce"
    if op not in REDUCE_OPS:
        raise ValueError(f"{where}: op must be one of {REDUCE_OPS}, got {op!r}")
    arr = _array(x, where)
    if op == "mean" and arr.dtype.kind != "f":
        raise TypeError(f"{where}: op='mean' needs a floating-point x, got dtype {arr.dtype}")
    mpi, comm = world(where)
    mpi_op = {"sum": mpi.SUM, "mean": mpi.SUM, "max": mpi.MAX, "min": mpi.MIN}[op]
    _in_place(arr, lambda buf: comm.Allreduce(mpi.IN_PLACE, buf, op=mpi_op))
    if op == "mean":
        arr /= comm.Get_size()


def broadcast(x: Array | Tensor, src: int = 0) -> None:
    """Copy rank ``src``'s ``x`` into ``x`` on every other rank (same shape and dtype)."""
    where = "broadcast"
    try:
        src = operator.index(src)
    except TypeError:
        raise TypeError(f"{where}: src must be an integer rank, got "
                        f"{type(src).__name__}") from None
    arr = _array(x, where)
    _, comm = world(where)
    if not 0 <= src < comm.Get_size():
        raise ValueError(f"{where}: src must be a rank in 0..{comm.Get_size() - 1}, got {src}")
    _in_place(arr, lambda buf: comm.Bcast(buf, root=src))


def barrier() -> None:
    """Wait until every rank has called ``barrier()``."""
    world("barrier")[1].Barrier()
