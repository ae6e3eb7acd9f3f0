"""The fused gate kernels against the NumPy step functions, one step at a time.

Both implement the same per-step contract (see minigrad/ops/recurrent.py), so
a step of each on the same random arrays must write the same states, saved
work and gradients: to 1e-12 in float64 and to float32 rounding in float32.
The vectorisable sigmoid/tanh of minigrad/kernels/_math.py are checked over
their whole range, including saturation and tiny arguments.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.ops import recurrent as rec

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def _state(cell, H, T, B, dt, seed):
    """Random arrays for one step: the op's layout, filled with plausible values."""
    G, nS, nW = rec.CELLS[cell]
    rng = np.random.default_rng(seed)
    u = lambda *shape: rng.uniform(-1.5, 1.5, shape).astype(dt)  # noqa: E731
    S = u(nS, (T + 1) * B, H)
    Wk = rng.uniform(0.05, 0.95, (T * B, nW * H)).astype(dt) if nW else np.zeros((1, 1), dt)
    return dict(XP=u(T * B, G * H), R=u(B, G * H), bias=u(2, G * H), S=S, Wk=Wk,
                dOut=u(T * B, H), dS=u(nS, B, H), dRec=u(B, H),
                dGh=np.zeros((T * B, G * H), dt),
                dGi=np.zeros((T * B, G * H) if cell == "gru" else (1, 1), dt))


def _run_step(binders, a, t, B, reverse):
    row, prow, nrow = t * B, (t + reverse) * B, (t + 1 - reverse) * B
    binders[0](a["XP"], a["R"], a["bias"], a["S"], a["Wk"])(row, prow, nrow)
    binders[1](a["dOut"], a["S"], a["Wk"], a["dS"], a["dRec"], a["dGh"], a["dGi"])(
        row, prow, nrow)
    return a


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=15)
@given(H=st.integers(1, 9), B=st.integers(1, 37), T=st.integers(1, 3),
       reverse=st.integers(0, 1), seed=st.integers(0, 2**31))
def test_kernel_step_equals_numpy_step(cell, dtype, H, B, T, reverse, seed):
    from minigrad import kernels
    t = T - 1 if not reverse else 0
    a = _run_step(rec._numpy_steps(cell), _state(cell, H, T, B, dtype, seed), t, B, reverse)
    b = _run_step(kernels.steps(cell), _state(cell, H, T, B, dtype, seed), t, B, reverse)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for name in ("S", "Wk", "dS", "dGh", "dGi"):
        np.testing.assert_allclose(b[name], a[name], rtol=tol, atol=tol, err_msg=name)
    assert np.isfinite(a["S"]).all()
    assert np.abs(a["dGh"]).max() > 0 or cell == "rnn_relu"     # the step did write


@pytest.mark.parametrize("dtype,tol", [(np.float64, 5e-16), (np.float32, 4e-7)])
def test_vectorisable_sigmoid_and_tanh(dtype, tol):
    from numba import njit
    from minigrad.kernels._math import sigmoid, tanh

    @njit
    def apply(x, s, t):
        for i in range(x.size):
            s[i] = sigmoid(x[i])
            t[i] = tanh(x[i])

    x = np.concatenate([np.linspace(-120, 120, 24001), np.linspace(-1e-3, 1e-3, 201),
                        [0.0, 1e-30, -1e-30, 1e-8, -1e-8, 700.0, -700.0]]).astype(dtype)
    s, t = np.empty_like(x), np.empty_like(x)
    apply(x, s, t)
    x64 = x.astype(np.float64)
    with np.errstate(over="ignore"):
        ref_s = 1.0 / (1.0 + np.exp(-x64))
    ref_t = np.tanh(x64)
    assert s.dtype == dtype and t.dtype == dtype
    np.testing.assert_allclose(s, ref_s, rtol=0, atol=tol)
    np.testing.assert_allclose(t, ref_t, rtol=0, atol=tol)
    small = np.abs(x64) < 1e-3                     # no cancellation near zero
    np.testing.assert_allclose(t[small], ref_t[small], rtol=8 * tol, atol=1e-37)
    assert (s >= 0).all() and (s <= 1).all() and (np.abs(t) <= 1).all()


def test_float32_tanh_and_sigmoid_saturate_exactly():
    """From the least float32 x whose correctly rounded tanh is 1 (9.0109), tanh is
    exactly +-1 and sigmoid (tanh of x/2) exactly 0 or 1, so 1 - y^2 and y(1 - y) are
    0 as NumPy/PyTorch give; just below, every float32 is within 4e-7 of tanh."""
    from numba import njit
    from minigrad.kernels._math import sigmoid, tanh

    @njit
    def apply(x, s, t):
        for i in range(x.size):
            s[i] = sigmoid(x[i])
            t[i] = tanh(x[i])

    lo, hi = np.array([6.0, 40.0], np.float32).view(np.int32)
    grid = np.arange(lo, hi, dtype=np.int32).view(np.float32)      # every float32 between
    x = np.concatenate([grid, -grid, np.array([1e4, -1e4, 3e38, -3e38], np.float32)])
    s, t = np.empty_like(x), np.empty_like(x)
    apply(x, s, t)
    x64 = x.astype(np.float64)
    rounded = np.tanh(x64).astype(np.float32)
    sat = np.abs(rounded) == 1
    assert sat.any() and not sat.all()
    np.testing.assert_array_equal(t[sat], np.sign(x[sat]))
    assert (np.abs(t[~sat]) < 1).all()
    np.testing.assert_allclose(t, np.tanh(x64), rtol=0, atol=4e-7)
    half_sat = np.abs(np.tanh(x64 / 2).astype(np.float32)) == 1
    np.testing.assert_array_equal(s[half_sat], (x[half_sat] > 0).astype(np.float32))
    np.testing.assert_array_equal((s * (1 - s))[half_sat], 0)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(s, 1 / (1 + np.exp(-x64)), rtol=0, atol=4e-7)
