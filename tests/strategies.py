"""Shared hypothesis strategies for gradient tests.

Values are kept well-conditioned for central differences: away from kinks
(abs, relu, max ties) and poles (log, sqrt, division near 0) unless a test asks
otherwise, and small enough that exp does not dominate.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

small_dims = st.integers(min_value=1, max_value=4)


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                            min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4):
    """``num_shapes`` shapes that broadcast together (NumPy rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side
                                             ).map(lambda r: r.input_shapes)


@st.composite
def arrays(draw, shape, low=-2.0, high=2.0, away_from_zero=0.0, distinct=False,
           dtype=np.float64):
    """A float array of ``shape`` with values in [low, high].

    away_from_zero: |x| >= this (for abs, log, division...). distinct: values
    pairwise at least 1e-2 apart (for max/min/sort ties).
    """
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    n = int(np.prod(shape))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if distinct:
        vals = rng.permutation(n) * 1e-1 + rng.uniform(0, 1e-2, n)
        vals = low + (vals - vals.min()) / max(vals.max() - vals.min(), 1e-12) * (high - low) \
            if n > 1 else rng.uniform(low, high, n)
    else:
        vals = rng.uniform(low, high, n)
    if away_from_zero:
        vals = np.where(np.abs(vals) < away_from_zero,
                        np.sign(vals + 1e-12) * away_from_zero + vals, vals)
    return vals.reshape(shape).astype(dtype)


@st.composite
def tensors(draw, shape, requires_grad=True, **kw):
    """A float64 leaf tensor (see ``arrays`` for the keyword arguments)."""
    return mg.tensor(draw(arrays(shape, **kw)), requires_grad=requires_grad)
