"""Agreement of optim.LBFGS and the new lr schedulers with PyTorch (development
oracle, not a test: needs ``torch``). Prints the largest deviation per case.

    python benchmarks/torch_agreement_optim.py
"""
import _common  # noqa: F401  (the repository root on sys.path, threads pinned)
import numpy as np
import torch

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as mls
from torch.optim import lr_scheduler as tls


# ------------------------------------------------------------------ schedulers
def _pair(opt_name, lrs, **kw):
    tg = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    mg_ = [{"params": [mg.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(torch.optim, opt_name)(tg, lr=lrs[0], **kw), \
        getattr(optim, opt_name)(mg_, lr=lrs[0], **kw)


def _keys(group):
    return {k: group[k] for k in ("lr", "momentum", "betas") if k in group}


def sched_dev(opt_name, make_t, make_m, steps, lrs=(0.1, 0.03), epochs=None, **kw):
    t_opt, m_opt = _pair(opt_name, list(lrs), **kw)
    ts, ms = make_t(t_opt), make_m(m_opt)
    worst = 0.0

    def compare():
        nonlocal worst
        for tg, mgp in zip(t_opt.param_groups, m_opt.param_groups):
            a, b = _keys(tg), _keys(mgp)
            assert a.keys() == b.keys(), (a, b)
            for k in a:
                x, y = np.ravel(a[k]), np.ravel(b[k])
                worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-300))))
        assert np.allclose(ts.get_last_lr(), ms.get_last_lr(), rtol=1e-12, atol=0)

    compare()
    for i in range(steps):
        t_opt.step(); m_opt.step()
        if epochs is None:
            ts.step(); ms.step()
        else:
            ts.step(epochs[i]); ms.step(epochs[i])
        compare()
    return worst


def schedulers():
    f = [lambda e: 0.9 ** e, lambda e: 1 / (1 + e)]
    cases = {
        "LambdaLR": ("SGD", lambda o: tls.LambdaLR(o, f), lambda o: mls.LambdaLR(o, f), 30, {}),
        "LambdaLR(f(0)=0.5)": ("SGD", lambda o: tls.LambdaLR(o, lambda e: 0.5 + e),
                               lambda o: mls.LambdaLR(o, lambda e: 0.5 + e), 10, {}),
        "MultiStepLR": ("SGD", lambda o: tls.MultiStepLR(o, [0, 3, 3, 7], 0.5),
                        lambda o: mls.MultiStepLR(o, [0, 3, 3, 7], 0.5), 15, {}),
    }
    for strat in ("cos", "linear"):
        for three in (False, True):
            for opt_name, kw in (("SGD", {"momentum": 0.9}), ("Adam", {}), ("RMSprop", {})):
                for total, pct in ((100, 0.3), (37, 0.25), (10, 0.05)):
                    args = dict(max_lr=[1.0, 0.3], total_steps=total, pct_start=pct,
                                anneal_strategy=strat, three_phase=three)
                    cases[f"OneCycleLR({opt_name},{strat},3ph={three},T={total},p={pct})"] = (
                        opt_name, lambda o, a=args: tls.OneCycleLR(o, **a),
                        lambda o, a=args: mls.OneCycleLR(o, **a), total, kw)
    cases["OneCycleLR(epochs*spe,no momentum)"] = (
        "Adagrad", lambda o: tls.OneCycleLR(o, 0.5, epochs=4, steps_per_epoch=7,
                                            cycle_momentum=False),
        lambda o: mls.OneCycleLR(o, 0.5, epochs=4, steps_per_epoch=7, cycle_momentum=False),
        28, {})
    for T0, Tm in ((5, 1), (3, 2), (2, 3)):
        cases[f"CosineAnnealingWarmRestarts({T0},{Tm})"] = (
            "SGD", lambda o, a=(T0, Tm): tls.CosineAnnealingWarmRestarts(o, *a, eta_min=1e-3),
            lambda o, a=(T0, Tm): mls.CosineAnnealingWarmRestarts(o, *a, eta_min=1e-3), 60, {})
    out = {name: sched_dev(*c[:4], **c[4]) for name, c in cases.items()}
    rng = np.random.default_rng(0)
    epochs = list(np.round(np.sort(rng.uniform(0, 40, 80)), 3)) + [0.0, 13.5, 2.999]
    for T0, Tm in ((5, 1), (3, 2), (2, 3)):
        out[f"CosineAnnealingWarmRestarts({T0},{Tm}).step(fractional epoch)"] = sched_dev(
            "SGD", lambda o, a=(T0, Tm): tls.CosineAnnealingWarmRestarts(o, *a),
            lambda o, a=(T0, Tm): mls.CosineAnnealingWarmRestarts(o, *a), len(epochs),
            epochs=epochs)
    return out


# ---------------------------------------------------------------------- LBFGS
def rosenbrock(xy, lib):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


def least_squares_problem(seed=0):
    rng = np.random.default_rng(seed)
    A, b = rng.normal(size=(20, 5)), rng.normal(size=20)
    W0, c0 = rng.normal(size=(5, 1)), rng.normal(size=(1,))
    return A, b, W0, c0


class _Given:
    """A loss whose backward() sets a gradient computed by hand."""

    def __init__(self, f, set_grad):
        self.f, self._set = float(f), set_grad

    def backward(self):
        self._set()

    def item(self):
        return self.f

    def __float__(self):
        return self.f


def lbfgs_dev(problem, steps, **kw):
    """Largest |x_minigrad - x_torch| / (1 + |x_torch|) over the iterates after each
    step (and the closure's losses), in float64."""
    if problem == "rosenbrock":
        start = [np.array([-1.5, 2.0])]
        def loss_of(ps, lib):
            return rosenbrock(ps[0], lib)
    elif problem == "rosenbrock, NumPy gradient":
        # the same float64 loss and gradient in both (set by hand): isolates the
        # optimizers' own arithmetic from the autodiff engines' rounding
        start = [np.array([-1.5, 2.0])]
        def loss_of(ps, lib):
            x, y = (ps[0].detach().numpy() if lib == "torch" else ps[0].data)
            g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
            f = (1 - x) ** 2 + 100 * (y - x * x) ** 2
            if lib == "torch":
                return _Given(f, lambda: setattr(ps[0], "grad", torch.tensor(g)))
            return _Given(f, lambda: setattr(ps[0], "grad", g.copy()))
    else:
        A, b, W0, c0 = least_squares_problem()
        start = [W0, c0]
        def loss_of(ps, lib):
            At, bt = (torch.tensor(A), torch.tensor(b)) if lib == "torch" else \
                (mg.tensor(A), mg.tensor(b))
            r = (At @ ps[0]).reshape(-1) + ps[1] - bt
            return (r * r).mean() + 0.01 * (ps[0] * ps[0]).sum()
    tp = [torch.tensor(x.copy(), requires_grad=True) for x in start]
    mp = [mg.tensor(x.copy(), requires_grad=True) for x in start]
    topt, mopt = torch.optim.LBFGS(tp, **kw), optim.LBFGS(mp, **kw)
    t_losses, m_losses = [], []

    def tclosure():
        topt.zero_grad()
        loss = loss_of(tp, "torch")
        loss.backward()
        t_losses.append(loss.item())
        return loss

    def mclosure():
        mopt.zero_grad()
        loss = loss_of(mp, "mg")
        loss.backward()
        m_losses.append(loss.item())
        return loss

    worst = 0.0
    for _ in range(steps):
        topt.step(tclosure)
        mopt.step(mclosure)
        for a, b_ in zip(tp, mp):
            x = a.detach().numpy()
            worst = max(worst, float(np.max(np.abs(b_.data - x) / (1 + np.abs(x)))))
    assert len(t_losses) == len(m_losses), (len(t_losses), len(m_losses))
    tl, ml = np.array(t_losses), np.array(m_losses)
    worst = max(worst, float(np.max(np.abs(tl - ml) / (1 + np.abs(tl)))))
    ts, ms = topt.state[tp[0]], mopt.state[mp[0]]
    assert ts["func_evals"] == ms["func_evals"] and ts["n_iter"] == ms["n_iter"]
    return worst, len(m_losses), float(ml[-1])


def torch_sensitivity(steps=5):
    """torch against itself started 1 ulp away: how much fixed-step L-BFGS on
    Rosenbrock amplifies a rounding difference (the scale of the deviation above)."""
    def run(start):
        p = torch.tensor(start, requires_grad=True)
        o = torch.optim.LBFGS([p])

        def c():
            o.zero_grad()
            loss = rosenbrock(p, "torch")
            loss.backward()
            return loss
        out = []
        for _ in range(steps):
            o.step(c)
            out.append(p.detach().numpy().copy())
        return np.array(out)
    a, b = run([-1.5, 2.0]), run([-1.5 * (1 + 2 ** -52), 2.0])
    return float(np.max(np.abs(a - b) / (1 + np.abs(a))))


def lbfgs():
    out = {}
    for problem in ("rosenbrock", "rosenbrock, NumPy gradient", "least_squares"):
        for kw in (dict(), dict(line_search_fn="strong_wolfe"),
                   dict(lr=0.5, history_size=3), dict(line_search_fn="strong_wolfe",
                                                      history_size=2, max_iter=7),
                   dict(max_iter=4, max_eval=5, line_search_fn="strong_wolfe")):
            for steps in (1, 5):
                out[f"LBFGS {problem} {kw} x{steps} steps"] = lbfgs_dev(problem, steps, **kw)
    return out


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    worst = 0.0
    for name, (d, evals, last) in lbfgs().items():
        worst = max(worst, d)
        print(f"{name:70s} max rel dev {d:.2e} ({evals} evals, last loss {last:.3e})")
    print(f"LBFGS overall: {worst:.2e}")
    print(f"(torch vs torch started 1 ulp away, Rosenbrock, fixed step, 5 steps: "
          f"{torch_sensitivity():.2e})")
    worst = 0.0
    for name, d in schedulers().items():
        worst = max(worst, d)
        print(f"{name:70s} max rel dev {d:.2e}")
    print(f"schedulers overall: {worst:.2e}")
