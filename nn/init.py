"""minigrad.nn.init: parameter initialisation, in place, from minigrad's seeded generator.

Why the scale matters: a layer ``y = W x`` with ``fan_in`` inputs of variance
v has outputs of variance ``fan_in * Var(W) * v``. Keeping that product at 1
through depth (forward) and ``fan_out * Var(W)`` at 1 (backward) is what keeps
activations and gradients from vanishing or exploding in a deep net:

* Xavier/Glorot (Glorot & Bengio 2010): ``Var(W) = gain^2 * 2 / (fan_in + fan_out)``;
  uniform bound ``gain * sqrt(6 / (fan_in + fan_out))``.
* Kaiming/He (He et al. 2015): ``Var(W) = gain^2 / fan``, fan = fan_in (or fan_out);
  with ReLU's gain sqrt(2) this makes up for the half of the units it zeroes.
  Uniform bound ``gain * sqrt(3 / fan)``.

Fans of a ``(out, in, *kernel)`` weight: ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)`` (PyTorch's convention). Every function
returns the tensor it filled.

>>> w = nn.Parameter(mg.zeros(256, 128))
>>> nn.init.kaiming_normal_(w, nonlinearity='relu').data.std()   # ~ sqrt(2/128)
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from minigrad.random import get_rng
from minigrad.versions import bump

if TYPE_CHECKING:
    from typing import Literal, TypeVar

    from minigrad._typing import ArrayLike
    from minigrad.tensor import Tensor

    _T = TypeVar("_T", bound=Tensor)     # each function returns the tensor it filled

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_"]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope^2)) (slope ``param``, default 0.01);  selu: 3/4.
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fill(tensor: _T, values: ArrayLike) -> _T:
    tensor.data[...] = values
    bump(tensor.data)
    return tensor


def _fans(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out cannot be computed for a tensor with fewer "
                         f"than 2 dimensions (got shape {shape})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def uniform_(tensor: _T, a: float = 0.0, b: float = 1.0) -> _T:
    """Fill with samples from U(a, b)."""
    return _fill(tensor, get_rng().uniform(a, b, tensor.shape))


def normal_(tensor: _T, mean: float = 0.0, std: float = 1.0) -> _T:
    """Fill with samples from N(mean, std^2)."""
    return _fill(tensor, get_rng().normal(mean, std, tensor.shape))


def constant_(tensor: _T, val: float) -> _T:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: _T) -> _T:
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor: _T) -> _T:
    """Fill with 1."""
    return _fill(tensor, 1)


def eye_(tensor: _T) -> _T:
    """Fill a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def xavier_uniform_(tensor: _T, gain: float = 1.0) -> _T:
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fans(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: _T, gain: float = 1.0) -> _T:
    """N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: _T, a: float = 0, mode: Literal["fan_in", "fan_out"] = "fan_in",
                     nonlinearity: str = "relu") -> _T:
    """U(-b, b) with ``b = gain * sqrt(3 / fan)`` (He et al. 2015).

    ``a`` is the negative slope used when ``nonlinearity='leaky_relu'``.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: _T, a: float = 0, mode: Literal["fan_in", "fan_out"] = "fan_in",
                    nonlinearity: str = "relu") -> _T:
    """N(0, std^2) with ``std = gain / sqrt(fan)`` (He et al. 2015)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def orthogonal_(tensor: _T, gain: float = 1.0) -> _T:
    """A (semi-)orthogonal matrix (Saxe et al. 2013), times ``gain``.

    Dimensions after the first are flattened; the QR factor of a Gaussian
    matrix is made unique (and Haar-distributed) by the signs of R's diagonal.
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: expected at least 2 dimensions, got shape "
                         f"{tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = get_rng().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))
