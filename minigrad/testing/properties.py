"""The gradient properties every op is tested for, as plain functions.

Each property takes ``fn`` (called as ``fn(*tensors, **inputs.kwargs)``, returning
a tensor or a tuple/list of them), one drawn example ``inputs`` (float64 arrays,
each becoming a leaf tensor that requires grad, and the op's keyword arguments)
and a random generator, and raises ``AssertionError`` (``mg.GradcheckError`` for
the first) when the property fails:

* ``gradcheck``: analytic gradients against central differences in float64
  (``mg.gradcheck``: element by element and along a random direction);
* ``grad-shape``: d sum(f(x)) / dx has x's shape and dtype;
* ``accumulates``: a second backward adds the same amount to ``.grad``;
* ``linear``: grad(a f) == a grad(f) for a random scalar a;
* ``used-twice``: u = 1.5 x feeding two branches w1 f(u) and w2 f(u) gets the sum
  of both branches' gradients (inputs are scaled by 1.5, so strategies keep
  values off kinks at that scale too).

``tests/test_core_grad.py`` runs every op through :data:`PROPERTIES`;
:func:`~minigrad.testing.gradient_test` runs a user's op through the same ones.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..autograd import grad
from ..gradcheck import gradcheck
from ..tensor import Tensor
from .strategies import Inputs

Fn = Callable[..., Any]
Property = Callable[[Fn, Inputs, np.random.Generator], None]


def _outputs(result: object) -> list[Tensor]:
    """The floating tensors ``fn`` returned (one, or a tuple/list of them)."""
    found = list(result) if isinstance(result, (tuple, list)) else [result]
    return [t for t in found if isinstance(t, Tensor) and t.dtype.kind == "f"]


def _weighted(fn: Fn, inputs: Inputs, tensors: Sequence[Tensor],
              weights: Iterable[np.ndarray | float]) -> Tensor:
    """sum_k sum(w_k * out_k): one scalar from every output of ``fn(*tensors)``."""
    outs = _outputs(fn(*tensors, **inputs.kwargs))
    total: Tensor | None = None
    for out, w in zip(outs, weights):
        term = (out * w).sum()
        total = term if total is None else total + term
    if total is None:
        raise AssertionError("fn returned no floating tensor")
    return total


def _weights(fn: Fn, inputs: Inputs, rng: np.random.Generator) -> list[np.ndarray]:
    """A random cotangent for each output of ``fn`` on ``inputs``."""
    return [rng.standard_normal(o.shape) for o in _outputs(fn(*inputs.tensors(), **inputs.kwargs))]


def _close(actual: Any, expected: Any, what: str, tol: float) -> None:
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, err_msg=what)


def check_gradcheck(fn: Fn, inputs: Inputs, rng: np.random.Generator,
                    **gradcheck_kw: Any) -> None:
    """``mg.gradcheck`` of ``fn`` at ``inputs`` (float64 central differences)."""
    seed = int(rng.integers(2**31))
    gradcheck(lambda *ts: fn(*ts, **inputs.kwargs), inputs.tensors(), seed=seed,
              **gradcheck_kw)


def check_grad_shape(fn: Fn, inputs: Inputs, rng: np.random.Generator) -> None:
    """Every input's ``.grad`` after ``backward`` has the input's shape and float64 dtype."""
    ts = inputs.tensors()
    _weighted(fn, inputs, ts, itertools.repeat(1.0)).backward()
    for i, t in enumerate(ts):
        assert t.grad is not None, f"input {i}: no gradient"
        assert t.grad.shape == t.shape, f"input {i}: grad shape {t.grad.shape} != {t.shape}"
        assert t.grad.dtype == np.float64, f"input {i}: grad dtype {t.grad.dtype}"


def check_accumulates(fn: Fn, inputs: Inputs, rng: np.random.Generator) -> None:
    """Two backwards through two graphs leave twice the first gradient in ``.grad``."""
    ts = inputs.tensors()
    w = _weights(fn, inputs, rng)
    _weighted(fn, inputs, ts, w).backward()
    first = [None if t.grad is None else t.grad.copy() for t in ts]
    _weighted(fn, inputs, ts, w).backward()
    for i, (t, g) in enumerate(zip(ts, first)):
        if g is not None:
            _close(t.grad, 2 * g, f"input {i}: second backward did not accumulate", 1e-12)


def check_linear(fn: Fn, inputs: Inputs, rng: np.random.Generator) -> None:
    """grad(a f) == a grad(f), and ``mg.grad`` leaves ``.grad`` alone."""
    a = float(rng.uniform(0.1, 3.0) * rng.choice([-1.0, 1.0]))
    ts = inputs.tensors()
    w = _weights(fn, inputs, rng)
    plain = grad(_weighted(fn, inputs, ts, w), ts)
    scaled = grad(_weighted(fn, inputs, ts, [a * x for x in w]), ts)
    for i, (g, s) in enumerate(zip(plain, scaled)):
        if g is not None:
            _close(s, a * g, f"input {i}: grad({a} f) != {a} grad(f)", 1e-9)
    assert all(t.grad is None for t in ts), "mg.grad wrote .grad"


def check_used_twice(fn: Fn, inputs: Inputs, rng: np.random.Generator) -> None:
    """An intermediate u = 1.5 x used by two branches gets both branches' gradients."""
    ts = inputs.tensors()
    w1, w2 = _weights(fn, inputs, rng), _weights(fn, inputs, rng)
    us = [t * 1.5 for t in ts]
    (_weighted(fn, inputs, us, w1) + _weighted(fn, inputs, us, w2)).backward()
    together = grad(_weighted(fn, inputs, [t * 1.5 for t in ts],
                              [a + b for a, b in zip(w1, w2)]), ts)
    for i, (t, g) in enumerate(zip(ts, together)):
        if g is not None:
            _close(t.grad, g, f"input {i}: the two paths' gradients were not summed", 1e-9)


PROPERTIES: dict[str, Property] = {
    "gradcheck": check_gradcheck,
    "grad-shape": check_grad_shape,
    "accumulates": check_accumulates,
    "linear": check_linear,
    "used-twice": check_used_twice,
}
"""Every gradient property by name, in the order they run."""
