"""Reductions and the normalised exponentials (softmax, log-softmax).

Every reduction takes NumPy's ``axis`` (None, an int or a tuple) and
``keepdims``; its backward re-inserts the reduced axes (``_expand``) and lets
broadcasting spread the gradient over them.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

import numpy as np

from ..function import Function


def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else a for a in axis))


def _expand(g, shape, axis, keepdims):
    """Give ``g`` back the reduced axes as size-1 axes (``shape``: the input's).

    With ``axis=None`` and no keepdims, ``g`` is 0-d and broadcasts as it is.
    Negative axes index the list directly, so no normalisation is needed.
    """
    if keepdims or axis is None:
        return g
    kept = list(shape)
    if type(axis) is tuple:
        for a in axis:
            kept[a] = 1
    else:
        kept[axis] = 1
    return g.reshape(kept)


def _spread(g, shape):
    """A fresh writable array of ``shape`` filled by broadcasting ``g`` into it."""
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def _count(shape, axis):
    return int(np.prod([shape[a] for a in _norm_axes(axis, len(shape))]))


class Sum(Function):
    """Sum over ``axis`` (None: all); d/dx spreads the gradient over the summed axes."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.saved = (x.shape, axis, keepdims)
        return np.add.reduce(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        shape, axis, keepdims = ctx.saved
        return _spread(_expand(g, shape, axis, keepdims), shape)


class Mean(Function):
    """Mean over ``axis`` = sum / n, with n the number of elements reduced."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        y = np.add.reduce(x, axis=axis, keepdims=keepdims)
        n = x.size // (y.size or 1)     # (y: an array or a NumPy scalar, both have .size)
        ctx.saved = (x.shape, axis, keepdims, n)
        return y / n                    # 0/0 -> nan with a warning, as np.mean

    @staticmethod
    def backward(ctx, g):
        shape, axis, keepdims, n = ctx.saved
        if axis is not None and not keepdims:   # (_expand's own test, without its call)
            g = _expand(g, shape, axis, keepdims)
        out = np.empty(shape, dtype=g.dtype)    # _spread(g * (1/n)) in one operation
        np.multiply(g, 1.0 / n if n else 0.0, out=out)
        return out


class Var(Function):
    """Variance with ``ddof`` (0: biased, 1: unbiased), as ``np.var``."""

    @staticmethod
    def forward(ctx, x, axis=None, ddof=0, keepdims=False):
        centered = x - np.mean(x, axis=axis, keepdims=True)
        ctx.saved = (centered, axis, ddof, keepdims)
        return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        centered, axis, ddof, keepdims = ctx.saved
        n = _count(centered.shape, axis) - ddof
        g = _expand(g, centered.shape, axis, keepdims)
        if n > 0:
            return g * centered * (2.0 / n)
        # no degrees of freedom (the forward is inf, or nan at zero spread): PyTorch's
        # gradient, +inf times g, and nan where x equals the mean (0 * inf)
        return g * np.where(centered == 0, np.nan, np.inf).astype(centered.dtype)


class Std(Function):
    """Standard deviation with ``ddof``, as ``np.std``."""

    @staticmethod
    def forward(ctx, x, axis=None, ddof=0, keepdims=False):
        centered = x - np.mean(x, axis=axis, keepdims=True)
        y = np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)
        ctx.saved = (centered, y, axis, ddof, keepdims)
        return y

    @staticmethod
    def backward(ctx, g):
        centered, y, axis, ddof, keepdims = ctx.saved
        n = max(_count(centered.shape, axis) - ddof, 0)   # as np.std: inf or nan when <= 0
        shape = centered.shape
        y = _expand(y, shape, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = _expand(g, shape, axis, keepdims) * centered / (n * y)
        return np.where(y == 0, 0, grad)      # zero spread: 0 as PyTorch gives, not 0/0


class _Extreme(Function):
    """max / min over ``axis``; tied extremes share the gradient equally."""
    reduce: ClassVar[Callable[..., Any]]      # np.max or np.min, set by each subclass

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False):
        y = cls.reduce(x, axis=axis, keepdims=keepdims)
        ctx.saved = (x, y, axis, keepdims)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y, axis, keepdims = ctx.saved
        mask = x == _expand(y, x.shape, axis, keepdims)
        share = mask / mask.sum(axis=axis, keepdims=True)
        return _expand(g, x.shape, axis, keepdims) * share


class Max(_Extreme):
    """Maximum over ``axis`` (``np.max``); ties share the gradient equally."""
    reduce = staticmethod(np.max)


class Min(_Extreme):
    """Minimum over ``axis`` (``np.min``); ties share the gradient equally."""
    reduce = staticmethod(np.min)


class Softmax(Function):
    """exp(x - max) / sum(exp(x - max)) along ``axis`` (max-shifted, never overflows)."""

    @staticmethod
    def forward(ctx, x, axis=-1):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        y = e / np.sum(e, axis=axis, keepdims=True)
        ctx.saved = (y, axis)
        return y

    @staticmethod
    def backward(ctx, g):
        y, axis = ctx.saved
        gy = g * y
        return gy - y * np.sum(gy, axis=axis, keepdims=True)


class LogSoftmax(Function):
    """x - max - log(sum(exp(x - max))) along ``axis``."""

    @staticmethod
    def forward(ctx, x, axis=-1):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.saved = (y, axis)
        return y

    @staticmethod
    def backward(ctx, g):
        y, axis = ctx.saved
        return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


class LogSumExp(Function):
    """log sum exp(x) over ``axis``, computed as m + log sum exp(x - m) (m = max, so it
    neither overflows nor, for an all -inf slice, gives nan); d/dx = exp(x - y)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):          # an all -inf slice: -inf, as torch
            y = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
        ctx.saved = (x, y, axis, keepdims)
        return y if keepdims else np.squeeze(y, axis=_norm_axes(axis, x.ndim))

    @staticmethod
    def backward(ctx, g):
        x, y, axis, keepdims = ctx.saved
        return _expand(g, x.shape, axis, keepdims) * np.exp(x - y)


class CumSum(Function):
    """Running sums along ``axis`` (``np.cumsum``); the gradient is the running sum of
    g taken from the other end."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.saved = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.saved
        return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


class Prod(Function):
    """Product over ``axis``; d/dx_i = the product of the other elements, formed from
    prefix and suffix products (exact with zeros in x, no division)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.saved = (x, axis, keepdims)
        return np.prod(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        x, axis, keepdims = ctx.saved
        axes = _norm_axes(axis, x.ndim)
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + list(axes))
        flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
        ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], axis=-1),
                                           -1), axis=-1), -1)
        others = (before * after).reshape(moved.shape)
        return _expand(g, x.shape, axis, keepdims) * np.transpose(
            others, np.argsort(rest + list(axes)))
