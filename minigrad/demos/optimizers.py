"""Every optimizer in minigrad.optim on Rosenbrock's valley and an MLP, side by side.

Run:  python -m minigrad optimizers     (matplotlib for the plot; ~10-30 s; --quick: seconds)

Two problems, each started from the same point for every optimizer:

1. Rosenbrock's function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1):
   a long, narrow, curved valley, the classic ill-conditioned test (the Hessian's
   eigenvalues differ by a factor of ~2500 at the minimum (1, 1)). Plain gradient
   descent must take tiny steps to stay stable across the valley and then crawls
   along it; momentum builds speed along the floor; Nesterov's look-ahead damps
   momentum's overshoot; Adagrad/RMSprop/Adam rescale each coordinate.
2. A classification problem: scikit-learn's 8x8 digits if scikit-learn is
   installed (``pip install minigrad[examples]``), else three interleaved spirals
   in 2-D. A small MLP, the same initial weights, the same mini-batches of 32;
   accuracy is measured on a held-out 20 %.

Writes optimizers.png into --out (trajectories on the contour plot, f(x, y) per
step, training loss per epoch) and prints a table.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.demos._cli import demo_parser, parse, progress_flag, save_figure, setup
from minigrad.utils.progress import progress_bar

START = (-1.2, 1.0)         # Rosenbrock's own starting point
BATCH = 32
HIDDEN = 64

# name -> (constructor, hyper-parameters on Rosenbrock, on the classifier). Rates are
# roughly tuned per problem: each optimizer at a learning rate that suits it.
OPTIMIZERS = {
    "GD":       (optim.SGD,      dict(lr=1.5e-3),                        dict(lr=0.1)),
    "Momentum": (optim.SGD,      dict(lr=1e-3, momentum=0.9),
                 dict(lr=0.05, momentum=0.9)),
    "NAG":      (optim.SGD,      dict(lr=1e-3, momentum=0.9, nesterov=True),
                 dict(lr=0.05, momentum=0.9, nesterov=True)),
    "Adagrad":  (optim.Adagrad,  dict(lr=0.5),                           dict(lr=0.05)),
    "RMSprop":  (optim.RMSprop,  dict(lr=3e-3),                          dict(lr=1e-3)),
    "Adam":     (optim.Adam,     dict(lr=0.05),                          dict(lr=3e-3)),
    "AdamW":    (optim.AdamW,    dict(lr=0.05, weight_decay=0.01),       dict(lr=3e-3)),
    "Adadelta": (optim.Adadelta, dict(lr=1.0),                           dict(lr=1.0)),
}


# ------------------------------------------------------------------ Rosenbrock
def rosenbrock(p: Any) -> Any:
    """(1 - x)^2 + 100 (y - x^2)^2 at p = (x, y)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def run_rosenbrock(make: Any, hyper: dict[str, float], steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` steps from START: the path (steps + 1, 2) and f per step."""
    p = nn.Parameter(np.array(START, dtype=np.float64))
    opt = make([p], **hyper)
    path, losses = [p.data.copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        path.append(p.data.copy())
    return np.array(path), np.array(losses)


# ----------------------------------------------------------- the classifier
def load_data(rng: np.random.Generator) -> tuple[Any, ...]:
    """Standardised (X, y, X_test, y_test, name): digits, or spirals without scikit-learn."""
    try:
        from sklearn.datasets import load_digits
        d = load_digits()
        X, y, name = d.data / 16.0, d.target, "digits (8x8, 10 classes)"
    except ImportError:                       # three interleaved spirals (CS231n)
        n, k = 200, 3
        X = np.zeros((n * k, 2))
        y = np.repeat(np.arange(k), n)
        for c in range(k):
            r = np.linspace(0.0, 1, n)
            t = np.linspace(c * 4, (c + 1) * 4, n) + rng.normal(0, 0.2, n)
            X[c * n:(c + 1) * n] = np.c_[r * np.sin(t), r * np.cos(t)]
        name = "3 spirals (600 points, 2-D)"
    X = ((X - X.mean(0)) / (X.std(0) + 1e-8)).astype(np.float32)
    perm = rng.permutation(len(X))                # 80 % to train, 20 % held out
    cut = int(0.8 * len(X))
    tr, te = perm[:cut], perm[cut:]
    return X[tr], y[tr].astype(np.int64), X[te], y[te].astype(np.int64), name


def run_classifier(make: Any, hyper: dict[str, float], X: np.ndarray, y: np.ndarray,
                   Xt: np.ndarray, yt: np.ndarray, init_state: dict[str, Any],
                   epochs: int) -> tuple[np.ndarray, float]:
    """Train the MLP from ``init_state``: per-epoch training loss and test accuracy."""
    model = nn.Sequential(nn.Linear(X.shape[1], HIDDEN), nn.Tanh(),
                          nn.Linear(HIDDEN, HIDDEN), nn.Tanh(),
                          nn.Linear(HIDDEN, int(y.max()) + 1))
    model.load_state_dict(init_state)        # every optimizer starts from the same weights
    loss_fn = nn.CrossEntropyLoss()
    opt = make(model.parameters(), **hyper)
    order = np.random.default_rng(1)          # the same mini-batches for every optimizer
    losses = []
    for _ in range(epochs):
        perm = order.permutation(len(X))
        total = 0.0
        for i in range(0, len(X), BATCH):
            idx = perm[i:i + BATCH]
            loss = loss_fn(model(mg.tensor(X[idx])), mg.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X))
    with mg.no_grad():
        acc = float((model(mg.tensor(Xt)).data.argmax(1) == yt).mean())   # held out
    return np.array(losses), acc


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every optimizer on both problems; per optimizer its final Rosenbrock value,
    first and final classifier loss and test accuracy (and the plot's path)."""
    p = demo_parser("optimizers", __doc__)
    p.add_argument("--rosen-steps", type=int, default=3000, help="steps on Rosenbrock's function")
    p.add_argument("--epochs", type=int, default=40, help="epochs on the classification problem")
    args = parse(p, argv, quick=dict(rosen_steps=300, epochs=3))
    rng = setup(args)
    # ------------------------------------------------------------------------ run
    X, y, Xt, yt, data_name = load_data(rng)
    init_state = nn.Sequential(nn.Linear(X.shape[1], HIDDEN), nn.Tanh(),
                               nn.Linear(HIDDEN, HIDDEN), nn.Tanh(),
                               nn.Linear(HIDDEN, int(y.max()) + 1)).state_dict()

    results: dict[str, dict[str, Any]] = {}
    bar = progress_bar(OPTIMIZERS.items(), progress=progress_flag(args), desc="optimizers",
                       total=len(OPTIMIZERS), unit="optimizer")
    for name, (make, h_rosen, h_clf) in bar:
        t0 = time.perf_counter()
        path, f = run_rosenbrock(make, h_rosen, args.rosen_steps)
        clf_loss, acc = run_classifier(make, h_clf, X, y, Xt, yt, init_state,
                                       args.epochs)
        results[name] = dict(path=path, f=f, clf=clf_loss, acc=acc,
                             secs=time.perf_counter() - t0)

    summary: dict[str, Any] = {name: {"rosenbrock_final": float(r["f"][-1]), "rosenbrock_first": float(r["f"][0]),
                                      "first_loss": float(r["clf"][0]), "final_loss": float(r["clf"][-1]),
                                      "test_accuracy": r["acc"]} for name, r in results.items()}
    # ---------------------------------------------------------------------- table
    print(f"Rosenbrock from {START}, {args.rosen_steps} steps; {data_name}, {args.epochs} epochs\n")
    head = (f"{'optimizer':9s} {'f after 100':>11s} {'f final':>9s} {'steps to f<1e-3':>15s} "
            f"{'final (x, y)':>16s} | {'train loss':>10s} {'test acc':>9s} | {'time':>5s}")
    print(head)
    print("-" * len(head))
    for name, r in results.items():
        hit = np.nonzero(r["f"] < 1e-3)[0]
        steps = str(hit[0] + 1) if len(hit) else "never"
        x_fin, y_fin = r["path"][-1]
        print(f"{name:9s} {r['f'][min(99, len(r['f']) - 1)]:11.3g} {r['f'][-1]:9.2g} {steps:>15s} "
              f"{f'({x_fin:.3f}, {y_fin:.3f})':>16s} | {r['clf'][-1]:10.4f} {r['acc']:9.3f} | "
              f"{r['secs']:4.1f}s")

    # ----------------------------------------------------------------------- plot
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(matplotlib is not installed: no plot; pip install minigrad[examples])")
        return summary

    colors = dict(zip(OPTIMIZERS, plt.get_cmap("tab10").colors))
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    ax = axes[0]
    gx, gy = np.meshgrid(np.linspace(-1.5, 1.5, 400), np.linspace(-0.5, 1.75, 400))
    fz = (1 - gx) ** 2 + 100 * (gy - gx ** 2) ** 2
    ax.contour(gx, gy, np.log10(fz + 1e-3), levels=np.linspace(-2, 3, 16), cmap="Greys",
               linewidths=0.5, alpha=0.7)
    for name, r in results.items():
        ax.plot(r["path"][:, 0], r["path"][:, 1], color=colors[name], lw=1.3, label=name)
    ax.plot(*START, "ko")
    ax.plot(1, 1, "k*", ms=14)
    ax.set(xlim=(-1.5, 1.5), ylim=(-0.5, 1.75), xlabel="x", ylabel="y",
           title=f"Rosenbrock: paths ({args.rosen_steps} steps)")
    ax.legend(loc="upper center", fontsize=8, ncol=4)

    ax = axes[1]
    for name, r in results.items():
        ax.semilogy(np.arange(1, args.rosen_steps + 1), r["f"], color=colors[name], label=name)
    ax.set(xlabel="step", ylabel="f(x, y)", title="Rosenbrock: loss per step")
    ax.grid(alpha=0.3)

    ax = axes[2]
    for name, r in results.items():
        ax.semilogy(np.arange(1, args.epochs + 1), r["clf"], color=colors[name],
                    label=f"{name} (test acc {r['acc']:.2f})")
    ax.set(xlabel="epoch", ylabel="mean training cross-entropy",
           title=f"MLP on {data_name}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    summary["plot"] = save_figure(fig, args, "optimizers.png", dpi=90)
    plt.close(fig)
    return summary


if __name__ == "__main__":
    main()
