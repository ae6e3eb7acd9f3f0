"""Affine map ``y = x W^T + b`` as one fused op (what ``nn.Linear`` runs).

Shapes: x ``(*, in)``, W ``(out, in)``, b ``(out,)`` or None -> y ``(*, out)``.
With G = dL/dy flattened to ``(M, out)`` and X to ``(M, in)``::

    dX = G W        dW = G^T X        db = sum_rows G

One node instead of three (matmul, transpose, add) and no broadcast-undoing
sum for the bias: this is the op the MLP benchmark spends its time in. A float32
db is accumulated in float64 (``tape.gradient_sum``), as accurate as PyTorch's.
"""
from ..function import Function
from ..tape import gradient_sum


class Linear(Function):
    @staticmethod
    def forward(ctx, x, w, b):
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        y = x2 @ w.T
        if b is not None:
            y += b
        ctx.saved = (x2, w, x.shape)
        return y.reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim != 2 else y

    @staticmethod
    def backward(ctx, g):
        x2, w, shape = ctx.saved
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = (g2 @ w).reshape(shape) if need_x else None
        gw = g2.T @ x2 if need_w else None
        gb = gradient_sum(g2, 0) if need_b else None     # float32: accumulated in float64
        return gx, gw, gb
