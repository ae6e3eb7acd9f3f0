"""Greedy layer-wise pre-training of a stacked tied autoencoder, then fine-tuning.

Run:  python -m minigrad pretrain          (--quick: a few seconds)

Data: scikit-learn's bundled 8x8 digits when scikit-learn is installed (the
optional `examples` extra), otherwise a synthetic 64-pixel data set of noisy
stroke prototypes. Compares the same 64-32-16-10 network trained from random
init and from the pre-trained encoders, on a small labelled subset (where
pre-training helps most).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.demos._cli import demo_parser, parse, progress_flag, setup
from minigrad.utils.progress import progress_bar

SIZES = [64, 32, 16]     # encoder stack


def load_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """Digits (N, 64) in [0, 1] and labels (N,), and where they came from."""
    try:
        from sklearn.datasets import load_digits
        digits = load_digits()
        X, y = digits.data / 16.0, digits.target
        source = "scikit-learn digits"
    except ImportError:
        protos = rng.random((10, 64)) > 0.6
        y = rng.integers(0, 10, 1800)
        X = np.clip(protos[y] * 0.9 + rng.normal(0, 0.6, (1800, 64)), 0, 1)
        source = "synthetic prototypes (install scikit-learn for the digits)"
    return X.astype(np.float32), y, source


def finetune(model: nn.Module, x: np.ndarray, y: np.ndarray, x_test: np.ndarray,
             y_test: np.ndarray, steps: int, progress: bool | None, desc: str) -> float:
    """Full-batch Adam on (x, y) for ``steps`` updates; the test accuracy."""
    opt = optim.Adam(model.parameters(), lr=0.01)
    xs, ys = mg.tensor(x), mg.tensor(y)
    for _ in progress_bar(range(steps), progress=progress, desc=desc, unit="step"):
        loss = F.cross_entropy(model(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        pred = model(mg.tensor(x_test)).data.argmax(1)
    return float((pred == y_test).mean())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Pre-train, fine-tune both ways; returns the accuracies and the
    reconstruction errors per layer (first and last epoch)."""
    p = demo_parser("pretrain", __doc__)
    p.add_argument("--labelled", type=int, default=50,
                   help="labelled examples used for fine-tuning")
    p.add_argument("--pretrain-epochs", type=int, default=15)
    p.add_argument("--finetune-steps", type=int, default=300)
    p.add_argument("--noise", type=float, default=0.2,
                   help="masking noise: a denoising autoencoder")
    args = parse(p, argv, quick=dict(pretrain_epochs=4, finetune_steps=100))
    rng = setup(args)
    X, y, source = load_data(rng)
    perm = rng.permutation(len(X))
    train, test = perm[:1400], perm[1400:]
    print(f"data: {source}, {len(train)} train / {len(test)} test, {args.labelled} labelled")
    labelled = train[:args.labelled]

    stack = nn.StackedAutoencoder(SIZES)
    hist = stack.pretrain(X[train], lambda ps: optim.Adam(ps, lr=0.01),
                          epochs=args.pretrain_epochs, noise=args.noise,
                          progress=progress_flag(args))
    for i, curve in enumerate(hist):
        print(f"layer {i}: reconstruction error {curve[0]:.3f} -> {curve[-1]:.3f}")
    progress = progress_flag(args)
    acc_pre = finetune(stack.classifier(10), X[labelled], y[labelled], X[test], y[test],
                       args.finetune_steps, progress, "fine-tune (pre-trained)")
    mg.manual_seed(args.seed)
    acc_rand = finetune(nn.StackedAutoencoder(SIZES).classifier(10), X[labelled],
                        y[labelled], X[test], y[test], args.finetune_steps, progress,
                        "fine-tune (random init)")
    print(f"test accuracy, random init:      {acc_rand:.3f}")
    print(f"test accuracy, pre-trained init: {acc_pre:.3f}")
    return {"accuracy_pretrained": acc_pre, "accuracy_random": acc_rand,
            "reconstruction": [(c[0], c[-1]) for c in hist]}


if __name__ == "__main__":
    main()
