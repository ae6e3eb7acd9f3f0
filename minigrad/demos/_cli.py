"""What every demo shares: its argument parser's common options and its output folder.

Every demo parses ``--quick`` (seconds, for CI), ``--out DIR`` (default
``./minigrad-out/NAME``, created if missing), ``--seed`` and ``--no-progress``
through :func:`demo_parser`, then calls :func:`setup` to seed minigrad and make
the folder, so the options mean the same thing in every demo.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

from minigrad.random import manual_seed
from minigrad.threads import set_num_threads

__all__ = ["demo_parser", "parse", "setup", "progress_flag", "save_figure"]


def demo_parser(name: str, doc: str | None) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` for demo ``name`` (``prog`` is ``python -m minigrad
    NAME``, the description is the module docstring) with the common options."""
    parser = argparse.ArgumentParser(
        prog=f"python -m minigrad {name}", description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    common = parser.add_argument_group("common demo options")
    common.add_argument("--quick", action="store_true",
                        help="a tiny run that finishes in seconds (for CI)")
    common.add_argument("--out", metavar="DIR", default=os.path.join("minigrad-out", name),
                        help="folder for plots and checkpoints, created if missing "
                             "(default: %(default)s)")
    common.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    common.add_argument("--threads", type=int, default=1,
                        help="threads, as mg.set_num_threads (default 1: these products "
                             "are small, and on a shared machine more threads only "
                             "contend)")
    common.add_argument("--no-progress", action="store_true",
                        help="no progress bars (they are off anyway when stderr is "
                             "not a terminal)")
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None,
          quick: dict[str, Any]) -> argparse.Namespace:
    """Parse ``argv``; under ``--quick`` the defaults in ``quick`` replace the
    parser's own, so an option given explicitly still wins."""
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**quick)
        args = parser.parse_args(argv)
    return args


def setup(args: argparse.Namespace) -> np.random.Generator:
    """Make ``args.out``, ``mg.set_num_threads(args.threads)``, seed minigrad's generator
    with ``args.seed``, and return a NumPy generator seeded the same way for the
    demo's own data."""
    os.makedirs(args.out, exist_ok=True)
    set_num_threads(args.threads)      # BLAS and the recurrent op's parts
    manual_seed(args.seed)
    return np.random.default_rng(args.seed)


def progress_flag(args: argparse.Namespace) -> bool | None:
    """The ``progress=`` argument for minigrad's loops: ``False`` under
    ``--no-progress``, else ``None`` (shown when stderr is a terminal)."""
    return False if args.no_progress else None


def save_figure(fig: object, args: argparse.Namespace, filename: str, dpi: int = 100) -> str:
    """Save a matplotlib figure into ``args.out``, print and return its path."""
    path = os.path.join(args.out, filename)
    fig.savefig(path, dpi=dpi)  # type: ignore[attr-defined]
    print("wrote", path, file=sys.stdout)
    return path
