"""The RBM's free energy as one fused op (forward and gradient side by side), and the
NumPy sigmoid / softplus the sampler shares with it.

For ``z = v W^T + b_h`` (N, H), ``p = sigmoid(z)``::

    F(v)     = vis(v) - sum_j softplus(z_j)       vis = -v.b_v  or  |v - b_v|^2 / 2
    dF/dW    = -p^T v  (summed over rows, weighted by the incoming gradient g (N,))
    dF/db_h  = -p
    dF/db_v  = -v                 (Bernoulli)     -(v - b_v)  (Gaussian)
    dF/dv    = -b_v - p W         (Bernoulli)     (v - b_v) - p W  (Gaussian)

One node instead of about ten elementwise and reduction nodes: contrastive divergence
runs it on small batches, where the per-op overhead would dominate. ``softplus`` and
``sigmoid`` come from one pass (``sigmoid(z) = exp(z - softplus(z))``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Context, Function

Array = np.ndarray[Any, Any]


def sigmoid(z: Array) -> Array:
    """``1 / (1 + exp(-z))`` without overflow (through ``tanh``)."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def softplus_and_sigmoid(z: Array) -> tuple[Array, Array]:
    """``(s, p) = (log(1 + e^z), sigmoid(z))``, stable for any ``z``:
    ``s = max(z, 0) + log1p(exp(-|z|))`` and ``p = exp(z - s)`` (``z - s <= 0``)."""
    sp = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    return sp, np.exp(z - sp)


def free_energy_parts(v: Array, w: Array, bv: Array, bh: Array, gaussian: bool
                      ) -> tuple[Array, Array, Array | None]:
    """``(F(v) (N,), p = sigmoid(v W^T + b_h) (N, H), v - b_v or None)``."""
    sp, p = softplus_and_sigmoid(v @ w.T + bh)
    centred = v - bv if gaussian else None
    vis = 0.5 * (centred * centred).sum(1) if centred is not None else -(v @ bv)
    return vis - sp.sum(1), p, centred


class FreeEnergy(Function):
    """``F(v)`` per row of ``v`` (N, n_visible) for ``W`` (H, n_visible), ``b_v``, ``b_h``:
    (N,). ``gaussian=True``: unit-variance Gaussian visible units."""

    @staticmethod
    def forward(ctx: Context, v: Array, w: Array, bv: Array, bh: Array,
                gaussian: bool = False,
                parts: tuple[Array, Array, Array | None] | None = None) -> Array:
        # parts: free_energy_parts(v, w, bv, bh, gaussian) when the caller already has them
        fe, p, centred = parts if parts is not None else free_energy_parts(v, w, bv, bh, gaussian)
        ctx.saved = (v, w, bv, p, centred)
        return fe

    @staticmethod
    def backward(ctx: Context, g: Array) -> tuple[Array | None, ...]:
        v, w, bv, p, centred = ctx.saved
        need_v, need_w, need_bv, need_bh = ctx.needs_input_grad
        gp = p * g[:, None]                                  # -dL/dz
        dv = dbv = None
        if need_v:
            dv = (g[:, None] * centred if centred is not None else -np.outer(g, bv)) - gp @ w
        if need_bv:
            dbv = -(g @ centred) if centred is not None else -(g @ v)
        return (dv, -(gp.T @ v) if need_w else None, dbv,
                -gp.sum(0) if need_bh else None)
