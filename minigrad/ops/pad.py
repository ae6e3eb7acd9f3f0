"""Padding, as PyTorch's ``F.pad``: the op and the function.

``Pad`` writes x into the middle of a larger array filled with a constant; its
gradient is the same middle slice of g. The other modes (``'reflect'``,
``'replicate'``, ``'circular'``) take existing elements, so they are index
lookups (a GetItem per padded axis: the gradient of an element used several
times adds up); negative pads crop, as PyTorch's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, tensor_arg
from .indexing import GetItem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import TensorOrArray

_INDEX_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


class Pad(Function):
    """``np.pad(x, widths, constant_values=value)``; dL/dx = g's middle."""

    @staticmethod
    def forward(ctx, x, widths=(), value=0.0):
        ctx.widths = widths
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[tuple(slice(b, n - a) for (b, a), n in zip(ctx.widths, g.shape))]


def pad(input: TensorOrArray, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """Pad ``input`` as ``torch.nn.functional.pad``: ``pad`` lists (before, after)
    pairs from the last axis backwards -- ``(1, 2)`` pads the last axis with 1 in
    front and 2 behind, ``(1, 1, 2, 2)`` also the second last. Negative amounts
    crop. ``mode``: ``'constant'`` (``value``, default 0), ``'reflect'`` (mirror
    without the edge; each pad smaller than the side), ``'replicate'`` (repeat the
    edge) or ``'circular'`` (wrap around; each pad at most the side). The output
    grows by the pads; differentiable in every mode."""
    x = tensor_arg(input, "pad")
    amounts = list(pad) if isinstance(pad, (tuple, list)) else None
    if amounts is None or len(amounts) % 2 or len(amounts) // 2 > x.ndim or any(
            isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in amounts):
        raise ValueError(f"pad: expected an even number (at most 2 * {x.ndim}) of int pads, "
                         f"got {pad!r}")
    if mode not in ("constant", *_INDEX_MODES):
        raise ValueError(f"pad: expected mode 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    if mode != "constant" and value:
        raise ValueError(f"pad: value is only for mode 'constant', got mode {mode!r}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(amounts) // 2):
        widths[x.ndim - 1 - i] = (int(amounts[2 * i]), int(amounts[2 * i + 1]))
    if any(b < 0 or a < 0 for b, a in widths):          # negative pads crop first
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))
        if any(s.start > s.stop for s in crop):
            raise ValueError(f"pad: pads {pad!r} crop more than the shape {x.shape} holds")
        x = GetItem.apply(x, crop)
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    if mode == "constant":
        if not any(b or a for b, a in widths):
            return x
        return Pad.apply(x, widths=tuple(widths), value=0.0 if value is None else value)
    for axis, (b, a) in enumerate(widths):
        if b or a:
            x = GetItem.apply(x, (slice(None),) * axis + (_lookup(mode, x.shape[axis], b, a),))
    return x


def _lookup(mode: str, n: int, before: int, after: int) -> Any:
    """The source position of each output position along one padded axis."""
    limit = n - 1 if mode == "reflect" else n
    if mode != "replicate" and max(before, after) > limit:
        raise ValueError(f"pad: mode {mode!r} needs pads of at most {limit} on a side of "
                         f"{n}, got ({before}, {after})")
    return np.pad(np.arange(n), (before, after), mode=_INDEX_MODES[mode])  # type: ignore[call-overload]
