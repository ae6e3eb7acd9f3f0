"""Containers: Sequential, ModuleList, ModuleDict, Identity, Flatten."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import functional as F
from .module import Module

if TYPE_CHECKING:
    from collections import OrderedDict
    from collections.abc import Iterable, Iterator, Mapping
    from typing import TypeVar

    from typing_extensions import Self

    from minigrad.tensor import Tensor

    _T = TypeVar("_T")


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children named "0", "1", ... and list access."""

    _modules: OrderedDict[str, Module]  # type: ignore[assignment]  # (never holds None)

    if TYPE_CHECKING:
        @staticmethod
        def _from_list(mods: list[Module]) -> Module: ...   # a container of mods

    def _check(self, m: object) -> Module:
        if not isinstance(m, Module):
            raise TypeError(f"{type(self).__name__}: expected a Module, got {type(m).__name__}")
        return m

    def append(self, m: Module) -> Self:
        """Add ``m`` at the end; returns self."""
        self.add_module(str(len(self._modules)), self._check(m))
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Append every module of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i: int | slice) -> Module:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return self._from_list(mods[i])
        return mods[i]

    def __setitem__(self, i: int, m: Module) -> None:
        key = list(self._modules.keys())[i]
        self._modules[key] = self._check(m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Sequential(_ModuleSequence):
    """Apply modules in order: ``Sequential(Linear(4, 8), Tanh(), Linear(8, 1))``.

    Children are named ``"0"``, ``"1"``, ... (so state_dict keys read ``"0.weight"``),
    or by the keys of a single ``OrderedDict`` argument.
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        named = modules[0].items() if len(modules) == 1 and isinstance(modules[0], dict) \
            else ((str(i), m) for i, m in enumerate(modules))
        for name, m in named:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {name} is a {type(m).__name__}, "
                                f"expected a Module")
            self.add_module(name, m)

    @staticmethod
    def _from_list(mods: list[Module]) -> Sequential:
        return Sequential(*mods)

    def forward(self, x: Any) -> Any:
        """Feed ``x`` through every module in order."""
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain list would hide them).

    Anything that is not a Module is refused with a ``TypeError``.
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    @staticmethod
    def _from_list(mods: list[Module]) -> ModuleList:
        return ModuleList(mods)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys
    (``state_dict`` keys read ``"<key>.weight"``), in insertion order, as PyTorch's.

    Keys must be strings; anything that is not a Module is refused with a ``TypeError``.
    """

    _modules: OrderedDict[str, Module]  # type: ignore[assignment]  # (never holds None)

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: expected a Module for key {key!r}, got "
                            f"{type(module).__name__}")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        return self._modules.pop(key)

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) modules from a mapping or ``(key, module)`` pairs; every
        entry is checked before any is added."""
        pairs = list(modules.items() if hasattr(modules, "items") else modules)
        for pair in pairs:
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(f"ModuleDict.update: expected (key, module) pairs, got "
                                f"{pair!r}")
            key, module = pair
            if not isinstance(key, str) or not isinstance(module, Module):
                raise TypeError(f"ModuleDict.update: expected a str key and a Module, got "
                                f"{type(key).__name__} and {type(module).__name__}")
        for key, module in pairs:
            self.add_module(key, module)


class Identity(Module):
    """Return the input unchanged (a placeholder layer); constructor arguments are ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: _T) -> _T:
        return x


class Flatten(Module):
    """Flatten axes ``start_dim..end_dim`` (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        F.check_input(self, x)
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
