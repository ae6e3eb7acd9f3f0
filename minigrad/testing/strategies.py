"""Hypothesis strategies for gradient tests: shapes, well-conditioned arrays, axes,
indices, and the inputs of each kind of op.

Values are kept well-conditioned for central differences: away from kinks
(abs, relu, clip bounds, max/min ties) and poles (log, sqrt, division near 0),
and small enough that exp does not dominate.

An op's inputs are declared with :class:`Inputs`-producing strategies:
``elementwise(n)``, ``reduction()``, ``matmul_operands()``, ``joined()``, ... Each
draws ``Inputs(arrays, kwargs)``: float64 arrays (each becomes a leaf tensor
requiring grad) and keyword arguments for the op (axis, keepdims, an index...).
A test then needs one line per op, e.g. in ``tests/test_core_grad.py``::

    Case("log", lambda x: x.log(), elementwise(1, low=0.2, high=3.0)),

>>> from hypothesis import given
>>> @given(elementwise(2, away_from_zero=0.5))
... def check(inputs):
...     a, b = inputs.tensors()
...     assert (abs(b.data) >= 0.5).all()
>>> check()
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor, tensor


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes with ``min_dims..max_dims`` axes of ``min_side..max_side`` each."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                            min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``num_shapes`` shapes that broadcast together (NumPy rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side
                                             ).map(lambda r: r.input_shapes)


def _values(rng: np.random.Generator, n: int, low: float, high: float, distinct: bool,
            avoid: tuple[float, ...], margin: float) -> np.ndarray:
    if distinct and n > 1:
        # a shuffled grid with jitter: neighbours at least ~0.9 (high-low)/n apart
        vals = (rng.permutation(n) + rng.uniform(0.0, 0.1, n)) / n
        vals = low + vals * (high - low)
    else:
        vals = rng.uniform(low, high, n)
    for p in avoid:                 # push values off kinks and poles
        near = np.abs(vals - p) < margin
        vals = np.where(near, p + np.where(vals >= p, margin, -margin), vals)
    return vals


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
           low: float = -2.0, high: float = 2.0, away_from_zero: float = 0.0,
           distinct: bool = False, avoid: tuple[float, ...] = (),
           dtype: Any = np.float64) -> np.ndarray:
    """A float array of ``shape`` with values in [low, high] (shifted off ``avoid``).

    away_from_zero: |x| >= this (for abs, log, division...). avoid: points the
    values keep at least 0.05 from (e.g. clip bounds). distinct: values pairwise
    well apart (for max/min ties).
    """
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else tuple(shape)
    n = int(np.prod(shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    vals = _values(rng, n, low, high, distinct, tuple(avoid), 0.05)
    if away_from_zero:
        vals = np.where(np.abs(vals) < away_from_zero,
                        np.where(vals >= 0, away_from_zero, -away_from_zero) + vals, vals)
    return vals.reshape(shape).astype(dtype)


@st.composite
def tensors(draw: st.DrawFn, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
            requires_grad: bool = True, **kw: Any) -> Tensor:
    """A float64 leaf tensor (see ``arrays`` for the keyword arguments)."""
    return tensor(draw(arrays(shape, **kw)), requires_grad=requires_grad)


# ---------------------------------------------------------------- op inputs
@dataclass
class Inputs:
    """What one example of an op gets: arrays (-> leaf tensors) and op kwargs."""
    arrays: list[np.ndarray]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def tensors(self, requires_grad: bool = True) -> list[Tensor]:
        """A fresh leaf tensor per array (float64, requiring grad by default)."""
        return [tensor(a, requires_grad=requires_grad) for a in self.arrays]


def _fill(draw: st.DrawFn, shapes_: list[tuple[int, ...]], value_kw: dict[str, Any],
          joint_distinct: bool = False) -> list[np.ndarray]:
    """Arrays of the given shapes; ``joint_distinct``: all values of all arrays distinct.

    Some arrays of 2+ axes come in Fortran order, so ops also meet
    non-C-contiguous data (``mg.tensor`` keeps the layout it is given).
    """
    if not joint_distinct:
        out = [draw(arrays(s, **value_kw)) for s in shapes_]
    else:
        sizes = [int(np.prod(s)) for s in shapes_]
        flat = draw(arrays((sum(sizes),), distinct=True, **value_kw))
        out, i = [], 0
        for s, n in zip(shapes_, sizes):
            out.append(flat[i:i + n].reshape(s))
            i += n
    return [np.asfortranarray(a) if a.ndim >= 2 and draw(st.booleans()) else a
            for a in out]


@st.composite
def elementwise(draw: st.DrawFn, n: int = 1, max_dims: int = 3, max_side: int = 3,
                distinct: bool = False, **value_kw: Any) -> Inputs:
    """``n`` arrays of mutually broadcastable shapes (``n == 1``: any shape).

    distinct: no value appears twice across all arrays (for max/min/maximum).
    """
    if n == 1:
        shapes_ = [draw(shapes(max_dims=max_dims, max_side=max_side))]
    else:
        shapes_ = list(draw(broadcastable_shapes(n, max_dims=max_dims, max_side=max_side)))
    return Inputs(_fill(draw, shapes_, value_kw, joint_distinct=distinct))


@st.composite
def axes(draw: st.DrawFn, ndim: int, allow_none: bool = True,
         allow_tuple: bool = True) -> int | tuple[int, ...] | None:
    """A NumPy ``axis`` argument for an array of ``ndim`` axes: None, an int or a tuple."""
    options: list[st.SearchStrategy[Any]] = []
    if allow_none:
        options.append(st.none())
    if ndim:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(hnp.valid_tuple_axes(ndim, min_size=1))
    return draw(st.one_of(*options))


@st.composite
def reduction(draw: st.DrawFn, min_side: int = 1, max_side: int = 3, distinct: bool = False,
              ddof: bool = False, int_axis: bool = False, **value_kw: Any) -> Inputs:
    """One array and a reduction's ``axis`` (+ ``keepdims``, and ``ddof`` if asked)."""
    min_dims = 1 if (int_axis or ddof) else 0
    shape = draw(shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=max_side))
    (x,) = _fill(draw, [shape], value_kw, joint_distinct=distinct)
    if int_axis:
        return Inputs([x], dict(axis=draw(st.integers(-len(shape), len(shape) - 1))))
    kwargs = dict(axis=draw(axes(len(shape))), keepdims=draw(st.booleans()))
    if ddof:
        kwargs["ddof"] = draw(st.sampled_from([0, 1]))
    return Inputs([x], kwargs)


@st.composite
def matmul_operands(draw: st.DrawFn, max_side: int = 3) -> Inputs:
    """Two arrays ``np.matmul`` accepts: 1-D, 2-D and broadcast batch operands."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    a_shape, b_shape = draw(st.sampled_from([
        ((n, k), (k, m)),                   # matrix @ matrix
        ((k,), (k, m)),                     # vector @ matrix
        ((n, k), (k,)),                     # matrix @ vector
        ((k,), (k,)),                       # inner product
        ((2, n, k), (k, m)),                # batch @ matrix
        ((n, k), (2, k, m)),                # matrix @ batch
        ((2, n, k), (k,)),                  # batch @ vector
        ((k,), (2, k, m)),                  # vector @ batch
        ((2, 1, n, k), (3, k, m)),          # broadcast batch axes
    ]))
    return Inputs(_fill(draw, [a_shape, b_shape], {}))


@st.composite
def joined(draw: st.DrawFn, new_axis: bool = False, max_inputs: int = 3) -> Inputs:
    """1-3 arrays to ``concatenate`` (equal shapes except on ``axis``) or ``stack``."""
    base = list(draw(shapes(min_dims=1, max_dims=3, max_side=3)))
    ndim = len(base)
    count = draw(st.integers(1, max_inputs))
    if new_axis:
        axis = draw(st.integers(-ndim - 1, ndim))
        shapes_ = [tuple(base)] * count
    else:
        axis = draw(st.integers(-ndim, ndim - 1))
        shapes_ = []
        for _ in range(count):
            s = list(base)
            s[axis] = draw(st.integers(1, 3))
            shapes_.append(tuple(s))
    return Inputs(_fill(draw, shapes_, {}), dict(axis=axis))


@st.composite
def indexed(draw: st.DrawFn) -> Inputs:
    """An array and a NumPy index: basic, integer arrays (with repeats), boolean, mixed."""
    shape = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    (x,) = _fill(draw, [shape], {})
    n0 = shape[0]
    kind = draw(st.sampled_from(["int", "slice", "repeated", "bool", "mixed", "ellipsis",
                                 "negative-repeated", "2d-int"]))
    index: Any
    if kind == "int":
        index = draw(st.integers(-n0, n0 - 1))
    elif kind == "slice":
        start = draw(st.integers(0, n0 - 1))
        index = slice(start, None, draw(st.integers(1, 2)))
    elif kind in ("repeated", "negative-repeated"):
        picks = draw(st.lists(st.integers(0, n0 - 1), min_size=1, max_size=6))
        picks = picks + picks[:1]                       # at least one repeat
        if kind == "negative-repeated":
            picks = [p - n0 for p in picks]
        index = np.array(picks)
    elif kind == "bool":
        index = np.array(draw(st.lists(st.booleans(), min_size=n0, max_size=n0)))
    elif kind == "2d-int":
        index = np.array(draw(st.lists(st.integers(0, n0 - 1), min_size=4, max_size=4))
                         ).reshape(2, 2)
    elif kind == "mixed" and len(shape) >= 2:
        rows = np.array(draw(st.lists(st.integers(0, n0 - 1), min_size=1, max_size=4)))
        index = (rows, slice(None), *([0] * (len(shape) - 2)))
    else:
        index = (Ellipsis, 0) if kind == "ellipsis" else (None, slice(None))
    return Inputs([x], dict(index=index))


@st.composite
def reshapes(draw: st.DrawFn) -> Inputs:
    """An array and a ``shape`` with the same number of elements."""
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=3))
    (x,) = _fill(draw, [shape], {})
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(-1,), tuple(reversed(shape)), (1, size), (size, 1, 1)]))
    return Inputs([x], dict(shape=target))


@st.composite
def permutations(draw: st.DrawFn) -> Inputs:
    """An array and an axis permutation for ``transpose``."""
    shape = draw(shapes(min_dims=1, max_dims=4, max_side=3))
    (x,) = _fill(draw, [shape], {})
    perm = draw(st.permutations(range(len(shape))))
    # NumPy also accepts negative axes: give some as a - ndim
    return Inputs([x], dict(axes=tuple(a - len(shape) if draw(st.booleans()) else a
                                       for a in perm)))


@st.composite
def squeezable(draw: st.DrawFn) -> Inputs:
    """An array with some size-1 axes and a ``squeeze`` axis (None, or one of them)."""
    shape = draw(shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    shape = tuple(1 if draw(st.booleans()) else n for n in shape)
    (x,) = _fill(draw, [shape], {})
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = draw(st.sampled_from([None] + ones + [i - len(shape) for i in ones]))
    return Inputs([x], dict(axis=axis))


@st.composite
def unsqueezable(draw: st.DrawFn) -> Inputs:
    """An array and an ``unsqueeze`` position in ``[-ndim-1, ndim]``."""
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=3))
    (x,) = _fill(draw, [shape], {})
    return Inputs([x], dict(axis=draw(st.integers(-len(shape) - 1, len(shape)))))


@st.composite
def expandable(draw: st.DrawFn) -> Inputs:
    """An array with size-1 axes and a larger ``shape`` it broadcasts to (-1 keeps)."""
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=3))
    shape = tuple(1 if draw(st.booleans()) else n for n in shape)
    (x,) = _fill(draw, [shape], {})
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if n == 1 else
                          draw(st.sampled_from([n, -1])) for n in shape)
    return Inputs([x], dict(shape=target))


@st.composite
def where_operands(draw: st.DrawFn) -> Inputs:
    """``cond`` (a boolean array, a constant), and broadcastable ``a``, ``b``."""
    c_shape, a_shape, b_shape = draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(c_shape)),
                                  max_size=int(np.prod(c_shape))))).reshape(c_shape)
    return Inputs(_fill(draw, [a_shape, b_shape], {}), dict(cond=cond))


@st.composite
def with_kwargs(draw: st.DrawFn, inputs: st.SearchStrategy[Inputs],
                **kw_strategies: st.SearchStrategy[Any]) -> Inputs:
    """``inputs`` (an Inputs strategy) with extra kwargs drawn from ``kw_strategies``."""
    inp = draw(inputs)
    return Inputs(inp.arrays, {**inp.kwargs, **{k: draw(s) for k, s in kw_strategies.items()}})


@st.composite
def mlp_operands(draw: st.DrawFn, max_side: int = 3) -> Inputs:
    """x ``(n, k)``, W ``(k, m)``, b ``(m,)``: the operands of one dense layer."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    return Inputs(_fill(draw, [(n, k), (k, m), (m,)], {}))
