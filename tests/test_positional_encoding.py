"""nn.PositionalEncoding: the sinusoidal code of PyTorch's word-language-model example."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def test_the_code_is_the_papers_formula():
    pos = nn.PositionalEncoding(6, dropout=0.0, max_len=50)
    assert pos.state_dict()["pe"].shape == (50, 1, 6)
    pe = pos.pe[:, 0]
    for p in (0, 1, 7, 49):
        for i in range(3):
            w = 10000 ** (-2 * i / 6)
            assert math.isclose(pe[p, 2 * i], math.sin(p * w), abs_tol=1e-6)
            assert math.isclose(pe[p, 2 * i + 1], math.cos(p * w), abs_tol=1e-6)
    odd = nn.PositionalEncoding(5, max_len=4).pe[:, 0]
    assert odd.shape == (4, 5) and math.isclose(odd[3, 4], math.sin(3 * 10000 ** -0.8),
                                                abs_tol=1e-6)


def test_adds_the_code_per_position_in_both_layouts():
    pos = nn.PositionalEncoding(8, dropout=0.5, max_len=20).eval()   # eval: no dropout
    x = mg.randn(7, 3, 8, requires_grad=True)
    y = pos(x)
    np.testing.assert_allclose(y.data, x.data + pos.pe[:7], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((7, 3, 8)))
    bf = nn.PositionalEncoding(8, dropout=0.0, max_len=20, batch_first=True)
    xb = mg.randn(3, 7, 8)
    np.testing.assert_allclose(bf(xb).data, xb.data + bf.pe[:7, 0][None], rtol=1e-6)


def test_dropout_in_training():
    pos = nn.PositionalEncoding(8, dropout=0.5, max_len=20)
    y = pos(mg.zeros(10, 4, 8) - mg.tensor(pos.pe[:10]))     # zero before the dropout
    assert np.allclose(y.data, 0)
    z = pos(mg.ones(10, 4, 8)).data
    assert 0.2 < (z == 0).mean() < 0.8


def test_bad_input_is_named():
    pos = nn.PositionalEncoding(8, max_len=5)
    with pytest.raises(ValueError, match="S <= 5"):
        pos(mg.randn(6, 2, 8))
    with pytest.raises(ValueError, match="d_model=8"):
        pos(mg.randn(4, 2, 6))
    with pytest.raises(ValueError, match="positive"):
        nn.PositionalEncoding(0)
