"""Optimizers against their update rules, written out independently here.

Each case of ``CASES`` names an optimizer with one option set; hypothesis draws
the hyper-parameters, the parameter and a sequence of gradients, and several
steps are compared with the textbook form of the rule (so moment buffers,
step counters and bias corrections all matter). The references below are
written in the papers' notation (e.g. Adam's m-hat / v-hat), not in the
rearranged form the optimizers compute.
"""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import optim
from minigrad.testing import arrays, shapes

# ------------------------------------------------------------------ references
# Each takes the initial parameter, the list of gradients and the
# hyper-parameters, and returns the parameter after every step.


def ref_sgd(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
            nesterov=False):
    out, b = [], None
    for g in grads:
        d = g + weight_decay * theta
        if momentum != 0:
            b = d.copy() if b is None else momentum * b + (1 - dampening) * d
            d = d + momentum * b if nesterov else b
        theta = theta - lr * d
        out.append(theta)
    return out


def ref_adam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, decoupled=False):
    b1, b2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    vmax = np.zeros_like(theta)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (vmax if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def ref_adamw(theta, grads, weight_decay=1e-2, **hp):     # AdamW's own default decay
    return ref_adam(theta, grads, weight_decay=weight_decay, decoupled=True, **hp)


def ref_adagrad(theta, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10):
    s = np.full_like(theta, initial_accumulator_value)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * theta
        s = s + g ** 2
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


def ref_rmsprop(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                momentum=0.0, centered=False):
    v = np.zeros_like(theta)
    gbar = np.zeros_like(theta)
    b = np.zeros_like(theta)
    out = []
    for g in grads:
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g ** 2
        gbar = alpha * gbar + (1 - alpha) * g
        denom = np.sqrt(v - gbar ** 2 if centered else v) + eps
        if momentum > 0:
            b = momentum * b + g / denom
            theta = theta - lr * b
        else:
            theta = theta - lr * g / denom
        out.append(theta)
    return out


def ref_adadelta(theta, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    Eg2 = np.zeros_like(theta)
    Edx2 = np.zeros_like(theta)
    out = []
    for g in grads:
        g = g + weight_decay * theta
        Eg2 = rho * Eg2 + (1 - rho) * g ** 2
        dx = np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * g
        Edx2 = rho * Edx2 + (1 - rho) * dx ** 2
        theta = theta - lr * dx
        out.append(theta)
    return out


def ref_adamax(theta, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    m, u = np.zeros_like(theta), np.zeros_like(theta)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)              # infinity norm
        theta = theta - lr / (1 - b1 ** t) * m / u
        out.append(theta)
    return out


def ref_nadam(theta, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              momentum_decay=4e-3, decoupled_weight_decay=False):
    """Dozat's NAdam as PyTorch writes it: m-hat from the next step's momentum mu_{t+1}
    (over the product of mu_1..mu_{t+1}) plus the gradient's share (over mu_1..mu_t)."""
    b1, b2 = betas
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    mus = [b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) for t in range(1, len(grads) + 2)]
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = (mus[t] * m / (1 - math.prod(mus[:t + 1]))
                 + (1 - mus[t - 1]) * g / (1 - math.prod(mus[:t])))
        v_hat = v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def ref_radam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              decoupled_weight_decay=False):
    """Liu et al.'s rectified Adam: SGD with momentum while rho_t <= 5."""
    b1, b2 = betas
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    rho_inf = 2 / (1 - b2) - 1
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            v_hat = v / (1 - b2 ** t)
            theta = theta - lr * m_hat * r / (np.sqrt(v_hat) + eps / math.sqrt(1 - b2 ** t))
        else:
            theta = theta - lr * m_hat
        out.append(theta)
    return out


# ------------------------------------------------------------------ the cases
lrs = st.floats(1e-3, 1.0)
unit = st.floats(0.0, 0.99)
wds = st.floats(1e-3, 0.5)
epss = st.floats(1e-8, 1e-2)
betas = st.tuples(st.floats(0.0, 0.99), st.floats(0.0, 0.999))


def hp(**kw):
    """A strategy of hyper-parameter dicts: strategies for drawn values, others fixed."""
    return st.fixed_dictionaries({k: (v if isinstance(v, st.SearchStrategy) else st.just(v))
                                  for k, v in kw.items()})


# (id, optimizer class, reference, hyper-parameter strategy)
CASES = [
    ("SGD-plain", optim.SGD, ref_sgd, hp(lr=lrs)),
    ("SGD-weight_decay", optim.SGD, ref_sgd, hp(lr=lrs, weight_decay=wds)),
    ("SGD-momentum", optim.SGD, ref_sgd, hp(lr=lrs, momentum=st.floats(0.1, 0.99))),
    ("SGD-dampening", optim.SGD, ref_sgd,
     hp(lr=lrs, momentum=st.floats(0.1, 0.99), dampening=unit, weight_decay=wds)),
    ("SGD-nesterov", optim.SGD, ref_sgd,
     hp(lr=lrs, momentum=st.floats(0.1, 0.99), nesterov=True, weight_decay=wds)),
    ("Adam-defaults", optim.Adam, ref_adam, hp()),
    ("Adam", optim.Adam, ref_adam, hp(lr=lrs, betas=betas, eps=epss)),
    ("Adam-weight_decay", optim.Adam, ref_adam,
     hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds)),
    ("Adam-amsgrad", optim.Adam, ref_adam,
     hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds, amsgrad=True)),
    ("AdamW-defaults", optim.AdamW, ref_adamw, hp()),
    ("AdamW", optim.AdamW, ref_adamw, hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds)),
    ("AdamW-amsgrad", optim.AdamW, ref_adamw,
     hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds, amsgrad=True)),
    ("Adagrad-defaults", optim.Adagrad, ref_adagrad, hp()),
    ("Adagrad", optim.Adagrad, ref_adagrad,
     hp(lr=lrs, lr_decay=st.floats(0.0, 1.0), weight_decay=wds,
        initial_accumulator_value=st.floats(0.0, 2.0), eps=epss)),
    ("RMSprop-defaults", optim.RMSprop, ref_rmsprop, hp()),
    ("RMSprop", optim.RMSprop, ref_rmsprop, hp(lr=lrs, alpha=unit, eps=epss, weight_decay=wds)),
    ("RMSprop-momentum", optim.RMSprop, ref_rmsprop,
     hp(lr=lrs, alpha=unit, eps=epss, momentum=st.floats(0.1, 0.99))),
    ("RMSprop-centered", optim.RMSprop, ref_rmsprop,
     hp(lr=lrs, alpha=st.floats(0.5, 0.99), eps=st.floats(1e-4, 1e-2), weight_decay=wds,
        centered=True)),
    ("RMSprop-centered-momentum", optim.RMSprop, ref_rmsprop,
     hp(lr=lrs, alpha=st.floats(0.5, 0.99), eps=st.floats(1e-4, 1e-2),
        momentum=st.floats(0.1, 0.99), centered=True)),
    ("Adadelta-defaults", optim.Adadelta, ref_adadelta, hp()),
    ("Adadelta", optim.Adadelta, ref_adadelta,
     hp(lr=lrs, rho=st.floats(0.0, 1.0), eps=epss, weight_decay=wds)),
    ("Adamax-defaults", optim.Adamax, ref_adamax, hp()),
    ("Adamax", optim.Adamax, ref_adamax, hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds)),
    ("NAdam-defaults", optim.NAdam, ref_nadam, hp()),
    ("NAdam", optim.NAdam, ref_nadam,
     hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds, momentum_decay=st.floats(0.0, 0.5))),
    ("NAdam-decoupled", optim.NAdam, ref_nadam,
     hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds, decoupled_weight_decay=True)),
    ("RAdam-defaults", optim.RAdam, ref_radam, hp()),
    # beta2 <= 0.6 gives rho_inf <= 4: every step is the momentum-SGD branch
    ("RAdam", optim.RAdam, ref_radam, hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds)),
    ("RAdam-decoupled", optim.RAdam, ref_radam,
     hp(lr=lrs, betas=betas, eps=epss, weight_decay=wds, decoupled_weight_decay=True)),
]
IDS = [c[0] for c in CASES]
OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.RMSprop,
              optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam]


@st.composite
def problems(draw, max_steps=6):
    """(initial parameter, [gradient per step]) in float64."""
    shape = draw(shapes(min_dims=0, max_dims=2))
    theta = draw(arrays(shape))
    n = draw(st.integers(1, max_steps))
    grads = [draw(arrays(shape, low=-3.0, high=3.0)) for _ in range(n)]
    return theta, grads


def run(cls, theta, grads, hyper, dtype=np.float64):
    p = mg.tensor(theta.astype(dtype), requires_grad=True)
    opt = cls([p], **hyper)
    out = []
    for g in grads:
        p.grad = g.astype(dtype)
        opt.step()
        out.append(p.data.copy())
    return p, opt, out


# ------------------------------------------------------------- update rules
@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(data=st.data())
def test_update_rule_matches_reference(case, data):
    _, cls, ref, hyper_st = case
    hyper = data.draw(hyper_st, label="hyper")
    theta, grads = data.draw(problems(), label="problem")
    _, _, got = run(cls, theta, grads, hyper)
    want = ref(theta, grads, **hyper)
    for t, (a, b) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11,
                                   err_msg=f"step {t} with {hyper}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
@given(data=st.data())
def test_float32_stays_float32(case, data):
    _, cls, ref, hyper_st = case
    hyper = data.draw(hyper_st, label="hyper")
    theta, grads = data.draw(problems(max_steps=3), label="problem")
    p, opt, got = run(cls, theta, grads, hyper, dtype=np.float32)
    assert p.data.dtype == np.float32
    for s in opt.state.values():
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, k
    want = ref(theta.astype(np.float32).astype(np.float64),
               [g.astype(np.float32).astype(np.float64) for g in grads], **hyper)
    np.testing.assert_allclose(got[-1], want[-1], rtol=1e-3, atol=1e-4)


def test_update_is_in_place_and_keeps_identity():
    p = mg.nn.Parameter(np.ones(3))
    arr = p.data
    opt = optim.Adam([p])
    p.grad = np.ones(3)
    opt.step()
    assert p.data is arr and not np.all(arr == 1)


# -------------------------------------------------------- groups and skipping
@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_param_without_grad_is_skipped(cls):
    a = mg.tensor(np.ones(2), requires_grad=True)
    b = mg.tensor(np.ones(2), requires_grad=True)
    opt = cls([a, b], lr=0.1)
    a.grad = np.array([1.0, -1.0])
    opt.step()
    assert np.array_equal(b.data, np.ones(2))
    assert b not in opt.state and a in opt.state
    assert not np.array_equal(a.data, np.ones(2))


@given(data=st.data())
def test_param_groups_use_their_own_hyperparameters(data):
    hyper = data.draw(hp(lr=lrs, betas=betas, eps=epss))
    lr2 = data.draw(lrs)
    (t1, g1), (t2, g2) = data.draw(problems()), data.draw(problems())
    n = min(len(g1), len(g2))
    a = mg.tensor(t1, requires_grad=True)
    b = mg.tensor(t2, requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": lr2, "amsgrad": True}], **hyper)
    assert opt.param_groups[1]["betas"] == hyper["betas"]      # filled from defaults
    for i in range(n):
        a.grad, b.grad = g1[i], g2[i]
        opt.step()
    np.testing.assert_allclose(a.data, ref_adam(t1, g1[:n], **hyper)[-1], rtol=1e-9)
    np.testing.assert_allclose(
        b.data, ref_adam(t2, g2[:n], **dict(hyper, lr=lr2, amsgrad=True))[-1], rtol=1e-9)


def test_add_param_group():
    a = mg.tensor(np.ones(2), requires_grad=True)
    b = mg.tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": [b], "lr": 1.0})
    assert opt.param_groups[1]["momentum"] == 0.5
    a.grad = b.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.0)


def test_zero_grad():
    a = mg.tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    a.grad = np.ones(2)
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and np.all(g == 0)
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure_and_model_parameters():
    w = mg.nn.Parameter(np.array([3.0, -2.0]))
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    loss = opt.step(closure)
    assert calls == [13.0] and loss.item() == 13.0
    np.testing.assert_allclose(w.data, [1.5, -1.0])    # w - 0.25 * 2w


# ----------------------------------------------------------------- convexity
def _lstsq_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5))
    X[:, 0] *= 3.0                                           # mildly ill-conditioned
    y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=64)
    return mg.tensor(X), mg.tensor(y)


@pytest.mark.parametrize("cls, hyper", [
    (optim.SGD, dict(lr=0.02)),
    (optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.05)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.Adagrad, dict(lr=0.5)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adadelta, dict(lr=0.5, eps=1e-3)),
    (optim.Adamax, dict(lr=0.05)),
    (optim.NAdam, dict(lr=0.05)),
    (optim.RAdam, dict(lr=0.05)),
], ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_decreases_a_convex_loss(cls, hyper):
    X, y = _lstsq_problem()
    w = mg.nn.Parameter(np.zeros(5))
    opt = cls([w], **hyper)

    def loss_fn():
        return ((X @ w - y) ** 2).mean()

    first = loss_fn().item()
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = loss_fn().item()
    assert final < 0.05 * first, (first, final)
    assert max(losses) <= first                              # never diverges on the way


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_negative_lr_and_empty_params(cls):
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"Invalid learning rate: -0\.1"):
        cls([p], lr=-0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        cls([{"params": [p], "lr": -1.0}], lr=0.1)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_parameter_given_twice(cls):
    p = mg.tensor(np.ones(2), requires_grad=True)
    q = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="twice"):
        cls([p, q, p], lr=0.1)
    with pytest.raises(ValueError, match="already in another parameter group"):
        cls([{"params": [p]}, {"params": [q, p]}], lr=0.1)


@pytest.mark.parametrize("bad", [(-0.1, 0.999), (0.9, 1.0), (1.0, 0.5), (0.9,)])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.Adamax, optim.NAdam,
                                 optim.RAdam])
def test_betas_outside_unit_interval(cls, bad):
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="beta"):
        cls([p], betas=bad)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD([p], lr=0.1, momentum=-0.5),
    lambda p: optim.SGD([p], lr=0.1, weight_decay=-1),
    lambda p: optim.SGD([p], lr=0.1, nesterov=True),
    lambda p: optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda p: optim.Adam([p], eps=-1e-8),
    lambda p: optim.Adam([p], weight_decay=-0.1),
    lambda p: optim.Adagrad([p], lr_decay=-0.1),
    lambda p: optim.Adagrad([p], initial_accumulator_value=-1.0),
    lambda p: optim.RMSprop([p], alpha=-0.5),
    lambda p: optim.RMSprop([p], momentum=-0.5),
    lambda p: optim.Adadelta([p], rho=1.5),
    lambda p: optim.Adadelta([p], eps=-1.0),
    lambda p: optim.Adamax([p], eps=-1.0),
    lambda p: optim.NAdam([p], momentum_decay=-0.1),
    lambda p: optim.RAdam([p], weight_decay=-0.1),
])
def test_invalid_hyperparameters(make):
    with pytest.raises(ValueError, match=r"Invalid|Nesterov"):
        make(mg.tensor(np.ones(2), requires_grad=True))


def test_non_tensor_and_bad_params():
    p = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([p, np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([mg.tensor(np.arange(3))], lr=0.1)


def test_update_formula_of_base_class_is_required():
    class Bare(optim.Optimizer):
        pass

    p = mg.tensor(np.ones(2), requires_grad=True)
    opt = Bare([p], dict(lr=0.1))
    p.grad = np.ones(2)
    with pytest.raises(NotImplementedError, match="Bare"):
        opt.step()


def test_momentum_buffer_starts_at_first_gradient():
    """PyTorch's convention: b_1 = g_1 (not (1 - dampening) g_1)."""
    p = mg.tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([p], lr=1.0, momentum=0.5, dampening=0.5)
    p.grad = np.array([2.0])
    opt.step()
    assert opt.state[p]["momentum_buffer"][0] == 2.0 and p.data[0] == -2.0
    opt.step()                                   # b = 0.5 * 2 + 0.5 * 2 = 2
    assert opt.state[p]["momentum_buffer"][0] == 2.0 and p.data[0] == -4.0
    assert math.isclose(p.data[0], -4.0)


# --------------------------------------------------------------- long runs
@pytest.mark.parametrize("cls, ref", [(optim.RAdam, ref_radam), (optim.NAdam, ref_nadam),
                                      (optim.Adamax, ref_adamax)], ids=lambda v: getattr(
                                          v, "__name__", ""))
@given(data=st.data(), beta2=st.floats(0.9, 0.999), wd=st.floats(0.0, 0.3), eps=epss)
def test_long_runs_match_reference(cls, ref, data, beta2, wd, eps):
    """Twenty steps: RAdam crosses from its momentum-SGD steps (rho_t <= 5) into
    rectified Adam steps; NAdam's momentum schedule and products run on."""
    theta, grads = data.draw(problems(max_steps=20), label="problem")
    grads = (grads * 20)[:20]
    hyper = dict(lr=0.01, betas=(0.9, beta2), weight_decay=wd, eps=eps)
    _, _, got = run(cls, theta, grads, hyper)
    for t, (a, b) in enumerate(zip(got, ref(theta, grads, **hyper)), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"step {t}")


def test_radam_takes_both_kinds_of_step():
    """With beta2 = 0.9 (rho_inf = 19) steps 1-5 are momentum SGD, later ones rectified."""
    rho_inf = 2 / (1 - 0.9) - 1
    rho = [rho_inf - 2 * t * 0.9 ** t / (1 - 0.9 ** t) for t in range(1, 21)]
    assert rho[0] <= 5 < rho[-1]
    p = mg.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.RAdam([p], lr=0.1, betas=(0.5, 0.9))
    p.grad = np.array([2.0])
    opt.step()                                  # momentum SGD: -lr * m_hat = -lr * g
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 2.0])
    assert set(opt.state[p]) == {"step", "exp_avg", "exp_avg_sq"}
