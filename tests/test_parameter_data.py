"""A Parameter's ``.data``: an np.ndarray (a subclass) with PyTorch's in-place methods, so
PyTorch programs that initialise or update through ``.data`` run as written; its writes
are untracked, as PyTorch's ``.data``."""
import io

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn.parameter import ParameterData


def param(values):
    return nn.Parameter(np.asarray(values, dtype=np.float64))


# method, arguments, NumPy reference of the new value from the old one
CASES = [
    ("add_", (np.array([1.0, 2.0, 3.0]),), {}, lambda a: a + [1, 2, 3]),
    ("add_", (np.ones(3),), {"alpha": -0.5}, lambda a: a - 0.5),
    ("sub_", (2.0,), {}, lambda a: a - 2),
    ("sub_", (mg.tensor(np.ones(3)),), {"alpha": 3}, lambda a: a - 3),
    ("mul_", (np.array([2.0, 0.5, -1.0]),), {}, lambda a: a * [2, 0.5, -1]),
    ("div_", (4.0,), {}, lambda a: a / 4),
    ("clamp_", (), {"min": -0.5, "max": 1.0}, lambda a: np.clip(a, -0.5, 1.0)),
    ("zero_", (), {}, lambda a: np.zeros_like(a)),
    ("fill_", (7.5,), {}, lambda a: np.full_like(a, 7.5)),
    ("copy_", (np.array([4.0, 5.0, 6.0]),), {}, lambda a: np.array([4.0, 5.0, 6.0])),
    ("copy_", (mg.tensor(2.0),), {}, lambda a: np.full_like(a, 2.0)),
]


@pytest.mark.parametrize("name,args,kwargs,ref", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_method_changes_the_parameter_and_returns_the_array(name, args, kwargs, ref):
    start = np.array([-1.2, 0.3, 2.5])
    p = param(start.copy())            # (a Parameter shares an array's memory)
    out = getattr(p.data, name)(*args, **kwargs)
    assert out is p.data and isinstance(p.data, np.ndarray)
    np.testing.assert_allclose(p.data, ref(start), rtol=1e-15)
    assert p._version == 0 and p.requires_grad and p.is_leaf      # untracked, as PyTorch's


def test_random_fills_follow_manual_seed():
    def draw():
        mg.manual_seed(5)
        return param(np.zeros(4000)).data.normal_(1.0, 0.5).copy(), \
            param(np.zeros(4000)).data.uniform_(-1.0, 3.0).copy()
    (n1, u1), (n2, u2) = draw(), draw()
    np.testing.assert_array_equal(n1, n2)
    np.testing.assert_array_equal(u1, u2)
    assert abs(n1.mean() - 1.0) < 0.05 and abs(n1.std() - 0.5) < 0.05
    assert u1.min() >= -1.0 and u1.max() < 3.0


def test_bad_arguments_raise_and_change_nothing():
    p = param([1.0, 2.0])
    for call, exc in [(lambda: p.data.normal_(std=-1.0), ValueError),
                      (lambda: p.data.uniform_(2.0, 1.0), ValueError),
                      (lambda: p.data.clamp_(), ValueError),
                      (lambda: p.data.add_(np.ones(3)), ValueError)]:
        with pytest.raises(exc):
            call()
    assert p.data.tolist() == [1.0, 2.0]


def test_pytorch_idioms_run_as_written():
    """The lines of PyTorch's examples that reach into .data (word-language-model's
    manual SGD, minGPT's and siamese-network's initialisation, snli's embedding copy)."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 3)).double()
    emb, lin = model[0], model[1]
    lin.weight.data.normal_(mean=0.0, std=0.02)
    lin.bias.data.zero_()
    lin.bias.data.fill_(0.01)
    emb.weight.data.copy_(np.arange(40.0).reshape(10, 4) / 40)
    x = mg.tensor(np.array([1, 2, 3]))
    loss = (model(x) ** 2).sum()
    loss.backward()
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    lr = 0.5
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-lr)
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.data, before[n] - lr * p.grad)
    assert np.all(lin.bias.data != 0.01) and lin.weight.data.std() < 0.1


def test_arrays_leaving_the_parameter_are_plain():
    """Ops, gradients, state dicts and optimizer state hold plain ndarrays, so the
    subclass never spreads (checkpoints load as they were saved)."""
    m = nn.Linear(3, 2)
    x = mg.randn(4, 3)
    y = m(x)
    assert type(y.data) is np.ndarray
    y.sum().backward()
    assert type(m.weight.grad) is np.ndarray
    opt = optim.Adam(m.parameters())
    opt.step()
    assert all(type(v) is np.ndarray for v in m.state_dict().values())
    assert all(type(v) is np.ndarray for s in opt.state_dict()["state"].values()
               for v in s.values() if isinstance(v, np.ndarray))
    buf = io.BytesIO()
    mg.save({"model": m.state_dict(), "optim": opt.state_dict()}, buf)
    buf.seek(0)
    assert type(mg.load(buf)["model"]["weight"]) is np.ndarray
    m.double()
    assert type(m.weight.data) is ParameterData and m.weight.dtype == np.float64
