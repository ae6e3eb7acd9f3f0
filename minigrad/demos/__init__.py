"""The demos run by ``python -m minigrad NAME``: one module per demo in this
package, found by name (``pkgutil``), so a new demo is a new file.

Each demo module has a docstring whose first line is its one-line description and
``main(argv: list[str] | None = None) -> dict`` that parses its own arguments
(always ``--quick``, ``--out DIR``, ``--seed``, ``--no-progress``; see
``_cli.py``), writes its plots and checkpoints into ``--out`` and returns its
headline figures.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from typing import Any

__all__ = ["available", "describe", "run"]


def available() -> list[str]:
    """The names of the demos in this package, sorted (modules not starting with ``_``)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_"))


def describe(name: str) -> str:
    """The first line of demo ``name``'s docstring, read from its source without
    importing it (a demo's imports may be slow or need an optional extra)."""
    spec = importlib.util.find_spec(f"{__name__}.{name}")
    origin = spec.origin if spec is not None else None
    if origin is None:
        return ""
    with open(origin, encoding="utf-8") as fh:
        doc = ast.get_docstring(ast.parse(fh.read()))
    return doc.strip().splitlines()[0] if doc else ""


def run(name: str, argv: list[str] | None = None) -> dict[str, Any]:
    """Run demo ``name`` with ``argv`` (its own arguments) and return its figures.

    Raises ``ValueError`` naming the demos there are when ``name`` is not one."""
    names = available()
    if name not in names:
        raise ValueError(f"unknown demo {name!r}: expected one of {', '.join(names)}")
    module = importlib.import_module(f"{__name__}.{name}")
    result: dict[str, Any] = module.main(argv)
    return result
