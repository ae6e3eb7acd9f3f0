"""Elementwise ops: each one's forward and its vector-Jacobian product on one line.

Unary rules receive ``(g, x, y)`` (upstream gradient, input, output); binary
rules ``(g, a, b, y)``. Broadcasting is undone by the tape, so a rule returns
the gradient at the broadcast shape. Only what a rule reads is kept alive:
``save`` says whether it needs the input ``x``, the output ``y`` or both.
"""
import numpy as np

from ..function import Function


def _unary_op(name, forward, vjp, save, doc):
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
                                    "__doc__": f"Elementwise {doc} (any shape)."})


def _binary_op(name, forward, vjp_a, vjp_b, save, doc):
    keep_a, keep_b, keep_y = "a" in save, "b" in save, "y" in save

    def fwd(ctx, a, b):
        y = forward(a, b)
        ctx.saved = (a if keep_a else None, b if keep_b else None, y if keep_y else None)
        return y

    def bwd(ctx, g):
        a, b, y = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (vjp_a(g, a, b, y) if need_a else None,
                vjp_b(g, a, b, y) if need_b else None)

    return type(name, (Function,), {"forward": staticmethod(fwd),
                                    "backward": staticmethod(bwd),
                                    "__doc__": f"Elementwise {doc}; a and b broadcast "
                                               f"(NumPy rules), y has the broadcast shape."})


def _sigmoid(x):
    # 1 / (1 + exp(-x)) without overflow for large |x|
    return np.tanh(x * 0.5) * 0.5 + 0.5


def _tie_split(a, b):
    """Weight of ``a`` in max(a, b): 1 where a > b, 1/2 at ties, 0 otherwise."""
    return (a > b) + 0.5 * (a == b)


# name    forward      d/dx as a function of (g, x, y)          saves  maths
Neg = _unary_op("Neg", np.negative, lambda g, x, y: -g, "", "y = -x, dy/dx = -1")
Exp = _unary_op("Exp", np.exp, lambda g, x, y: g * y, "y", "y = e^x, dy/dx = y")
Log = _unary_op("Log", np.log, lambda g, x, y: g / x, "x",
                "y = ln x, dy/dx = 1/x (log 0 = -inf with a NumPy warning)")
Sqrt = _unary_op("Sqrt", np.sqrt, lambda g, x, y: g / (2 * y), "y", "y = sqrt x, dy/dx = 1/(2y)")
Abs = _unary_op("Abs", np.abs, lambda g, x, y: g * np.sign(x), "x",
                "y = |x|, dy/dx = sign x (0 at 0)")
Tanh = _unary_op("Tanh", np.tanh, lambda g, x, y: g * (1 - y * y), "y",
                 "y = tanh x, dy/dx = 1 - y^2")
Sigmoid = _unary_op("Sigmoid", _sigmoid, lambda g, x, y: g * (y * (1 - y)), "y",
                    "y = 1/(1 + e^-x) computed as (1 + tanh(x/2))/2 (no overflow), "
                    "dy/dx = y (1 - y)")
Relu = _unary_op("Relu", lambda x: np.maximum(x, 0), lambda g, x, y: g * (y > 0), "y",
                 "y = max(x, 0), dy/dx = [x > 0]")

# name    forward      d/da (g, a, b, y)         d/db (g, a, b, y)           saves  maths
Add = _binary_op("Add", np.add, lambda g, a, b, y: g, lambda g, a, b, y: g, "",
                 "y = a + b, dy/da = dy/db = 1")
Sub = _binary_op("Sub", np.subtract, lambda g, a, b, y: g, lambda g, a, b, y: -g, "",
                 "y = a - b, dy/da = 1, dy/db = -1")
Mul = _binary_op("Mul", np.multiply, lambda g, a, b, y: g * b, lambda g, a, b, y: g * a, "ab",
                 "y = a b, dy/da = b, dy/db = a")
Div = _binary_op("Div", np.divide, lambda g, a, b, y: g / b,
                 lambda g, a, b, y: -g * a / (b * b), "ab",
                 "y = a / b, dy/da = 1/b, dy/db = -a/b^2")
Pow = _binary_op("Pow", lambda a, b: a ** b, lambda g, a, b, y: g * b * a ** (b - 1),
                 lambda g, a, b, y: g * y * np.log(a), "aby",
                 "y = a^b, dy/da = b a^(b-1), dy/db = y ln a (a > 0)")
Maximum = _binary_op("Maximum", np.maximum, lambda g, a, b, y: g * _tie_split(a, b),
                     lambda g, a, b, y: g * _tie_split(b, a), "ab",
                     "y = max(a, b), dy/da = [a > b] (ties split the gradient 1/2, 1/2)")
Minimum = _binary_op("Minimum", np.minimum, lambda g, a, b, y: g * _tie_split(b, a),
                     lambda g, a, b, y: g * _tie_split(a, b), "ab",
                     "y = min(a, b), dy/da = [a < b] (ties split the gradient 1/2, 1/2)")


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
