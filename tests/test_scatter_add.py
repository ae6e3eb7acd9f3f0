"""The row scatter-add behind every gather's backward (``minigrad/ops/scatter.py``).

Each path of the size rule (the Numba kernel, ``np.bincount`` for float64
without Numba, ``np.add.at``) gives ``np.add.at``'s results: float64 to 1e-12
(in fact bit for bit: every path sums in index order) and float32 bit for bit
for the kernel and ``np.add.at`` (both sum in index order in float32).
GetItem's gradient is checked by ``mg.gradcheck`` over drawn shapes and
indices with repeats, and a backward that drops the repeats is rejected.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import indexing, scatter

PATHS = ["numba", "no-numba"]


@contextlib.contextmanager
def on_path(name):
    """Run with the Numba kernel (``'numba'``) or without Numba, at every size."""
    old = mg.config.use_numba, scatter.NUMBA_MIN_ELEMENTS
    mg.config.use_numba, scatter.NUMBA_MIN_ELEMENTS = name == "numba", 0
    try:
        yield
    finally:
        mg.config.use_numba, scatter.NUMBA_MIN_ELEMENTS = old


@pytest.fixture(params=PATHS)
def path(request):
    with on_path(request.param):
        yield request.param


@settings(max_examples=25, deadline=None)
@given(V=st.integers(1, 9), N=st.integers(0, 40), D=st.integers(1, 7),
       seed=st.integers(0, 2**31 - 1), dtype=st.sampled_from([np.float64, np.float32]))
def test_scatter_add_rows_equals_add_at(V, N, D, seed, dtype):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, V, N)                      # repeats whenever N > V
    g = rng.standard_normal((N, D)).astype(dtype)
    ref = np.zeros((V, D), dtype)
    np.add.at(ref, rows, g)
    for name in PATHS:
        with on_path(name):
            out = scatter.scatter_add_rows(np.zeros((V, D), dtype), rows, g)
        assert out.dtype == dtype
        if dtype == np.float64:
            np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
        else:
            np.testing.assert_array_equal(out, ref)


def _index(draw, shape):
    """An advanced index into ``shape``: one integer array, or a tuple of them on the
    leading axes (negative entries included), with repeats."""
    k = draw(st.integers(1, len(shape)))
    ishape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    parts = tuple(rng.integers(-d, d, ishape) for d in shape[:k])
    return parts[0] if k == 1 else parts


@pytest.mark.parametrize("name", PATHS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_getitem_gradient(name, data):
    with on_path(name):
        _check_getitem(data)


def _check_getitem(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    index = _index(data.draw, shape)
    x = mg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert mg.gradcheck(lambda t: t[index], [x])
    y = x[index]
    g = np.random.default_rng(1).standard_normal(y.shape)
    x.grad = None
    y.backward(mg.tensor(g))
    ref = np.zeros(shape)
    np.add.at(ref, index, g)
    np.testing.assert_allclose(np.asarray(x.grad), ref, rtol=0, atol=1e-12)


def test_boolean_mask_and_mixed_indices_keep_their_gradients():
    x = mg.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    mask = np.array([True, False, True, True])
    assert mg.gradcheck(lambda t: t[mask], [x])
    assert mg.gradcheck(lambda t: t[:, np.array([0, 2, 2])], [x])       # np.add.at path
    assert mg.gradcheck(lambda t: t[np.array([1, 1]), 1:], [x])


def test_a_wrong_scatter_is_caught(monkeypatch, path):
    """A scatter that assigns instead of accumulating (repeats lost) must be rejected."""
    def assign(out, rows, g):
        out[rows] = g
        return out
    monkeypatch.setattr(indexing, "scatter_add_rows", assign)
    x = mg.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: t[np.array([0, 2, 0, 0])], [x])


def test_embedding_gradient_sums_repeated_rows(path):
    from minigrad import nn
    emb = nn.Embedding(5, 3)
    idx = np.array([[1, 1, 4], [1, 0, 4]])
    emb(mg.tensor(idx)).sum().backward()
    want = np.zeros((5, 3), np.float32)
    np.add.at(want, idx.reshape(-1), np.ones((6, 3), np.float32))
    np.testing.assert_array_equal(np.asarray(emb.weight.grad), want)
