"""The ``automembers`` directive: every public name of a module, documented by autodoc.

``.. automembers:: minigrad.nn`` expands to an ``autoclass`` (with its members) or
``autofunction`` for each public class and function of the module: the names in its
``__all__`` when it has one, else every name not starting with an underscore, in
alphabetical order (submodules, constants and type aliases are left out). A name added to
a package therefore appears in the reference without editing the pages. An object a
package re-exports from outside itself (``minigrad.viz.GradNormRecorder`` lives in
``minigrad.nn.utils``) is described there too but marked ``:no-index:``, so it has one
index entry and Sphinx does not warn about a duplicate description.
"""
from __future__ import annotations

import importlib
import inspect

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def public_names(module) -> list[str]:
    """The public class and function names of ``module``, sorted."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return sorted(n for n in names
                  if inspect.isclass(getattr(module, n)) or inspect.isroutine(getattr(module, n)))


class AutoMembers(SphinxDirective):
    """``.. automembers:: package``: autodoc entries for the package's public names."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        module = importlib.import_module(name)
        lines = []
        for member in public_names(module):
            obj = getattr(module, member)
            home = getattr(obj, "__module__", None) or name
            options = [] if home == name or home.startswith(name + ".") else ["   :no-index:"]
            if inspect.isclass(obj):
                lines += [f".. autoclass:: {name}.{member}", "   :members:",
                          "   :show-inheritance:", *options, ""]
            else:
                lines += [f".. autofunction:: {name}.{member}", *options, ""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=f"automembers {name}"),
                                 node)
        return node.children


def setup(app):
    app.add_directive("automembers", AutoMembers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
