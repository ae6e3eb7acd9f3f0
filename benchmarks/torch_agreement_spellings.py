"""Agreement with PyTorch of the spellings built for issue 10 item 1 (development
oracle, not a test: needs ``torch``): Adamax, NAdam, RAdam step by step, LinearLR
and CyclicLR, cross_entropy(label_smoothing=), F.pad, norm's gradient at zero,
einsum with '...' and repeated letters. Prints the largest difference per case,
in float64.

    python benchmarks/torch_agreement_spellings.py
"""
import _common  # noqa: F401  (the repository root on sys.path, threads pinned)
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.optim import lr_scheduler as mls

torch = _common.try_torch()


def optimizer_dev(name, steps=300, torch_dtype=None, **kw):
    """Largest |theta_minigrad - theta_torch| over ``steps`` steps of two parameter
    groups fed the same (state-dependent) float64 gradients."""
    if torch_dtype is not None:
        torch.set_default_dtype(torch_dtype)
    rng = np.random.default_rng(0)
    w0, b0, A = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((4, 4))
    tw, tb = (torch.tensor(a.copy(), requires_grad=True) for a in (w0, b0))
    mw, mb = (mg.tensor(a.copy(), requires_grad=True) for a in (w0, b0))
    topt = getattr(torch.optim, name)([{"params": [tw]}, {"params": [tb], "lr": 0.01}], **kw)
    mopt = getattr(optim, name)([{"params": [mw]}, {"params": [mb], "lr": 0.01}], **kw)
    worst = 0.0
    for s in range(steps):
        g = [np.tanh(A @ tw.detach().numpy() + np.sin(s)) + np.sin(0.37 * s + np.arange(12)
                                                                   ).reshape(4, 3),
             np.cos(tb.detach().numpy() * s)]
        tw.grad, tb.grad = torch.tensor(g[0]), torch.tensor(g[1])
        mw.grad, mb.grad = g[0].copy(), g[1].copy()
        topt.step()
        mopt.step()
        worst = max(worst, np.abs(tw.detach().numpy() - mw.data).max(),
                    np.abs(tb.detach().numpy() - mb.data).max())
    torch.set_default_dtype(torch.float32)
    return float(worst)


def scheduler_dev(opt_name, name, steps, okw=None, **kw):
    """Largest relative difference of every group's lr (and momentum / betas)."""
    lrs = [0.1, 0.03]
    t_opt = getattr(torch.optim, opt_name)(
        [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs],
        lr=lrs[0], **(okw or {}))
    m_opt = getattr(optim, opt_name)(
        [{"params": [mg.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs],
        lr=lrs[0], **(okw or {}))
    ts, ms = getattr(torch.optim.lr_scheduler, name)(t_opt, **kw), getattr(mls, name)(m_opt,
                                                                                     **kw)
    worst = 0.0
    for i in range(steps + 1):
        if i:
            t_opt.step(); m_opt.step(); ts.step(); ms.step()  # noqa: E702
        for a, b in zip(t_opt.param_groups, m_opt.param_groups):
            for k in ("lr", "momentum", "betas"):
                if k in a:
                    x, y = np.ravel(a[k]), np.ravel(b[k])
                    worst = max(worst, float(np.max(np.abs(x - y)
                                                    / np.maximum(np.abs(x), 1e-300))))
    return worst


def functional_devs():
    rng = np.random.default_rng(1)
    out = {}
    worst = 0.0
    for shape, eps, red in [((5, 4), 0.1, "mean"), ((3, 6, 2), 0.3, "sum"),
                            ((4, 3), 1.0, "none")]:
        x = rng.standard_normal(shape)
        t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
        q = rng.random(shape)
        q /= q.sum(1, keepdims=True)
        for target in (t, q):
            xt = torch.tensor(x, requires_grad=True)
            lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=red,
                                                   label_smoothing=eps)
            lt.backward(torch.ones_like(lt))
            xm = mg.tensor(x, requires_grad=True)
            lm = F.cross_entropy(xm, target, reduction=red, label_smoothing=eps)
            lm.backward(np.ones(lm.shape))
            worst = max(worst, np.abs(lt.detach().numpy() - lm.data).max(),
                        np.abs(xt.grad.numpy() - xm.grad).max())
    out["cross_entropy(label_smoothing=)"] = float(worst)
    worst = 0.0
    for shape, pads, mode in [((2, 3, 4), (1, 2), "constant"), ((2, 3, 4), (-1, 2, 1, -1),
                                                                 "constant"),
                              ((1, 2, 5), (2, 3), "reflect"),
                              ((1, 2, 3, 4), (1, 2, 3, 1), "replicate"),
                              ((1, 2, 3, 4), (3, 2, 1, 3), "circular")]:
        x = rng.standard_normal(shape)
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.functional.pad(xt, pads, mode=mode)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        xm = mg.tensor(x, requires_grad=True)
        ym = F.pad(xm, pads, mode=mode)
        ym.backward(g)
        worst = max(worst, np.abs(ym.data - yt.detach().numpy()).max(),
                    np.abs(xm.grad - xt.grad.numpy()).max())
    out["F.pad (all modes)"] = float(worst)
    worst = 0.0
    for p in (2, 1, 3, 0.5):
        x = np.array([[0.0, 0.0], [1.0, -2.0]])
        xt = torch.tensor(x, requires_grad=True)
        xt.norm(p, dim=1).sum().backward()
        xm = mg.tensor(x, requires_grad=True)
        xm.norm(p, dim=1).sum().backward()
        worst = max(worst, np.abs(xm.grad - xt.grad.numpy()).max())
    out["norm gradient with a zero row"] = float(worst)
    worst = 0.0
    for eq, shapes in [("ii->", [(3, 3)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),
                       ("bii,bj->bij", [(2, 3, 3), (2, 2)]), ("i...,i...", [(2, 3), (2, 1)])]:
        arrays = [rng.standard_normal(s) for s in shapes]
        tt = [torch.tensor(a, requires_grad=True) for a in arrays]
        yt = torch.einsum(eq, *tt)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        mm = [mg.tensor(a, requires_grad=True) for a in arrays]
        ym = mg.einsum(eq, *mm)
        ym.backward(g)
        worst = max([worst, np.abs(ym.data - yt.detach().numpy()).max()]
                    + [np.abs(m.grad - t.grad.numpy()).max() for m, t in zip(mm, tt)])
    out["einsum ('...', diagonals)"] = float(worst)
    return out


def main():
    if torch is None:
        print("torch is not installed: nothing to compare")
        return
    print(_common.machine())
    rows = {
        "Adamax": optimizer_dev("Adamax"),
        "Adamax(wd, betas)": optimizer_dev("Adamax", weight_decay=0.1, betas=(0.8, 0.9)),
        "NAdam (torch's float32 mu_product)": optimizer_dev("NAdam"),
        "NAdam": optimizer_dev("NAdam", torch_dtype=torch.float64),
        "NAdam(wd)": optimizer_dev("NAdam", torch_dtype=torch.float64, weight_decay=0.05),
        "NAdam(decoupled, psi)": optimizer_dev("NAdam", torch_dtype=torch.float64,
                                               weight_decay=0.05, decoupled_weight_decay=True,
                                               momentum_decay=0.01),
        "RAdam": optimizer_dev("RAdam"),
        "RAdam(wd, betas)": optimizer_dev("RAdam", weight_decay=0.05, betas=(0.9, 0.99)),
        "RAdam(decoupled)": optimizer_dev("RAdam", weight_decay=0.05,
                                          decoupled_weight_decay=True),
        "Adam(amsgrad, wd) after the refactor": optimizer_dev("Adam", amsgrad=True,
                                                              weight_decay=0.1),
        "AdamW after the refactor": optimizer_dev("AdamW"),
        "LinearLR": scheduler_dev("SGD", "LinearLR", 12, start_factor=0.25, total_iters=7),
        "LinearLR(Adam, decay)": scheduler_dev("Adam", "LinearLR", 9, start_factor=1.0,
                                               end_factor=0.5, total_iters=4),
        "CyclicLR(SGD momentum)": scheduler_dev("SGD", "CyclicLR", 40, dict(momentum=0.9),
                                                base_lr=[0.01, 0.02], max_lr=0.1,
                                                step_size_up=5, step_size_down=3),
        "CyclicLR(Adam, triangular2)": scheduler_dev("Adam", "CyclicLR", 40, base_lr=0.01,
                                                     max_lr=0.1, step_size_up=4,
                                                     mode="triangular2"),
        "CyclicLR(exp_range)": scheduler_dev("SGD", "CyclicLR", 40, dict(momentum=0.5),
                                             base_lr=0.01, max_lr=0.1, step_size_up=3,
                                             mode="exp_range", gamma=0.9),
    }
    rows.update(functional_devs())
    width = max(map(len, rows))
    for name, dev in rows.items():
        print(f"{name:<{width}}  {dev:.3g}")


if __name__ == "__main__":
    main()
