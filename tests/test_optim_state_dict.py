"""Optimizer checkpoints: a state_dict round trip continues training bit for bit,
and a state dict that does not fit is refused without changing anything."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import optim
from minigrad.testing import arrays
from test_optim import CASES, IDS


def _params(rng):
    return [mg.tensor(rng.normal(size=s), requires_grad=True) for s in [(3, 2), (2,), ()]]


def _grads(rng, params):
    return [rng.normal(size=p.shape) for p in params]


def _train(opt, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()


@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(data=st.data())
def test_round_trip_continues_bit_for_bit(case, data):
    _, cls, _, hyper_st = case
    hyper = data.draw(hyper_st, label="hyper")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    k = data.draw(st.integers(1, 4), label="steps before saving")
    rng = np.random.default_rng(seed)
    params = _params(rng)
    before = [[rng.normal(size=p.shape) for p in params] for _ in range(k)]
    after = [[rng.normal(size=p.shape) for p in params] for _ in range(3)]
    # two groups, so that numbering across groups matters
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], **hyper)
    _train(opt, params, before)
    saved = opt.state_dict()
    saved_params = [p.data.copy() for p in params]

    _train(opt, params, after)                               # the original run goes on
    # the saved dict is a snapshot: the steps above did not change it
    again = [mg.tensor(a.copy(), requires_grad=True) for a in saved_params]
    fresh = cls([{"params": again[:2]}, {"params": again[2:], "lr": 0.5}], **hyper)
    fresh.load_state_dict(saved)
    _train(fresh, again, after)
    for p, q in zip(params, again):
        assert np.array_equal(p.data, q.data)


def test_state_dict_layout_is_pytorchs():
    a = mg.tensor(np.ones(2), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], amsgrad=True)
    a.grad, b.grad = np.ones(2), np.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.1 and sd["param_groups"][0]["lr"] == 1e-3
    assert set(sd["state"]) == {0, 1}
    assert set(sd["state"][1]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][1]["step"] == 1 and sd["state"][1]["exp_avg"].shape == (3,)
    sd["state"][0]["exp_avg"][...] = 99.0                    # a copy, not the buffer
    assert not np.any(opt.state[a]["exp_avg"] == 99.0)


def test_load_restores_hyperparameters_and_keeps_own_params():
    a = mg.tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.01
    b = mg.tensor(np.ones(2), requires_grad=True)
    other = optim.SGD([b], lr=0.5)
    other.load_state_dict(sd)
    assert other.param_groups[0]["lr"] == 0.01 and other.param_groups[0]["momentum"] == 0.9
    assert other.param_groups[0]["params"][0] is b


def test_loaded_state_is_cast_to_param_dtype():
    a = mg.tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([a])
    a.grad = np.ones(2)
    opt.step()
    b = mg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    other = optim.Adam([b])
    other.load_state_dict(opt.state_dict())
    assert other.state[b]["exp_avg"].dtype == np.float32


def _setup():
    a = mg.tensor(np.ones((2, 2)), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = np.ones((2, 2)), np.ones(3)
    opt.step()
    return opt


def _snapshot(opt):
    sd = opt.state_dict()
    return sd, {i: {k: np.copy(v) for k, v in s.items()} for i, s in sd["state"].items()}


@pytest.mark.parametrize("break_it, message", [
    (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "2 parameter groups"),
    (lambda sd: sd["param_groups"][0]["params"].pop(), "has 2 parameters"),
    (lambda sd: sd["state"][1].update(exp_avg=np.zeros(4)), r"shape \(4,\)"),
    (lambda sd: sd["state"].update({7: {}}), "parameter 7"),
    (lambda sd: sd["param_groups"][0].pop("betas"), "betas"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "Invalid learning rate"),
    (lambda sd: sd.pop("state"), "'state' and 'param_groups'"),
])
def test_mismatched_load_is_refused_and_changes_nothing(break_it, message):
    opt = _setup()
    good, _ = _snapshot(opt)
    bad, _ = _snapshot(opt)
    bad["state"][0]["exp_avg"][...] = 123.0                  # would be visible if written
    break_it(bad)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(bad)
    now = opt.state_dict()
    assert now["param_groups"] == good["param_groups"]
    for i in good["state"]:
        for k, v in good["state"][i].items():
            assert np.array_equal(now["state"][i][k], v)


def test_state_from_another_optimizer_kind_is_refused():
    a = mg.tensor(np.ones(2), requires_grad=True)
    sgd = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="lacks"):
        optim.Adam([a]).load_state_dict(sgd.state_dict())


@given(arrays((4,)))
def test_round_trip_through_scheduler_state(x):
    """Optimizer + scheduler checkpoint: both resume where they left off."""
    from minigrad.optim.lr_scheduler import StepLR
    p = mg.tensor(x, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        p.grad = p.data.copy()
        opt.step()
        sched.step()
    osd, ssd = opt.state_dict(), sched.state_dict()
    q = mg.tensor(p.data.copy(), requires_grad=True)
    opt2 = optim.SGD([q], lr=123.0)
    opt2.load_state_dict(osd)
    sched2 = StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(ssd)
    for _ in range(4):
        for o, s, t in ((opt, sched, p), (opt2, sched2, q)):
            t.grad = t.data.copy()
            o.step()
            s.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
    assert np.array_equal(p.data, q.data)
