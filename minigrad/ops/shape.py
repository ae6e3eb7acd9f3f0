"""Shape ops: they move elements around, so backward moves gradients back.

``flatten``, ``squeeze`` and ``unsqueeze`` are reshapes; ``expand`` is a
broadcast whose backward is the tape's own unbroadcast.
"""
import numpy as np

from ..function import Function


class Reshape(Function):
    """The same elements in ``shape``; the gradient is reshaped back to x's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.saved = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return np.reshape(g, ctx.saved)


class Transpose(Function):
    """Permute axes as ``np.transpose`` (None reverses them)."""

    @staticmethod
    def forward(ctx, x, axes=None):
        if axes is not None:
            axes = tuple(a + x.ndim if a < 0 else a for a in axes)   # argsort: no negatives
        ctx.saved = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        axes = ctx.saved
        return np.transpose(g, None if axes is None else np.argsort(axes))


class Expand(Function):
    """Broadcast to ``shape`` (a read-only view); the tape sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class Concatenate(Function):
    """Join arrays along an existing ``axis``; backward splits the gradient."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.saved = (np.cumsum([x.shape[axis] for x in xs[:-1]]), axis)
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        bounds, axis = ctx.saved
        return tuple(np.split(g, bounds, axis=axis))


class Stack(Function):
    """Join arrays along a new ``axis``; backward takes each slice back out."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        y = np.stack(xs, axis=axis)
        ctx.saved = axis % y.ndim
        return y

    @staticmethod
    def backward(ctx, g):
        axis = ctx.saved
        return tuple(np.moveaxis(g, axis, 0))
