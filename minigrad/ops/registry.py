"""The op registry: every op by the name its nodes carry on the tape.

An op is registered by being defined. Every op is a subclass of
:class:`~minigrad.function.Function` -- written out, or made by
:func:`~minigrad.ops.pointwise.pointwise` -- so the registry walks Function's
subclass tree instead of keeping a list: an op cannot be added without
appearing here, which is what lets the test suite check that every op has a
gradient test (``tests/test_core_grad.py``). Classes whose name starts with
``_`` are shared bases (e.g. ``reduce._Extreme`` under Max and Min), not ops.

>>> from minigrad.ops import registry
>>> registry.ops()["Exp"].saves
'output'
"""
from __future__ import annotations

import importlib
import pkgutil

from ..function import Function

_BUILTIN_PREFIX = __name__.split(".")[0] + "."        # "minigrad."


def ops(include_user: bool = False) -> dict[str, type[Function]]:
    """Every op, name -> op class, sorted by name.

    include_user: also list ops defined outside minigrad (Function subclasses
        and pointwise ops of users); one whose name a minigrad op already has
        is listed as ``"module.qualname"``.
    Raises RuntimeError if two of minigrad's own ops share a name (their nodes
    could not be told apart).
    """
    _import_op_modules()
    found: dict[str, type[Function]] = {}
    for cls in _subclasses(Function):
        if cls.name.startswith("_"):
            continue
        builtin = cls.__module__.startswith(_BUILTIN_PREFIX)
        if builtin:
            if cls.name in found and found[cls.name] is not cls:
                raise RuntimeError(f"two ops named {cls.name!r}: "
                                   f"{_where(found[cls.name])} and {_where(cls)}")
            found[cls.name] = cls
    if include_user:
        for cls in _subclasses(Function):
            if cls.name.startswith("_") or cls.__module__.startswith(_BUILTIN_PREFIX):
                continue
            found[_where(cls) if cls.name in found else cls.name] = cls
    return dict(sorted(found.items()))


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _subclasses(cls: type[Function]) -> list[type[Function]]:
    """Every subclass of ``cls``, depth first, each once."""
    seen: set[type[Function]] = set()
    stack = list(cls.__subclasses__())
    out: list[type[Function]] = []
    while stack:
        c = stack.pop()
        if c not in seen:
            seen.add(c)
            out.append(c)
            stack.extend(c.__subclasses__())
    return out


def _import_op_modules() -> None:
    """Import every module of minigrad.ops, so ops not yet imported are found too."""
    package = importlib.import_module(__name__.rpartition(".")[0])
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
