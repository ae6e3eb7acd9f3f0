"""Pointwise activations beyond the core set (relu, tanh, sigmoid live in elementwise).

Each is a forward and a vector-Jacobian product side by side, declared with
:func:`~minigrad.ops.pointwise.pointwise`; a rule gets g and what the op
saves (``(g, x)``, ``(g, x, y)``), plus the op's parameters, and returns dL/dx::

    leaky_relu  y = x if x > 0 else a x                  dy/dx = 1 or a
    elu         y = x if x > 0 else alpha (e^x - 1)      dy/dx = 1 or y + alpha
    selu        y = scale * elu(x, alpha)                (alpha, scale of Klambauer et al. 2017)
    gelu        y = x Phi(x)                             dy/dx = Phi(x) + x phi(x)
    gelu_tanh   y = x/2 (1 + tanh(k (x + 0.044715 x^3))),  k = sqrt(2/pi)
    silu        y = x sigmoid(x)                         dy/dx = s (1 + x (1 - s))
    softplus    y = log(1 + e^(beta x)) / beta, and x where beta x > threshold
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .elementwise import _sigmoid
from .pointwise import pointwise

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_K = math.sqrt(2.0 / math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _erf_scalar(v):
    return math.erf(v)


_erf_kernel: list[Callable[..., Any]] = []


def _erf(x):
    """The error function, elementwise: a Numba ufunc compiled (or loaded from
    Numba's on-disk cache) on first use; NumPy has no erf of its own."""
    if not _erf_kernel:
        import numba
        _erf_kernel.append(numba.vectorize(["float32(float32)", "float64(float64)"],
                                           cache=True)(_erf_scalar))
    return _erf_kernel[0](x)


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(_K * (x + 0.044715 * x ** 3)))


def _gelu_tanh_grad(x):
    u = np.tanh(_K * (x + 0.044715 * x ** 3))
    return 0.5 * (1 + u) + 0.5 * x * (1 - u * u) * _K * (1 + 3 * 0.044715 * x * x)


def _softplus(x, beta, threshold):
    bx = beta * x
    return np.where(bx > threshold, x, (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta)


# name                      forward                                  dL/dx from (g, saved, params)
LeakyRelu = pointwise("LeakyRelu", lambda x, slope: np.where(x > 0, x, x * slope),
                      lambda g, x, slope: np.where(x > 0, g, g * slope), "input",
                      "max(x,0)+slope*min(x,0)")
Elu = pointwise("Elu", _elu, lambda g, x, y, alpha: np.where(x > 0, g, g * (y + alpha)),
                "both", "ELU")
Selu = pointwise("Selu", lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
                 lambda g, x, y: g * np.where(x > 0, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA),
                 "both", "SELU")
Gelu = pointwise("Gelu", lambda x: x * (0.5 + 0.5 * _erf(x * _INV_SQRT2)),
                 lambda g, x: g * ((0.5 + 0.5 * _erf(x * _INV_SQRT2))
                                   + x * _INV_SQRT2PI * np.exp(-0.5 * x * x)), "input",
                 "GELU (erf)")
GeluTanh = pointwise("GeluTanh", _gelu_tanh, lambda g, x: g * _gelu_tanh_grad(x), "input",
                     "GELU (tanh approximation)")
Silu = pointwise("Silu", lambda x: x * _sigmoid(x),
                 lambda g, x: g * (_sigmoid(x) * (1 + x * (1 - _sigmoid(x)))), "input", "SiLU")
Softplus = pointwise("Softplus", _softplus,
                     lambda g, x, beta, threshold:
                     np.where(beta * x > threshold, g, g * _sigmoid(beta * x)), "input",
                     "Softplus")
