"""LinearLR and CyclicLR against closed forms written out here (PyTorch's
formulas), their momentum cycling, resuming from state dicts, and their errors."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minigrad import optim
from minigrad.optim.lr_scheduler import CyclicLR, LinearLR
from test_lr_scheduler import base_lrs, closed_form, make_optimizer, trajectory


# ------------------------------------------------------------------ LinearLR
@given(lrs=base_lrs, start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0),
       total=st.integers(1, 8), epochs=st.integers(0, 15))
def test_linear_lr_follows_its_closed_form(lrs, start, end, total, epochs):
    sched = LinearLR(make_optimizer(lrs), start_factor=start, end_factor=end,
                     total_iters=total)
    want = closed_form(lrs, epochs,
                       lambda b, t: b * (start + (end - start) * min(t, total) / total))
    np.testing.assert_allclose(trajectory(sched, epochs), want, rtol=1e-10, atol=1e-14)


def test_linear_lr_defaults_warm_up_over_five_epochs():
    sched = LinearLR(make_optimizer([0.3]))
    got = trajectory(sched, 7)[:, 0]
    np.testing.assert_allclose(got, [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, 0.3])


@pytest.mark.parametrize("kwargs, match", [
    (dict(start_factor=0.0), r"start_factor must be in \(0, 1\]"),
    (dict(start_factor=1.5), r"start_factor must be in \(0, 1\]"),
    (dict(end_factor=1.5), r"end_factor must be in \[0, 1\]"),
    (dict(end_factor=-0.5), "end_factor must be a number >= 0"),
    (dict(total_iters=0), "total_iters must be a positive integer"),
])
def test_linear_lr_errors(kwargs, match):
    opt = make_optimizer([0.1])
    with pytest.raises(ValueError, match=match):
        LinearLR(opt, **kwargs)
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]


# ------------------------------------------------------------------ CyclicLR
def _cyclic(base, top, up, down, t, scale):
    """Smith's triangle: where step t sits in its cycle, times the policy's scale."""
    size = up + down
    cycle = math.floor(1 + t / size)
    x = 1 + t / size - cycle
    f = x * size / up if x <= up / size else (1 - x) * size / down
    return base + (top - base) * f * scale(cycle, t)


SCALES = {"triangular": lambda cycle, t, g: 1.0,
          "triangular2": lambda cycle, t, g: 0.5 ** (cycle - 1),
          "exp_range": lambda cycle, t, g: g ** t}


@given(lrs=base_lrs, top=st.floats(1.0, 20.0), up=st.integers(1, 6),
       down=st.one_of(st.none(), st.integers(1, 6)), mode=st.sampled_from(sorted(SCALES)),
       gamma=st.floats(0.5, 1.0), epochs=st.integers(0, 30))
def test_cyclic_lr_follows_its_closed_form(lrs, top, up, down, mode, gamma, epochs):
    opt = make_optimizer([7.0] * len(lrs))           # construction sets base_lr
    sched = CyclicLR(opt, base_lr=lrs, max_lr=top, step_size_up=up, step_size_down=down,
                     mode=mode, gamma=gamma, cycle_momentum=False)
    d = up if down is None else down
    want = closed_form(lrs, epochs, lambda b, t: _cyclic(
        b, top, up, d, t, lambda c, s: SCALES[mode](c, s, gamma)))
    np.testing.assert_allclose(trajectory(sched, epochs), want, rtol=1e-10, atol=1e-12)


def test_cyclic_lr_custom_scale_fn_by_cycle_or_iteration():
    for scale_mode, arg in (("cycle", lambda c, t: c), ("iterations", lambda c, t: t)):
        sched = CyclicLR(make_optimizer([0.1]), 0.1, 1.0, step_size_up=2,
                         scale_fn=lambda x: 1 / (1 + x), scale_mode=scale_mode,
                         cycle_momentum=False)
        want = closed_form([0.1], 10, lambda b, t: _cyclic(
            b, 1.0, 2, 2, t, lambda c, s: 1 / (1 + arg(c, s))))
        np.testing.assert_allclose(trajectory(sched, 10), want, rtol=1e-12)
        assert "scale_fn_custom" not in sched.state_dict()


@pytest.mark.parametrize("opt_cls, key", [(optim.SGD, "momentum"), (optim.Adam, "betas")])
def test_cyclic_lr_cycles_momentum_the_other_way(opt_cls, key):
    opt = make_optimizer([0.5], opt_cls)
    if opt_cls is optim.SGD:
        opt.param_groups[0]["momentum"] = 0.5
    sched = CyclicLR(opt, 0.1, 1.0, step_size_up=3, step_size_down=2)

    def momentum():
        v = opt.param_groups[0][key]
        return v[0] if key == "betas" else v
    got = [momentum()]
    for _ in range(10):
        opt.step()
        sched.step()
        got.append(momentum())
    want = [_cyclic(0.9, 0.8, 3, 2, t, lambda c, s: 1.0) for t in range(11)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert opt.param_groups[0]["max_momentum"] == 0.9
    assert opt.param_groups[0]["base_momentum"] == 0.8


def test_cyclic_lr_resumes_from_state_dicts():
    def make(o):
        return CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, mode="triangular2")
    opt = make_optimizer([0.1, 0.3], optim.Adam)
    sched = make(opt)
    for _ in range(5):
        opt.step()
        sched.step()
    opt2 = make_optimizer([7.0, 7.0], optim.Adam)
    sched2 = make(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for _ in range(8):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert [g["betas"] for g in opt2.param_groups] == [g["betas"] for g in opt.param_groups]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(mode="sine"), ValueError, "mode must be 'triangular'"),
    (dict(step_size_up=0), ValueError, "step_size_up must be a positive integer"),
    (dict(step_size_down=-1), ValueError, "step_size_down must be a positive integer"),
    (dict(max_lr=[1.0, 2.0]), ValueError, "expected 1 values for max_lr"),
    (dict(scale_fn=3), TypeError, "scale_fn must be callable"),
    (dict(scale_fn=abs, scale_mode="epochs"), ValueError, "scale_mode must be"),
    (dict(gamma=-1.0), ValueError, "gamma must be a number >= 0"),
])
def test_cyclic_lr_errors_change_nothing(kwargs, error, match):
    opt = make_optimizer([0.1])
    args = dict(base_lr=0.01, max_lr=0.1) | kwargs
    with pytest.raises(error, match=match):
        CyclicLR(opt, **args)
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with"):
        CyclicLR(make_optimizer([0.1], optim.Adagrad), 0.01, 0.1)
    CyclicLR(make_optimizer([0.1], optim.Adagrad), 0.01, 0.1, cycle_momentum=False)


def test_reachable_from_lr_scheduler():
    for name in ("LinearLR", "CyclicLR"):
        assert name in optim.lr_scheduler.__all__
