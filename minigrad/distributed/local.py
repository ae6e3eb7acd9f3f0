"""Run an MPI job on this machine only: MPICH's forking launcher, shared memory and loopback.

``mpiexec`` (MPICH's hydra) listens on every address of the machine for its
proxies, and UCX, MPICH's network layer, opens listeners on the external
interface. On one machine neither is needed: MPICH's ``mpiexec.gforker``
forks the ranks itself (talking to them over pipes), and ``UCX_TLS=self,sm``
with ``UCX_NET_DEVICES=lo`` keep the ranks' traffic in shared memory. A job
started this way opens no TCP or UDP listener at all (checked with
``ss -tlnpu`` while it runs). The tests and benchmarks start their jobs here.
"""
from __future__ import annotations

import operator
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .world import INSTALL_HINT, LOOPBACK_ENV

__all__ = ["LOOPBACK_ENV", "find_launcher", "local_command"]


def find_launcher() -> str:
    """The path of MPICH's ``mpiexec.gforker``: beside this Python (a virtual
    environment's ``bin/``, where the ``mpich`` wheel puts it), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec.gforker"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("mpiexec.gforker")
    if found is None:
        raise FileNotFoundError(f"mpiexec.gforker (MPICH's single-machine launcher) was not "
                                f"found beside {sys.executable} nor on PATH; {INSTALL_HINT}")
    return found


def local_command(nprocs: int, argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """``(command, env)`` that run ``argv`` as ``nprocs`` ranks on this machine only.

    ``command`` is ``[mpiexec.gforker, "-n", nprocs, *argv]``; ``env`` is a copy
    of ``os.environ`` with :data:`LOOPBACK_ENV` set. Pass both to
    ``subprocess.run(command, env=env, timeout=...)``.

    >>> cmd, env = local_command(2, [sys.executable, "train.py"])
    >>> subprocess.run(cmd, env=env, timeout=600, check=True)
    """
    if isinstance(nprocs, bool):
        raise TypeError(f"local_command: nprocs must be a positive integer, got {nprocs!r}")
    n = operator.index(nprocs)
    if n < 1:
        raise ValueError(f"local_command: nprocs must be a positive integer, got {n}")
    if isinstance(argv, str) or not argv or not all(isinstance(a, str) for a in argv):
        raise TypeError(f"local_command: argv must be a non-empty list of strings (the "
                        f"program and its arguments), got {argv!r}")
    env = dict(os.environ)
    env.update(LOOPBACK_ENV)
    return [find_launcher(), "-n", str(n), *argv], env
