"""Anomaly mode: name the op, and the line of user code, where a NaN or an infinity appears.

Inside ``with mg.detect_anomaly():`` (or after ``mg.set_detect_anomaly(True)``)
every op's output is checked as it is computed. The first op whose output holds
a NaN or an infinity while all of its inputs were finite raises
:class:`AnomalyError`, naming the op, its input shapes and dtypes and the
``file:line`` of the first stack frame outside minigrad (the user's line that
called it, through any number of ``nn`` modules). In the reverse pass, the
first node whose backward turns a finite incoming gradient into a non-finite
gradient for one of its inputs raises the same error (unless its forward already
saw a NaN or infinity), naming the node's op and the line that created the node
in forward (recorded, for each node, only while anomaly mode is on).

>>> import minigrad as mg
>>> x = mg.tensor([1.0, 0.0], requires_grad=True)
>>> with mg.detect_anomaly():
...     y = x.log()                             # doctest: +SKIP
AnomalyError: Log returned a non-finite value (-inf) from finite inputs ...

Non-finite values that were already in an op's inputs raise nothing (they are
reported where they first appeared, or were given by the user). Pure
observation: the mode subscribes an op hook and a backward observer in
:mod:`minigrad.hooks` while some thread has it on and removes them when the
last one turns it off, so with it off minigrad runs exactly the code it runs
without this module. The switch is per thread, like grad mode (a
``contextvars.ContextVar``: a new thread starts with it off; an asyncio task
inherits its creator's setting). Cost when on: an ``isfinite`` pass and one
reduction per op output and per gradient, plus a short stack walk per op (about
1.1x on an MLP step, 2.4x on a tiny step dominated by per-op overhead:
``benchmarks/anomaly_cpu.py``).
"""
from __future__ import annotations

import contextvars
import functools
import linecache
import sys
import threading
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import hooks

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType
    from typing import ParamSpec, TypeVar

    from ._typing import Array
    from .function import Context
    from .tensor import Tensor

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

__all__ = ["AnomalyError", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

# (enabled, check_nan) for the current thread
_mode: contextvars.ContextVar[tuple[bool, bool]] = contextvars.ContextVar(
    "minigrad_detect_anomaly", default=(False, True))
_lock = threading.Lock()
_users = 0                                  # contexts with the mode on (hooks installed iff > 0)
_handles: list[hooks.RemovableHandle] = []
_SITE = "_anomaly_site"             # node attribute: (file, line) of its creation
_TAINTED = "_anomaly_tainted"       # node attribute: its forward saw a non-finite input


class AnomalyError(RuntimeError):
    """Raised in anomaly mode where a NaN or infinity first appears: the message names the
    op, its input shapes and dtypes, and the user's source line (``file:line``)."""


def is_anomaly_enabled() -> bool:
    """True when anomaly mode is on in the current thread."""
    return _mode.get()[0]


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode is on and checks values for NaN and infinity (the default)."""
    on, check = _mode.get()
    return on and check


def _set(mode: tuple[bool, bool]) -> None:
    """Set the current thread's mode, installing or removing the hooks as needed."""
    global _users
    was = _mode.get()[0]
    _mode.set(mode)
    if was == mode[0]:
        return
    with _lock:
        _users = _users + 1 if mode[0] else max(_users - 1, 0)
        if _users and not _handles:
            _handles.append(hooks.register_op_hook(_check_forward))
            _handles.append(hooks.register_backward_observer(_check_backward))
        elif not _users:
            for h in _handles:
                h.remove()
            _handles.clear()


class set_detect_anomaly:
    """Turn anomaly mode on or off for the current thread, now.

    ``mode``: on or off. ``check_nan``: with False, nodes still record their
    creation line but no value is checked (PyTorch's flag of the same name).
    Used as a context manager, the previous setting comes back on exit::

        mg.set_detect_anomaly(True)            # on from here
        with mg.set_detect_anomaly(False):     # off inside, back on after
            ...
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_detect_anomaly: mode must be a bool, got "
                            f"{type(mode).__name__} {mode!r}")
        if not isinstance(check_nan, (bool, np.bool_)):
            raise TypeError(f"set_detect_anomaly: check_nan must be a bool, got "
                            f"{type(check_nan).__name__} {check_nan!r}")
        self._prev = _mode.get()
        _set((bool(mode), bool(check_nan)))

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> Literal[False]:
        _set(self._prev)
        return False


class detect_anomaly:
    """Context manager and decorator: anomaly mode on inside, the previous setting after.

    Nestable and per thread. ``check_nan`` as in :class:`set_detect_anomaly`.

    >>> with mg.detect_anomaly():
    ...     loss = model(x).sum()
    ...     loss.backward()           # raises AnomalyError at the first NaN / inf
    >>> @mg.detect_anomaly()
    ... def step(batch): ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        if not isinstance(check_nan, (bool, np.bool_)):
            raise TypeError(f"detect_anomaly: check_nan must be a bool, got "
                            f"{type(check_nan).__name__} {check_nan!r}")
        self.check_nan = bool(check_nan)
        self._prev: list[tuple[bool, bool]] = []     # a stack: one object may be re-entered

    def __enter__(self) -> None:
        self._prev.append(_mode.get())
        _set((True, self.check_nan))

    def __exit__(self, *exc: object) -> Literal[False]:
        _set(self._prev.pop())
        return False

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        check_nan = self.check_nan

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with detect_anomaly(check_nan):
                return func(*args, **kwargs)
        return wrapper


# ------------------------------------------------------------------ the checks
_isfinite, _all = np.isfinite, np.logical_and.reduce


def _finite(a: Any) -> bool:
    """True unless ``a`` (an array or a Python number) is floating and holds a NaN or an
    infinity (one ufunc and one reduction: no reduction whose overflow would warn)."""
    if type(a) is np.ndarray:
        if a.dtype.kind not in "fc":
            return True
        return bool(_all(_isfinite(a), axis=None))
    if isinstance(a, (float, complex, np.floating, np.complexfloating)):
        return bool(np.isfinite(a))
    return True


_outside: dict[CodeType, bool] = {}     # code object -> not minigrad's (filled as met)


def _user_site(depth: int = 1) -> tuple[str, int] | None:
    """(file, line) of the innermost frame whose module is not minigrad (nor its nn, optim),
    starting ``depth`` frames up (1: the caller; ``_check_forward`` passes 3 to start at
    the caller of ``Function.apply``, which calls the op hooks itself)."""
    f: FrameType | None = sys._getframe(depth)
    while f is not None:
        code = f.f_code
        outside = _outside.get(code)
        if outside is None:
            if len(_outside) > 50_000:        # (code made by exec() each time: stay bounded)
                _outside.clear()
            mod = f.f_globals.get("__name__", "")
            outside = _outside[code] = not (mod == "minigrad" or mod.startswith("minigrad."))
        if outside:
            return code.co_filename, f.f_lineno
        f = f.f_back
    return None


def _describe_site(site: tuple[str, int] | None) -> str:
    if site is None:
        return "from inside minigrad (no caller outside it)"
    text = linecache.getline(*site).strip()
    return f"at {site[0]}:{site[1]}" + (f"\n    {text}" if text else "")


def _what(a: Array) -> str:
    """'nan', '-inf', 'inf' or a combination: which non-finite values ``a`` holds."""
    kinds = []
    if np.isnan(a).any():
        kinds.append("nan")
    if np.isneginf(a).any():
        kinds.append("-inf")
    if np.isposinf(a).any():
        kinds.append("inf")
    return ", ".join(kinds)


def _describe_inputs(arrays: tuple[Any, ...]) -> str:
    parts = []
    for a in arrays:
        a = getattr(a, "data", a)
        if isinstance(a, np.ndarray):
            parts.append(f"{a.shape} {a.dtype}")
        else:
            parts.append(f"{type(a).__name__} {a!r}")
    return "; ".join(parts) if parts else "none"


def _check_forward(node: Context | None, inputs: tuple[Any, ...], output: Tensor) -> None:
    on, check = _mode.get()
    if not on:
        return
    if node is not None:
        node.__dict__[_SITE] = _user_site(3)
    if not check or _finite(output.data):
        return
    if not all(_finite(getattr(x, "data", x)) for x in inputs):
        if node is not None:               # so its backward's non-finite gradient is no news
            setattr(node, _TAINTED, True)
        return                             # already non-finite before this op
    name = _op_name() if node is None else node.name
    site = _user_site() if node is None else getattr(node, _SITE)
    raise AnomalyError(
        f"{name} returned a non-finite value ({_what(output.data)}) from finite inputs "
        f"(input shapes and dtypes: {_describe_inputs(inputs)}), called "
        f"{_describe_site(site)}")


def _op_name() -> str:
    """The name of the op whose ``apply`` called the hooks (an unrecorded op has no node)."""
    f: FrameType | None = sys._getframe(1)
    while f is not None:
        if f.f_code.co_name == "apply":
            cls = f.f_locals.get("cls")
            if cls is not None:
                return str(getattr(cls, "name", cls.__name__))
        f = f.f_back
    return "an op"


def _check_backward(node: Context, grad_output: Array,
                    grad_inputs: tuple[Array | None, ...]) -> None:
    on, check = _mode.get()
    if not on or not check or not _finite(grad_output):
        return
    for i, g in enumerate(grad_inputs):
        if g is None or _finite(np.asarray(g)):
            continue
        if hasattr(node, _TAINTED) or not all(p is None or _finite(p.data)
                                              for p in node.parents):
            return                         # its forward already had a NaN or inf
        shapes = "; ".join("constant" if p is None else f"{p.shape} {p.dtype}"
                           for p in node.parents)
        where = (_describe_site(getattr(node, _SITE)) if hasattr(node, _SITE) else
                 "while anomaly mode was off (so its line was not recorded)")
        raise AnomalyError(
            f"{node.name}.backward returned a non-finite gradient "
            f"({_what(np.asarray(g))}) for its input {i} from a finite incoming "
            f"gradient (input shapes and dtypes: {shapes}); the {node.name} node was "
            f"created {where}")
