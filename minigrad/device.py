"""Devices: minigrad computes on the CPU only, and says so when asked for another.

PyTorch programs name a device (``x.to(device)``, ``torch.device('cuda' if
torch.cuda.is_available() else 'cpu')``); these names let them run unchanged:
``mg.device('cpu')``, ``mg.cuda.is_available()`` and
``mg.accelerator.is_available()`` (both False), ``mg.set_default_device('cpu')``.
Any other device raises a ``RuntimeError`` saying only the CPU exists.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class device:  # noqa: N801  (PyTorch's name)
    """A device name; only ``'cpu'`` (optionally ``'cpu:0'``) exists.

    >>> mg.device('cpu')
    device(type='cpu')
    """

    __slots__ = ("type",)
    type: str

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        name = type.type if isinstance(type, device) else type
        if not isinstance(name, str):
            raise TypeError(f"device: expected a device name such as 'cpu', got "
                            f"{name.__class__.__name__}")
        base, _, idx = name.partition(":")
        if base != "cpu" or (idx not in ("", "0")) or index not in (None, 0):
            shown = name if index is None else f"{name}:{index}"
            raise RuntimeError(f"device {shown!r}: minigrad runs on the CPU only; "
                               f"expected 'cpu'")
        self.type = "cpu"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, device):
            return True
        return other in ("cpu", "cpu:0")

    def __hash__(self) -> int:
        return hash("cpu")

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"


CPU = device("cpu")


def is_device(value: Any) -> bool:
    """Whether ``value`` names a device (a ``device`` or a string that is not a dtype name)."""
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        return value.partition(":")[0] in _DEVICE_NAMES
    return False


# names PyTorch accepts as device types: all but 'cpu' are refused by device()
_DEVICE_NAMES = frozenset({"cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu",
                           "mtia", "hpu", "privateuseone", "vulkan", "ve", "lazy"})


def set_default_device(dev: str | device | None) -> None:
    """Accept ``'cpu'`` (or None) as the default device; any other raises RuntimeError."""
    if dev is not None:
        device(dev)


def _not_available() -> bool:
    """False: minigrad has no accelerator."""
    return False


def _device_count() -> int:
    """0: minigrad has no accelerator."""
    return 0


#: ``mg.cuda.is_available()`` -> False, ``mg.cuda.device_count()`` -> 0
cuda = SimpleNamespace(is_available=_not_available, device_count=_device_count)
#: ``mg.accelerator.is_available()`` -> False
accelerator = SimpleNamespace(is_available=_not_available, device_count=_device_count)
