"""Scaled dot-product attention as one fused op, forward and backward side by side.

Shapes: q ``(..., L, E)``, k ``(..., S, E)``, v ``(..., S, Ev)``, batch axes ``...``
broadcast as in ``np.matmul``; an optional additive ``bias`` broadcasts against the
logits ``(..., L, S)``; ``allowed`` (boolean, True = take part) likewise. With
``c = scale`` (PyTorch's default ``1/sqrt(E)``) and ``keep`` the dropout mask
already divided by ``1 - p``::

    S  = c q k^T + bias,  -inf where not allowed          (..., L, S)
    P  = softmax(S) along the last axis, max-shifted       (..., L, S)
    Pd = P * keep                                          (dropout on the weights)
    y  = Pd v                                              (..., L, Ev)

Backward, with G = dL/dy::

    dv = Pd^T G      dPd = G v^T      dP = dPd * keep
    dS = P * (dP - rowsum(dP * P))
    dq = c dS k      dk = c dS^T q    dbias = dS

Every product is one ``np.matmul`` over all stacked batch and head axes; the tape
sums the gradients of broadcast inputs back to their shapes. A row in which no key
is allowed (every logit ``-inf``) gives zeros in y and zero gradients, as
PyTorch 2.13's ``scaled_dot_product_attention`` does. Only P (and the dropout mask)
is kept besides the inputs.

:class:`AttentionWeights` is the first half alone (P, differentiable), for callers
that must return the weights (``nn.MultiheadAttention(need_weights=True)``); as
PyTorch's softmax, it gives NaN in a row with no allowed key.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..function import Context, Function

if TYPE_CHECKING:
    from .._typing import Array


def _logits(q: Array, k: Array, bias: Array | None, allowed: Array | None,
            scale: float) -> Array:
    """``scale q k^T + bias``, ``-inf`` where not ``allowed``."""
    s = np.matmul(q * np.asarray(scale, dtype=q.dtype), np.swapaxes(k, -1, -2))
    if bias is not None:
        fits = np.broadcast_shapes(s.shape, bias.shape) == s.shape
        s = np.add(s, bias, out=s) if fits else s + bias
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
    return s


def _softmax(s: Array, empty_rows_zero: bool) -> Array:
    """Softmax along the last axis, in place in ``s``; rows of all ``-inf`` -> 0 or NaN."""
    m = s.max(axis=-1, keepdims=True)
    if empty_rows_zero:
        m[m == -np.inf] = 0.0
    s -= m
    np.exp(s, out=s)
    d = s.sum(axis=-1, keepdims=True)
    if empty_rows_zero:
        d[d == 0] = 1.0
    s /= d
    return s


def _softmax_grad(p: Array, dp: Array) -> Array:
    """dL/dS from dL/dP for P = softmax(S): ``P * (dP - rowsum(dP * P))``, in place in dp."""
    dot = np.einsum("...j,...j->...", dp, p)[..., None]
    dp -= dot
    dp *= p
    return dp


def _qk_grads(ctx: Context, ds: Array, q: Array, k: Array, scale: float
              ) -> tuple[Array | None, Array | None]:
    need_q, need_k = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    c = np.asarray(scale, dtype=ds.dtype)
    dq = np.matmul(ds, k) * c if need_q else None
    dk = np.matmul(np.swapaxes(ds, -1, -2), q) * c if need_k else None
    return dq, dk


class ScaledDotProductAttention(Function):
    """``softmax(scale q k^T + bias, masked) * keep @ v``: see the module docstring."""

    @staticmethod
    def forward(ctx: Context, q: Array, k: Array, v: Array, bias: Array | None = None,
                *, allowed: Array | None = None, scale: float = 1.0,
                keep: Array | None = None) -> Array:
        p = _softmax(_logits(q, k, bias, allowed, scale), empty_rows_zero=True)
        pd = p * keep if keep is not None else p
        ctx.save_for_backward(q, k, v, p, keep)
        ctx.scale = scale
        return np.matmul(pd, v)

    @staticmethod
    def backward(ctx: Context, g: Array) -> tuple[Any, ...]:
        q, k, v, p, keep = ctx.saved
        need_v = ctx.needs_input_grad[2]
        pd = p * keep if keep is not None else p
        dv = np.matmul(np.swapaxes(pd, -1, -2), g) if need_v else None
        dp = np.matmul(g, np.swapaxes(v, -1, -2))
        if keep is not None:
            dp *= keep
        ds = _softmax_grad(p, dp)
        dq, dk = _qk_grads(ctx, ds, q, k, ctx.scale)
        dbias = ds if ctx.needs_input_grad[3] else None
        return dq, dk, dv, dbias


class AttentionWeights(Function):
    """``P = softmax(scale q k^T + bias, masked)`` alone: q ``(..., L, E)``, k ``(..., S, E)``
    -> ``(..., L, S)``; NaN in a row with no allowed key (PyTorch's softmax)."""

    @staticmethod
    def forward(ctx: Context, q: Array, k: Array, bias: Array | None = None,
                *, allowed: Array | None = None, scale: float = 1.0) -> Array:
        with np.errstate(invalid="ignore"):
            p = _softmax(_logits(q, k, bias, allowed, scale), empty_rows_zero=False)
        ctx.save_for_backward(q, k, p)
        ctx.scale = scale
        return p

    @staticmethod
    def backward(ctx: Context, g: Array) -> tuple[Any, ...]:
        q, k, p = ctx.saved
        ds = _softmax_grad(p, np.array(g, dtype=p.dtype, copy=True))
        dq, dk = _qk_grads(ctx, ds, q, k, ctx.scale)
        dbias = ds if ctx.needs_input_grad[2] else None
        return dq, dk, dbias
