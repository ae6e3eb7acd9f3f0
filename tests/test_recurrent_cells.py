"""The recurrent cell registry: specs are the one description of a cell type.

A cell registered only as a CellSpec (here a linear recurrence, NumPy steps
only) runs through the recurrent op unchanged, forward and backward; the
layers' weight shapes follow the specs; unknown names are refused naming the
known ones.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.ops.recurrent import CELL_SPECS, CellSpec, cell_spec, recurrent


def linear_forward(XP, R, bh, S, row, prow, nrow):
    B = R.shape[0]
    S[0, nrow:nrow + B] = XP[row:row + B] + R + bh


def linear_backward(dOut, S, dS, dRec, dGh, row, prow, nrow):
    B = dRec.shape[0]
    dGh[row:row + B] = dOut[row:row + B] + dS[0] + dRec
    dS[0] = 0


LINEAR = CellSpec("linear", ("a",), ("h",), (), False, linear_forward, linear_backward,
                  kernel_module="")


@contextlib.contextmanager
def linear_cell():
    """LINEAR registered, on the NumPy path (it has no kernels)."""
    old = mg.config.use_numba
    CELL_SPECS["linear"], mg.config.use_numba = LINEAR, False
    try:
        yield
    finally:
        del CELL_SPECS["linear"]
        mg.config.use_numba = old


@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 4), B=st.integers(1, 3), I=st.integers(1, 3), H=st.integers(1, 4),
       reverse=st.booleans(), seed=st.integers(0, 2**31))
def test_a_cell_registered_as_a_spec_runs_through_the_op(T, B, I, H, reverse, seed):
    with linear_cell():
        _check_linear_cell(T, B, I, H, reverse, np.random.default_rng(seed))


def _check_linear_cell(T, B, I, H, reverse, rng):
    t = lambda *s: mg.tensor(rng.uniform(-0.5, 0.5, s), dtype=mg.float64,  # noqa: E731
                             requires_grad=True)
    x, h0, w_ih, w_hh, b_ih, b_hh = t(T, B, I), t(B, H), t(H, I), t(H, H), t(H), t(H)
    out = recurrent(x, h0, None, w_ih, w_hh, b_ih, b_hh, cell="linear", reverse=reverse)
    h, ref = h0.data, np.empty((T, B, H))
    for s in (range(T - 1, -1, -1) if reverse else range(T)):
        h = x.data[s] @ w_ih.data.T + b_ih.data + h @ w_hh.data.T + b_hh.data
        ref[s] = h
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    args = [x, h0, w_ih, w_hh, b_ih, b_hh]
    assert mg.gradcheck(lambda x, h0, wi, wh, bi, bh: recurrent(
        x, h0, None, wi, wh, bi, bh, cell="linear", reverse=reverse), args)


@pytest.mark.parametrize("kind,cell", [("RNN", "rnn_tanh"), ("LSTM", "lstm"), ("GRU", "gru")])
def test_layer_weights_follow_the_spec(kind, cell):
    layer = getattr(nn, kind)(3, 5)
    G = cell_spec(cell).gates
    assert layer.weight_ih_l0.shape == (G * 5, 3)
    assert layer.weight_hh_l0.shape == (G * 5, 5)
    assert layer.bias_hh_l0.shape == (G * 5,)


def test_unknown_cell_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown cell 'lsmt', expected one of \['gru', "
                                         r"'lstm', 'rnn_relu', 'rnn_tanh'\]"):
        cell_spec("lsmt")
