"""Learning-rate schedules against their closed forms, written out here."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

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


# ------------------------------------------- LambdaLR, MultiStepLR, OneCycleLR, SGDR
from minigrad.optim.lr_scheduler import (CosineAnnealingWarmRestarts, LambdaLR,  # noqa: E402
                                         MultiStepLR, OneCycleLR)


@given(lrs=base_lrs, a=st.floats(0.5, 1.0), c=st.floats(0.0, 2.0), epochs=st.integers(0, 20))
def test_lambda_lr(lrs, a, c, epochs):
    """eta_t = eta_0 * f(t), f(0) applied at construction (f(0) = 1 + c here)."""
    f = lambda t: a ** t + c                                      # noqa: E731
    got = trajectory(LambdaLR(make_optimizer(lrs), f), epochs)
    np.testing.assert_allclose(got, closed_form(lrs, epochs, lambda b, t: b * f(t)),
                               rtol=1e-12)


def test_lambda_lr_one_function_per_group():
    opt = make_optimizer([1.0, 2.0])
    sched = LambdaLR(opt, [lambda t: 0.5 ** t, lambda t: t + 1])
    got = trajectory(sched, 3)
    np.testing.assert_allclose(got, [[1, 2], [.5, 4], [.25, 6], [.125, 8]], rtol=1e-15)
    with pytest.raises(ValueError, match="expected 2 values for lr_lambda.*got 1"):
        LambdaLR(make_optimizer([1.0, 2.0]), [lambda t: 1.0])
    with pytest.raises(TypeError, match="callable"):
        LambdaLR(make_optimizer([1.0]), 0.5)
    assert "lr_lambdas" not in sched.state_dict()               # code is not saved


@given(lrs=base_lrs, milestones=st.lists(st.integers(0, 25), max_size=5),
       gamma=st.floats(0.05, 1.0), epochs=st.integers(0, 30))
def test_multistep_lr(lrs, milestones, gamma, epochs):
    """One factor gamma per milestone reached (repeated milestones count twice)."""
    got = trajectory(MultiStepLR(make_optimizer(lrs), milestones, gamma), epochs)
    want = closed_form(lrs, epochs,
                       lambda b, t: b * gamma ** sum(m <= t for m in milestones))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_multistep_lr_repeated_and_unsorted_milestones():
    got = trajectory(MultiStepLR(make_optimizer([1.0]), [5, 2, 2], gamma=0.5), 6)
    np.testing.assert_allclose(got[:, 0], [1, 1, .25, .25, .25, .125, .125], rtol=1e-15)
    with pytest.raises(ValueError, match=r"integers >= 0, got \[1, -2\]"):
        MultiStepLR(make_optimizer([1.0]), [1, -2])


def one_cycle_reference(max_lr, total, pct, strategy, three_phase, div=25.0, final=1e4,
                        lo_m=0.85, hi_m=0.95):
    """(lr, momentum) at every step 0..total, from the piecewise formula."""
    def anneal(a, b, x):
        if strategy == "cos":
            return b + (a - b) * (1 + math.cos(math.pi * x)) / 2
        return a + (b - a) * x
    init = max_lr / div
    low = init / final
    if three_phase:
        pieces = [(pct * total - 1, init, max_lr, hi_m, lo_m),
                  (2 * pct * total - 2, max_lr, init, lo_m, hi_m),
                  (total - 1, init, low, hi_m, hi_m)]
    else:
        pieces = [(pct * total - 1, init, max_lr, hi_m, lo_m),
                  (total - 1, max_lr, low, lo_m, hi_m)]
    out = []
    for t in range(total + 1):
        start = 0.0
        for k, (end, a, b, ma, mb) in enumerate(pieces):
            if t <= end or k == len(pieces) - 1:
                x = (t - start) / (end - start)
                out.append((anneal(a, b, x), anneal(ma, mb, x)))
                break
            start = end
    return np.array(out)


@given(max_lr=st.floats(0.01, 5.0), total=st.integers(10, 60),
       pct=st.sampled_from([0.1, 0.25, 0.3, 0.45]), strategy=st.sampled_from(["cos", "linear"]),
       three_phase=st.booleans(), adam=st.booleans())
def test_one_cycle_lr(max_lr, total, pct, strategy, three_phase, adam):
    assume(pct * total != 1)                  # a zero-length phase is refused (below)
    opt = (make_optimizer([1.0], optim.Adam) if adam
           else optim.SGD([mg.tensor(np.zeros(2), requires_grad=True)], lr=1.0, momentum=0.5))
    sched = OneCycleLR(opt, max_lr, total_steps=total, pct_start=pct,
                       anneal_strategy=strategy, three_phase=three_phase)
    group = opt.param_groups[0]

    def momentum():
        return group["betas"][0] if adam else group["momentum"]

    got = [(sched.get_last_lr()[0], momentum())]
    for _ in range(total):
        opt.step()
        sched.step()
        got.append((sched.get_last_lr()[0], momentum()))
    want = one_cycle_reference(max_lr, total, pct, strategy, three_phase)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    if adam:
        assert group["betas"][1] == 0.999                       # beta2 untouched
    assert math.isclose(got[0][0], max_lr / 25) and max(g[0] for g in got) <= max_lr
    with pytest.raises(ValueError, match=f"total_steps={total}"):
        sched.step()
    assert sched.last_epoch == total                             # the refused step undone


def test_one_cycle_epochs_and_steps_per_epoch_and_groups():
    a = OneCycleLR(make_optimizer([1.0, 1.0]), [0.4, 0.2], epochs=3, steps_per_epoch=5)
    assert a.total_steps == 15
    b = OneCycleLR(make_optimizer([1.0, 1.0]), [0.4, 0.2], total_steps=15)
    np.testing.assert_allclose(trajectory(a, 15), trajectory(b, 15), rtol=0)
    assert a.get_last_lr()[0] == pytest.approx(2 * a.get_last_lr()[1])


def test_one_cycle_errors_leave_the_optimizer_unchanged():
    opt = make_optimizer([0.1])
    before = dict(opt.param_groups[0])
    for kwargs, match in [(dict(), "total_steps, or epochs and steps_per_epoch"),
                          (dict(total_steps=0), "total_steps"),
                          (dict(epochs=2), "epochs and steps_per_epoch"),
                          (dict(total_steps=10, pct_start=1.5), r"pct_start.*\[0, 1\]"),
                          (dict(total_steps=10, pct_start=0.1), "length zero"),
                          (dict(total_steps=10, anneal_strategy="exp"), "anneal_strategy"),
                          (dict(total_steps=10, div_factor=0), "div_factor"),
                          (dict(total_steps=10, max_momentum=[0.9, 0.9]),
                           "expected 1 values for max_momentum")]:
        with pytest.raises(ValueError, match=match):
            OneCycleLR(opt, 1.0, **kwargs)
    with pytest.raises(ValueError, match=r"expected 1 values for max_lr.*got 2"):
        OneCycleLR(opt, [1.0, 2.0], total_steps=10)
    with pytest.raises(ValueError, match="'momentum' or 'betas'"):
        OneCycleLR(make_optimizer([0.1], optim.Adagrad), 1.0, total_steps=10)
    assert opt.param_groups[0] == before
    OneCycleLR(make_optimizer([0.1], optim.Adagrad), 1.0, total_steps=10, cycle_momentum=False)


def sgdr_reference(base, T_0, T_mult, eta_min, epochs):
    """The rate at each integer epoch, by walking the restarts."""
    out, T_cur, T_i = [], 0, T_0
    for _ in range(epochs + 1):
        out.append(eta_min + (base - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
        T_cur += 1
        if T_cur == T_i:
            T_cur, T_i = 0, T_i * T_mult
    return out


@given(lrs=base_lrs, T_0=st.integers(1, 6), T_mult=st.integers(1, 3),
       eta_min=st.floats(0.0, 1e-4), epochs=st.integers(0, 40))
def test_cosine_warm_restarts(lrs, T_0, T_mult, eta_min, epochs):
    got = trajectory(CosineAnnealingWarmRestarts(make_optimizer(lrs), T_0, T_mult, eta_min),
                     epochs)
    want = np.array([sgdr_reference(b, T_0, T_mult, eta_min, epochs) for b in lrs]).T
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@given(T_0=st.integers(1, 6), T_mult=st.integers(1, 3),
       epochs=st.lists(st.floats(0, 50), min_size=1, max_size=10))
def test_cosine_warm_restarts_fractional_epochs(T_0, T_mult, epochs):
    """step(epoch): the period containing epoch, found by summing period lengths."""
    sched = CosineAnnealingWarmRestarts(make_optimizer([1.0]), T_0, T_mult)
    for e in epochs:
        sched.step(e)
        start, T_i = 0, T_0
        while start + T_i <= e:
            start, T_i = start + T_i, T_i * T_mult
        want = (1 + math.cos(math.pi * (e - start) / T_i)) / 2
        # the period boundary is found in floating point (a log), as PyTorch does
        assert math.isclose(sched.get_last_lr()[0], want, abs_tol=1e-9) or \
            math.isclose(e - start, 0, abs_tol=1e-9) or math.isclose(e - start - T_i, 0,
                                                                    abs_tol=1e-9)
        assert sched.last_epoch == math.floor(e)


def test_cosine_warm_restarts_step_after_fractional_epochs_and_errors():
    sched = CosineAnnealingWarmRestarts(make_optimizer([1.0]), T_0=4)
    sched.step(2.5)
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi * 2.5 / 4)) / 2)
    sched.step()                                                  # T_cur 2.5 -> 3.5
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi * 3.5 / 4)) / 2)
    with pytest.raises(ValueError, match="epoch >= 0, got -1"):
        sched.step(-1)
    for kwargs, match in [(dict(T_0=0), "T_0"), (dict(T_0=2, T_mult=0), "T_mult"),
                          (dict(T_0=2.5), "T_0"), (dict(T_0=2, eta_min=-1.0), "eta_min")]:
        with pytest.raises(ValueError, match=match):
            CosineAnnealingWarmRestarts(make_optimizer([1.0]), **kwargs)


@pytest.mark.parametrize("make", [
    lambda o: LambdaLR(o, lambda t: 0.9 ** t),
    lambda o: MultiStepLR(o, [2, 6, 6], gamma=0.5),
    lambda o: OneCycleLR(o, [1.0, 0.5], total_steps=12),
    lambda o: OneCycleLR(o, 1.0, total_steps=12, three_phase=True, anneal_strategy="linear"),
    lambda o: CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=1e-3),
], ids=["LambdaLR", "MultiStepLR", "OneCycleLR", "OneCycleLR3", "SGDR"])
@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam])
def test_new_schedulers_resume(make, opt_cls):
    """Saving optimizer and scheduler after 5 steps and loading both into fresh
    objects continues the same rates (and momenta)."""
    def hyper(o):
        return [(g["lr"], g.get("momentum"), g.get("betas")) for g in o.param_groups]

    opt = make_optimizer([0.1, 0.3], opt_cls)
    sched = make(opt)
    for _ in range(5):
        opt.step()
        sched.step()
    o_sd, s_sd = opt.state_dict(), sched.state_dict()
    opt2 = make_optimizer([7.0, 7.0], opt_cls)
    sched2 = make(opt2)
    opt2.load_state_dict(o_sd)
    sched2.load_state_dict(s_sd)
    assert sched2.get_last_lr() == sched.get_last_lr() and hyper(opt2) == hyper(opt)
    for _ in range(6):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr() and hyper(opt2) == hyper(opt)


def test_new_schedulers_reachable():
    import minigrad
    for name in ("LambdaLR", "MultiStepLR", "OneCycleLR", "CosineAnnealingWarmRestarts"):
        assert name in minigrad.optim.lr_scheduler.__all__
