"""Elementwise ops: each one's forward and its vector-Jacobian product on one line.

Unary rules receive ``(g, x, y)`` (upstream gradient, input, output); binary
rules ``(g, a, b, y)``. Broadcasting is undone by the tape, so a rule returns
the gradient at the broadcast shape. Only what a rule reads is kept alive:
``save`` says whether it needs the input ``x``, the output ``y`` or both.
"""
import numpy as np

from ..function import Function


def _unary_op(name, forward, vjp, save="xy"):
    keep_x, keep_y = "x" in save, "y" in save

    def fwd(ctx, x):
        y = forward(x)
        ctx.saved = (x if keep_x else None, y if keep_y else None)
        return y

    def bwd(ctx, g):
        x, y = ctx.saved
        return vjp(g, x, y)

    return type(name, (Function,), {"forward": staticmethod(fwd),
                                    "backward": staticmethod(bwd),
                                    "__doc__": f"Elementwise {name}."})


def _binary_op(name, forward, vjp_a, vjp_b, save="ab"):
    keep_y = "y" in save

    def fwd(ctx, a, b):
        y = forward(a, b)
        ctx.saved = (a, b, y if keep_y else None)
        return y

    def bwd(ctx, g):
        a, b, y = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (vjp_a(g, a, b, y) if need_a else None,
                vjp_b(g, a, b, y) if need_b else None)

    return type(name, (Function,), {"forward": staticmethod(fwd),
                                    "backward": staticmethod(bwd),
                                    "__doc__": f"Elementwise {name} with broadcasting."})


def _sigmoid(x):
    # 1 / (1 + exp(-x)) without overflow for large |x|
    return np.tanh(x * 0.5) * 0.5 + 0.5


def _tie_split(a, b):
    """Weight of ``a`` in max(a, b): 1 where a > b, 1/2 at ties, 0 otherwise."""
    return (a > b) + 0.5 * (a == b)


# name            forward                              d/dx (g, x, y)                            saves
Neg = _unary_op("Neg", np.negative, lambda g, x, y: -g, save="")
Exp = _unary_op("Exp", np.exp, lambda g, x, y: g * y, save="y")
Log = _unary_op("Log", np.log, lambda g, x, y: g / x, save="x")
Sqrt = _unary_op("Sqrt", np.sqrt, lambda g, x, y: g / (2 * y), save="y")
Abs = _unary_op("Abs", np.abs, lambda g, x, y: g * np.sign(x), save="x")
Tanh = _unary_op("Tanh", np.tanh, lambda g, x, y: g * (1 - y * y), save="y")
Sigmoid = _unary_op("Sigmoid", _sigmoid, lambda g, x, y: g * (y * (1 - y)), save="y")
Relu = _unary_op("Relu", lambda x: np.maximum(x, 0), lambda g, x, y: g * (y > 0), save="y")

# name                 forward        d/da (g, a, b, y)                d/db (g, a, b, y)
Add = _binary_op("Add", np.add, lambda g, a, b, y: g, lambda g, a, b, y: g)
Sub = _binary_op("Sub", np.subtract, lambda g, a, b, y: g, lambda g, a, b, y: -g)
Mul = _binary_op("Mul", np.multiply, lambda g, a, b, y: g * b, lambda g, a, b, y: g * a)
Div = _binary_op("Div", np.divide, lambda g, a, b, y: g / b,
                 lambda g, a, b, y: -g * a / (b * b))
Pow = _binary_op("Pow", np.power, lambda g, a, b, y: g * b * np.power(a, b - 1),
                 lambda g, a, b, y: g * y * np.log(a), save="aby")
Maximum = _binary_op("Maximum", np.maximum, lambda g, a, b, y: g * _tie_split(a, b),
                     lambda g, a, b, y: g * _tie_split(b, a))
Minimum = _binary_op("Minimum", np.minimum, lambda g, a, b, y: g * _tie_split(b, a),
                     lambda g, a, b, y: g * _tie_split(a, b))


class Clip(Function):
    """Clamp to [lo, hi] (either may be None); the gradient passes where unclamped."""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.saved = (x, lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved
        mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        return g * mask


class Where(Function):
    """``cond ? a : b`` elementwise; ``cond`` is a constant boolean array."""

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.saved = (cond,)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved
        zero = np.zeros((), dtype=g.dtype)
        _, need_a, need_b = ctx.needs_input_grad
        return (None,
                np.where(cond, g, zero) if need_a else None,
                np.where(cond, zero, g) if need_b else None)


class Cast(Function):
    """Convert to another floating dtype; the gradient is cast back by the tape."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None
