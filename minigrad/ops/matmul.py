"""Matrix product with ``np.matmul`` semantics (1-D operands, batch broadcasting).

For C = A @ B (A ``(..., n, k)``, B ``(..., k, m)``, C ``(..., n, m)``)::

    dA = dC B^T        dB = A^T dC

on the last two axes. A 1-D operand is promoted to a matrix (a row for A, a
column for B) and its gradient demoted back; batch axes that were broadcast
are summed back by the tape.
"""
import numpy as np

from ..function import Function


class MatMul(Function):
    """``a @ b`` as ``np.matmul``; see the module docstring for the gradients."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        an, bn = a.ndim, b.ndim
        if an == 2 and bn == 2:                  # matrices: .T, an attribute, not a call
            return (g @ b.T if need_a else None), (a.T @ g if need_b else None)
        if an >= 2 and bn >= 2:                  # batched: no promotion
            return (g @ b.swapaxes(-1, -2) if need_a else None,
                    a.swapaxes(-1, -2) @ g if need_b else None)
        if an == 1 and bn == 1:                  # inner product
            return (g * b if need_a else None), (g * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = g @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if need_b:
            gb = a2.swapaxes(-1, -2) @ g
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(0)
        return ga, gb
