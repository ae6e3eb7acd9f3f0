"""Module machinery: registration, shared parameters, modes, freezing, dtype, buffers,
state_dict round trips and strict loading, containers, repr."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(2 * 4 * 4, 3))
        self.scale = nn.Parameter(mg.ones(1))
        self.register_buffer("steps", np.zeros((), np.int64))

    def forward(self, x):
        return self.head(F.relu(self.bn(self.conv(x)))) * self.scale


def test_registration_order_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "head.2.weight",
        "head.2.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [type(m).__name__ for m in net.children()] == ["Conv2d", "BatchNorm2d", "Sequential"]
    assert len(list(net.modules())) == 7
    assert len(list(net.parameters(recurse=False))) == 1
    net.extra = 3                      # plain attributes are not registered
    assert net.extra == 3 and "extra" not in net._parameters
    del net.head
    assert [n for n, _ in net.named_children()] == ["conv", "bn"]


def test_assigning_to_a_buffer_or_parameter_name():
    bn = nn.BatchNorm1d(2)
    bn.running_mean = np.array([1.0, 2.0], dtype=np.float32)
    assert "running_mean" in bn.state_dict()
    np.testing.assert_array_equal(bn.state_dict()["running_mean"], [1.0, 2.0])
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign a ndarray as parameter 'weight'"):
        lin.weight = np.zeros((2, 2))
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.fc = nn.Linear(1, 1)
        Bad()


def test_shared_module_and_tied_parameter_count_once_and_sum_gradients():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias"]
    x = mg.randn(4, 3)
    model(x).sum().backward()
    g_shared = shared.weight.grad.copy()

    # the same computation with two independent copies of the layer
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    for m in (a, b):
        m.load_state_dict(shared.state_dict())
    b(a(x).tanh()).sum().backward()
    np.testing.assert_allclose(g_shared, a.weight.grad + b.weight.grad, rtol=1e-5, atol=1e-6)

    # one Parameter assigned to two modules (weight tying)
    enc, dec = nn.Linear(4, 4, bias=False), nn.Linear(4, 4, bias=False)
    dec.weight = enc.weight
    pair = nn.Sequential(enc, dec)
    assert [n for n, _ in pair.named_parameters()] == ["0.weight"]
    y = mg.randn(2, 4)
    pair(y).sum().backward()
    w = enc.weight.data                      # the same maths with two separate tensors
    W1 = mg.tensor(w, requires_grad=True)
    W2 = mg.tensor(w, requires_grad=True)
    F.linear(F.linear(y, W1), W2).sum().backward()
    np.testing.assert_allclose(enc.weight.grad, W1.grad + W2.grad, rtol=1e-5, atol=1e-6)


def test_train_eval_reach_every_submodule():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.head.train(False)
    assert net.training and not net.head[1].training


def test_eval_mode_is_deterministic_and_train_mode_is_not():
    net = Net()
    x = mg.randn(4, 1, 4, 4)
    net.train()
    a, b = net(x).data, net(x).data
    assert not np.array_equal(a, b)                    # dropout
    net.eval()
    np.testing.assert_array_equal(net(x).data, net(x).data)


def test_requires_grad_freezes_part_of_a_model():
    net = Net()
    net.conv.requires_grad_(False)
    F.cross_entropy(net(mg.randn(4, 1, 4, 4)), np.array([0, 1, 2, 0])).backward()
    assert net.conv.weight.grad is None and net.conv.bias.grad is None
    assert net.head[2].weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(True)
    assert all(p.requires_grad for p in net.parameters())


def test_to_dtype_casts_parameters_and_float_buffers_in_place():
    net = Net()
    params = list(net.parameters())
    assert net.to(mg.float64) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == mg.float64 for p in net.parameters())
    assert net.bn.running_var.dtype == mg.float64
    assert net.bn.num_batches_tracked.dtype == np.int64
    assert net(mg.randn(2, 1, 4, 4, dtype=mg.float64)).dtype == mg.float64
    with pytest.raises(TypeError, match="floating"):
        net.to(np.int32)


def test_apply_visits_children_first():
    order = []
    Net().apply(lambda m: order.append(type(m).__name__))
    assert order[-1] == "Net" and order.index("Linear") < order.index("Sequential")
    net = Net().apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert np.all(net.head[2].weight.data == 0)


def test_state_dict_round_trip_through_save_load_is_exact(tmp_path):
    net = Net()
    x = mg.randn(5, 1, 4, 4)
    for _ in range(3):                       # move the BatchNorm statistics
        net(x * 2 + 1)
    net.eval()
    before = net(x).data.copy()
    path = tmp_path / "net.npz"
    mg.save(net.state_dict(), path)
    other = Net()
    assert not np.array_equal(other.eval()(x).data, before)
    missing, unexpected = other.load_state_dict(mg.load(path))
    assert missing == [] and unexpected == []
    np.testing.assert_array_equal(other(x).data, before)
    assert int(other.bn.num_batches_tracked) == 3
    sd = net.state_dict()
    sd["conv.weight"][...] = 0               # state_dict returns copies
    assert not np.all(net.conv.weight.data == 0)


def _snapshot(m):
    return {k: v.copy() for k, v in m.state_dict().items()}


@pytest.mark.parametrize("edit,match", [
    (lambda sd: sd.pop("bn.running_var"), r"missing keys: \['bn.running_var'\]"),
    (lambda sd: sd.__setitem__("bn.extra", np.zeros(2)), r"unexpected keys: \['bn.extra'\]"),
    (lambda sd: sd.__setitem__("head.2.weight", np.zeros((3, 5))),
     r"'head.2.weight': expected shape \(3, 32\), got \(3, 5\)"),
])
def test_load_state_dict_errors_leave_the_model_unchanged(edit, match):
    net, src = Net(), Net()
    sd = src.state_dict()
    edit(sd)
    sd["conv.weight"] = sd["conv.weight"] + 1       # a valid key that must not be written
    before = _snapshot(net)
    with pytest.raises(RuntimeError, match=match):
        net.load_state_dict(sd)
    after = _snapshot(net)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_load_state_dict_non_strict_reports_keys():
    net = Net()
    sd = Net().state_dict()
    del sd["scale"]
    sd["nope"] = np.zeros(1)
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["scale"] and unexpected == ["nope"]
    np.testing.assert_array_equal(net.conv.weight.data, sd["conv.weight"])
    with pytest.raises(ValueError, match="expected shape"):     # shapes checked even so
        net.load_state_dict({"scale": np.zeros(3)}, strict=False)


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.Linear(2, 2)).extend([nn.Tanh()])
    assert len(ml) == 3 and len(list(ml.parameters())) == 4
    ml[2] = nn.Linear(2, 2)
    assert len(list(ml.parameters())) == 6
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got int"):
        ml.append(3)
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got function"):
        nn.ModuleList([lambda x: x])
    with pytest.raises(TypeError, match="Sequential: argument 1 is a str"):
        nn.Sequential(nn.ReLU(), "relu")
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    named.append(nn.Linear(2, 1))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias", "2.weight", "2.bias"]
    assert named(mg.randn(5, 2)).shape == (5, 1)
    x = mg.randn(2, 3, 4)
    assert nn.Identity(54, unused=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)


def test_repr_is_pytorch_like():
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(1352, 10, bias=False), nn.BatchNorm1d(10), nn.Dropout(0.1))
    assert repr(model) == """Sequential(
  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))
  (1): ReLU()
  (2): MaxPool2d(kernel_size=2, stride=2, padding=0)
  (3): Flatten(start_dim=1, end_dim=-1)
  (4): Linear(in_features=1352, out_features=10, bias=False)
  (5): BatchNorm1d(10, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (6): Dropout(p=0.1)
)"""
    assert repr(Net()).startswith("Net(\n  (conv): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), "
                                  "padding=(1, 1))\n  (bn): BatchNorm2d(2,")
    assert "\n  (head): Sequential(\n    (0): Flatten" in repr(Net())
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Parameter(mg.zeros(1))).startswith("Parameter containing:")


def test_shared_parameters_load_from_a_dict_that_names_them_twice():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    w, b = np.arange(4.0).reshape(2, 2), np.array([1.0, -1.0])
    weight_array = shared.weight.data
    # PyTorch's state_dict lists a shared module under each of its paths
    model.load_state_dict({"0.weight": w, "0.bias": b, "2.weight": w, "2.bias": b})
    np.testing.assert_array_equal(shared.weight.data, w)
    assert shared.weight.data is weight_array                 # copied in place
    missing, unexpected = model.load_state_dict({"2.weight": w + 1, "2.bias": b})
    assert missing == [] and unexpected == []                 # an alias alone will do
    np.testing.assert_array_equal(shared.weight.data, w + 1)
    with pytest.raises(RuntimeError, match="'2.weight' and '0.weight' name the same"):
        model.load_state_dict({"0.weight": w, "0.bias": b, "2.weight": w * 2, "2.bias": b})
    np.testing.assert_array_equal(shared.weight.data, w + 1)  # unchanged by the failure
