"""Fused losses whose composition from basic ops would be slow or unstable.

Class scores sit on axis 1 (``(N, C)`` or ``(N, C, d1, ...)``, as PyTorch);
``reduction`` is ``'mean'`` (over every loss term), ``'sum'`` or ``'none'``.

* CrossEntropy, integer targets t: ``l = -log_softmax(x)[t]``;
  ``dl/dx = softmax(x) - onehot(t)``. With class-probability targets q (same
  shape as x): ``l = -sum_c q_c log_softmax(x)_c``;
  ``dl/dx = softmax(x) sum_c q_c - q``, ``dl/dq = -log_softmax(x)``.
  The log-softmax is max-shifted, so logits of any size are safe. With PyTorch's
  ``label_smoothing`` e over C classes the target is q' = (1 - e) q + e / C
  (q the one-hot of t, or the given probabilities): ``l = -sum_c q'_c
  log_softmax(x)_c``, ``dl/dx = softmax(x) sum_c q'_c - q'``.
* NLL (input already log-probabilities): ``l = -x[t]``; ``dl/dx = -onehot(t)``.
* BCE (input probabilities p): ``l = -(t log p + (1 - t) log(1 - p))`` with each log
  clamped at -100 and ``dl/dp = (p - t) / max(p (1 - p), 1e-12)``, as PyTorch.
* BCEWithLogits: ``l = max(x, 0) - x t + log(1 + exp(-|x|))`` (never overflows);
  ``dl/dx = sigmoid(x) - t``, ``dl/dt = -x``.
"""
import numpy as np

from ..function import Function
from .elementwise import _sigmoid


def _reduce(loss, reduction):
    if reduction == "mean":
        return np.asarray(loss.mean())
    if reduction == "sum":
        return np.asarray(loss.sum())
    return loss


def _spread(g, shape, reduction):
    """dL/d(loss terms) of ``shape`` from dL/d(reduced loss) ``g``."""
    if reduction == "mean":
        return np.broadcast_to(g * (1.0 / max(int(np.prod(shape)), 1)), shape)
    if reduction == "sum":
        return np.broadcast_to(g, shape)
    return g


def _log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class CrossEntropy(Function):
    @staticmethod
    def forward(ctx, x, target, reduction="mean", label_smoothing=0.0):
        logp = _log_softmax(x)
        eps = label_smoothing
        if target.dtype.kind == "f":                       # class probabilities
            q = target if not eps else target * (1 - eps) + eps / x.shape[1]
            loss = -(q * logp).sum(axis=1)
        else:                                              # class indices
            loss = -np.take_along_axis(logp, target[:, None], axis=1)[:, 0]
            if eps:
                loss = (1 - eps) * loss - (eps / x.shape[1]) * logp.sum(axis=1)
        ctx.saved = (logp, target, reduction, loss.shape, eps)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        logp, target, reduction, shape, eps = ctx.saved
        g = _spread(g, shape, reduction)[:, None]
        p = np.exp(logp)
        if target.dtype.kind == "f":
            q = target if not eps else target * (1 - eps) + eps / p.shape[1]
            gx = (p * q.sum(axis=1, keepdims=True) - q) * g
            gt = -(1 - eps) * logp * g if ctx.needs_input_grad[1] else None
            return gx, gt
        np.put_along_axis(p, target[:, None],
                          np.take_along_axis(p, target[:, None], axis=1) - (1 - eps), axis=1)
        if eps:
            p -= eps / p.shape[1]
        return p * g, None


class NLL(Function):
    @staticmethod
    def forward(ctx, logp, target, reduction="mean"):
        loss = -np.take_along_axis(logp, target[:, None], axis=1)[:, 0]
        ctx.saved = (logp.shape, logp.dtype, target, reduction, loss.shape)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, target, reduction, lshape = ctx.saved
        gx = np.zeros(shape, dtype=dtype)
        np.put_along_axis(gx, target[:, None], -_spread(g, lshape, reduction)[:, None], axis=1)
        return gx, None


class BCEWithLogits(Function):
    @staticmethod
    def forward(ctx, x, t, reduction="mean"):
        loss = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        ctx.saved = (x, t, reduction, loss.shape)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, reduction, shape = ctx.saved
        g = _spread(g, shape, reduction)
        need_x, need_t = ctx.needs_input_grad
        return ((_sigmoid(x) - t) * g if need_x else None,
                -x * g if need_t else None)


class BCE(Function):
    @staticmethod
    def forward(ctx, p, t, reduction="mean"):
        with np.errstate(divide="ignore"):
            logp = np.maximum(np.log(p), -100)
            log1mp = np.maximum(np.log1p(-p), -100)
        loss = -(t * logp + (1 - t) * log1mp)
        ctx.saved = (p, t, logp, log1mp, reduction, loss.shape)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        p, t, logp, log1mp, reduction, shape = ctx.saved
        g = _spread(g, shape, reduction)
        need_p, need_t = ctx.needs_input_grad
        return ((p - t) / np.maximum(p * (1 - p), 1e-12) * g if need_p else None,
                (log1mp - logp) * g if need_t else None)
