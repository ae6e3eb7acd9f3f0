"""PyTorch names that need no op of their own: ``inference_mode`` and the legacy
typed constructors ``FloatTensor``, ``DoubleTensor``, ``LongTensor``.

``inference_mode`` is :class:`~minigrad.tape.no_grad` (minigrad has no separate
inference tensors); the constructors make tensors of one dtype, as PyTorch's
``torch.FloatTensor(2, 3)`` (uninitialised, of that shape) and
``torch.LongTensor([1, 2])`` (a copy of the data) do.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .tape import no_grad
from .tensor import Tensor, tensor

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

_F = TypeVar("_F", bound="Callable[..., Any]")


class inference_mode:  # noqa: N801  (PyTorch's name)
    """``no_grad()`` under PyTorch's other name: a context manager and a decorator
    (``@inference_mode()`` or bare ``@inference_mode``); ``inference_mode(False)``
    changes nothing, as PyTorch's."""

    def __init__(self, mode: bool | Callable[..., Any] = True) -> None:
        self._func = mode if callable(mode) else None
        self._mode = True if callable(mode) else bool(mode)
        self._inner: no_grad | None = None
        if self._func is not None:
            functools.update_wrapper(self, self._func)

    def __enter__(self) -> None:
        if self._mode:
            self._inner = no_grad()
            self._inner.__enter__()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.__exit__(kind, value, tb)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._func is not None:                  # bare @inference_mode
            with inference_mode(True):
                return self._func(*args, **kwargs)
        (func,) = args
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*a: Any, **k: Any) -> Any:
            with inference_mode(mode):
                return func(*a, **k)
        return wrapper


def _typed(name: str, dtype: type[np.generic]) -> Callable[..., Tensor]:
    def make(*args: Any) -> Tensor:
        if not args:
            return Tensor._wrap(np.empty((0,), dtype))
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return Tensor._wrap(np.empty(tuple(int(a) for a in args), dtype))
        if len(args) != 1:
            raise TypeError(f"{name}: expected sizes (ints) or one sequence of data, got "
                            f"{args!r}")
        return tensor(args[0], dtype=dtype)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"PyTorch's legacy ``torch.{name}``: ``{name}(2, 3)`` is an "
                    f"uninitialised {np.dtype(dtype)} tensor of that shape, "
                    f"``{name}(data)`` a {np.dtype(dtype)} copy of ``data``.")
    return make


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
LongTensor = _typed("LongTensor", np.int64)
