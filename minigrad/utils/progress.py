"""Progress bars for the long loops minigrad runs for a user (TBPTT over a stream,
layer-wise pre-training, the demos): one place decides whether a bar is shown.

tqdm is a run-time dependency (small, pure Python, the bar every Python user knows).
``progress=None`` means "show a bar when stderr is a terminal", so logs, CI output and
piped runs stay clean; ``True`` / ``False`` force it on or off.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["progress_enabled", "progress_bar"]


def progress_enabled(progress: bool | None) -> bool:
    """Resolve a ``progress`` argument: ``None`` -> whether stderr is a terminal."""
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty())
    if not isinstance(progress, bool):
        raise TypeError(f"progress: expected True, False or None, got {progress!r}")
    return progress


def progress_bar(iterable: Iterable[T] | None = None, *, progress: bool | None = None,
                 total: int | None = None, desc: str | None = None,
                 unit: str = "it", leave: bool = True, **kwargs: Any) -> Any:
    """A ``tqdm`` bar over ``iterable`` (or a manual one with ``total``), disabled
    unless :func:`progress_enabled` says so. A disabled bar still supports
    ``update``, ``set_postfix`` and ``close`` as no-ops, so loops need no branches."""
    from tqdm.auto import tqdm      # here, not at import: it costs ~40 ms (asyncio, CLI)
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=leave,
                disable=not progress_enabled(progress), dynamic_ncols=True, **kwargs)


