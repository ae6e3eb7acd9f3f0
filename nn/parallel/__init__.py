"""minigrad.nn.parallel: ``DistributedDataParallel``, data-parallel training over MPI,
and ``SyncBatchNorm`` (also ``nn.SyncBatchNorm``).

Importing it needs no MPI; building a ``DistributedDataParallel`` needs
``minigrad.distributed.init()`` (the ``distributed`` extra).
"""
from .distributed import DistributedDataParallel
from .sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
