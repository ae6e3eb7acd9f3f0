"""Tied autoencoders (parameter tying) and greedy layer-wise pre-training."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn.autoencoder import contractive_penalty, sparsity_penalty


def _np_forward(x, w, be, bd):
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return sig(sig(x @ w.T + be) @ w + bd)


def test_owns_exactly_three_tied_parameters():
    ae = nn.TiedAutoencoder(6, 3)
    names = [n for n, _ in ae.named_parameters()]
    assert names == ["weight", "bias_enc", "bias_dec"]
    assert ae.weight.shape == (3, 6) and ae.bias_enc.shape == (3,) and ae.bias_dec.shape == (6,)


def test_forward_matches_the_formula():
    mg.set_default_dtype(mg.float64)
    ae = nn.TiedAutoencoder(5, 4)
    x = np.random.default_rng(1).standard_normal((7, 5))
    out = ae(mg.tensor(x)).data
    ref = _np_forward(x, ae.weight.data, ae.bias_enc.data, ae.bias_dec.data)
    np.testing.assert_allclose(out, ref, rtol=1e-12)


@given(n=st.integers(1, 4), i=st.integers(1, 4), h=st.integers(1, 3),
       act=st.sampled_from(["sigmoid", "tanh"]), out=st.sampled_from(["sigmoid", None]))
def test_module_gradients_match_the_formula_and_pass_gradcheck(n, i, h, act, out):
    mg.set_default_dtype(mg.float64)
    ae = nn.TiedAutoencoder(i, h, activation=act, out_activation=out)
    x = mg.tensor(np.random.default_rng(n * 10 + i).standard_normal((n, i)))

    def f(w, be, bd):           # the formula, written independently of the module
        z = x @ w.T + be
        code = mg.sigmoid(z) if act == "sigmoid" else mg.tanh(z)
        y = code @ w + bd
        return mg.sigmoid(y) if out else y

    params = [mg.tensor(p.data.copy(), requires_grad=True) for p in ae.parameters()]
    (ae(x) ** 2).sum().backward()
    ref = mg.grad((f(*params) ** 2).sum(), params)
    for p, r in zip(ae.parameters(), ref):
        np.testing.assert_allclose(p.grad, r, rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(f, params)


def test_tied_gradient_is_the_sum_of_encoder_and_decoder_uses():
    mg.set_default_dtype(mg.float64)
    ae = nn.TiedAutoencoder(4, 3, activation=None, out_activation=None)
    x = mg.tensor(np.random.default_rng(2).standard_normal((5, 4)))
    ae(x).sum().backward()
    tied = ae.weight.grad.copy()
    # untie: separate copies for encoder and decoder
    we = mg.tensor(ae.weight.data.copy(), requires_grad=True)
    wd = mg.tensor(ae.weight.data.copy(), requires_grad=True)
    ((x @ we.T + ae.bias_enc) @ wd + ae.bias_dec).sum().backward()
    np.testing.assert_allclose(tied, we.grad + wd.grad, rtol=1e-12)


def test_bad_input_and_arguments():
    ae = nn.TiedAutoencoder(4, 2)
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(3, 5\)"):
        ae(mg.zeros(3, 5))
    with pytest.raises(ValueError, match="activation"):
        nn.TiedAutoencoder(4, 2, activation="softsign")
    with pytest.raises(ValueError, match="positive"):
        nn.TiedAutoencoder(0, 2)


def test_penalties_match_their_formulas():
    mg.set_default_dtype(mg.float64)
    rng = np.random.default_rng(3)
    h = rng.uniform(0.1, 0.9, (6, 3))
    w = rng.standard_normal((3, 5))
    rho = 0.1
    rh = h.mean(0)
    kl = np.sum(rho * np.log(rho / rh) + (1 - rho) * np.log((1 - rho) / (1 - rh)))
    assert sparsity_penalty(mg.tensor(h), rho).item() == pytest.approx(kl, rel=1e-12)
    # contractive: ||dh/dx||_F^2 via the explicit Jacobian of sigmoid(x W^T)
    x = rng.standard_normal((4, 5))
    hh = 1 / (1 + np.exp(-(x @ w.T)))
    jac = [(hh[n] * (1 - hh[n]))[:, None] * w for n in range(4)]
    ref = np.mean([np.sum(j * j) for j in jac])
    got = contractive_penalty(mg.tensor(hh), mg.tensor(w)).item()
    assert got == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("kind", ["plain", "denoising", "sparse", "contractive"])
def test_greedy_pretraining_lowers_reconstruction_then_finetunes(kind):
    rng = np.random.default_rng(0)
    # data on a low-dimensional manifold in [0, 1]^16
    z = rng.random((256, 3))
    data = 1 / (1 + np.exp(-(z @ rng.standard_normal((3, 16)) * 2)))
    labels = (z[:, 0] > 0.5).astype(np.int64)
    stack = nn.StackedAutoencoder([16, 8, 4])
    opts = dict(plain={}, denoising=dict(noise=0.2), sparse=dict(sparsity=0.1),
                contractive=dict(contractive=0.1))[kind]
    hist = stack.pretrain(data.astype(np.float32), lambda p: optim.Adam(p, lr=0.02),
                          epochs=6, batch_size=32, **opts)
    assert len(hist) == 2 and all(len(c) == 6 for c in hist)
    for curve in hist:
        assert curve[-1] < curve[0]
    clf = stack.classifier(2)
    # the classifier shares the pre-trained weights (tying, not copying)
    assert clf[0].weight is stack.layers[0].weight
    x, y = mg.tensor(data.astype(np.float32)), mg.tensor(labels)
    opt = optim.Adam(clf.parameters(), lr=0.02)
    first = None
    for _ in range(60):
        loss = nn.functional.cross_entropy(clf(x), y)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.7 * first
