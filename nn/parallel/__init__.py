"""minigrad.nn.parallel: ``DistributedDataParallel``, data-parallel training over MPI.

Importing it needs no MPI; building a ``DistributedDataParallel`` needs
``minigrad.distributed.init()`` (the ``distributed`` extra).
"""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
