"""Module: the base of layers and models.

Attributes that are Parameters or Modules register themselves on assignment
(``__setattr__`` files them into ordered dicts), so ``parameters()`` can walk
the tree. ``named_parameters`` keeps a memo so a Parameter shared or tied
between modules is yielded once, under its first name.

Calling a module runs, as PyTorch does: the global forward pre-hooks, the
module's forward pre-hooks, ``forward``, the global forward hooks, the
module's forward hooks. With no hook registered a call is just ``forward``.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.device import device as mg_device
from minigrad.device import is_device
from minigrad.hooks import RemovableHandle
from minigrad.tensor import Tensor
from minigrad.versions import bump

from .parameter import Parameter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from typing_extensions import Self

    from minigrad._typing import Array, DTypeLike, TensorLike


class StateDictError(RuntimeError, ValueError):
    """``load_state_dict`` found missing, unexpected or mis-shaped keys (nothing was loaded)."""


# Forward hooks are kept as lists of _Hook records (the handle removes its record).
_global_forward_pre_hooks: list[_Hook] = []
_global_forward_hooks: list[_Hook] = []


class _Hook:
    __slots__ = ("fn", "with_kwargs", "always_call")

    def __init__(self, fn: Callable[..., Any], with_kwargs: bool = False,
                 always_call: bool = False) -> None:
        self.fn, self.with_kwargs, self.always_call = fn, with_kwargs, always_call


def _add_hook(registry: list[_Hook], fn: Callable[..., Any], what: str, prepend: bool = False,
              with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
    if not callable(fn):
        raise TypeError(f"{what}: expected a callable hook, got {type(fn).__name__}")
    record = _Hook(fn, bool(with_kwargs), bool(always_call))
    if prepend:
        registry.insert(0, record)
    else:
        registry.append(record)
    return RemovableHandle(registry, record)


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(module, args)`` before every module's ``forward`` (all modules).

    As :meth:`Module.register_forward_pre_hook`, for every module; global
    pre-hooks run before a module's own. Returns a removable handle.
    """
    return _add_hook(_global_forward_pre_hooks, hook, "register_module_forward_pre_hook")


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after every module's ``forward`` (all modules).

    As :meth:`Module.register_forward_hook`, for every module; global hooks
    run before a module's own. ``always_call=True`` also calls it (with
    ``output=None``) when ``forward`` raises, so a pre-hook that opens a scope
    and this hook that closes it stay balanced. Returns a removable handle.
    """
    return _add_hook(_global_forward_hooks, hook, "register_module_forward_hook",
                     with_kwargs=with_kwargs, always_call=always_call)


def _run_pre_hooks(module: Module, hooks: list[_Hook], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    for h in hooks:
        if h.with_kwargs:
            res = h.fn(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(
                        f"forward pre-hook {getattr(h.fn, '__name__', h.fn)!r} with "
                        f"with_kwargs=True must return None or a tuple (args, kwargs), "
                        f"got {type(res).__name__}")
                args, kwargs = res
        else:
            res = h.fn(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    return args, kwargs


def _call_forward_hook(module: Module, h: _Hook, args: tuple[Any, ...],
                       kwargs: dict[str, Any], output: Any) -> Any:
    if h.with_kwargs:
        return h.fn(module, args, kwargs, output)
    return h.fn(module, args, output)


class Module:
    """Base class: subclass it, assign layers/Parameters in ``__init__``, write ``forward``.

    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(4, 8)      # registered as a submodule
    ...         self.fc2 = nn.Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> [name for name, _ in MLP().named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    _parameters: OrderedDict[str, Parameter | None]
    _modules: OrderedDict[str, Module | None]
    _buffers: OrderedDict[str, Array | None]
    training: bool
    _forward_pre_hooks: list[_Hook]
    _forward_hooks: list[_Hook]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_hooked", False)      # set once a hook is registered

    # ------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() "
                                 f"before assigning '{name}'")
        d.pop("_who_name", None)              # the name in messages may change with it
        params, buffers = d["_parameters"], d["_buffers"]
        if name in params and not isinstance(value, (Parameter, Module)):
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign a "
                                f"{type(value).__name__} as parameter '{name}' "
                                f"(a Parameter or None expected)")
            params[name] = None
            return
        if name in buffers and not isinstance(value, (Parameter, Module)):
            self.register_buffer(name, value)
            return
        for store in (params, d["_modules"], buffers):
            store.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
            d.pop(name, None)
        elif isinstance(value, Module):
            d["_modules"][name] = value
            d.pop(name, None)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_modules", "_buffers"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._modules, self._buffers):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, array: TensorLike | None) -> None:
        """Register non-learnable state (e.g. BatchNorm's running mean) saved in state_dict.

        A buffer is a plain ``np.ndarray`` (or None), reached as ``module.name``;
        assigning to that name later replaces the buffer.
        """
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: invalid buffer name {name!r}")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: '{name}' is already a parameter or submodule")
        if array is not None:
            array = np.asarray(array.data if isinstance(array, Tensor) else array)
        self.__dict__.pop(name, None)
        self._buffers[name] = array

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter for '{name}', "
                            f"got {type(param).__name__}")
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: expected a Module for '{name}', "
                            f"got {type(module).__name__}")
        self._modules[name] = module

    # ------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it and callers use ``module(...)``."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._hooked or _global_forward_pre_hooks or _global_forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``__call__`` when a hook is registered (PyTorch's order and semantics)."""
        args, kwargs = _run_pre_hooks(self, _global_forward_pre_hooks + self._forward_pre_hooks,
                                      args, kwargs)
        post = _global_forward_hooks + self._forward_hooks
        try:
            output = self.forward(*args, **kwargs)
        except BaseException:
            for h in post:
                if h.always_call:
                    try:
                        _call_forward_hook(self, h, args, kwargs, None)
                    except Exception as e:     # the forward's own error is what matters
                        warnings.warn(f"forward hook {getattr(h.fn, '__name__', h.fn)!r} "
                                      f"raised while handling an error in forward: {e!r}")
            raise
        for h in post:
            res = _call_forward_hook(self, h, args, kwargs, output)
            if res is not None:
                output = res
        return output

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward`` of this module.

        ``args`` is the tuple of positional arguments. The hook may return None
        (inputs unchanged) or new inputs (a non-tuple is wrapped into a
        1-tuple). With ``with_kwargs=True`` it is called as
        ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``.
        ``prepend=True`` runs it before the hooks already registered. Returns a
        handle whose ``remove()`` unregisters it.

        >>> h = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        >>> h.remove()
        """
        handle = _add_hook(self._forward_pre_hooks, hook, "register_forward_pre_hook",
                           prepend=prepend, with_kwargs=with_kwargs)
        object.__setattr__(self, "_hooked", True)
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward`` of this module.

        The hook may return None (output unchanged) or a replacement output.
        With ``with_kwargs=True`` it is called as ``hook(module, args, kwargs,
        output)``. ``always_call=True`` calls it even when ``forward`` raises
        (with ``output=None``; the error is re-raised after). ``prepend=True``
        runs it before the hooks already registered. Returns a handle whose
        ``remove()`` unregisters it.

        >>> acts = {}
        >>> h = net.fc1.register_forward_hook(lambda m, args, out: acts.update(fc1=out))
        """
        handle = _add_hook(self._forward_hooks, hook, "register_forward_hook",
                           prepend=prepend, with_kwargs=with_kwargs, always_call=always_call)
        object.__setattr__(self, "_hooked", True)
        return handle

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo: set[int] | None = None,
                      prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self and every submodule, each module once."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """Self and every submodule, each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct submodules."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs in registration order, each distinct Parameter once."""
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mp}.{name}" if mp else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every distinct Parameter once (what an optimizer is given)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Array]]:
        """(dotted name, array) for every registered buffer."""
        for mp, m in self.named_modules(prefix=prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mp}.{name}" if mp else name), b

    def buffers(self) -> Iterator[Array]:
        """Every registered buffer array."""
        for _, b in self.named_buffers():
            yield b

    # --------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Self:
        """Set ``training`` on self and every submodule (Dropout, BatchNorm read it); returns self."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: mode is expected to be a bool, "
                             f"got {type(mode).__name__} {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Self:
        """``train(False)``: Dropout becomes the identity, BatchNorm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad`` (to None, or to zeros in place)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    def requires_grad_(self, flag: bool = True) -> Self:
        """Freeze (False) or unfreeze every parameter of this module."""
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def apply(self, fn: Callable[[Module], object]) -> Self:
        """Call ``fn(module)`` on every submodule (children first) and self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, dtype: DTypeLike | None = None, device: Any = None,
           non_blocking: Any = False) -> Self:
        """Cast floating parameters and buffers to ``dtype`` in place; returns self.

        The Parameter objects stay the same (an optimizer holding them keeps
        working); only their arrays are replaced. As PyTorch's, it takes a dtype,
        a device (``'cpu'`` or ``mg.device('cpu')``: nothing to move; any other
        device raises RuntimeError), both, or a tensor (its dtype).
        """
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif is_device(a):
                device = a
            elif a is not None:
                dtype = a
        if device is not None:
            mg_device(device)           # RuntimeError for anything but the CPU
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: expected a floating dtype, got {dtype}")
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.data = p.data.astype(dtype)
                    if p.grad is not None:
                        p.grad = p.grad.astype(dtype)
            for k, b in m._buffers.items():
                if b is not None and b.dtype.kind == "f":
                    m._buffers[k] = b.astype(dtype)
        return self

    def float(self) -> Self:
        """``to(float32)``."""
        return self.to(np.float32)

    def double(self) -> Self:
        """``to(float64)``."""
        return self.to(np.float64)

    # ----------------------------------------------------------- state dict
    def _state_paths(self, prefix: str = "", active: set[int] | None = None
                     ) -> Iterator[tuple[str, Module, str, str]]:
        """(key, owner, local name, kind) along every path, a shared object under each path."""
        active = set() if active is None else active
        if id(self) in active:          # a module inside itself: stop the cycle
            return
        active.add(id(self))
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, self, name, "param"
        for name, b in self._buffers.items():
            if b is not None:
                yield prefix + name, self, name, "buffer"
        for name, m in self._modules.items():
            if m is not None:
                yield from m._state_paths(f"{prefix}{name}.", active)
        active.discard(id(self))

    def _state_groups(self) -> OrderedDict[str, tuple[Module, str, str, list[str]]]:
        """{first key: (owner, name, kind, [every key naming the same object])}, in order.

        A Parameter shared or tied between modules (or a module used twice) is
        one entry, saved under its first name; PyTorch saves it under each name,
        so ``load_state_dict`` accepts the other names as aliases.
        """
        groups: OrderedDict[str, tuple[Module, str, str, list[str]]] = OrderedDict()
        first: dict[object, str] = {}
        for key, m, name, kind in self._state_paths():
            obj = id(m._parameters[name]) if kind == "param" else (id(m), name)
            if obj not in first:
                first[obj] = key
                groups[key] = (m, name, kind, [key])
            else:
                groups[first[obj]][3].append(key)
        return groups

    def state_dict(self) -> OrderedDict[str, Array]:
        """name -> np.ndarray (a copy) for every parameter and buffer, each object once."""
        out: OrderedDict[str, Array] = OrderedDict()
        for key, (m, name, kind, _) in self._state_groups().items():
            # (the state paths skip None entries)
            v = m._parameters[name].data if kind == "param" else m._buffers[name]  # type: ignore[union-attr]  # noqa: E501
            out[key] = np.array(v, copy=True)
        return out

    def load_state_dict(self, state_dict: Mapping[str, TensorLike],
                        strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy arrays from ``state_dict`` into parameters and buffers (in place).

        Every key and shape is checked before anything is written, so a failed
        load leaves the module unchanged (``StateDictError``, both a
        ``RuntimeError`` and a ``ValueError``, naming every bad key). Mis-shaped
        keys are errors even with ``strict=False``. A shared Parameter may also
        be given under its other names (as PyTorch saves it), which must then
        agree. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a mapping of "
                            f"names to arrays (a state_dict()), got {type(state_dict).__name__}")
        groups = self._state_groups()
        known = {k for g in groups.values() for k in g[3]}
        missing = [k for k, g in groups.items() if not any(a in state_dict for a in g[3])]
        unexpected = [k for k in state_dict if k not in known]
        problems: list[str] = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        plan: list[tuple[Array, Array]] = []
        for m, name, kind, keys in groups.values():
            # (the state paths skip None entries)
            cur: Array = m._parameters[name].data if kind == "param" else m._buffers[name]  # type: ignore[union-attr, assignment]  # noqa: E501
            chosen: tuple[str, Array] | None = None
            for key in (k for k in keys if k in state_dict):
                value = state_dict[key]
                arr = np.asarray(value.data if isinstance(value, Tensor) else value)
                if arr.shape != cur.shape:
                    problems.append(f"'{key}': expected shape {cur.shape}, got {arr.shape}")
                elif arr.dtype.kind not in "biuf":
                    problems.append(f"'{key}': expected a numeric array, got dtype {arr.dtype}")
                elif chosen is None:
                    chosen = (key, arr)
                elif not np.array_equal(arr, chosen[1]):
                    problems.append(f"'{key}' and '{chosen[0]}' name the same shared tensor "
                                    f"but hold different values")
            if chosen is not None:
                plan.append((cur, chosen[1]))
        if problems:
            raise StateDictError(f"{type(self).__name__}.load_state_dict: nothing loaded; "
                                 + "; ".join(problems))
        for cur, arr in plan:
            np.copyto(cur, arr, casting="unsafe")
            bump(cur)
        return missing, unexpected

    # ----------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The layer's settings as shown inside ``Name(...)`` by ``repr``."""
        return ""

    def _who(self) -> str:
        """How error messages name this module, e.g. ``Linear(in_features=4, ...)``.

        Layers check their input on every call and pass this name along, so it is
        built once and kept until an attribute is assigned (``__setattr__`` drops it).
        """
        d = self.__dict__
        who = d.get("_who_name")
        if who is None:
            extra = self.extra_repr()
            who = d["_who_name"] = (f"{type(self).__name__}({extra})" if "\n" not in extra
                                    else type(self).__name__)
        return who

    def __repr__(self) -> str:
        """PyTorch's layout: ``Name(extra)`` or a tree with one ``(name): child`` per line."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(m).replace("\n", "\n  ")
                    for name, m in self._modules.items()]
        head = type(self).__name__ + "("
        if len(lines) == 1 and not children:
            return head + lines[0] + ")"
        if not lines and not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines + children) + "\n)"
