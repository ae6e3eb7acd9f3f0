"""The convolution's "patches" layout and the max-pool kernels (Numba) against the NumPy
reference paths they replace: float64 to 1e-10, forward and every gradient, over
generated shapes (strides, padding, odd sizes, batch 1, bias None), gradient checks of
the new paths, and a deliberately wrong backward of each rejected.

The conv path is forced through ``minigrad.ops.conv.layout`` (the size rule); the pool
path through ``mg.config.use_numba``, which the conv rule also follows.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops import conv as conv_ops
from minigrad.ops import pool as pool_ops
from minigrad.testing import arrays

N_EX = max(6, settings.default.max_examples)


@st.composite
def conv_inputs(draw):
    """(x, w, b or None, stride, padding) arrays, float64, any small layout."""
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, kh - 2 * padding[0]), kh + 5))
    w = draw(st.integers(max(1, kw - 2 * padding[1]), kw + 5))
    x = draw(arrays((n, c, h, w)))
    wt = draw(arrays((o, c, kh, kw)))
    b = draw(arrays((o,))) if draw(st.booleans()) else None
    return x, wt, b, stride, padding


def conv_run(layout, x, w, b, stride, padding, monkeypatch):
    """conv2d's output and (dx, dw, db) through ``layout``, for a fixed random cotangent."""
    monkeypatch.setattr(conv_ops, "layout", lambda *a: layout)
    ts = [mg.tensor(a, requires_grad=True) for a in (x, w)]
    bt = None if b is None else mg.tensor(b, requires_grad=True)
    y = F.conv2d(ts[0], ts[1], bt, stride, padding)
    assert y.grad_fn.saved[0] == layout             # the path asked for was taken
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    grads = [t.grad for t in ts] + ([] if bt is None else [bt.grad])
    return y.data, grads


@settings(max_examples=N_EX, deadline=None)
@given(conv_inputs())
def test_patches_layout_matches_im2col(case):
    x, w, b, stride, padding = case
    with pytest.MonkeyPatch.context() as mp:
        y0, g0 = conv_run("im2col", x, w, b, stride, padding, mp)
        y1, g1 = conv_run("patches", x, w, b, stride, padding, mp)
    assert y1.shape == y0.shape
    np.testing.assert_allclose(y1, y0, rtol=1e-10, atol=1e-10)
    for a, r in zip(g1, g0):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n,c,h,w,o,k,stride,padding,bias", [
    (1, 1, 7, 9, 2, (3, 3), (1, 1), (0, 0), True),      # batch 1, odd sizes
    (1, 3, 5, 5, 4, (3, 2), (2, 3), (2, 1), False),     # bias None, strides, padding
    (2, 2, 11, 6, 3, (1, 1), (2, 1), (0, 0), False),    # 1x1 kernel
    (3, 4, 6, 7, 5, (3, 3), (3, 3), (1, 1), True),      # stride = kernel
    (2, 1, 2, 2, 1, (2, 2), (1, 1), (1, 1), True)])     # output larger than the input
def test_patches_layout_matches_im2col_named_cases(n, c, h, w, o, k, stride, padding, bias,
                                                    monkeypatch):
    rng = np.random.default_rng(0)
    x, wt = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c) + k)
    b = rng.standard_normal(o) if bias else None
    y0, g0 = conv_run("im2col", x, wt, b, stride, padding, monkeypatch)
    y1, g1 = conv_run("patches", x, wt, b, stride, padding, monkeypatch)
    np.testing.assert_allclose(y1, y0, rtol=1e-10, atol=1e-10)
    for a, r in zip(g1, g0):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)


def test_patches_layout_input_without_gradient_and_float32(monkeypatch):
    """The first layer's case (input needs no gradient) and float32 in, float32 out."""
    monkeypatch.setattr(conv_ops, "layout", lambda *a: "patches")
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((2, 1, 9, 8)).astype(np.float32))
    w = mg.tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, None, 2, 1)
    assert y.dtype == np.float32 and y.shape == (2, 3, 5, 4)
    y.sum().backward()
    assert x.grad is None and w.grad.dtype == np.float32


def test_size_rule_follows_use_numba_and_dtypes(monkeypatch):
    f32, f64 = np.zeros(1, np.float32), np.zeros(1)
    assert conv_ops.layout(f32, f32, None) == "patches"
    assert conv_ops.layout(f64, f64, f64) == "patches"
    assert conv_ops.layout(f32, f64, None) == "im2col"          # mixed dtypes
    assert conv_ops.layout(f32, f32, f64) == "im2col"
    assert conv_ops.layout(f32.astype(np.float16), f32.astype(np.float16), None) == "im2col"
    monkeypatch.setattr(mg.config, "use_numba", False)
    assert conv_ops.layout(f32, f32, None) == "im2col"


@st.composite
def pool_inputs(draw):
    """(x, kernel, stride, padding): x with ties (few distinct values) half the time."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)),
             draw(st.integers(kernel[0], kernel[0] + 5)),
             draw(st.integers(kernel[1], kernel[1] + 5)))
    x = draw(arrays(shape))
    if draw(st.booleans()):
        x = np.round(x)                      # ties: the first maximum must get the gradient
    return x, kernel, stride, padding


def pool_run(numba, x, kernel, stride, padding, monkeypatch):
    monkeypatch.setattr(mg.config, "use_numba", numba)
    t = mg.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, kernel, stride, padding)
    assert y.grad_fn.saved[0] == ("kernel" if numba else "numpy")
    y.backward(np.random.default_rng(1).standard_normal(y.shape))
    return y.data, t.grad


@settings(max_examples=N_EX, deadline=None)
@given(pool_inputs())
def test_max_pool_kernel_matches_numpy(case):
    with pytest.MonkeyPatch.context() as mp:
        y0, g0 = pool_run(False, *case, mp)
        y1, g1 = pool_run(True, *case, mp)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_allclose(g1, g0, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("special", [np.nan, -np.inf, np.inf])
def test_max_pool_kernel_matches_numpy_on_nan_and_infinities(special, monkeypatch):
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((2, 2, 7, 6)))
    x.flat[rng.choice(x.size, 12, replace=False)] = special
    x[0, 0] = -np.inf                              # whole windows of -inf (pad included)
    for kernel, stride, padding in [((2, 2), (2, 2), (0, 0)), ((3, 2), (1, 2), (1, 1)),
                                    ((2, 2), (1, 1), (1, 0))]:
        y0, g0 = pool_run(False, x, kernel, stride, padding, monkeypatch)
        y1, g1 = pool_run(True, x, kernel, stride, padding, monkeypatch)
        np.testing.assert_array_equal(y1, y0)
        # overlapping windows add in another order (to 1 ulp)
        np.testing.assert_allclose(g1, g0, rtol=1e-12, atol=1e-12)


@settings(max_examples=N_EX, deadline=None)
@given(conv_inputs())
def test_gradcheck_patches_layout(case):
    x, w, b, stride, padding = case
    ts = [mg.tensor(a, requires_grad=True) for a in (x, w) + (() if b is None else (b,))]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conv_ops, "layout", lambda *a: "patches")
        assert mg.gradcheck(lambda *t: F.conv2d(t[0], t[1], t[2] if len(t) > 2 else None,
                                                stride, padding), ts)


@settings(max_examples=N_EX, deadline=None)
@given(pool_inputs())
def test_gradcheck_max_pool_kernel(case):
    x, kernel, stride, padding = case
    x = x + np.random.default_rng(0).uniform(0.1, 0.4, x.shape)   # ties apart (finite differences)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mg.config, "use_numba", True)
        assert mg.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding),
                            [mg.tensor(x, requires_grad=True)])


def test_a_wrong_conv_col2im_is_caught(monkeypatch):
    """col2im's adjoint with the last kernel offset dropped: gradcheck must reject it."""
    from minigrad.kernels import conv as kernels
    right = kernels.col2im

    def wrong(gcols, *args):
        gcols = gcols.copy()
        gcols[:, -1] = 0
        return right(gcols, *args)
    monkeypatch.setattr(kernels, "col2im", wrong)
    monkeypatch.setattr(conv_ops, "layout", lambda *a: "patches")
    rng = np.random.default_rng(0)
    ts = [mg.tensor(rng.standard_normal(s), requires_grad=True)
          for s in ((2, 2, 5, 4), (3, 2, 2, 2))]
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda x, w: F.conv2d(x, w, None, 1, 1), ts)


def test_a_wrong_max_pool_scatter_is_caught(monkeypatch):
    """The arg-max scatter one element off: gradcheck must reject it."""
    from minigrad.kernels import pool as kernels
    right = kernels.max_backward
    monkeypatch.setattr(kernels, "max_backward",
                        lambda g, arg, hp, wp: right(g, (arg + 1) % (hp * wp), hp, wp))
    monkeypatch.setattr(mg.config, "use_numba", True)
    x = mg.tensor(np.random.default_rng(0).permutation(48).reshape(1, 3, 4, 4) / 8.0,
                  requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: F.max_pool2d(t, 2), [x])


def test_numpy_path_does_not_load_numba():
    """With ``use_numba`` off, a conv + max-pool step runs without importing Numba."""
    import subprocess
    import sys
    code = ("import sys, numpy as np, minigrad as mg, minigrad.nn.functional as F\n"
            "mg.config.use_numba = False\n"
            "x = mg.tensor(np.ones((1, 1, 6, 6)), requires_grad=True)\n"
            "w = mg.tensor(np.ones((2, 1, 3, 3)), requires_grad=True)\n"
            "F.max_pool2d(F.conv2d(x, w), 2).sum().backward()\n"
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False"]
