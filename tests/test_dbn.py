"""Deep belief networks: greedy stacking (lower RBMs frozen, upper ones fed the hidden
probabilities below), the classifier sharing the RBMs' Parameters, generation."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import nn, optim
import minigrad.nn.functional as F

PROTOS = np.array([[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1],
                   [1, 0, 1, 0, 1, 0, 1, 0]], float)


def _data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    data = np.abs(PROTOS[labels] - (rng.random((n, 8)) < 0.05))
    return data.astype(np.float32), labels


def test_stack_of_rbms():
    dbn = nn.DBN([8, 5, 3], visible="gaussian")
    assert len(dbn.rbms) == 2 and dbn.rbm(1) is dbn.rbms[1]
    assert [(r.n_visible, r.n_hidden, r.visible) for r in dbn.rbms] == \
        [(8, 5, "gaussian"), (5, 3, "bernoulli")]
    assert [n for n, _ in dbn.named_parameters()][:3] == \
        ["rbms.0.weight", "rbms.0.visible_bias", "rbms.0.hidden_bias"]
    x = np.random.default_rng(0).random((4, 8))
    up = dbn.rbm(1).hidden_probs(dbn.rbm(0).hidden_probs(x)).data
    np.testing.assert_allclose(dbn(x).data, up, rtol=1e-6)


def test_greedy_stacking_freezes_lower_rbms_and_feeds_hidden_probabilities_up():
    dbn = nn.DBN([8, 6, 4, 3])
    x, _ = _data()
    snapshots, given_params, seen = [], [], []

    def make_optimizer(params):
        # called as each RBM starts: snapshot every RBM below it (already trained)
        layer = len(given_params)
        given_params.append(params)
        snapshots.append([p.data.copy() for r in dbn.rbms[:layer] for p in r.parameters()])
        return optim.SGD(params, lr=0.1)

    upper = dbn.rbm(2)
    original = upper.cd_loss
    upper.cd_loss = lambda batch, **kw: seen.append(batch.copy()) or original(batch, **kw)
    hist = dbn.pretrain(x, make_optimizer, epochs=3, batch_size=32, progress=False)
    for layer, params in enumerate(given_params):        # each optimizer: its RBM only
        assert [id(p) for p in params] == [id(p) for p in dbn.rbms[layer].parameters()]
    for layer, snap in enumerate(snapshots):              # lower RBMs never changed again
        now = [p.data for r in dbn.rbms[:layer] for p in r.parameters()]
        assert len(now) == 3 * layer
        for a, b in zip(snap, now):
            np.testing.assert_array_equal(a, b)
    # the top RBM was trained on the hidden probabilities of the (final) RBMs below
    with mg.no_grad():
        codes = dbn.rbm(1).hidden_probs(dbn.rbm(0).hidden_probs(x)).data
    assert sum(len(b) for b in seen) == 3 * len(x)
    for batch in seen:
        dist = np.abs(batch[:, None, :] - codes[None]).max(-1).min(1)
        assert dist.max() < 1e-6
    assert [len(c) for c in hist] == [3, 3, 3]
    assert hist[0][-1] < hist[0][0]


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
       n=st.integers(1, 5), classes=st.integers(1, 4))
def test_classifier_shares_the_rbm_parameters_and_computes_the_up_pass(sizes, n, classes):
    dbn = nn.DBN(sizes)
    clf = dbn.classifier(classes)
    assert len(clf) == 2 * len(dbn.rbms) + 1
    for i, rbm in enumerate(dbn.rbms):
        assert clf[2 * i].weight is rbm.weight and clf[2 * i].bias is rbm.hidden_bias
        assert isinstance(clf[2 * i], nn.Linear) and isinstance(clf[2 * i + 1], nn.Sigmoid)
    head = clf[-1]
    assert isinstance(head, nn.Linear) and head.weight.shape == (classes, sizes[-1])
    assert len(list(clf.parameters())) == 2 * len(dbn.rbms) + 2
    x = np.random.default_rng(n).random((n, sizes[0])).astype(np.float32)
    np.testing.assert_allclose(clf[:-1](mg.tensor(x)).data, dbn(x).data, rtol=1e-6)
    assert clf(mg.tensor(x)).shape == (n, classes)


def test_fine_tuning_the_classifier_moves_the_rbm_weights_and_learns():
    dbn = nn.DBN([8, 6, 4])
    x, y = _data()
    dbn.pretrain(x, lambda p: optim.SGD(p, lr=0.1), epochs=5, batch_size=30, progress=False)
    clf = dbn.classifier(3)
    before = dbn.rbm(0).weight.data.copy()
    opt = optim.Adam(clf.parameters(), lr=0.05)
    for _ in range(150):
        loss = F.cross_entropy(clf(mg.tensor(x)), mg.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert not np.allclose(dbn.rbm(0).weight.data, before)
    assert (clf(mg.tensor(x)).data.argmax(1) == y).mean() > 0.95


def test_samples_have_the_right_shape_range_reproducibility_and_look_like_the_data():
    x, _ = _data(300)
    mg.manual_seed(1)
    dbn = nn.DBN([8, 12, 6])
    untrained = dbn.sample(200, gibbs_steps=50).data
    dbn.pretrain(x, lambda p: optim.SGD(p, lr=0.1), epochs=30, batch_size=20,
                 persistent=True, progress=False)
    mg.manual_seed(3)
    s = dbn.sample(200, gibbs_steps=200).data
    mg.manual_seed(3)
    np.testing.assert_array_equal(s, dbn.sample(200, gibbs_steps=200).data)
    assert s.shape == (200, 8) and s.dtype == np.float32
    assert s.min() >= 0 and s.max() <= 1

    def to_prototypes(a):      # mean distance of each sample to its nearest prototype
        return np.abs(a[:, None, :] - PROTOS[None]).mean(-1).min(1).mean()

    assert to_prototypes(s) < 0.25 < to_prototypes(untrained)
    g = nn.DBN([3, 2], visible="gaussian").sample(5, gibbs_steps=3)
    assert g.shape == (5, 3) and np.all(np.isfinite(g.data))


def test_bad_input_gets_clear_errors_before_anything_trains():
    with pytest.raises(ValueError, match="at least two sizes"):
        nn.DBN([8])
    dbn = nn.DBN([4, 3])
    w = dbn.rbm(0).weight.data.copy()
    make = lambda p: optim.SGD(p, lr=0.1)  # noqa: E731
    bad = np.zeros((10, 4))
    bad[9, 2] = 2.0
    with pytest.raises(ValueError, match=r"DBN.pretrain: Bernoulli visible units take values "
                                         r"in \[0, 1\], got values in \[0, 2\]"):
        dbn.pretrain(bad, make, progress=False)
    with pytest.raises(ValueError, match=r"DBN.pretrain: expected data of shape \(N, 4\).*\(10, 5\)"):
        dbn.pretrain(np.zeros((10, 5)), make, progress=False)
    with pytest.raises(ValueError, match="DBN.pretrain: k must be a positive integer"):
        dbn.pretrain(np.zeros((10, 4)), make, k=0, progress=False)
    with pytest.raises(ValueError, match="DBN.pretrain: epochs must be a positive integer"):
        dbn.pretrain(np.zeros((10, 4)), make, epochs=0, progress=False)
    with pytest.raises(ValueError, match="num_classes"):
        dbn.classifier(0)
    with pytest.raises(ValueError, match="DBN.sample: n must"):
        dbn.sample(0)
    with pytest.raises(ValueError, match="gibbs_steps"):
        dbn.sample(2, gibbs_steps=0)
    np.testing.assert_array_equal(dbn.rbm(0).weight.data, w)
