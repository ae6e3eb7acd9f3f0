"""Rendering: a ``graphviz.Digraph`` written to SVG, PNG or PDF by Graphviz's ``dot`` program.

Building a graph (and reading ``graph.source``) needs only the ``graphviz``
Python package; writing a picture needs ``dot`` on PATH, and its absence is
reported with how to install it.
"""
from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:
    import graphviz

INSTALL_HINT = ("install Graphviz: `apt-get install -y graphviz` (Debian/Ubuntu), "
                "`brew install graphviz` (macOS) or `conda install graphviz`, then "
                "make sure `dot` is on PATH")


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program, which is not on PATH."""


def render(graph: graphviz.Digraph, path: Union[str, os.PathLike[str]],
           format: Optional[str] = None) -> str:
    """Write ``graph`` (a ``graphviz.Digraph``) to ``path`` as SVG or PNG; returns the path.

    ``format`` defaults to the file's extension (``.svg``, ``.png``, ``.pdf``).
    Raises :class:`GraphvizNotFoundError` saying how to install Graphviz when
    its ``dot`` program is missing (building the graph and ``graph.source``
    work without it).
    """
    import graphviz
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".").lower()
    if not fmt:
        raise ValueError(f"render: cannot tell the format of '{path}'; pass format='svg' "
                         f"or 'png'")
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(f"render: Graphviz's `dot` program was not found on "
                                    f"PATH; {INSTALL_HINT}")
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotFoundError(f"render: Graphviz's `dot` could not be run ({e}); "
                                    f"{INSTALL_HINT}") from None
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path
