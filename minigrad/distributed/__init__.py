"""minigrad.distributed: data-parallel training over MPI, PyTorch's ``torch.distributed`` names.

Every process of an ``mpiexec -n N python script.py`` job calls :func:`init`
(or PyTorch's ``init_process_group('mpi')``) once; then :func:`get_rank` is this process's number in ``0 .. N-1`` and
:func:`get_world_size` is ``N``. The collectives work in place on NumPy
arrays and on Tensors (their ``.data``) and must be called by every rank in
the same order: :func:`all_reduce` (``'sum'``, ``'mean'``, ``'max'``,
``'min'``), :func:`broadcast` and :func:`barrier`.
``nn.parallel.DistributedDataParallel`` builds gradient averaging on them.

MPI comes from the ``distributed`` extra (``pip install "minigrad[distributed]"``:
mpi4py and MPICH's wheel, which brings ``mpiexec``); importing this package
never needs it, :func:`init` does. After :func:`init`, an uncaught exception
on any rank aborts the whole job (``MPI_Abort``) with a message naming the
rank, instead of leaving the other ranks blocked in a collective forever.

>>> import minigrad.distributed as dist
>>> dist.init()                      # under mpiexec -n 2: ranks 0 and 1
>>> x = np.full(3, float(dist.get_rank()))
>>> dist.all_reduce(x, op="sum")     # every rank: [1., 1., 1.]
"""
from .collectives import all_reduce, barrier, broadcast
from .world import (get_rank, get_world_size, init, init_process_group, is_available,
                    is_initialized)

__all__ = ["init", "init_process_group", "is_available", "is_initialized", "get_rank",
           "get_world_size", "all_reduce", "broadcast", "barrier"]
