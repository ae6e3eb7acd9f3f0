"""When does unsupervised pre-training help? Deep sigmoid nets on digits: random init vs DBN vs denoising-autoencoder pre-training.

Run:  python -m minigrad dbn [--quick] [--out DIR] [--seed S] [--no-progress]

The study of Erhan et al. (2010, "Why does unsupervised pre-training help deep
learning?"), small: sigmoid networks with 1 to 4 hidden layers of ``--hidden`` units
on scikit-learn's bundled 8x8 digits (1797 images, no download; a fixed split of 1300
training and 497 test images), trained

(a) from random initialisation (``nn.Linear``'s default, U(+-1/sqrt(fan_in)), as Erhan et al.),
(b) after greedy DBN pre-training (``nn.DBN.pretrain``, CD-1) and
(c) after greedy stacked denoising-autoencoder pre-training (``nn.StackedAutoencoder``,
    masking noise 0.25),

then fine-tuned end to end with SGD + momentum (``--optimizer adam``: Adam) on 10% of
the training labels or on all of them (pre-training always sees every training image, without labels). Greedy
pre-training of layer k does not depend on the layers above it, so one 4-layer stack
per seed and family serves every depth (depth L uses a copy of its first L layers).
Reported: test error, mean and spread (std) over ``--seeds`` seeds, as a table
(``results.md``) and a plot of error against depth (``error_vs_depth.png``), plus the
first-layer RBM filters (``rbm_filters.png``) and samples drawn from a 2-layer DBN
(``dbn_samples.png``). Needs scikit-learn (the digits) and matplotlib (the pictures):
``pip install minigrad[examples]``.
"""
from __future__ import annotations

import argparse
import copy
import os
import time
from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.utils.progress import progress_bar

from ._cli import demo_parser, setup

METHODS = ("random", "dbn", "sda")
LABELS = ("10%", "100%")
NAMES = {"random": "random init", "dbn": "DBN pre-training", "sda": "denoising AE pre-training"}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = demo_parser("dbn", __doc__)
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3)")
    p.add_argument("--hidden", type=int, default=None, help="units per hidden layer (100)")
    p.add_argument("--max-depth", type=int, default=None, help="deepest network (4)")
    p.add_argument("--pretrain-epochs", type=int, default=None, help="per layer (20)")
    p.add_argument("--finetune-steps", type=int, default=None, help="SGD steps (2000)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                   help="fine-tuning: SGD lr 0.1 momentum 0.9 (Erhan et al.'s kind), or Adam lr 1e-3")
    args = p.parse_args(argv)
    quick = dict(seeds=2, hidden=24, max_depth=2, pretrain_epochs=2, finetune_steps=60)
    full = dict(seeds=3, hidden=100, max_depth=4, pretrain_epochs=20, finetune_steps=2000)
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.seeds < 1 or args.hidden < 1 or args.max_depth < 1:
        p.error("--seeds, --hidden and --max-depth must be positive")
    return args


def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits scaled to [0, 1]: (x_train, y_train, x_test, y_test), fixed split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise SystemExit("the dbn demo needs scikit-learn for its data (the bundled digits): "
                         "pip install 'minigrad[examples]'") from e
    d = load_digits()
    x, y = (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)
    perm = np.random.default_rng(12345).permutation(len(x))
    train, test = perm[:1300], perm[1300:]
    return x[train], y[train], x[test], y[test]


def random_network(sizes: list[int], num_classes: int) -> nn.Sequential:
    """Sigmoid MLP ``sizes[0] -> ... -> sizes[-1] -> num_classes`` with nn.Linear's init."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], num_classes))


def pretrained_network(stack: nn.Module, depth: int, hidden: int) -> nn.Sequential:
    """The first ``depth`` pre-trained layers of ``stack`` (a copy: fine-tuning one depth
    must not change the stack the others start from) and a new linear head."""
    clf = copy.deepcopy(stack).classifier(10)
    per_layer = 2 if isinstance(stack, nn.DBN) else 1     # Linear + Sigmoid, or an encoder
    return nn.Sequential(*list(clf)[:per_layer * depth], nn.Linear(hidden, 10))


def finetune(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int,
             rng: np.random.Generator, batch_size: int = 32, optimizer: str = "sgd") -> None:
    """Supervised fine-tuning of the whole network: SGD (lr 0.1, momentum 0.9) or Adam
    (lr 1e-3), ``steps`` minibatches drawn with replacement."""
    params = list(model.parameters())
    opt = (optim.SGD(params, lr=0.1, momentum=0.9) if optimizer == "sgd"
           else optim.Adam(params, lr=1e-3))
    for _ in range(steps):
        idx = rng.integers(0, len(x), min(batch_size, len(x)))
        loss = F.cross_entropy(model(mg.tensor(x[idx])), mg.tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_error(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with mg.no_grad():
        return float((model(mg.tensor(x)).data.argmax(1) != y).mean())


def _pretrain(args: argparse.Namespace, x: np.ndarray, sizes: list[int],
              progress: bool | None) -> dict[str, nn.Module]:
    dbn = nn.DBN(sizes)
    dbn.pretrain(x, lambda p: optim.SGD(p, lr=0.05, momentum=0.5), epochs=args.pretrain_epochs,
                 batch_size=20, k=1, progress=progress)
    sda = nn.StackedAutoencoder(sizes)
    sda.pretrain(x, lambda p: optim.Adam(p, lr=0.005), epochs=args.pretrain_epochs,
                 batch_size=20, noise=0.25, progress=progress)
    return {"dbn": dbn, "sda": sda}


def run_study(args: argparse.Namespace) -> dict[str, Any]:
    """Every (seed, label fraction, method, depth) run; returns errors[labels][method][depth]."""
    xtr, ytr, xte, yte = load_digits_split()
    sizes = [xtr.shape[1]] + [args.hidden] * args.max_depth
    progress = False if args.no_progress else None
    errors: dict[str, dict[str, dict[int, list[float]]]] = {
        lab: {m: {d: [] for d in range(1, args.max_depth + 1)} for m in METHODS}
        for lab in LABELS}
    stacks: dict[str, nn.Module] = {}
    seeds = range(args.seed, args.seed + args.seeds)
    bar = progress_bar(total=len(seeds) * len(LABELS) * len(METHODS) * args.max_depth,
                       progress=progress, desc="dbn study: fine-tuning", unit="net")
    for seed in seeds:
        mg.manual_seed(seed)
        stacks = _pretrain(args, xtr, sizes, progress)
        rng = np.random.default_rng(seed)
        subset = rng.permutation(len(xtr))[:len(xtr) // 10]
        for lab in LABELS:
            xs, ys = (xtr[subset], ytr[subset]) if lab == "10%" else (xtr, ytr)
            for method in METHODS:
                for depth in range(1, args.max_depth + 1):
                    mg.manual_seed(1000 * seed + depth)
                    model = (random_network(sizes[:depth + 1], 10) if method == "random"
                             else pretrained_network(stacks[method], depth, args.hidden))
                    finetune(model, xs, ys, args.finetune_steps,
                             np.random.default_rng(seed * 7919 + depth),
                             optimizer=args.optimizer)
                    errors[lab][method][depth].append(test_error(model, xte, yte))
                    bar.update(1)
    bar.close()
    return {"errors": errors, "stacks": stacks, "train": xtr}


def table_rows(errors: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (labels, method, depth): mean and std of the test error over seeds."""
    return [dict(labels=lab, method=m, depth=d, error_mean=float(np.mean(e)),
                 error_std=float(np.std(e)), errors=[float(v) for v in e])
            for lab, per in errors.items() for m, per_m in per.items() for d, e in per_m.items()]


def markdown_table(rows: list[dict[str, Any]], max_depth: int) -> str:
    """Test error (%) as mean +- std, one line per (labels, method), one column per depth."""
    head = "| labels | initialisation | " + " | ".join(
        f"{d} hidden" for d in range(1, max_depth + 1)) + " |"
    lines = [head, "|" + "---|" * (max_depth + 2)]
    for lab in LABELS:
        for m in METHODS:
            cells = [f"{100 * r['error_mean']:.1f} +- {100 * r['error_std']:.1f}"
                     for r in rows if r["labels"] == lab and r["method"] == m]
            lines.append(f"| {lab} | {NAMES[m]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def agreement(rows: list[dict[str, Any]], max_depth: int) -> dict[str, Any]:
    """Erhan et al.'s two claims, checked on the means: does pre-training's advantage
    (random error - pre-trained error) grow with depth (the least-squares slope over
    depth is positive), and does the random-init error grow with depth?"""
    def mean(lab: str, m: str, d: int) -> float:
        return next(r["error_mean"] for r in rows
                    if r["labels"] == lab and r["method"] == m and r["depth"] == d)

    depths = list(range(1, max_depth + 1))
    out: dict[str, Any] = {}
    for lab in LABELS:
        rand = np.array([mean(lab, "random", d) for d in depths])
        out[f"random_error_slope_{lab}"] = float(np.polyfit(depths, rand, 1)[0]) \
            if max_depth > 1 else 0.0
        for m in ("dbn", "sda"):
            adv = rand - np.array([mean(lab, m, d) for d in depths])
            out[f"advantage_{m}_{lab}"] = [float(a) for a in adv]
            out[f"advantage_slope_{m}_{lab}"] = float(np.polyfit(depths, adv, 1)[0]) \
                if max_depth > 1 else 0.0
    return out


def _grid(images: np.ndarray, cols: int, rescale: bool) -> np.ndarray:
    """(n, 8, 8) images tiled with 1-pixel gaps; ``rescale``: each to its own [min, max]."""
    n, h, w = images.shape
    rows = -(-n // cols)
    canvas = np.ones((rows * (h + 1) + 1, cols * (w + 1) + 1))
    for i, im in enumerate(images):
        lo, hi = (im.min(), im.max()) if rescale else (0.0, 1.0)
        r, c = divmod(i, cols)
        canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = \
            (im - lo) / (hi - lo) if hi > lo else 0.5
    return canvas


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_images(path: str, images: np.ndarray, cols: int, title: str,
                rescale: bool = False) -> None:
    """A grid of 8x8 grey images in [0, 1] (``rescale``: each to its own range) as a PNG."""
    fig = _figure(6, 6 * (-(-len(images) // cols)) / cols + 0.5)
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(_grid(images, cols, rescale), cmap="gray", vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    fig.savefig(path)


def save_error_plot(path: str, rows: list[dict[str, Any]], max_depth: int, seeds: int) -> None:
    """Test error against depth, one panel per label fraction, error bars = std over seeds."""
    fig = _figure(10, 4)
    depths = np.arange(1, max_depth + 1)
    for i, lab in enumerate(LABELS):
        ax = fig.add_subplot(1, 2, i + 1)
        for j, m in enumerate(METHODS):
            mean = [100 * r["error_mean"] for r in rows if r["labels"] == lab and r["method"] == m]
            std = [100 * r["error_std"] for r in rows if r["labels"] == lab and r["method"] == m]
            ax.errorbar(depths + 0.05 * (j - 1), mean, yerr=std, marker="o", capsize=3,
                        label=NAMES[m])
        ax.set_xticks(depths)
        ax.set_xlabel("hidden layers")
        ax.set_ylabel("test error (%)")
        ax.set_title(f"digits, {lab} of the training labels ({seeds} seeds)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the study (``--quick``: a tiny version); write the table and pictures to ``--out``."""
    args = _parse(argv)
    setup(args)
    start = time.perf_counter()
    study = run_study(args)
    rows = table_rows(study["errors"])
    table = markdown_table(rows, args.max_depth)
    dbn: nn.DBN = study["stacks"]["dbn"]
    files = {k: os.path.join(args.out, f"{k}.png")
             for k in ("error_vs_depth", "rbm_filters", "dbn_samples")}
    save_error_plot(files["error_vs_depth"], rows, args.max_depth, args.seeds)
    first = dbn.rbm(0).weight.data
    save_images(files["rbm_filters"], first[:100].reshape(-1, 8, 8), 10,
                "first-layer RBM filters (rows of W, each rescaled)", rescale=True)
    two = nn.DBN(dbn.sizes[:3] if len(dbn.rbms) > 1 else dbn.sizes)
    two.rbms = nn.ModuleList(list(dbn.rbms)[:2])
    mg.manual_seed(args.seed)
    samples = two.sample(50, gibbs_steps=50 if args.quick else 1000).data
    save_images(files["dbn_samples"], samples.reshape(-1, 8, 8), 10,
                f"samples from the DBN {two.sizes} (Gibbs in the top RBM, one down pass)")
    seconds = time.perf_counter() - start
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(f"Test error (%) on 497 held-out digits, mean +- std over {args.seeds} seeds; "
                f"{args.hidden} sigmoid units per layer; {args.pretrain_epochs} pre-training "
                f"epochs per layer, {args.finetune_steps} fine-tuning steps ({args.optimizer}); "
                f"{seconds:.0f} s.\n\n{table}")
    print(table)
    print(f"wrote {', '.join(files.values())} and results.md in {seconds:.1f} s")
    return {"rows": rows, "table": table, "seconds": seconds, "files": files,
            "agreement": agreement(rows, args.max_depth), "data": "scikit-learn digits (8x8)",
            "settings": {k: getattr(args, k) for k in ("seeds", "hidden", "max_depth",
                                                        "pretrain_epochs", "finetune_steps",
                                                        "optimizer")}}


if __name__ == "__main__":
    main()
