"""Containers: Sequential, ModuleList, Identity, Flatten."""
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
        F.check_input(self._who(), x)
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
