"""optim.LBFGS against facts computed here: convergence to known minima, the
two-loop direction against the explicit BFGS inverse-Hessian recursion, the
strong-Wolfe conditions at accepted steps, the evaluation budgets and stopping
rules, state-dict resumption, and argument errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad import optim
from minigrad.optim.lbfgs import LBFGS
from minigrad.optim.line_search import cubic_interpolate, strong_wolfe


# ------------------------------------------------------------------ problems
def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosen(ps):
    """Rosenbrock's function of the first (2-vector) parameter."""
    return rosenbrock(ps[0])


def rosenbrock_np(v):
    x, y = v
    f = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    return f, g


def spd(rng, n, cond=20.0):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T


class Counted:
    """A closure over ``params`` computing ``loss_fn(params)``, counting its calls
    and recording the point of each call."""

    def __init__(self, opt, params, loss_fn):
        self.opt, self.params, self.loss_fn = opt, params, loss_fn
        self.calls, self.points = 0, []

    def __call__(self):
        self.calls += 1
        self.points.append(np.concatenate([p.data.ravel() for p in self.params]))
        self.opt.zero_grad()
        loss = self.loss_fn(self.params)
        loss.backward()
        return loss


def minimise(loss_fn, start, steps=1, **kw):
    params = [mg.tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in start]
    opt = LBFGS(params, **kw)
    closure = Counted(opt, params, loss_fn)
    for _ in range(steps):
        opt.step(closure)
    return params, opt, closure


# --------------------------------------------------------------- convergence
@pytest.mark.parametrize("start", [(-1.5, 2.0), (0.0, 0.0), (2.0, -1.0), (-0.5, 1.5)])
def test_rosenbrock_converges_to_its_minimum_with_strong_wolfe(start):
    (p,), opt, closure = minimise(rosen, [start], steps=10, max_iter=50,
                                  line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                                  tolerance_change=1e-16)
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-7)
    assert float(rosenbrock(p)) < 1e-12


def test_rosenbrock_with_fixed_steps_gets_close():
    (p,), _, _ = minimise(rosen, [(-1.5, 2.0)], steps=30, lr=0.5, max_iter=20)
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-3)


@settings(deadline=None, max_examples=25)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**31 - 1),
       line_search=st.sampled_from([None, "strong_wolfe"]))
def test_quadratic_reaches_the_exact_minimum(n, seed, line_search):
    """f(w, c) = 1/2 w'Aw - b'w + (c - 3)^2 over two parameters: minimum (A^-1 b, 3)."""
    rng = np.random.default_rng(seed)
    A, b = spd(rng, n), rng.normal(size=n)
    At, bt = mg.tensor(A), mg.tensor(b)

    def f(ps):
        w, c = ps
        return 0.5 * (w * (At @ w)).sum() - (bt * w).sum() + ((c - 3.0) ** 2).sum()

    (w, c), _, _ = minimise(f, [rng.normal(size=n), [0.0]], steps=5, max_iter=40,
                            line_search_fn=line_search, tolerance_grad=1e-12,
                            tolerance_change=1e-14)
    np.testing.assert_allclose(w.data, np.linalg.solve(A, b), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(c.data, [3.0], atol=1e-8)


def test_float32_parameters_stay_float32_and_converge():
    A = np.diag([1.0, 4.0]).astype(np.float32)
    p = mg.tensor(np.array([3.0, -2.0], np.float32), requires_grad=True)
    opt = LBFGS([p], line_search_fn="strong_wolfe")
    At = mg.tensor(A)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (p * (At @ p)).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert p.data.dtype == np.float32 and opt.state[p]["d"].dtype == np.float32
    np.testing.assert_allclose(p.data, [0, 0], atol=1e-3)


# ------------------------------------------------- the two-loop recursion
def explicit_inverse_hessian(pairs, H0, n):
    """H_k by the BFGS update in matrix form, oldest pair first:
    H <- (I - rho s y') H (I - rho y s') + rho s s'."""
    H, I = H0 * np.eye(n), np.eye(n)
    for s, y in pairs:
        rho = 1.0 / (y @ s)
        H = (I - rho * np.outer(s, y)) @ H @ (I - rho * np.outer(y, s)) + rho * np.outer(s, s)
    return H


@given(n=st.integers(1, 6), m=st.integers(0, 5), seed=st.integers(0, 2**31 - 1))
def test_two_loop_direction_is_minus_H_g(n, m, seed):
    rng = np.random.default_rng(seed)
    B = spd(rng, n, cond=5.0)                    # y = B s keeps y.s > 0
    pairs = [(s, B @ s) for s in rng.normal(size=(m, n))]
    H0 = float(rng.uniform(0.1, 2.0))
    g = rng.normal(size=n)
    d = LBFGS._two_loop(g, [y for _, y in pairs], [s for s, _ in pairs],
                        [1.0 / (y @ s) for s, y in pairs], H0, [None] * max(m, 1))
    np.testing.assert_allclose(d, -explicit_inverse_hessian(pairs, H0, n) @ g,
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("history_size", [1, 2, 100])
@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_stored_direction_uses_the_last_history_size_pairs(history_size, line_search):
    """After a step, the stored direction d is -H g_prev with H built from the
    remembered pairs (s_i = t_i d_i, y_i = g_{i+1} - g_i, at most history_size,
    the newest ones) and H0 = y.s / y.y of the newest pair."""
    (p,), opt, _ = minimise(rosen, [(-1.2, 1.0)], steps=1, max_iter=8,
                            history_size=history_size, line_search_fn=line_search,
                            lr=0.5 if line_search is None else 1)
    st_ = opt.state[p]
    s_list, y_list = st_["old_stps"], st_["old_dirs"]
    assert 1 <= len(s_list) <= history_size and st_["n_iter"] == 8
    s, y = s_list[-1], y_list[-1]
    assert st_["H_diag"] == pytest.approx((y @ s) / (y @ y), rel=1e-12)
    np.testing.assert_allclose(st_["ro"], [1 / (y_ @ s_) for s_, y_ in zip(s_list, y_list)],
                               rtol=1e-12)
    H = explicit_inverse_hessian(list(zip(s_list, y_list)), st_["H_diag"], 2)
    np.testing.assert_allclose(st_["d"], -H @ st_["prev_flat_grad"], rtol=1e-7, atol=1e-9)


# ------------------------------------------------------- the line search
C1, C2 = 1e-4, 0.9


@pytest.mark.parametrize("start", [(-1.5, 2.0), (0.0, 0.0), (2.0, -1.0), (-1.2, 1.0),
                                   (0.5, 0.9)])
def test_accepted_steps_satisfy_the_strong_wolfe_conditions(start):
    """Each iteration's accepted step t along d (read back from the closure's points)
    satisfies sufficient decrease and the strong curvature condition."""
    x = np.array(start, dtype=np.float64)
    p = mg.tensor(x.copy(), requires_grad=True)
    opt = LBFGS([p], max_iter=1, max_eval=30, line_search_fn="strong_wolfe")
    closure = Counted(opt, [p], rosen)
    checked = 0
    for _ in range(8):
        opt.step(closure)                                       # one iteration each
        x_new = p.data.copy()
        f0, g0 = rosenbrock_np(x)
        f1, g1 = rosenbrock_np(x_new)
        d = x_new - x                                           # = t d
        if np.abs(g0).max() <= 1e-7:
            break
        assert f1 <= f0 + C1 * (g0 @ d)                          # Armijo
        assert abs(g1 @ d) <= C2 * abs(g0 @ d) + 1e-12           # strong curvature
        assert any(np.array_equal(x_new, q) for q in closure.points)  # a point evaluated
        checked += 1
        x = x_new
    assert checked >= 3


@given(a=st.floats(0.2, 5.0), x0=st.floats(-4, 4), t0=st.sampled_from([1e-3, 0.1, 1.0, 30.0]))
def test_strong_wolfe_on_a_one_dimensional_quartic(a, x0, t0):
    """phi(x) = a x^4 + x^2 along d = -phi'(x0): the returned (f, g, t) are those
    of the point x0 + t d, and that point satisfies both conditions."""
    f = lambda x: a * x ** 4 + x ** 2                          # noqa: E731
    g = lambda x: 4 * a * x ** 3 + 2 * x                       # noqa: E731
    if abs(g(x0)) < 1e-6:
        return
    d = np.array([-g(x0)])

    def obj(xs, t, d_):
        z = xs[0][0] + t * d_[0]
        return f(z), np.array([g(z)])

    gtd = float(g(x0) * d[0])
    f_new, g_new, t, evals = strong_wolfe(obj, [np.array([x0])], t0, d, f(x0),
                                          np.array([g(x0)]), gtd)
    z = x0 + t * d[0]
    assert f_new == pytest.approx(f(z), rel=1e-12, abs=1e-300) and g_new[0] == pytest.approx(g(z))
    assert f_new <= f(x0) + C1 * t * gtd
    assert abs(g_new[0] * d[0]) <= C2 * abs(gtd) * (1 + 1e-12)
    assert 1 <= evals <= 26


def test_cubic_interpolate_finds_the_minimum_of_a_cubic():
    # p(x) = x^3 - 3x has its local minimum at x = 1
    p, dp = (lambda x: x ** 3 - 3 * x), (lambda x: 3 * x ** 2 - 3)
    assert cubic_interpolate(0.0, p(0.0), dp(0.0), 2.0, p(2.0), dp(2.0)) == pytest.approx(1.0)
    assert cubic_interpolate(2.0, p(2.0), dp(2.0), 0.0, p(0.0), dp(0.0)) == pytest.approx(1.0)
    # clipped to the bounds
    assert cubic_interpolate(0.0, p(0.0), dp(0.0), 2.0, p(2.0), dp(2.0),
                             bounds=(1.5, 3.0)) == 1.5


# --------------------------------------------------- budgets and stopping
@pytest.mark.parametrize("max_iter,max_eval", [(1, None), (3, None), (5, 4), (20, 7), (20, 100)])
@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_max_iter_and_max_eval_are_respected(max_iter, max_eval, line_search):
    (p,), opt, closure = minimise(rosen, [(-1.5, 2.0)], steps=1, max_iter=max_iter,
                                  max_eval=max_eval, line_search_fn=line_search,
                                  tolerance_grad=0.0, tolerance_change=0.0)
    budget = max_iter * 5 // 4 if max_eval is None else max_eval
    assert opt.param_groups[0]["max_eval"] == budget
    st_ = opt.state[p]
    assert st_["n_iter"] <= max_iter and st_["func_evals"] == closure.calls
    if line_search is None:
        # one evaluation at the start, one after each iteration but the last;
        # iterations stop at max_iter or once the evaluations reach the budget
        n = min(max_iter, max(budget - 1, 1))
        assert st_["n_iter"] == n
        assert closure.calls == 1 + n - (n == max_iter)
    else:
        # the line search may overshoot the budget by its own first evaluation
        assert closure.calls <= budget + 1
        assert st_["n_iter"] == max_iter or closure.calls >= budget


def test_tolerance_grad_stops_at_a_minimum_without_moving():
    (p,), opt, closure = minimise(rosen, [(1.0, 1.0)], steps=3)
    np.testing.assert_array_equal(p.data, [1.0, 1.0])
    assert closure.calls == 3 and opt.state[p]["n_iter"] == 0


def test_tolerance_grad_stops_after_the_first_point_below_it():
    (p,), opt, closure = minimise(lambda ps: (ps[0] ** 2).sum(), [(3.0, -4.0)],
                                  max_iter=20, tolerance_grad=1e-3,
                                  line_search_fn="strong_wolfe")
    g = 2 * p.data
    assert np.abs(g).max() <= 1e-3 and opt.state[p]["n_iter"] < 20


def test_tolerance_change_stops_early():
    kw = dict(max_iter=20, lr=0.1)
    _, opt_a, calls_a = minimise(rosen, [(-1.5, 2.0)], tolerance_change=1e-9, **kw)
    (p,), opt_b, calls_b = minimise(rosen, [(-1.5, 2.0)], tolerance_change=10.0, **kw)
    assert opt_b.state[p]["n_iter"] == 1 and calls_b.calls == 2
    assert calls_a.calls == 20


def test_step_returns_the_first_loss_and_keeps_memory_across_steps():
    params = [mg.tensor(np.array([-1.5, 2.0]), requires_grad=True)]
    opt = LBFGS(params, max_iter=3, max_eval=10)
    closure = Counted(opt, params, rosen)
    first = opt.step(closure)
    assert float(first) == pytest.approx(rosenbrock_np([-1.5, 2.0])[0])
    n_pairs = len(opt.state[params[0]]["old_dirs"])
    opt.step(closure)
    assert opt.state[params[0]]["n_iter"] == 6
    assert len(opt.state[params[0]]["old_dirs"]) > n_pairs     # history carried over


def test_several_parameters_and_one_without_a_gradient():
    a = mg.tensor(np.array([[2.0, -1.0], [0.5, 3.0]]), requires_grad=True)
    b = mg.tensor(np.array(4.0), requires_grad=True)
    unused = mg.tensor(np.ones(3), requires_grad=True)
    opt = LBFGS([a, b, unused], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((a - 1.0) ** 2).sum() + (b + 2.0) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(a.data, np.ones((2, 2)), atol=1e-6)
    np.testing.assert_allclose(b.data, -2.0, atol=1e-6)
    np.testing.assert_array_equal(unused.data, np.ones(3))
    assert opt.state[a]["d"].shape == (4 + 1 + 3,)


# ------------------------------------------------------------- state dict
@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_bit_for_bit(line_search):
    kw = dict(max_iter=4, history_size=3, line_search_fn=line_search)
    start = [np.array([[-1.5, 2.0]]), np.array([0.3])]

    def f(ps):
        w, c = ps
        return rosenbrock(w[0]) + ((c - 1.0) ** 2).sum()

    params, opt, closure = minimise(f, start, steps=2, **kw)
    sd = opt.state_dict()
    n_saved = opt.state[params[0]]["n_iter"]
    params2 = [mg.tensor(p.data.copy(), requires_grad=True) for p in params]
    opt2 = LBFGS(params2, **kw)
    opt2.load_state_dict(sd)
    closure2 = Counted(opt2, params2, f)
    for _ in range(3):
        opt.step(closure)
        opt2.step(closure2)
        for p, q in zip(params, params2):
            np.testing.assert_array_equal(p.data, q.data)
    assert opt2.state[params2[0]]["func_evals"] == opt.state[params[0]]["func_evals"]
    # the saved dict is a copy: later steps did not change it
    assert sd["state"][0]["n_iter"] == n_saved < opt.state[params[0]]["n_iter"]


def test_load_state_dict_checks_the_flat_size_before_writing():
    _, opt, _ = minimise(rosen, [(-1.5, 2.0)], steps=1, max_iter=3)
    other = LBFGS([mg.tensor(np.zeros(3), requires_grad=True)], max_iter=3)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"state 'd' has shape \(2,\), expected \(3,\)"):
        other.load_state_dict(opt.state_dict())
    assert other.state_dict() == before


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=-1.0), "learning rate: -1.0"),
    (dict(max_iter=0), "max_iter value: 0"),
    (dict(max_iter=2.5), "max_iter value: 2.5"),
    (dict(max_eval=0), "max_eval value: 0"),
    (dict(history_size=0), "history_size value: 0"),
    (dict(tolerance_grad=-1e-3), "tolerance_grad value"),
    (dict(tolerance_change=-1.0), "tolerance_change value"),
    (dict(line_search_fn="armijo"), "line_search_fn: 'armijo' .*None or 'strong_wolfe'"),
])
def test_invalid_arguments(kwargs, match):
    p = mg.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        LBFGS([p], **kwargs)


def test_one_parameter_group_only_and_a_closure_is_required():
    a, b = (mg.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([{"params": [a]}, {"params": [b]}])
    opt = LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    assert opt.state == {}


def test_exported():
    assert optim.LBFGS is LBFGS and "LBFGS" in optim.__all__
