"""The MPI world: loading mpi4py on demand, ``init``, rank and size, abort on error."""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

INSTALL_HINT = 'pip install "minigrad[distributed]"'

# Variables a launcher (MPICH's hydra or gforker, Open MPI, PMIx, Slurm) sets in
# every process it starts; with none of them the process is a world of one.
_LAUNCHER_VARS = ("PMI_RANK", "PMI_FD", "PMIX_RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID")
# MPICH's network layer (UCX) on shared memory and loopback only: what a world of one
# (no peer to reach) and a job on one machine (minigrad.distributed.local) need, and
# no listener opens on the machine's external address.
LOOPBACK_ENV = {"UCX_TLS": "self,sm", "UCX_NET_DEVICES": "lo"}

_world: dict[str, Any] = {}          # "comm", "MPI" once init() has run


def is_available() -> bool:
    """True when mpi4py is installed (the ``distributed`` extra); MPI is not loaded."""
    return importlib.util.find_spec("mpi4py") is not None


def load_mpi() -> Any:
    """``mpi4py.MPI`` (initialising MPI), or an ImportError saying how to install it."""
    if not any(v in os.environ for v in _LAUNCHER_VARS):
        for key, value in LOOPBACK_ENV.items():
            os.environ.setdefault(key, value)
    try:
        return importlib.import_module("mpi4py.MPI")
    except ImportError as e:
        raise ImportError(f"minigrad.distributed needs mpi4py and an MPI library, which "
                          f"the 'distributed' extra installs: {INSTALL_HINT} "
                          f"(loading mpi4py failed: {e})") from e
    except (RuntimeError, OSError) as e:        # mpi4py present, no MPI library found
        raise ImportError(f"minigrad.distributed: mpi4py found no MPI library ({e}); "
                          f"{INSTALL_HINT} brings MPICH's") from e


def init() -> None:
    """Join the MPI job: rank and world size come from ``mpiexec``. Call once per process.

    Calling it again does nothing. Started without ``mpiexec``, the process is
    rank 0 of a world of 1 (and MPI is kept on shared memory and loopback:
    ``UCX_TLS=self,sm``, ``UCX_NET_DEVICES=lo`` unless already set). With
    more than one rank, installs the abort-on-uncaught-exception hook
    (``sys.excepthook``): the traceback is printed, then a line naming the
    rank, then ``MPI_Abort`` ends every rank of the job.
    """
    if _world:
        return
    mpi = load_mpi()
    comm = mpi.COMM_WORLD
    _world.update(MPI=mpi, comm=comm)
    if comm.Get_size() > 1:
        _install_abort_hook(comm)


def init_process_group(backend: str | None = None, **options: object) -> None:
    """PyTorch's spelling of :func:`init`: ``backend`` ``'mpi'``, ``'gloo'`` or None all
    mean MPI on the CPU (``init_method``, ``world_size``, ``rank`` come from ``mpiexec``
    and are refused if given)."""
    if backend not in (None, "mpi", "gloo"):
        raise ValueError(f"init_process_group: minigrad runs on the CPU over MPI; backend "
                         f"must be 'mpi', 'gloo' or None, got {backend!r}")
    if options:
        raise TypeError(f"init_process_group: rank and world size come from mpiexec; "
                        f"unsupported arguments {sorted(options)}")
    init()


def is_initialized() -> bool:
    """True once :func:`init` has run in this process."""
    return bool(_world)


def world(where: str) -> tuple[Any, Any]:
    """``(mpi4py.MPI, COMM_WORLD)``; a RuntimeError naming ``where`` before :func:`init`."""
    if not _world:
        raise RuntimeError(f"{where}: the process group is not initialized; call "
                           f"minigrad.distributed.init() first (in every rank)")
    return _world["MPI"], _world["comm"]


def get_rank() -> int:
    """This process's rank, ``0 .. get_world_size() - 1`` (after :func:`init`)."""
    return int(world("get_rank")[1].Get_rank())


def get_world_size() -> int:
    """The number of processes in the job (after :func:`init`)."""
    return int(world("get_world_size")[1].Get_size())


def _install_abort_hook(comm: Any) -> None:
    previous = sys.excepthook
    rank, size = comm.Get_rank(), comm.Get_size()

    def abort_job(exc_type: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
        try:
            previous(exc_type, exc, tb)
        finally:
            sys.stderr.write(f"minigrad.distributed: rank {rank} of {size} raised "
                             f"{exc_type.__name__}: {exc}; aborting the whole job "
                             f"(MPI_Abort) so no rank is left waiting in a collective\n")
            sys.stderr.flush()
            comm.Abort(1)

    sys.excepthook = abort_job
