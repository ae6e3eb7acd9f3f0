"""Validate first, then change: a public call that raises leaves no state changed.

For every layer, optimizer and scheduler and a family of bad inputs, the whole state
(``state_dict()``, parameters, gradients, training flags; the optimizer's state and
groups) is taken before the failing call and compared after it.
"""
import copy

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.nn.utils import TBPTT
from minigrad.optim import lr_scheduler as sched


# ------------------------------------------------------------------ snapshots
def _copy(x):
    if isinstance(x, mg.Tensor):
        return ("tensor", x.data.copy())
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_copy(v) for v in x)
    return copy.deepcopy(x)


def _equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a) == list(b)
                and all(_equal(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b or (a != a and b != b)


def module_state(m):
    return _copy({"state": m.state_dict(),
                  "grads": {n: p.grad for n, p in m.named_parameters()},
                  "training": [s.training for s in m.modules()]})


def optimizer_state(opt):
    params = [p for g in opt.param_groups for p in g["params"]]
    return _copy({"state": opt.state_dict(), "groups": [
        {k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
        "ids": [[id(p) for p in g["params"]] for g in opt.param_groups],
        "data": [p.data for p in params], "grads": [p.grad for p in params]})


def assert_unchanged_by_failure(call, *snapshots):
    """``call()`` raises; every ``(take, obj)`` snapshot is the same after as before."""
    before = [take(obj) for take, obj in snapshots]
    with pytest.raises(Exception) as info:
        call()
    after = [take(obj) for take, obj in snapshots]
    for (take, obj), b, a in zip(snapshots, before, after):
        assert _equal(b, a), f"{type(obj).__name__} changed by a call raising {info.value!r}"
    return info.value


# ------------------------------------------------------------------ the check can fail
def test_the_comparison_sees_a_change():
    m = nn.BatchNorm1d(3)

    def mutate_then_raise():
        m.num_batches_tracked += 1
        raise ValueError("late")
    with pytest.raises(AssertionError, match="BatchNorm1d changed"):
        assert_unchanged_by_failure(mutate_then_raise, (module_state, m))


# ------------------------------------------------------------------ layers
def r(*s):
    return mg.randn(*s)


LAYERS = {
    "Linear": (lambda: nn.Linear(3, 2), lambda: r(4, 3)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1), lambda: r(2, 2, 5, 5)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), lambda: r(2, 2, 4, 4)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), lambda: r(2, 2, 4, 4)),
    "Embedding": (lambda: nn.Embedding(5, 3), lambda: mg.tensor(np.array([[1, 2], [3, 4]]))),
    "Dropout": (lambda: nn.Dropout(0.5), lambda: r(4, 3)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), lambda: r(4, 3)),
    "BatchNorm1d (cumulative)": (lambda: nn.BatchNorm1d(3, momentum=None), lambda: r(4, 3)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), lambda: r(2, 2, 3, 3)),
    "LayerNorm": (lambda: nn.LayerNorm(3), lambda: r(4, 3)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), lambda: r(2, 4, 3)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(2, affine=True), lambda: r(2, 2, 3, 3)),
    "RNN": (lambda: nn.RNN(3, 4), lambda: r(5, 2, 3)),
    "LSTM": (lambda: nn.LSTM(3, 4, num_layers=2), lambda: r(5, 2, 3)),
    "GRU": (lambda: nn.GRU(3, 4, batch_first=True), lambda: r(2, 5, 3)),
    "RNNCell": (lambda: nn.RNNCell(3, 4), lambda: r(2, 3)),
    "LSTMCell": (lambda: nn.LSTMCell(3, 4), lambda: r(2, 3)),
    "GRUCell": (lambda: nn.GRUCell(3, 4), lambda: r(2, 3)),
    "TiedAutoencoder": (lambda: nn.TiedAutoencoder(3, 2), lambda: r(4, 3)),
    "StackedAutoencoder": (lambda: nn.StackedAutoencoder([3, 2, 2]), lambda: r(4, 3)),
    "Sequential with BatchNorm": (lambda: nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3),
                                                        nn.Linear(3, 2)), lambda: r(4, 3)),
    "Softmax": (lambda: nn.Softmax(1), lambda: r(4, 3)),
    "Flatten": (lambda: nn.Flatten(), lambda: r(4, 3, 2)),
    "ReLU": (lambda: nn.ReLU(), lambda: r(4, 3)),
}


def bad_inputs(x):
    """A family of wrong inputs built from a good one."""
    a = x.data
    out = {"one sample": a[:1], "empty batch": a[:0], "an extra leading axis": a[None],
           "one axis fewer": a[0], "one more feature": np.concatenate([a, a[..., :1]], -1),
           "None": None, "a string": "x", "a list": a.tolist()}
    if a.ndim >= 2:
        out["one more channel"] = np.concatenate([a, a[:, :1]], 1)
    if a.dtype.kind == "i":
        out["an index out of range"] = a + 100
        out["float indices"] = a.astype(np.float32)
    return {k: (mg.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in out.items()}


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_a_layer_refusing_an_input_is_unchanged(name, training):
    make, good = LAYERS[name]
    mg.manual_seed(0)
    m = make().train(training)
    x = good()
    out = m(x)
    out = out[0] if isinstance(out, tuple) else out
    if out.requires_grad:
        out.sum().backward()                      # gradients present: they must stay too
    refused = 0
    for bad in bad_inputs(x).values():
        try:
            assert_unchanged_by_failure(lambda: m(bad), (module_state, m))
            refused += 1
        except pytest.fail.Exception:             # accepted (no error): nothing to check
            pass
    assert refused >= 2                          # None and a string, at least


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (1, 3)), (nn.BatchNorm1d, (1, 3, 1)),
                                        (nn.BatchNorm2d, (1, 3, 1, 1))])
def test_batch_norm_on_one_value_per_channel_counts_no_batch(cls, shape):
    m = cls(3, momentum=None)
    m(r(4, *shape[1:]) if len(shape) < 4 else r(4, 3, 1, 1))
    err = assert_unchanged_by_failure(lambda: m(r(*shape)), (module_state, m))
    assert "more than 1 value per channel" in str(err)
    assert int(m.num_batches_tracked) == 1


def test_functional_batch_norm_checks_every_shape_before_updating_the_running_stats():
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    for kwargs in [dict(weight=mg.ones(2)), dict(bias=mg.ones(4)), dict(momentum=None)]:
        before = (mean.copy(), var.copy())
        with pytest.raises((ValueError, TypeError)):
            F.batch_norm(r(4, 3), mean, var, training=True, **kwargs)
        np.testing.assert_array_equal(mean, before[0])
        np.testing.assert_array_equal(var, before[1])


def test_load_state_dict_refusals_change_nothing():
    mg.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    good = m.state_dict()
    bads = [{**good, "0.weight": np.zeros((3, 3))},                     # a wrong shape
            {k: v for k, v in good.items() if k != "1.bias"},           # a missing key
            {**good, "extra": np.zeros(1)},                              # an unexpected key
            {**{k: np.zeros_like(v) for k, v in good.items()}, "0.bias": np.zeros(5)},
            {**good, "0.weight": np.array([["a"] * 3] * 2)}]             # non-numeric
    for bad in bads:
        assert_unchanged_by_failure(lambda: m.load_state_dict(bad), (module_state, m))


def test_train_with_a_non_bool_mode_changes_nothing():
    m = nn.Sequential(nn.Dropout(), nn.Linear(2, 2))
    err = assert_unchanged_by_failure(lambda: m.train("no"), (module_state, m))
    assert "bool" in str(err) and "'no'" in str(err)


# ------------------------------------------------------------------ optimizers
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
    "Adadelta": lambda ps: optim.Adadelta(ps),
    "LBFGS": lambda ps: optim.LBFGS(ps, lr=0.5, max_iter=3),
}


def _trained(name):
    """A model and its optimizer after one real step (so state exists)."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = OPTIMIZERS[name](model.parameters())
    x, t = r(8, 3), np.arange(8) % 2

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        return loss
    opt.step(closure)
    closure()                                    # fresh gradients for the next step
    return model, opt


def _bad_optimizer_calls(model, opt):
    """what -> (setup or None, the call that must fail); setup plants a bad gradient."""
    params = list(model.parameters())
    sd = opt.state_dict()

    def grad(value):
        return lambda: setattr(params[-1], "grad", value)
    calls = {
        "a gradient of the wrong shape": (grad(np.ones(7, np.float32)),
                                          lambda: opt.step(lambda: 0.0)),
        "a non-array gradient": (grad([1.0, 2.0]), lambda: opt.step(lambda: 0.0)),
        "a closure that raises": (None, lambda: opt.step(lambda: 1 / 0)),
        "add_param_group: a parameter already optimised": (None, lambda: opt.add_param_group(
            {"params": [params[0]]})),
        "add_param_group: a bad learning rate": (None, lambda: opt.add_param_group(
            {"params": [mg.zeros(2, requires_grad=True)], "lr": -1.0})),
        "add_param_group: not a tensor": (None, lambda: opt.add_param_group({"params": [3.0]})),
        "load_state_dict: not a state dict": (None, lambda: opt.load_state_dict({"state": {}})),
        "load_state_dict: two groups for one": (None, lambda: opt.load_state_dict(
            {**sd, "param_groups": sd["param_groups"] * 2})),
        "load_state_dict: a state of the wrong shape": (None, lambda: opt.load_state_dict(
            {**sd, "state": {i: {k: (np.zeros(9) if isinstance(v, np.ndarray) else v)
                                 for k, v in st.items()} for i, st in sd["state"].items()}})),
        "load_state_dict: an unknown parameter": (None, lambda: opt.load_state_dict(
            {**sd, "state": {**sd["state"], 99: {}}})),
        "load_state_dict: a bad learning rate": (None, lambda: opt.load_state_dict(
            {**sd, "param_groups": [{**g, "lr": -5.0} for g in sd["param_groups"]]})),
        "load_state_dict: another optimizer's groups": (None, lambda: opt.load_state_dict(
            {**sd, "param_groups": [{"params": g["params"]} for g in sd["param_groups"]]})),
    }
    return calls


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_optimizer_refusing_a_call_is_unchanged(name):
    model, opt = _trained(name)
    good = [p.grad.copy() for p in model.parameters()]
    for what, (setup, call) in _bad_optimizer_calls(model, opt).items():
        if setup is not None:
            setup()
        try:
            assert_unchanged_by_failure(call, (optimizer_state, opt), (module_state, model))
        except AssertionError as e:
            raise AssertionError(f"{name}, {what}: {e}") from None
        for p, g in zip(model.parameters(), good):     # the good gradients back
            p.grad = g.copy()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_wrong_gradient_on_the_last_parameter_updates_no_parameter(name):
    model, opt = _trained(name)
    params = list(model.parameters())
    before, state = [p.data.copy() for p in params], _copy(opt.state_dict())
    params[-1].grad = np.ones((5, 5), np.float32)
    with pytest.raises(ValueError, match=r"parameter 3 has shape \(5, 5\)"):
        opt.step(lambda: 0.0)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)
    assert _equal(_copy(opt.state_dict()), state)


# ------------------------------------------------------------------ schedulers
def _optimizer():
    mg.manual_seed(0)
    return optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9)


SCHEDULERS = {
    "StepLR": lambda o: sched.StepLR(o, step_size=2),
    "ExponentialLR": lambda o: sched.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: sched.CosineAnnealingLR(o, T_max=5),
    "ReduceLROnPlateau": lambda o: sched.ReduceLROnPlateau(o, patience=0),
    "LambdaLR": lambda o: sched.LambdaLR(o, lambda e: 1.0 if e < 3 else 1 / 0),
    "MultiStepLR": lambda o: sched.MultiStepLR(o, milestones=[1, 3]),
    "OneCycleLR": lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=3),
    "CosineAnnealingWarmRestarts": lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=2),
}


def scheduler_state(s):
    return _copy({"state": {k: v for k, v in s.state_dict().items()
                            if not callable(v) and k != "lr_lambdas"},
                  "groups": [{k: v for k, v in g.items() if k != "params"}
                             for g in s.optimizer.param_groups]})


def _step(s):
    if isinstance(s, sched.ReduceLROnPlateau):
        s.step(1.0)
    else:
        s.step()


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_a_scheduler_refusing_a_call_is_unchanged(name):
    s = SCHEDULERS[name](_optimizer())
    _step(s)
    _step(s)
    sd = s.state_dict()
    bad = {"load_state_dict: missing keys": lambda: s.load_state_dict({"last_epoch": 1}),
           "load_state_dict: extra keys": lambda: s.load_state_dict({**sd, "extra": 1})}
    if isinstance(s, sched.ReduceLROnPlateau):
        bad["step: a metric that is not a number"] = lambda: s.step("loss")
    if isinstance(s, sched.CosineAnnealingWarmRestarts):
        bad["step: a negative epoch"] = lambda: s.step(-1)
    if isinstance(s, sched.LambdaLR):
        bad["step: the lambda raises"] = lambda: s.step()
    if isinstance(s, sched.OneCycleLR):
        bad["step: past the cycle's end"] = lambda: [s.step() for _ in range(5)]
        _step(s)                                    # at the last step
    for what, call in bad.items():
        try:
            assert_unchanged_by_failure(call, (scheduler_state, s))
        except AssertionError as e:
            raise AssertionError(f"{name}, {what}: {e}") from None


@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, step_size=0),
    lambda o: sched.ExponentialLR(o, gamma=-1.0),
    lambda o: sched.MultiStepLR(o, milestones=[-1]),
    lambda o: sched.OneCycleLR(o, max_lr=1.0),
    lambda o: sched.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=4),
    lambda o: sched.ReduceLROnPlateau(o, mode="up"),
    lambda o: sched.LambdaLR(o, "not callable"),
    lambda o: sched.StepLR(o, step_size=2, last_epoch=4),       # resuming without initial_lr
])
def test_a_refused_scheduler_leaves_the_optimizer_as_it_was(make):
    o = _optimizer()
    assert_unchanged_by_failure(lambda: make(o), (optimizer_state, o))


# ------------------------------------------------------------------ TBPTT
class _Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn, self.head = nn.LSTM(2, 3), nn.Linear(3, 1)

    def forward(self, x, state):
        out, state = self.rnn(x, state)
        return self.head(out), state


@pytest.mark.parametrize("what", ["x without a batch axis", "y of another length",
                                  "a reset mask of the wrong shape", "a non-boolean reset",
                                  "y with the wrong trailing shape", "x of the wrong features",
                                  "empty sequence"])
def test_tbptt_run_refusing_its_inputs_changes_nothing(what):
    mg.manual_seed(0)
    model = _Seq()
    opt = optim.Adam(model.parameters(), lr=0.01)
    trainer = TBPTT(model, nn.MSELoss(), opt, k1=2, k2=4)
    x, y = r(6, 2, 2), r(6, 2, 1)
    trainer.run(x, y)
    args = {"x without a batch axis": (r(6), y),
            "y of another length": (x, r(5, 2, 1)),
            "a reset mask of the wrong shape": (x, y, None, np.zeros((6, 3), bool)),
            "a non-boolean reset": (x, y, None, np.zeros((6, 2))),
            "y with the wrong trailing shape": (x, r(6, 2, 4)),
            "x of the wrong features": (r(6, 2, 5), y),
            "empty sequence": (r(0, 2, 2), r(0, 2, 1))}[what]
    updates = trainer.num_updates
    assert_unchanged_by_failure(lambda: trainer.run(*args), (module_state, model),
                                (optimizer_state, opt))
    assert trainer.num_updates == updates


# ------------------------------------------------------------------ early stopping
def _stopper_state(s):
    return _copy({k: v for k, v in vars(s).items()})


@pytest.mark.parametrize("what", ["a metric that is not a number", "not a model",
                                  "a model of another shape at the restore"])
def test_early_stopping_refusing_a_call_is_unchanged(what):
    model = nn.Linear(2, 2)
    stopper = optim.EarlyStopping(patience=1, restore_best=True)
    stopper.step(1.0, model)                          # best so far, weights kept
    call = {"a metric that is not a number": lambda: stopper.step("low", model),
            "not a model": lambda: stopper.step(0.5, "model"),
            "a model of another shape at the restore": lambda: stopper.step(
                2.0, nn.Linear(3, 2))}[what]
    assert_unchanged_by_failure(call, (_stopper_state, stopper), (module_state, model))
