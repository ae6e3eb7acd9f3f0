"""Learning-rate schedules against their closed forms, written out here."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import optim
from minigrad.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR,
                                         ReduceLROnPlateau, StepLR)

base_lrs = st.lists(st.floats(1e-4, 10.0), min_size=1, max_size=3)


def make_optimizer(lrs, cls=optim.SGD):
    groups = [{"params": [mg.tensor(np.zeros(2), requires_grad=True)], "lr": lr}
              for lr in lrs]
    return cls(groups, lr=lrs[0])


def trajectory(sched, epochs):
    """get_last_lr() after construction and after each of ``epochs`` steps; the
    optimizer's group rates must agree with it every time."""
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        sched.optimizer.step()
        sched.step()
        lrs = sched.get_last_lr()
        assert lrs == [g["lr"] for g in sched.optimizer.param_groups]
        out.append(lrs)
    return np.array(out)


def closed_form(lrs, epochs, f):
    return np.array([[f(b, t) for b in lrs] for t in range(epochs + 1)])


@given(lrs=base_lrs, step_size=st.integers(1, 7), gamma=st.floats(0.05, 1.0),
       epochs=st.integers(0, 30))
def test_step_lr(lrs, step_size, gamma, epochs):
    got = trajectory(StepLR(make_optimizer(lrs), step_size, gamma), epochs)
    want = closed_form(lrs, epochs, lambda b, t: b * gamma ** (t // step_size))
    np.testing.assert_allclose(got, want, rtol=1e-12)


@given(lrs=base_lrs, gamma=st.floats(0.5, 1.0), epochs=st.integers(0, 30))
def test_exponential_lr(lrs, gamma, epochs):
    got = trajectory(ExponentialLR(make_optimizer(lrs), gamma), epochs)
    want = closed_form(lrs, epochs, lambda b, t: b * gamma ** t)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@given(lrs=base_lrs, T_max=st.integers(1, 12), eta_min=st.floats(0.0, 1e-4),
       periods=st.integers(1, 3))
def test_cosine_annealing_lr(lrs, T_max, eta_min, periods):
    """Down to eta_min at T_max, then back up (period 2 T_max), as PyTorch."""
    epochs = periods * 2 * T_max + 1
    got = trajectory(CosineAnnealingLR(make_optimizer(lrs), T_max, eta_min), epochs)
    want = closed_form(lrs, epochs, lambda b, t:
                       eta_min + (b - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.allclose(got[T_max], eta_min, atol=1e-12)


def test_construction_keeps_lr_and_records_initial_lr():
    opt = make_optimizer([0.1, 0.2])
    sched = StepLR(opt, step_size=1, gamma=0.5)
    assert sched.get_last_lr() == [0.1, 0.2] and sched.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.1]


def test_schedules_chain():
    """Two schedules on one optimizer multiply, as PyTorch's chainable form does."""
    opt = make_optimizer([1.0])
    a = StepLR(opt, step_size=2, gamma=0.1)
    b = ExponentialLR(opt, gamma=0.9)
    for t in range(1, 7):
        opt.step()
        a.step()
        b.step()
        assert math.isclose(opt.param_groups[0]["lr"], 0.1 ** (t // 2) * 0.9 ** t,
                            rel_tol=1e-12)


@pytest.mark.parametrize("make", [
    lambda o: StepLR(o, step_size=3, gamma=0.5),
    lambda o: ExponentialLR(o, gamma=0.8),
    lambda o: CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
    lambda o: ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1),
])
def test_state_dict_round_trip(make):
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.9, 1.0, 1.1, 1.2, 1.3]

    def advance(s, i):
        s.optimizer.step()
        s.step(metrics[i]) if isinstance(s, ReduceLROnPlateau) else s.step()

    opt = make_optimizer([0.1, 0.3])
    sched = make(opt)
    for i in range(5):
        advance(sched, i)
    o_sd, s_sd = opt.state_dict(), sched.state_dict()
    opt2 = make_optimizer([7.0, 7.0])
    opt2.load_state_dict(o_sd)
    sched2 = make(opt2)
    sched2.load_state_dict(s_sd)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for i in range(5, len(metrics)):
        advance(sched, i)
        advance(sched2, i)
        assert sched2.get_last_lr() == sched.get_last_lr()


# ------------------------------------------------------------ ReduceLROnPlateau
def lrs_after(sched, metrics):
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def test_plateau_documented_sequence():
    """Reduce after more than ``patience`` bad epochs; cooldown epochs don't count."""
    s = ReduceLROnPlateau(make_optimizer([1.0]), patience=2, factor=0.5)
    assert lrs_after(s, [1.0] * 7) == [1, 1, 1, .5, .5, .5, .25]
    s = ReduceLROnPlateau(make_optimizer([1.0]), patience=2, factor=0.5, cooldown=1)
    assert lrs_after(s, [1.0] * 8) == [1, 1, 1, .5, .5, .5, .5, .25]
    # improvements reset the count
    s = ReduceLROnPlateau(make_optimizer([1.0]), patience=1, factor=0.5)
    assert lrs_after(s, [3, 2, 2.5, 1, 1.5, 1.5]) == [1, 1, 1, 1, 1, .5]


def test_plateau_threshold_modes_and_max_mode():
    # rel: 0.99995 is not below 1 * (1 - 1e-4) -> bad epoch
    s = ReduceLROnPlateau(make_optimizer([1.0]), patience=0, factor=0.5)
    assert lrs_after(s, [1.0, 0.99995]) == [1, .5]
    s = ReduceLROnPlateau(make_optimizer([1.0]), patience=0, factor=0.5, threshold=0.1,
                          threshold_mode="abs")
    assert lrs_after(s, [1.0, 0.95, 0.85]) == [1, .5, .5]
    s = ReduceLROnPlateau(make_optimizer([1.0]), mode="max", patience=0, factor=0.5)
    assert lrs_after(s, [0.5, 0.6, 0.6, 0.7, 0.69]) == [1, 1, .5, .5, .25]


def test_plateau_min_lr_per_group_and_eps():
    opt = make_optimizer([1.0, 1.0])
    s = ReduceLROnPlateau(opt, patience=0, factor=0.1, min_lr=[0.05, 0.0])
    for _ in range(4):
        s.step(1.0)
    assert s.get_last_lr()[0] == 0.05
    assert math.isclose(s.get_last_lr()[1], 1e-3)
    opt = make_optimizer([1e-8])
    s = ReduceLROnPlateau(opt, patience=0, factor=0.5)      # change < eps: skipped
    lrs_after(s, [1.0, 1.0, 1.0])
    assert s.get_last_lr() == [1e-8]


def ref_plateau(metrics, patience, cooldown, factor, min_lr, lr=1.0):
    """ReduceLROnPlateau's documented rule (mode='min', threshold 0)."""
    best, bad, cool, out = math.inf, 0, 0, []
    for m in metrics:
        bad = 0 if m < best else bad + 1
        best = min(best, m)
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            if lr - max(lr * factor, min_lr) > 1e-8:
                lr = max(lr * factor, min_lr)
            cool, bad = cooldown, 0
        out.append(lr)
    return out


@given(metrics=st.lists(st.sampled_from([1.0, 2.0, 3.0, 0.5, 0.1]), min_size=1, max_size=40),
       patience=st.integers(0, 4), cooldown=st.integers(0, 3),
       factor=st.floats(0.1, 0.9), min_lr=st.floats(0.0, 0.05))
def test_plateau_against_reference(metrics, patience, cooldown, factor, min_lr):
    s = ReduceLROnPlateau(make_optimizer([1.0]), patience=patience, cooldown=cooldown,
                          factor=factor, min_lr=min_lr, threshold=0.0)
    lrs = lrs_after(s, metrics)
    assert lrs == ref_plateau(metrics, patience, cooldown, factor, min_lr)
    changes = [i for i in range(1, len(lrs)) if lrs[i] != lrs[i - 1]]
    for a, b in zip(changes, changes[1:]):                   # reductions are spaced
        assert b - a >= patience + 1 + cooldown
    assert all(x >= y for x, y in zip([1.0] + lrs, lrs))      # never increases


# ------------------------------------------------------------------- errors
def test_errors():
    opt = make_optimizer([0.1])
    with pytest.raises(TypeError, match="Optimizer"):
        StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="expected 1 min_lrs"):
        ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_optimizer([0.1]), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="expected keys"):
        StepLR(opt, step_size=1).load_state_dict({"last_epoch": 3})


def test_reachable_after_import_minigrad():
    import minigrad
    assert minigrad.optim.lr_scheduler.StepLR is StepLR
