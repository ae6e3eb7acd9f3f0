"""Elementwise ops: each one's forward and its vector-Jacobian product on one line.

Every op here but ``Where`` is declared with :func:`~minigrad.ops.pointwise.pointwise`
(the mechanism users get as ``mg.pointwise``): a rule gets the upstream gradient
g and what the op ``saves`` -- ``(g, x)`` for "input", ``(g, y)`` for "output",
``(g, x, y)`` for "both", ``(g, a, b)`` or ``(g, a, b, y)`` for two inputs -- and
only that is kept alive. Broadcasting is undone by the tape, so a rule returns
the gradient at the broadcast shape.
"""
import numpy as np

from ..function import Function
from .pointwise import pointwise


def _unary_doc(maths):
    return f"Elementwise {maths} (any shape)."


def _binary_doc(maths):
    return f"Elementwise {maths}; a and b broadcast (NumPy rules), y has the broadcast shape."


def _sigmoid(x):
    # 1 / (1 + exp(-x)) without overflow for large |x|
    return np.tanh(x * 0.5) * 0.5 + 0.5


def _tie_split(a, b):
    """Weight of ``a`` in max(a, b): 1 where a > b, 1/2 at ties, 0 otherwise."""
    return (a > b) + 0.5 * (a == b)


def _pow_base_vjp(g, a, b, y):
    """dL/da of a^b: g b a^(b-1); for b = 2 (``x ** 2``) a^1 is ``a`` itself (the same
    values: NumPy's ``a ** 1`` is a copy), one array operation less."""
    return g * b * (a if type(b) is int and b == 2 else a ** (b - 1))


def _clip_vjp(g, x, lo=None, hi=None):
    """g where lo <= x <= hi (a None bound is open), else 0."""
    mask = np.ones(x.shape, dtype=bool)
    if lo is not None:
        mask &= x >= lo
    if hi is not None:
        mask &= x <= hi
    return g * mask


# name            forward    dL/dx from (g, saved)     saves     maths
Neg = pointwise("Neg", np.negative, lambda g: -g, None, _unary_doc("y = -x, dy/dx = -1"))
Exp = pointwise("Exp", np.exp, lambda g, y: g * y, "output", _unary_doc("y = e^x, dy/dx = y"))
Log = pointwise("Log", np.log, lambda g, x: g / x, "input",
                _unary_doc("y = ln x, dy/dx = 1/x (log 0 = -inf with a NumPy warning)"))
Sqrt = pointwise("Sqrt", np.sqrt, lambda g, y: g / (2 * y), "output",
                 _unary_doc("y = sqrt x, dy/dx = 1/(2y)"))
Abs = pointwise("Abs", np.abs, lambda g, x: g * np.sign(x), "input",
                _unary_doc("y = ``|x|``, dy/dx = sign x (0 at 0)"))
Tanh = pointwise("Tanh", np.tanh, lambda g, y: g * (1 - y * y), "output",
                 _unary_doc("y = tanh x, dy/dx = 1 - y^2"))
Sigmoid = pointwise("Sigmoid", _sigmoid, lambda g, y: g * (y * (1 - y)), "output",
                    _unary_doc("y = 1/(1 + e^-x) computed as (1 + tanh(x/2))/2 (no overflow), "
                               "dy/dx = y (1 - y)"))
Relu = pointwise("Relu", lambda x: np.maximum(x, 0), lambda g, y: g * (y > 0), "output",
                 _unary_doc("y = max(x, 0), dy/dx = [x > 0]"))
Clip = pointwise("Clip", lambda x, lo=None, hi=None: np.clip(x, lo, hi),
                 _clip_vjp, "input",
                 "Clamp to [lo, hi] (either may be None); the gradient passes where unclamped.")
Cast = pointwise("Cast", lambda x, dtype: x.astype(dtype), lambda g, dtype: g, None,
                 "Convert to another floating dtype; the gradient is cast back by the tape.")

# name            forward      (d/da, d/db) from (g, a, b[, y])               saves  maths
Add = pointwise("Add", np.add, (lambda g: g, lambda g: g), None,
                _binary_doc("y = a + b, dy/da = dy/db = 1"))
Sub = pointwise("Sub", np.subtract, (lambda g: g, lambda g: -g), None,
                _binary_doc("y = a - b, dy/da = 1, dy/db = -1"))
Mul = pointwise("Mul", np.multiply, (lambda g, a, b: g * b, lambda g, a, b: g * a), "input",
                _binary_doc("y = a b, dy/da = b, dy/db = a"))
Div = pointwise("Div", np.divide, (lambda g, a, b: g / b, lambda g, a, b: -g * a / (b * b)),
                "input", _binary_doc("y = a / b, dy/da = 1/b, dy/db = -a/b^2"))
Pow = pointwise("Pow", lambda a, b: a ** b, (_pow_base_vjp,
                                              lambda g, a, b, y: g * y * np.log(a)), "both",
                _binary_doc("y = a^b, dy/da = b a^(b-1), dy/db = y ln a (a > 0)"))
Maximum = pointwise("Maximum", np.maximum, (lambda g, a, b: g * _tie_split(a, b),
                                            lambda g, a, b: g * _tie_split(b, a)), "input",
                    _binary_doc("y = max(a, b), dy/da = [a > b] (ties split the gradient "
                                "1/2, 1/2)"))
Minimum = pointwise("Minimum", np.minimum, (lambda g, a, b: g * _tie_split(b, a),
                                            lambda g, a, b: g * _tie_split(a, b)), "input",
                    _binary_doc("y = min(a, b), dy/da = [a < b] (ties split the gradient "
                                "1/2, 1/2)"))


class Where(Function):
    """``cond ? a : b`` elementwise; ``cond`` is a constant boolean array.

    A Function rather than a pointwise op: backward needs only the condition,
    while pointwise's ``saves="input"`` would keep a and b alive too.
    """

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
