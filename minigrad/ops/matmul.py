"""Matrix product with ``np.matmul`` semantics (1-D operands, batch broadcasting).

For C = A @ B: dA = dC @ B^T and dB = A^T @ dC, on the last two axes. A 1-D
operand is promoted to a matrix (row for A, column for B) and the gradient
demoted back; batch axes that were broadcast are summed back by the tape.
"""
import numpy as np

from ..function import Function


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:          # inner product
            return (g * b if need_a else None), (g * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = np.matmul(g, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if need_b:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(0)
        return ga, gb
