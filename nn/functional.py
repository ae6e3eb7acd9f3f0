"""minigrad.nn.functional: the functional form of every layer, activation and loss.

Stateless functions on Tensors (NumPy arrays are accepted as constants);
layers in :mod:`minigrad.nn` hold the parameters and call these. Shapes and
formulas are PyTorch's. Bad input raises ``ValueError`` naming the function
(or layer) and the expected and actual shapes.

>>> import minigrad.nn.functional as F
>>> y = F.relu(F.linear(x, w, b))               # x (N, in), w (out, in), b (out,)
>>> loss = F.cross_entropy(logits, targets)      # logits (N, C), targets (N,) ints
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from minigrad.ops import activation as _act
from minigrad.ops import conv as _conv
from minigrad.ops import loss as _loss
from minigrad.ops import pool as _pooling
from minigrad.ops.elementwise import Mul, Relu, Sigmoid, Tanh
from minigrad.ops.indexing import GetItem
from minigrad.ops.linear import Linear
from minigrad.ops.norm import Normalize
from minigrad.ops.pad import pad
from minigrad.ops.reduce import LogSoftmax, Softmax
from minigrad.random import get_rng
from minigrad.tensor import Tensor, as_tensor, tensor_arg

from .attention_functional import scaled_dot_product_attention

if TYPE_CHECKING:
    from collections.abc import Sequence

    from minigrad._typing import (Array, IntOrPair, Reduction, Shape, TensorLike,
                                  TensorOrArray)
    from minigrad.function import Function

__all__ = ["linear", "conv2d", "max_pool2d", "avg_pool2d", "embedding", "dropout",
           "batch_norm", "layer_norm", "group_norm", "instance_norm", "flatten",
           "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "sigmoid",
           "tanh", "softmax", "log_softmax", "mse_loss", "l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "one_hot", "pad", "scaled_dot_product_attention"]


# ------------------------------------------------------------------ checks
def check_input(who: str | _Named, x: Tensor, ndims: Sequence[int] | None = None,
                axis: int | None = None, size: int | None = None,
                what: str = "features") -> Tensor:
    """Raise ``ValueError`` naming ``who`` unless ``x.ndim in ndims`` and ``x.shape[axis] == size``
    (``TypeError`` unless ``x`` is a Tensor or an array). ``who`` is a name, or a module
    (anything with ``_who()``), named only if there is an error to report: layers call
    this on every forward."""
    if not isinstance(x, (Tensor, np.ndarray)):
        raise TypeError(f"{_name(who)}: expected the input to be a Tensor or an array, got "
                        f"{type(x).__name__}")
    if ndims is not None and x.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{_name(who)}: expected a {want} input, got a {x.ndim}-D input "
                         f"of shape {x.shape}")
    if axis is not None and x.shape[axis] != size:
        raise ValueError(f"{_name(who)}: expected {size} {what} on axis {axis % x.ndim}, got "
                         f"{x.shape[axis]} (input shape {x.shape})")
    return x


class _Named(Protocol):
    """What names itself in error messages: a module (``Module._who``)."""

    def _who(self) -> str: ...


def _name(who: str | _Named) -> str:
    return who if isinstance(who, str) else who._who()


_PAIR_MINIMUM = {"kernel_size": 1, "stride": 1, "padding": 0}   # smallest allowed value


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _pair(v: IntOrPair, who: str, name: str) -> tuple[int, int]:
    """``v`` as a pair of ints, each at least ``_PAIR_MINIMUM[name]`` (kernel_size and
    stride positive, padding non-negative), or a clear TypeError / ValueError."""
    pair = (v, v) if _is_int(v) else tuple(v) if isinstance(v, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(_is_int(n) for n in pair):
        raise TypeError(f"{who}: {name} must be an int or a pair of ints, got {v!r}")
    low = _PAIR_MINIMUM.get(name, 0)
    if min(pair) < low:
        kind = "positive" if low == 1 else "non-negative"
        raise ValueError(f"{who}: {name} must be {kind} (an int or a pair of ints >= {low}), "
                         f"got {v!r}")
    return int(pair[0]), int(pair[1])


def check_probability(who: str, p: object) -> None:
    """Raise unless ``p`` is a number in [0, 1] (TypeError for a non-number)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: p must be a number between 0 and 1, got "
                        f"{type(p).__name__} {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: probability has to be between 0 and 1, got {p}")


def check_count(who: str, **counts: object) -> None:
    """Raise unless every keyword (a size given to a layer, e.g. ``in_features=3``) is a
    positive int: TypeError for a non-integer, ValueError naming it for one < 1."""
    for name, n in counts.items():
        if not _is_int(n):
            raise TypeError(f"{who}: {name} must be a positive int, got "
                            f"{type(n).__name__} {n!r}")
        if int(n) < 1:                    # type: ignore[call-overload]  # checked: an int
            raise ValueError(f"{who}: {name} must be a positive int, got {n}")


# ------------------------------------------------------------------ layers
def linear(x: TensorOrArray, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x W^T + b``: x ``(*, in)``, weight ``(out, in)``, bias ``(out,)`` -> ``(*, out)``."""
    if not isinstance(x, Tensor):           # (Tensors, the common case, cost no call)
        x = tensor_arg(x, "linear")
    if not isinstance(weight, Tensor):
        weight = tensor_arg(weight, "linear", "weight")
    ws, xs = weight.data.shape, x.data.shape
    if len(ws) != 2:
        raise ValueError(f"linear: expected weight of shape (out_features, in_features), "
                         f"got {ws}")
    if not xs:
        raise ValueError("linear: expected an input with at least 1 dimension, got a scalar")
    if xs[-1] != ws[1]:
        check_input("linear", x, axis=-1, size=ws[1], what="input features")  # raises
    return Linear.apply(x, weight, bias)


def conv2d(x: TensorOrArray, weight: Tensor, bias: Tensor | None = None,
           stride: IntOrPair = 1, padding: IntOrPair = 0) -> Tensor:
    """2-D cross-correlation: x ``(N, C, H, W)``, weight ``(O, C, kh, kw)`` -> ``(N, O, Ho, Wo)``.

    ``Ho = (H + 2 padding - kh) // stride + 1`` (and likewise Wo).
    """
    who = "conv2d"
    x = tensor_arg(x, who)
    check_input(who, x, ndims=(4,))
    check_input(who, x, axis=1, size=weight.shape[1], what="input channels")
    stride, padding = _pair(stride, who, "stride"), _pair(padding, who, "padding")
    kh, kw = weight.shape[2:]
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if h < kh or w < kw:
        raise ValueError(f"{who}: padded input {h}x{w} is smaller than the kernel "
                         f"{kh}x{kw} (input shape {x.shape})")
    return _conv.Conv2d.apply(x, weight, bias, stride=stride, padding=padding)


def _pool(op: type[Function], who: str, x: TensorOrArray, kernel_size: IntOrPair,
          stride: IntOrPair | None, padding: IntOrPair) -> Tensor:
    x = tensor_arg(x, who)
    check_input(who, x, ndims=(4,))
    kernel = _pair(kernel_size, who, "kernel_size")
    stride = kernel if stride is None else _pair(stride, who, "stride")
    padding = _pair(padding, who, "padding")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{who}: padding {padding} must be at most half the kernel {kernel}")
    if x.shape[2] + 2 * padding[0] < kernel[0] or x.shape[3] + 2 * padding[1] < kernel[1]:
        raise ValueError(f"{who}: input shape {x.shape} is smaller than the kernel {kernel}")
    return op.apply(x, kernel=kernel, stride=stride, padding=padding)


def max_pool2d(x: TensorOrArray, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> Tensor:
    """Max over ``kernel_size`` windows moved by ``stride`` (default: the kernel size)."""
    return _pool(_pooling.MaxPool2d, "max_pool2d", x, kernel_size, stride, padding)


def avg_pool2d(x: TensorOrArray, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> Tensor:
    """Mean over ``kernel_size`` windows moved by ``stride`` (default: the kernel size)."""
    return _pool(_pooling.AvgPool2d, "avg_pool2d", x, kernel_size, stride, padding)


def _indices(idx: TensorLike, who: str, n: int, what: str = "index") -> Array:
    arr = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{who}: expected integer indices, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"{who}: {what} {int(bad)} is out of range [0, {n})")
    return arr


def embedding(idx: TensorLike, weight: Tensor) -> Tensor:
    """Rows of ``weight (num_embeddings, dim)`` picked by integer ``idx (*)`` -> ``(*, dim)``."""
    return GetItem.apply(weight, _indices(idx, "embedding", weight.shape[0]))


def dropout(x: TensorOrArray, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale survivors by 1/(1-p).

    The expectation is unchanged, so evaluation (``training=False``) is the identity.
    The mask is drawn from minigrad's generator (``mg.manual_seed``).
    """
    check_probability("dropout", p)
    x = tensor_arg(x, "dropout")
    if not training or p == 0.0:
        return x
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    if p == 1.0:
        return Mul.apply(x, np.zeros(x.shape, dtype=dt))
    keep = get_rng().random(x.shape, dtype=dt) >= p
    return Mul.apply(x, keep * np.asarray(1.0 / (1.0 - p), dtype=dt))


def flatten(x: TensorOrArray, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one (default: all but the batch axis)."""
    return tensor_arg(x, "flatten").flatten(start_dim, end_dim)


# ------------------------------------------------------------ normalisation
def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None, shape: Shape) -> Tensor:
    """``y * weight + bias`` with both reshaped to broadcast as ``shape``."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _channel_shape(x: Tensor) -> Shape:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(x: TensorOrArray, running_mean: Array | None, running_var: Array | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over every axis but the channel axis 1 (Ioffe & Szegedy 2015).

    Training: normalise with the batch mean and biased variance and update the
    running buffers in place with the unbiased variance,
    ``running = (1 - momentum) running + momentum * batch``.
    Evaluation: ``(x - running_mean) / sqrt(running_var + eps)``. Then ``* weight + bias``.
    x: ``(N, C, *)``; running_mean, running_var: ``np.ndarray (C,)`` (or None in
    training, to keep no statistics); weight, bias: ``(C,)`` or None.
    """
    x = tensor_arg(x, "batch_norm")
    shape = _check_batch_norm(x, running_mean, running_var, weight, bias)
    if not training:
        if running_mean is None or running_var is None:
            raise TypeError("batch_norm: evaluation (training=False) needs the "
                            "running_mean and running_var arrays, got None")
        scale = 1.0 / np.sqrt(running_var + eps)
        y = (x - running_mean.reshape(shape)) * scale.reshape(shape)
        return _affine(y, weight, bias, shape)
    return _batch_norm_training(x, Normalize, running_mean, running_var, weight, bias,
                                momentum, eps)


def _check_batch_norm(x: Tensor, running_mean: Array | None, running_var: Array | None,
                      weight: Tensor | None, bias: Tensor | None) -> tuple[int, ...]:
    """Every shape checked before anything is computed or updated; the channel shape."""
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input (N, C, *) of at least 2 dimensions, "
                         f"got shape {x.shape}")
    c = x.shape[1]
    for name, v in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if v is not None and tuple(v.shape) != (c,):
            raise ValueError(f"batch_norm: expected {name} of shape ({c},) for {c} channels, "
                             f"got {tuple(v.shape)}")
    return _channel_shape(x)


def _batch_norm_training(x: Tensor, op: type[Function], running_mean: Array | None,
                         running_var: Array | None, weight: Tensor | None,
                         bias: Tensor | None, momentum: float | None, eps: float) -> Tensor:
    """Training-mode batch norm with the normalising op ``op`` (``Normalize``, or one whose
    statistics span several processes: it may append the count behind them to ``stats``).
    Everything is checked before the running buffers change."""
    shape = _check_batch_norm(x, running_mean, running_var, weight, bias)
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // c if c else 0
    if n <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                         f"training, got input shape {x.shape}")
    if running_mean is not None:
        if momentum is None:
            raise ValueError("batch_norm: momentum=None (a cumulative average) needs the "
                             "layer's batch count; use nn.BatchNorm*d or pass a float")
        if running_var is None:
            raise TypeError("batch_norm: running_mean was given without running_var")
    stats: list[Any] = []
    y = _affine(op.apply(x, axes=axes, eps=eps, stats=stats), weight, bias, shape)
    if len(stats) > 2:
        n = stats[2]
    if running_mean is not None and running_var is not None and momentum is not None:
        mean, var = stats[0].reshape(-1), stats[1].reshape(-1)
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * (var * (n / (n - 1)))
    return y


def layer_norm(x: TensorOrArray, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes of each sample (Ba et al. 2016)."""
    x = tensor_arg(x, "layer_norm")
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(ns):] != ns or x.ndim < len(ns):
        raise ValueError(f"layer_norm: expected an input whose trailing axes are {ns}, "
                         f"got shape {x.shape}")
    y = Normalize.apply(x, axes=tuple(range(x.ndim - len(ns), x.ndim)), eps=eps)
    return _affine(y, weight, bias, ns)


def group_norm(x: TensorOrArray, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over groups of ``C / num_groups`` channels (Wu & He 2018).

    x ``(N, C, *)``; weight and bias are per channel ``(C,)``.
    """
    x = tensor_arg(x, "group_norm")
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: expected an input (N, C, *) with C divisible by "
                         f"num_groups={num_groups}, got shape {x.shape}")
    n = x.shape[0]
    per_group = x.size // (n * num_groups) if n else math.prod(x.shape[1:]) // num_groups
    y = Normalize.apply(x.reshape(n, num_groups, per_group), axes=(2,),
                        eps=eps).reshape(x.shape)
    return _affine(y, weight, bias, _channel_shape(x))


def instance_norm(x: TensorOrArray, weight: Tensor | None = None,
                  bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial axes (Ulyanov et al. 2016)."""
    x = tensor_arg(x, "instance_norm")
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, *spatial), got shape "
                         f"{x.shape}")
    y = Normalize.apply(x, axes=tuple(range(2, x.ndim)), eps=eps)
    return _affine(y, weight, bias, _channel_shape(x))


# ---------------------------------------------------------------- activations
def relu(x: TensorOrArray) -> Tensor:
    """``max(x, 0)``."""
    return Relu.apply(x)


def leaky_relu(x: TensorOrArray, negative_slope: float = 0.01) -> Tensor:
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""
    return _act.LeakyRelu.apply(x, slope=negative_slope)


def elu(x: TensorOrArray, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha (exp(x) - 1)`` otherwise."""
    return _act.Elu.apply(x, alpha=alpha)


def selu(x: TensorOrArray) -> Tensor:
    """``scale * elu(x, alpha)`` with Klambauer et al.'s alpha ~ 1.6733, scale ~ 1.0507."""
    return _act.Selu.apply(x)


def gelu(x: TensorOrArray, approximate: Literal["none", "tanh"] = "none") -> Tensor:
    """``x Phi(x)`` (Phi the standard normal CDF); ``approximate='tanh'`` for the tanh form."""
    if approximate == "none":
        return _act.Gelu.apply(x)
    if approximate == "tanh":
        return _act.GeluTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: TensorOrArray) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    return _act.Silu.apply(x)


def softplus(x: TensorOrArray, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    return _act.Softplus.apply(x, beta=beta, threshold=threshold)


def sigmoid(x: TensorOrArray) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return Sigmoid.apply(x)


def tanh(x: TensorOrArray) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(x)


def softmax(x: TensorOrArray, axis: int = -1, dim: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``dim`` is accepted as PyTorch's name)."""
    return Softmax.apply(x, axis=axis if dim is None else dim)


def log_softmax(x: TensorOrArray, axis: int = -1, dim: int | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``, computed stably."""
    return LogSoftmax.apply(x, axis=axis if dim is None else dim)


# ------------------------------------------------------------------- losses
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(who: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _same_shape(who: str, x: Tensor | Array, t: Tensor | Array) -> None:
    if x.shape != t.shape:
        raise ValueError(f"{who}: input shape {x.shape} and target shape {t.shape} differ")


def _float_target(t: TensorLike, x: Tensor) -> Tensor:
    """A target as a Tensor (kept if it is one, so it may require grad) of x's dtype."""
    return as_tensor(t, dtype=x.dtype)


def _elementwise_args(who: str, input: TensorOrArray, target: TensorLike,
                      reduction: str) -> tuple[Tensor, Tensor]:
    """Validate a loss whose input and target match element for element."""
    if reduction not in _REDUCTIONS:
        _check_reduction(who, reduction)                  # raises
    if not isinstance(input, Tensor):       # (Tensors of one dtype, the common case,
        input = tensor_arg(input, who)      # cost no call)
    if not (isinstance(target, Tensor) and target.data.dtype == input.data.dtype):
        target = _float_target(target, input)
    if input.data.shape != target.data.shape:
        _same_shape(who, input, target)                   # raises
    return input, target


def mse_loss(input: TensorOrArray, target: TensorLike,
             reduction: Reduction = "mean") -> Tensor:
    """``(input - target)^2``, reduced."""
    input, target = _elementwise_args("mse_loss", input, target, reduction)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input: TensorOrArray, target: TensorLike,
            reduction: Reduction = "mean") -> Tensor:
    """``|input - target|``, reduced."""
    input, target = _elementwise_args("l1_loss", input, target, reduction)
    return _reduce((input - target).abs(), reduction)


def _class_targets(who: str, x: Tensor, target: TensorLike,
                   probabilities: bool = True) -> Tensor | Array:
    """Validate (N, C, *) scores against (N, *) class indices or (N, C, *) probabilities."""
    if x.ndim < 2:
        raise ValueError(f"{who}: expected scores of shape (N, C) or (N, C, *), got {x.shape}")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    want = x.shape[:1] + x.shape[2:]
    if t.dtype.kind == "f" and probabilities and t.shape == x.shape:
        return _float_target(target, x)
    if t.dtype.kind not in "iu":
        given = (f"a {type(target).__name__}" if t.dtype.kind == "O" else
                 f"a {t.dtype} target of shape {t.shape}")
        also = f", or class probabilities of shape {x.shape}" if probabilities else ""
        raise TypeError(f"{who}: expected target to be class indices of an integer dtype "
                        f"(int64) and shape {want}{also}; got {given}")
    if t.shape != want:
        raise ValueError(f"{who}: expected target of shape {want} for scores of shape "
                         f"{x.shape}, got {t.shape}")
    return _indices(t, who, x.shape[1], what="class index")


def _class_loss(op: type[Function], who: str, input: TensorOrArray, target: TensorLike,
                reduction: str, probabilities: bool, **options: Any) -> Tensor:
    _check_reduction(who, reduction)
    input = tensor_arg(input, who)
    target = _class_targets(who, input, target, probabilities)
    return op.apply(input, target, reduction=reduction, **options)


def _check_label_smoothing(who: str, label_smoothing: float) -> None:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: expected label_smoothing in [0, 1], got "
                         f"{label_smoothing!r}")


def cross_entropy(input: TensorOrArray, target: TensorLike,
                  reduction: Reduction = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``-log_softmax(input, axis=1)[target]``, one fused, stable op.

    input: logits ``(N, C)`` (or ``(N, C, d1, ...)``); target: class indices
    ``(N,)`` (``(N, d1, ...)``) in ``[0, C)``, or class probabilities of input's shape.
    label_smoothing: e in [0, 1], PyTorch's: the target becomes (1 - e) times the
    one-hot (or the given probabilities) plus e / C on every class.
    """
    if not label_smoothing:                   # the op as before, with no extra work
        return _class_loss(_loss.CrossEntropy, "cross_entropy", input, target, reduction,
                           True)
    _check_label_smoothing("cross_entropy", label_smoothing)
    return _class_loss(_loss.CrossEntropy, "cross_entropy", input, target, reduction, True,
                       label_smoothing=float(label_smoothing))


def nll_loss(input: TensorOrArray, target: TensorLike,
             reduction: Reduction = "mean") -> Tensor:
    """``-input[target]`` for log-probabilities ``input (N, C)`` and class indices ``(N,)``."""
    return _class_loss(_loss.NLL, "nll_loss", input, target, reduction, False)


def binary_cross_entropy(input: TensorOrArray, target: TensorLike,
                         reduction: Reduction = "mean") -> Tensor:
    """``-(t log p + (1 - t) log(1 - p))`` for probabilities ``input`` in [0, 1] (logs clamped at -100)."""
    input, target = _elementwise_args("binary_cross_entropy", input, target, reduction)
    if input.data.size and (input.data.min() < 0 or input.data.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between "
                         "0 and 1 (use binary_cross_entropy_with_logits for logits)")
    return _loss.BCE.apply(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input: TensorOrArray, target: TensorLike,
                                     reduction: Reduction = "mean") -> Tensor:
    """``binary_cross_entropy(sigmoid(input), target)`` in one op that never overflows."""
    input, target = _elementwise_args("binary_cross_entropy_with_logits", input, target,
                                      reduction)
    return _loss.BCEWithLogits.apply(input, target, reduction=reduction)


# ------------------------------------------------------------------ encodings
def one_hot(tensor: TensorLike, num_classes: int = -1) -> Tensor:
    """Class indices ``(*)`` -> int64 one-hot vectors ``(*, num_classes)`` (no gradient),
    as PyTorch's; ``num_classes=-1`` takes the largest index + 1."""
    idx = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer class indices, got dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be non-negative, got {idx.min()}")
    top = int(idx.max()) + 1 if idx.size else 0
    n = top if num_classes == -1 else int(num_classes)
    if num_classes != -1 and (n < 0 or top > n):
        raise ValueError(f"one_hot: num_classes={num_classes} is too small for the largest "
                         f"class index {top - 1}")
    out = np.zeros(idx.shape + (n,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._wrap(out)
