"""Normalisation over a set of axes: the one op behind every norm layer.

BatchNorm, LayerNorm, GroupNorm and InstanceNorm differ only in which axes
the statistics run over (and what is done with them afterwards), so they all
call :class:`Normalize`. With the biased statistics over ``axes`` (m values)::

    mu = mean(x),  var = mean((x - mu)^2),  r = 1 / sqrt(var + eps)
    xhat = (x - mu) * r

and backward, for upstream gradient g (means over ``axes``)::

    dx = r * (g - mean(g) - xhat * mean(g * xhat))

The learnable affine part ``xhat * weight + bias`` is ordinary broadcasting
arithmetic in the layers.
"""
import numpy as np

from ..function import Function


class Normalize(Function):
    """``(x - mean) / sqrt(var + eps)`` over ``axes``; ``stats`` (a list) receives (mean, var)."""

    @staticmethod
    def forward(ctx, x, axes=-1, eps=1e-5, stats=None):
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        r = 1.0 / np.sqrt(var + eps)
        xhat = xc * r
        if stats is not None:
            stats[:] = [mu, var]
        ctx.saved = (xhat, r, axes)
        return xhat

    @staticmethod
    def backward(ctx, g):
        xhat, r, axes = ctx.saved
        return r * (g - g.mean(axis=axes, keepdims=True)
                    - xhat * np.mean(g * xhat, axis=axes, keepdims=True))
