"""Restricted Boltzmann machines: energies against hand formulas, exact partition
functions against brute force, the CD/PCD gradient against the exact likelihood
gradient, training raising the exact likelihood, sampling, monitors, bad input."""
import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import nn, optim
from minigrad.ops.rbm import FreeEnergy


def _rbm(nv, nh, visible="bernoulli", seed=0, scale=1.0):
    """A float64 RBM with random (not tiny) parameters."""
    mg.set_default_dtype(mg.float64)
    rbm = nn.RBM(nv, nh, visible=visible)
    rng = np.random.default_rng(seed)
    rbm.weight.data[:] = rng.normal(0, scale, (nh, nv))
    rbm.visible_bias.data[:] = rng.normal(0, scale, nv)
    rbm.hidden_bias.data[:] = rng.normal(0, scale, nh)
    return rbm


def _all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n))).reshape(-1, n)


def _hand_energy(v, h, w, bv, bh, visible):
    vis = 0.5 * np.sum((v - bv) ** 2) if visible == "gaussian" else -v @ bv
    return vis - h @ bh - h @ w @ v


def _hand_free_energy(v, w, bv, bh, visible):
    """-log sum_h exp(-E(v, h)), summing over every hidden state explicitly."""
    hs = _all_states(len(bh))
    return -np.logaddexp.reduce([-_hand_energy(v, h, w, bv, bh, visible) for h in hs])


def _use(rbm, w, bv, bh):
    """Make the RBM compute with the tensors gradcheck perturbs (in place of its Parameters)."""
    rbm._parameters.update(weight=w, visible_bias=bv, hidden_bias=bh)


def _params(rbm):
    return rbm.weight.data, rbm.visible_bias.data, rbm.hidden_bias.data


def test_parameters_names_shapes_and_init():
    rbm = nn.RBM(7, 3)
    assert [n for n, _ in rbm.named_parameters()] == ["weight", "visible_bias", "hidden_bias"]
    assert rbm.weight.shape == (3, 7) and rbm.visible_bias.shape == (7,)
    assert rbm.hidden_bias.shape == (3,) and rbm.weight.dtype == mg.float32
    assert 0 < rbm.weight.data.std() < 0.05 and not rbm.hidden_bias.data.any()


@given(nv=st.integers(1, 4), nh=st.integers(1, 4), n=st.integers(1, 3),
       visible=st.sampled_from(["bernoulli", "gaussian"]), seed=st.integers(0, 99))
def test_energy_and_free_energy_match_the_hand_formulas(nv, nh, n, visible, seed):
    rbm = _rbm(nv, nh, visible, seed)
    rng = np.random.default_rng(seed + 1)
    v = rng.random((n, nv)) if visible == "bernoulli" else rng.normal(0, 2, (n, nv))
    h = (rng.random((n, nh)) < 0.5).astype(float)
    w, bv, bh = _params(rbm)
    e = rbm.energy(v, h).data
    np.testing.assert_allclose(e, [_hand_energy(a, b, w, bv, bh, visible) for a, b in zip(v, h)],
                               rtol=1e-12, atol=1e-12)
    fe = rbm.free_energy(v).data
    np.testing.assert_allclose(fe, [_hand_free_energy(a, w, bv, bh, visible) for a in v],
                               rtol=1e-10, atol=1e-10)
    # conditionals from their definitions p(h|v) = sigmoid(b_h + W v), E[v|h]
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(rbm.hidden_probs(v).data, sig(v @ w.T + bh), rtol=1e-12)
    mean = h @ w + bv
    np.testing.assert_allclose(rbm.visible_probs(h).data,
                               mean if visible == "gaussian" else sig(mean), rtol=1e-12)


@given(nv=st.integers(1, 4), nh=st.integers(1, 4), n=st.integers(1, 3),
       visible=st.sampled_from(["bernoulli", "gaussian"]))
def test_free_energy_gradients_pass_gradcheck(nv, nh, n, visible):
    rbm = _rbm(nv, nh, visible, seed=nv * 7 + nh)
    v = mg.tensor(np.random.default_rng(n).random((n, nv)), requires_grad=True)

    def fe(v, w, bv, bh):
        _use(rbm, w, bv, bh)
        return rbm.free_energy(v)

    leaves = [mg.tensor(p.data.copy(), requires_grad=True) for p in rbm.parameters()]
    assert mg.gradcheck(fe, [v] + leaves)
    # the conditionals are differentiable in their inputs too
    assert mg.gradcheck(lambda v: rbm.hidden_probs(v), [v])


class _WrongFreeEnergy(FreeEnergy):
    """The fused free-energy op with its visible-bias gradient dropped."""

    @staticmethod
    def backward(ctx, g):
        dv, dw, _, dbh = FreeEnergy.backward(ctx, g)
        return dv, dw, np.zeros(ctx.saved[0].shape[1]), dbh


@pytest.mark.parametrize("wrong", [False, True])
def test_gradcheck_rejects_a_wrong_free_energy_backward(wrong):
    rbm = _rbm(3, 2)
    v = mg.tensor(np.random.default_rng(0).random((4, 3)))
    leaves = [mg.tensor(p.data.copy(), requires_grad=True) for p in rbm.parameters()]
    op = _WrongFreeEnergy if wrong else FreeEnergy
    fn = lambda w, bv, bh: op.apply(v, w, bv, bh)  # noqa: E731
    if wrong:
        with pytest.raises(mg.GradcheckError):
            mg.gradcheck(fn, leaves)
    else:
        assert mg.gradcheck(fn, leaves)


@pytest.mark.parametrize("nv,nh", [(4, 3), (3, 5), (5, 5), (1, 1)])
def test_bernoulli_log_partition_matches_brute_force_over_both_layers(nv, nh):
    rbm = _rbm(nv, nh, seed=nv + nh)
    w, bv, bh = _params(rbm)
    brute = np.logaddexp.reduce([-_hand_energy(v, h, w, bv, bh, "bernoulli")
                                 for v in _all_states(nv) for h in _all_states(nh)])
    assert rbm.log_partition() == pytest.approx(brute, rel=1e-12)
    # log-likelihoods of every visible state are a normalised distribution
    ll = rbm.log_likelihood(_all_states(nv))
    assert np.logaddexp.reduce(ll) == pytest.approx(0.0, abs=1e-10)


def test_log_partition_enumerates_in_chunks(monkeypatch):
    rbm = _rbm(3, 6, seed=3)
    whole = rbm.log_partition()
    from minigrad.nn import rbm as rbm_module
    monkeypatch.setattr(rbm_module, "_CHUNK", 5)     # 64 states in 13 chunks
    assert rbm.log_partition() == pytest.approx(whole, rel=1e-13)


@pytest.mark.parametrize("nh", [1, 3])
def test_gaussian_log_partition_matches_numerical_integration(nh):
    rbm = _rbm(2, nh, "gaussian", seed=nh, scale=0.5)
    grid = np.linspace(-12, 12, 801)
    vv = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    dens = np.exp(-rbm.free_energy(vv).data).reshape(801, 801)
    z = np.trapezoid(np.trapezoid(dens, grid, axis=1), grid)
    assert rbm.log_partition() == pytest.approx(np.log(z), rel=1e-6)
    ll = rbm.log_likelihood(vv).reshape(801, 801)
    assert np.trapezoid(np.trapezoid(np.exp(ll), grid, axis=1), grid) == pytest.approx(1, rel=1e-6)


def _exact_nll(rbm, data):
    """Mean -log p(v) with log Z by enumeration, as a graph: its gradient is exact."""
    states = mg.tensor(_all_states(rbm.n_visible))
    log_z = mg.logsumexp(-rbm.free_energy(states), axis=0)
    return rbm.free_energy(data).mean() + log_z


def test_exact_nll_gradient_passes_gradcheck_and_cd_with_large_k_estimates_it():
    rbm = _rbm(5, 3, seed=4, scale=1.3)
    data = (np.random.default_rng(5).random((6, 5)) < 0.4).astype(float)
    rbm.zero_grad()
    _exact_nll(rbm, data).backward()
    exact = [p.grad.copy() for p in rbm.parameters()]

    def nll(w, bv, bh):
        _use(rbm, w, bv, bh)
        return _exact_nll(rbm, data)

    original = list(rbm.parameters())
    assert mg.gradcheck(nll, [mg.tensor(p.data.copy(), requires_grad=True) for p in original])
    _use(rbm, *original)
    # CD-k with k large enough to mix: the chain end is a model sample, so averaged
    # over many chains the CD gradient is the exact one (within Monte-Carlo error)
    reps = 5000
    rbm.zero_grad()
    rbm.cd_loss(np.repeat(data, reps, axis=0), k=30).backward()
    for p, g in zip(rbm.parameters(), exact):
        np.testing.assert_allclose(p.grad, g, atol=0.015)
    # ... while CD-1 from the data is biased: a test able to tell them apart
    rbm.zero_grad()
    rbm.cd_loss(np.repeat(data, reps, axis=0), k=1).backward()
    assert np.abs(rbm.weight.grad - exact[0]).max() > 0.05


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_positive_phase_is_exact_and_cd_gradient_is_positive_minus_negative(visible):
    rbm = _rbm(4, 3, visible, seed=6)
    rng = np.random.default_rng(7)
    v = rng.random((5, 4))
    w, bv, bh = _params(rbm)
    ph = 1 / (1 + np.exp(-(v @ w.T + bh)))

    def stats(x):     # -dF/dtheta averaged over rows: <h v^T>, <v> (or <v - b_v>), <h>
        p = 1 / (1 + np.exp(-(x @ w.T + bh)))
        vis = (x - bv) if visible == "gaussian" else x
        return p.T @ x / len(x), vis.mean(0), p.mean(0)

    rbm.zero_grad()
    rbm.free_energy(v).mean().backward()
    for got, want in zip([p.grad for p in rbm.parameters()], stats(v)):
        np.testing.assert_allclose(got, -want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(stats(v)[2], ph.mean(0))
    rbm.zero_grad()
    rbm.cd_loss(v, k=2, persistent=True).backward()    # the chain end is kept in .chain
    neg = stats(rbm.chain)
    for got, pos, ng in zip([p.grad for p in rbm.parameters()], stats(v), neg):
        np.testing.assert_allclose(got, ng - pos, rtol=1e-10, atol=1e-12)


def _tiny_dataset():
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], float)
    rng = np.random.default_rng(8)
    data = protos[rng.integers(0, 3, 120)]
    flip = rng.random(data.shape) < 0.05
    return np.abs(data - flip)


@pytest.mark.parametrize("persistent", [False, True])
def test_cd1_and_pcd_raise_the_exact_log_likelihood(persistent):
    mg.set_default_dtype(mg.float64)
    rbm = nn.RBM(6, 4)
    data = _tiny_dataset()
    before = rbm.log_likelihood(data).mean()
    opt = optim.SGD(rbm.parameters(), lr=0.1)
    for _ in range(60):
        for s in range(0, len(data), 20):
            opt.zero_grad()
            rbm.cd_loss(data[s:s + 20], k=1, persistent=persistent).backward()
            opt.step()
    after = rbm.log_likelihood(data).mean()
    assert after > before + 1.0, (before, after)
    assert rbm.reconstruction_error(data) < 0.15


def test_persistent_chains_persist_grow_and_reset():
    rbm = _rbm(5, 3, seed=9)
    data = (np.random.default_rng(1).random((4, 5)) < 0.5).astype(float)
    assert rbm.chain is None
    rbm.cd_loss(data, persistent=True)
    first, hidden = rbm.chain.copy(), rbm.chain_hidden.copy()
    assert first.shape == (4, 5) and hidden.shape == (4, 3)
    assert set(np.unique(hidden)) <= {0.0, 1.0} and set(np.unique(first)) <= {0.0, 1.0}
    # the next call continues the same chains from their kept hidden state
    mg.manual_seed(11)
    rbm.cd_loss(data, persistent=True)
    mg.manual_seed(11)
    np.testing.assert_array_equal(rbm.chain, rbm.sample_visible(hidden).data)
    # with k = 3: two more full steps after that half step
    kept = rbm.chain_hidden.copy()
    mg.manual_seed(12)
    rbm.cd_loss(data, k=3, persistent=True)
    mg.manual_seed(12)
    np.testing.assert_array_equal(rbm.chain, rbm.gibbs(rbm.sample_visible(kept), k=2).data)
    # a smaller batch advances the first rows only; a larger one adds chains from the data
    kept = rbm.chain.copy()
    rbm.cd_loss(data[:2], persistent=True)
    np.testing.assert_array_equal(rbm.chain[2:], kept[2:])
    big = np.vstack([data, data])
    rbm.cd_loss(big, persistent=True)
    assert rbm.chain.shape == (8, 5)
    # plain CD leaves the persistent chains alone
    kept = rbm.chain.copy()
    rbm.cd_loss(data, persistent=False)
    np.testing.assert_array_equal(rbm.chain, kept)
    rbm.reset_chain()
    assert rbm.chain is None and rbm.chain_hidden is None


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_sampling_is_reproducible_and_has_the_right_distribution(visible):
    rbm = _rbm(3, 2, visible, seed=12)
    v = np.random.default_rng(2).random((4, 3))
    mg.manual_seed(5)
    a = rbm.gibbs(v, k=3).data
    mg.manual_seed(5)
    b = rbm.gibbs(v, k=3).data
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 3)
    many = np.repeat(v[:1], 20000, axis=0)
    hs = rbm.sample_hidden(many).data
    assert set(np.unique(hs)) <= {0.0, 1.0}
    np.testing.assert_allclose(hs.mean(0), rbm.hidden_probs(v[:1]).data[0], atol=0.02)
    vs = rbm.sample_visible(hs[:1].repeat(20000, axis=0)).data
    np.testing.assert_allclose(vs.mean(0), rbm.visible_probs(hs[:1]).data[0], atol=0.04)
    if visible == "gaussian":
        np.testing.assert_allclose(vs.std(0), 1.0, atol=0.03)
    else:
        assert set(np.unique(vs)) <= {0.0, 1.0}


def test_pseudo_log_likelihood_all_units_is_the_exact_conditional_sum_and_one_flip_estimates_it():
    rbm = _rbm(5, 3, seed=13)
    v = (np.random.default_rng(3).random((3, 5)) < 0.5).astype(float)
    w, bv, bh = _params(rbm)
    want = []
    for row in v:
        total = 0.0
        for i in range(5):
            alt = row.copy()
            alt[i] = 1 - alt[i]
            f, fa = (_hand_free_energy(x, w, bv, bh, "bernoulli") for x in (row, alt))
            total += -f - np.logaddexp(-f, -fa)         # log p(v_i | v_-i)
        want.append(total)
    exact = rbm.pseudo_log_likelihood(v, all_units=True)
    np.testing.assert_allclose(exact, want, rtol=1e-10)
    draws = np.mean([rbm.pseudo_log_likelihood(v) for _ in range(3000)], axis=0)
    np.testing.assert_allclose(draws, exact, rtol=0.05)


def test_pseudo_log_likelihood_is_scikit_learns_estimate():
    sk = pytest.importorskip("sklearn.neural_network")
    rbm = _rbm(6, 4, seed=14, scale=0.5)
    v = np.random.default_rng(4).random((10, 6))
    theirs = sk.BernoulliRBM(n_components=4)
    theirs.components_, theirs.intercept_visible_, theirs.intercept_hidden_ = _params(rbm)
    theirs.n_features_in_ = 6
    # the same one-flip estimate: equal in expectation over the random unit
    sk_mean = np.mean([sk.BernoulliRBM.score_samples(_with_seed(theirs, s), v)
                       for s in range(800)], axis=0)
    ours = np.mean([rbm.pseudo_log_likelihood(v) for _ in range(800)], axis=0)
    exact = rbm.pseudo_log_likelihood(v, all_units=True)
    np.testing.assert_allclose(sk_mean, exact, rtol=0.06)
    np.testing.assert_allclose(ours, exact, rtol=0.06)


def _with_seed(model, seed):
    model.random_state = seed
    return model


def test_monitors_match_their_definitions():
    rbm = _rbm(4, 3, seed=15)
    v = np.random.default_rng(5).random((6, 4))
    recon = rbm.visible_probs(rbm.hidden_probs(v)).data
    assert rbm.reconstruction_error(v) == pytest.approx(np.mean((recon - v) ** 2), rel=1e-12)
    ll = rbm.log_likelihood(v)
    np.testing.assert_allclose(ll, -rbm.free_energy(v).data - rbm.log_partition(), rtol=1e-12)


def test_bad_input_gets_clear_errors():
    rbm = nn.RBM(4, 3)
    with pytest.raises(ValueError, match=r"\[0, 1\].*\[-0\.5, 1\]"):
        rbm.cd_loss(np.array([[-0.5, 0, 1, 1]]))
    with pytest.raises(ValueError, match=r"cd_loss.*\(N, 4\).*\(2, 5\)"):
        rbm.cd_loss(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"hidden_probs.*\(N, 4\).*\(4,\)"):
        rbm.hidden_probs(np.zeros(4))
    with pytest.raises(ValueError, match=r"visible_probs.*\(N, 3\)"):
        rbm.visible_probs(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        rbm.free_energy(np.full((1, 4), np.nan))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        rbm.cd_loss(np.zeros((2, 4)), k=0)
    with pytest.raises(ValueError, match="empty"):
        rbm.cd_loss(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="'bernoulli' or 'gaussian'.*'binary'"):
        nn.RBM(4, 3, visible="binary")
    with pytest.raises(ValueError, match="positive integers"):
        nn.RBM(0, 3)
    big = nn.RBM(30, 25)
    with pytest.raises(ValueError, match=r"at most 24 units; the hidden layer has 25"):
        big.log_partition()
    with pytest.raises(ValueError, match="at most 24"):
        big.log_likelihood(np.zeros((1, 30)))
    with pytest.raises(ValueError, match="the hidden layer has 25"):
        nn.RBM(3, 25, visible="gaussian").log_partition()
    with pytest.raises(ValueError, match="Bernoulli visible units; this RBM has"):
        nn.RBM(3, 2, visible="gaussian").pseudo_log_likelihood(np.zeros((1, 3)))
    # Gaussian units accept any real value; a failed call changed nothing
    nn.RBM(2, 2, visible="gaussian").cd_loss(np.array([[-3.0, 7.0]]))
    assert rbm.chain is None


def test_training_through_any_optimizer_with_weight_decay_and_clipping():
    rbm = nn.RBM(6, 4)
    data = _tiny_dataset().astype(np.float32)
    opt = optim.Adam(rbm.parameters(), lr=0.05, weight_decay=1e-4)
    before = rbm.log_likelihood(data).mean()
    for _ in range(30):
        for s in range(0, len(data), 30):
            opt.zero_grad()
            rbm.cd_loss(data[s:s + 30], persistent=True).backward()
            nn.utils.clip_grad_norm_(rbm.parameters(), 5.0)
            opt.step()
    assert rbm.log_likelihood(data).mean() > before + 1.0
    assert rbm(mg.tensor(data)).shape == (120, 4)
