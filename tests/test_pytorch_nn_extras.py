"""PyTorch's nn extras: ``F.cross_entropy(label_smoothing=)`` / ``nn.CrossEntropyLoss``,
``F.one_hot``, ``F.pad`` (every mode, negative pads), ``nn.ModuleDict``,
``flatten_parameters`` (a no-op), ``parameters_to_vector`` / ``vector_to_parameters``.

Values against formulas written here with NumPy; gradients are declared in
tests/test_core_grad.py (pad, label smoothing).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.ops.pad import Pad


def _log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


# ------------------------------------------------------------- label smoothing
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(1, 5), eps=st.floats(0.0, 1.0),
       reduction=st.sampled_from(["mean", "sum", "none"]), seed=st.integers(0, 2 ** 16))
def test_label_smoothing_is_pytorchs_formula(n, c, eps, reduction, seed):
    """PyTorch: (1 - e) * nll + e * mean over classes of -log_softmax, per sample."""
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal((n, c)), rng.integers(0, c, n)
    logp = _log_softmax(x)
    per = (1 - eps) * -logp[np.arange(n), t] + eps * -logp.mean(axis=1)
    want = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    got = F.cross_entropy(mg.tensor(x), t, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    # class-probability targets are smoothed the same way: q (1 - e) + e / C
    q = rng.random((n, c)) + 0.1
    q /= q.sum(axis=1, keepdims=True)
    per_q = -((q * (1 - eps) + eps / c) * logp).sum(axis=1)
    got_q = F.cross_entropy(mg.tensor(x), q, reduction="none", label_smoothing=eps)
    np.testing.assert_allclose(got_q.data, per_q, rtol=1e-12, atol=1e-12)
    xt, qt = mg.tensor(x, requires_grad=True), mg.tensor(q, requires_grad=True)
    assert mg.gradcheck(lambda a, b: F.cross_entropy(a, b, label_smoothing=eps), [xt, qt])


def test_label_smoothing_gradient_and_module():
    x = mg.tensor(np.array([[1.0, 2.0, 0.5]]), requires_grad=True)
    loss = nn.CrossEntropyLoss(label_smoothing=0.3)
    assert "label_smoothing=0.3" in repr(loss)
    loss(x, np.array([1])).backward()
    p = np.exp(_log_softmax(x.data))
    np.testing.assert_allclose(x.grad, p - (0.7 * np.eye(3)[[1]] + 0.1), rtol=1e-12)
    plain = nn.CrossEntropyLoss(reduction="sum")
    np.testing.assert_allclose(plain(x, np.array([1])).data, -_log_softmax(x.data)[0, 1])
    for bad in (-0.1, 1.5, True, "0.1"):
        with pytest.raises(ValueError, match="label_smoothing in \\[0, 1\\]"):
            nn.CrossEntropyLoss(label_smoothing=bad)
        with pytest.raises(ValueError, match="cross_entropy: expected label_smoothing"):
            F.cross_entropy(x, np.array([1]), label_smoothing=bad)


# ------------------------------------------------------------- one_hot
def test_one_hot():
    t = mg.tensor(np.array([[0, 2], [1, 1]]))
    out = F.one_hot(t)
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data, np.eye(3, dtype=np.int64)[t.data])
    assert F.one_hot(np.array([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(ValueError, match="num_classes=2 is too small .* index 2"):
        F.one_hot(t, 2)
    with pytest.raises(TypeError, match="integer class indices"):
        F.one_hot(mg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(np.array([-1, 0]))


# ------------------------------------------------------------- pad
@pytest.mark.parametrize("mode, np_mode", [("constant", "constant"), ("reflect", "reflect"),
                                           ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes_match_numpy(mode, np_mode):
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = F.pad(x, (1, 2, 2, 0), mode=mode)
    np.testing.assert_array_equal(y.data, np.pad(x.data, ((0, 0), (2, 0), (1, 2)),
                                                 mode=np_mode))
    y.sum().backward()      # x.grad counts where each element appears in y (as np.pad)
    appears = np.zeros(x.data.size)
    np.add.at(appears, np.pad(np.arange(x.data.size).reshape(x.shape),
                              ((0, 0), (2, 0), (1, 2)), mode=np_mode).ravel(), 1)
    if mode == "constant":
        appears = np.ones(x.data.size)
    np.testing.assert_array_equal(x.grad.ravel(), appears)


def test_pad_constant_value_crop_and_errors():
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(F.pad(x, (1, 0), value=-1.0).data,
                                  [[-1, 0, 1, 2], [-1, 3, 4, 5]])
    np.testing.assert_array_equal(F.pad(x, (-1, 1)).data, [[1, 2, 0], [4, 5, 0]])
    np.testing.assert_array_equal(F.pad(x, (0, 0, 0, -1)).data, [[0, 1, 2]])
    assert F.pad(x, (0, 0)) is x
    with pytest.raises(ValueError, match="even number"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="even number"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="mode 'constant', 'reflect'"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match="needs pads of at most 2"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="value is only for mode 'constant'"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)


def test_gradcheck_rejects_a_wrong_pad_backward(monkeypatch):
    monkeypatch.setattr(Pad, "backward", staticmethod(
        lambda ctx, g: g[tuple(slice(0, n - a - b) for (b, a), n in zip(ctx.widths, g.shape))]))
    x = mg.tensor(np.arange(6.0).reshape(2, 3) / 7, requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: F.pad(t, (1, 2)) * mg.tensor(np.arange(12.0).reshape(2, 6)),
                     [x])


# ------------------------------------------------------------- containers and no-ops
def test_module_dict_registers_its_modules():
    d = nn.ModuleDict({"enc": nn.Linear(2, 3)})
    d["dec"] = nn.Linear(3, 2)
    assert list(d) == ["enc", "dec"] and len(d) == 2 and "enc" in d
    assert list(d.keys()) == ["enc", "dec"] and d["dec"] is d.dec
    assert [k for k, _ in d.items()] == ["enc", "dec"]
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert len(list(d.parameters())) == 4
    d.update([("out", nn.Tanh())])
    assert d.pop("out").__class__ is nn.Tanh and "out" not in d
    del d["dec"]
    assert list(d.values())[0] is d["enc"]
    with pytest.raises(TypeError, match="expected a Module for key 'x'"):
        d["x"] = 3
    with pytest.raises(TypeError, match="keys must be strings"):
        d[1] = nn.Tanh()
    with pytest.raises(TypeError, match="a str key and a Module"):
        d.update({"ok": nn.Tanh(), "bad": 1})
    assert "ok" not in d                        # checked before anything was added
    d.clear()
    assert len(d) == 0


@pytest.mark.parametrize("layer", [nn.LSTM, nn.GRU, nn.RNN])
def test_flatten_parameters_is_a_no_op(layer):
    m = layer(3, 4)
    before = {k: v.copy() for k, v in m.state_dict().items()}
    x = mg.randn(5, 2, 3)
    out = m(x)[0]
    assert m.flatten_parameters() is None
    np.testing.assert_array_equal(m(x)[0].data, out.data)
    assert all(np.array_equal(v, before[k]) for k, v in m.state_dict().items())


# ------------------------------------------------------------- parameters as a vector
def test_parameters_to_vector_and_back():
    m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    params = list(m.parameters())
    v = nn.utils.parameters_to_vector(params)
    np.testing.assert_array_equal(v.data, np.concatenate([p.data.ravel() for p in params]))
    (v * mg.arange(v.size, dtype=v.dtype)).sum().backward()    # differentiable
    np.testing.assert_array_equal(params[0].grad.ravel(), np.arange(6))
    new = mg.arange(v.size, dtype=v.dtype)
    nn.utils.vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(params[2].data.ravel(), [9, 10, 11])
    np.testing.assert_array_equal(params[3].data, [12.0])
    with pytest.raises(ValueError, match="1-D vec of 13 elements"):
        nn.utils.vector_to_parameters(new[:5], m.parameters())
    with pytest.raises(TypeError, match="expected vec to be a Tensor, got ndarray"):
        nn.utils.vector_to_parameters(new.data, m.parameters())
    with pytest.raises(TypeError, match="item 0 is a ndarray"):
        nn.utils.parameters_to_vector([np.zeros(2)])
