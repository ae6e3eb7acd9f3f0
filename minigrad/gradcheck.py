"""Numerical gradient checks, for users and for the test suite.

``gradcheck`` reduces the output to a scalar with a fixed random cotangent
``w`` (L = sum(w * f(x))), then compares, in float64,

* element-wise: the analytic dL/dx against central differences
  (L(x + eps e_i) - L(x - eps e_i)) / (2 eps) for every element i of every
  input that requires grad, and
* along a random direction v: <dL/dx, v> against (L(x + eps v) - L(x - eps v)) / (2 eps),
  a cheap shape-agnostic check (as HIPS autograd's ``check_grads``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import tape
from .autograd import grad
from .tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def _as_f64(x: Any) -> Any:
    """A float64, C-contiguous copy of a floating tensor (perturbed in place below)."""
    if isinstance(x, Tensor) and x.dtype.kind == "f":
        return Tensor(np.array(x.data, dtype=np.float64, order="C"),
                      requires_grad=x.requires_grad)
    return x


def _outputs(result: object) -> list[Tensor]:
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(_outputs(r))
        return out
    return []


def gradcheck(fn: Callable[..., object], inputs: Tensor | Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check ``fn``'s analytic gradients against central differences (float64).

    fn: called as ``fn(*inputs)``; returns a tensor (or a tuple/list of them).
    inputs: tensors (those with ``requires_grad`` are checked) and constants;
    floating tensors are cast to float64 copies first.
    Raises :class:`GradcheckError` naming the input and the worst element on
    mismatch; returns True otherwise.
    """
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = [_as_f64(x) for x in inputs]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    rng = np.random.default_rng(seed)

    outs = _outputs(fn(*inputs))
    outs = [o for o in outs if o.dtype.kind == "f"]
    if not outs:
        raise ValueError("gradcheck: fn returned no floating tensor")
    weights = [rng.standard_normal(o.shape) for o in outs]

    def objective() -> float:
        with tape.no_grad():
            res = _outputs(fn(*inputs))
            res = [o for o in res if o.dtype.kind == "f"]
        return float(sum(np.sum(w * o.data.astype(np.float64)) for w, o in zip(weights, res)))

    live = [o for o in outs if o.requires_grad]
    if live:
        analytic = grad(live, [inputs[i] for i in checked],
                        [w for w, o in zip(weights, outs) if o.requires_grad])
    else:
        analytic = [np.zeros_like(inputs[i].data) for i in checked]

    for i, a in zip(checked, analytic):
        x = inputs[i].data
        numeric = np.zeros(x.shape, dtype=np.float64)
        flat = x.reshape(-1)            # a view: perturb in place
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            plus = objective()
            flat[j] = old - eps
            minus = objective()
            flat[j] = old
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        a = np.asarray(a, dtype=np.float64)
        err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and np.max(err) > 0:
            k = np.unravel_index(np.argmax(err), err.shape)
            raise GradcheckError(
                f"gradcheck: gradient of input {i} (shape {x.shape}) is wrong at "
                f"index {tuple(int(v) for v in k)}: analytic {a[k]:.8g}, numerical "
                f"{numeric[k]:.8g} (atol={atol}, rtol={rtol})")

    # directional derivative along one random direction through all inputs at once
    dirs = [rng.standard_normal(inputs[i].shape) for i in checked]
    saved = [inputs[i].data.copy() for i in checked]
    for i, d in zip(checked, dirs):
        inputs[i].data += eps * d
    plus = objective()
    for i, d, s in zip(checked, dirs, saved):
        inputs[i].data[...] = s - eps * d
    minus = objective()
    for i, s in zip(checked, saved):
        inputs[i].data[...] = s
    numeric_dir = (plus - minus) / (2 * eps)
    analytic_dir = float(sum(np.sum(np.asarray(a, np.float64) * d)
                             for a, d in zip(analytic, dirs)))
    if abs(analytic_dir - numeric_dir) > atol * len(dirs) + rtol * abs(numeric_dir) * 10:
        raise GradcheckError(
            f"gradcheck: directional derivative mismatch: analytic {analytic_dir:.8g}, "
            f"numerical {numeric_dir:.8g}")
    return True
