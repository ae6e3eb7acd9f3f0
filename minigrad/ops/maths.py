"""The elementary functions a tutorial reaches for, one ``pointwise`` line each.

Trigonometric and hyperbolic (``sin cos tan asin acos atan sinh cosh``), the
other exponentials and logarithms (``exp2 expm1 log2 log10 log1p``), ``rsqrt``,
``square``, ``erf``, and the rounding functions (``sign floor ceil round
trunc``), whose derivative is zero wherever it exists (PyTorch's convention: the
gradient through them is 0, not an error).
"""
import math

import numpy as np

from .pointwise import pointwise

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf_object = np.frompyfunc(math.erf, 1, 1)


def _erf(x):
    """erf(x) with the C library's ``erf`` (correctly rounded to ~1 ulp, so exact to
    1e-16 in float64) applied element by element through ``np.frompyfunc``: about
    0.1 us per element, as NumPy has no erf ufunc and SciPy is not a dependency."""
    x = np.asarray(x)
    return np.asarray(_erf_object(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def _round(x):
    return np.round(x)          # (np.round itself would pass for an op with parameters)


def _zero(g):
    return np.zeros_like(g)


def _doc(maths):
    return f"Elementwise {maths} (any shape)."


def _step_doc(name):
    return _doc(f"y = {name}(x); dy/dx = 0 (a step function: no gradient flows)")


# name           forward     dL/dx from (g, saved)                     saves
Sin = pointwise("Sin", np.sin, lambda g, x: g * np.cos(x), "input",
                _doc("y = sin x, dy/dx = cos x"))
Cos = pointwise("Cos", np.cos, lambda g, x: -g * np.sin(x), "input",
                _doc("y = cos x, dy/dx = -sin x"))
Tan = pointwise("Tan", np.tan, lambda g, y: g * (1 + y * y), "output",
                _doc("y = tan x, dy/dx = 1 + y^2"))
Asin = pointwise("Asin", np.arcsin, lambda g, x: g / np.sqrt(1 - x * x), "input",
                 _doc("y = asin x (``|x| <= 1``), dy/dx = 1/sqrt(1 - x^2)"))
Acos = pointwise("Acos", np.arccos, lambda g, x: -g / np.sqrt(1 - x * x), "input",
                 _doc("y = acos x (``|x| <= 1``), dy/dx = -1/sqrt(1 - x^2)"))
Atan = pointwise("Atan", np.arctan, lambda g, x: g / (1 + x * x), "input",
                 _doc("y = atan x, dy/dx = 1/(1 + x^2)"))
Sinh = pointwise("Sinh", np.sinh, lambda g, x: g * np.cosh(x), "input",
                 _doc("y = sinh x, dy/dx = cosh x"))
Cosh = pointwise("Cosh", np.cosh, lambda g, x: g * np.sinh(x), "input",
                 _doc("y = cosh x, dy/dx = sinh x"))
Exp2 = pointwise("Exp2", np.exp2, lambda g, y: g * y * _LN2, "output",
                 _doc("y = 2^x, dy/dx = y ln 2"))
Expm1 = pointwise("Expm1", np.expm1, lambda g, y: g * (y + 1), "output",
                  _doc("y = e^x - 1 (accurate for small x), dy/dx = y + 1"))
Log2 = pointwise("Log2", np.log2, lambda g, x: g / (x * _LN2), "input",
                 _doc("y = log2 x, dy/dx = 1/(x ln 2)"))
Log10 = pointwise("Log10", np.log10, lambda g, x: g / (x * _LN10), "input",
                  _doc("y = log10 x, dy/dx = 1/(x ln 10)"))
Log1p = pointwise("Log1p", np.log1p, lambda g, x: g / (1 + x), "input",
                  _doc("y = ln(1 + x) (accurate for small x), dy/dx = 1/(1 + x)"))
Rsqrt = pointwise("Rsqrt", lambda x: 1 / np.sqrt(x), lambda g, y: -0.5 * g * y * y * y,
                  "output", _doc("y = 1/sqrt x, dy/dx = -y^3/2"))
Square = pointwise("Square", np.square, lambda g, x: 2 * g * x, "input",
                   _doc("y = x^2, dy/dx = 2x"))
Erf = pointwise("Erf", _erf, lambda g, x: g * (_TWO_OVER_SQRT_PI * np.exp(-x * x)), "input",
                _doc("y = erf x = 2/sqrt(pi) int_0^x e^(-t^2) dt (the C library's erf, "
                     "exact in float64), dy/dx = 2/sqrt(pi) e^(-x^2)"))
Sign = pointwise("Sign", np.sign, _zero, None, _step_doc("sign"))
Floor = pointwise("Floor", np.floor, _zero, None, _step_doc("floor"))
Ceil = pointwise("Ceil", np.ceil, _zero, None, _step_doc("ceil"))
Round = pointwise("Round", _round, _zero, None,
                  _step_doc("round (halves to even, as NumPy and PyTorch)"))
Trunc = pointwise("Trunc", np.trunc, _zero, None, _step_doc("trunc"))
