"""The adding problem: why LSTM and GRU exist, in one picture (tanh RNN vs LSTM vs GRU).

Run:  python -m minigrad adding            (needs matplotlib: pip install ".[examples]")
      python -m minigrad adding --T 60 --steps 3000     (harder, slower)

Each input sequence has T steps of two channels: a random number in [0, 1) and a
marker that is 1 at exactly two steps (one in each half of the sequence). The
target, read at the last step, is the sum of the two marked numbers
(Hochreiter & Schmidhuber, 1997). Predicting the mean (1.0) gives an MSE of
1/6 = 0.167; to do better, the network must carry information from the first
marker across up to T steps.

A tanh RNN, an LSTM and a GRU (one nn layer + a Linear head each) are trained
with Adam on fresh batches. Writes adding_problem.png into --out with
  (a) ||dL/ds_t|| at every step t at initialisation, for the loss at the last
      step (nn.utils.state_grad_norms; s_t is h_t, and (h_t, c_t) for the LSTM),
  (b) the same after training,
  (c) the learning curves.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.demos._cli import demo_parser, parse, progress_flag, save_figure, setup
from minigrad.nn.utils import clip_grad_norm_, state_grad_norms
from minigrad.tensor import Tensor
from minigrad.utils.progress import progress_bar


def adding_batch(B: int, T: int, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
    """x (T, B, 2): values and markers; y (B, 1): the sum of the two marked values."""
    x = np.zeros((T, B, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((T, B))
    rows = np.arange(B)
    first = rng.integers(0, T // 2, B)
    second = rng.integers(T // 2, T, B)
    x[first, rows, 1] = 1.0
    x[second, rows, 1] = 1.0
    y = x[first, rows, 0] + x[second, rows, 0]
    return mg.tensor(x), mg.tensor(y[:, None])


class Regressor(nn.Module):
    """A recurrent layer and a Linear head on every step: model(x, state) -> (outputs, state)."""

    def __init__(self, layer: Callable[[int, int], nn.Module], hidden: int) -> None:
        super().__init__()
        self.rnn = layer(2, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out, state = self.rnn(x, state)
        return self.head(out), state


def last_step_mse(outputs: Tensor, y: Tensor) -> Tensor:
    """The squared error of the last step's prediction, averaged over the batch."""
    return ((outputs[-1] - y) ** 2).mean()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the three models; returns per model its test MSE, first and last
    training loss (50-update means) and the gradient ratio step 0 / step T-2."""
    p = demo_parser("adding", __doc__)
    p.add_argument("--T", type=int, default=40, help="sequence length")
    p.add_argument("--hidden", type=int, default=32, help="hidden units of every model")
    p.add_argument("--batch", type=int, default=64, help="sequences per update")
    p.add_argument("--steps", type=int, default=1000, help="updates per model")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    p.add_argument("--clip", type=float, default=1.0, help="clip_grad_norm_ threshold")
    args = parse(p, argv, quick=dict(T=20, hidden=16, steps=80))
    rng = setup(args)
    x_probe, y_probe = adding_batch(256, args.T, rng)   # fixed batch for the diagnostics
    x_test, y_test = adding_batch(1000, args.T, rng)
    results: dict[str, dict[str, Any]] = {}
    for name, layer in [("tanh RNN", nn.RNN), ("LSTM", nn.LSTM), ("GRU", nn.GRU)]:
        model = Regressor(layer, args.hidden)
        params = list(model.parameters())
        opt = optim.Adam(params, lr=args.lr)
        norms_init = state_grad_norms(model, x_probe, y_probe, last_step_mse)
        losses, t0 = [], time.perf_counter()
        bar = progress_bar(range(args.steps), progress=progress_flag(args), desc=name,
                           unit="update")
        for step in bar:
            x, y = adding_batch(args.batch, args.T, rng)
            outputs, _ = model(x)
            loss = last_step_mse(outputs, y)
            opt.zero_grad()
            loss.backward()
            clip_grad_norm_(params, args.clip)
            opt.step()
            losses.append(loss.item())
            if step % 20 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        norms_trained = state_grad_norms(model, x_probe, y_probe, last_step_mse)
        with mg.no_grad():
            test_mse = last_step_mse(model(x_test)[0], y_test).item()
        results[name] = dict(losses=np.array(losses), init=norms_init,
                             trained=norms_trained, test=test_mse,
                             seconds=time.perf_counter() - t0)

    print(f"adding problem, T = {args.T}: test MSE after {args.steps} updates "
          f"(predicting the mean gives 0.167)")
    summary: dict[str, Any] = {}
    for name, r in results.items():
        ratio = float(r["trained"][0] / r["trained"][-2])
        print(f"  {name:9s} test MSE {r['test']:.4f}   ||dL/ds_0|| / ||dL/ds_T-2|| = "
              f"{ratio:.1e}   ({r['seconds']:.0f} s)")
        window = min(50, len(r["losses"]))
        summary[name] = {"test_mse": r["test"], "grad_ratio": ratio,
                         "first_loss": float(r["losses"][:window].mean()),
                         "final_loss": float(r["losses"][-window:].mean())}
    summary["plot"] = plot(results, args)
    return summary


def plot(results: dict[str, dict[str, Any]], args: Any) -> str:
    """The three panels, saved as adding_problem.png in --out; its path."""
    import matplotlib  # optional dependency, only needed here
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"tanh RNN": "tab:red", "LSTM": "tab:blue", "GRU": "tab:green"}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    steps = np.arange(args.T - 1)                       # s_{T-1} feeds no loss
    for key, ax, title in [("init", axes[0], "(a) at initialisation"),
                           ("trained", axes[1], f"(b) after {args.steps} updates")]:
        for name, r in results.items():
            ax.semilogy(steps, r[key][:-1], color=colors[name], label=name, lw=2)
        ax.set_xlabel("time step t")
        ax.set_ylabel(r"$\|\partial L / \partial s_t\|$  (loss at the last step)")
        ax.set_title(f"{title}: gradient reaching step t")
        ax.axvspan(0, args.T // 2, color="0.93", zorder=0)
        ax.text(args.T // 4, 0.02, "first marker\nsomewhere here", ha="center",
                transform=ax.get_xaxis_transform(), fontsize=8, color="0.4")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="lower right")
    lo = min(min(r["init"][:-1].min(), r["trained"][:-1].min()) for r in results.values())
    hi = max(max(r["init"][:-1].max(), r["trained"][:-1].max()) for r in results.values())
    for ax in axes[:2]:
        ax.set_ylim(max(lo, 1e-30) / 3, hi * 3)

    ax = axes[2]
    window = 25
    for name, r in results.items():
        smooth = np.convolve(r["losses"], np.ones(window) / window, mode="valid")
        ax.semilogy(r["losses"], color=colors[name], alpha=0.15, lw=0.8)
        ax.semilogy(np.arange(window - 1, len(r["losses"])), smooth, color=colors[name],
                    lw=2, label=f"{name} (test MSE {r['test']:.2g})")
    ax.axhline(1 / 6, color="k", ls="--", lw=1, label="predict the mean (1/6)")
    ax.set_xlabel("update")
    ax.set_ylabel("training MSE (batch, and 25-update mean)")
    ax.set_title(f"(c) learning curves, T = {args.T}")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.suptitle(f"Adding problem (T = {args.T}, hidden {args.hidden}, batch {args.batch}, "
                 f"Adam lr {args.lr}, clip {args.clip})", fontsize=11)
    fig.tight_layout()
    path = save_figure(fig, args, "adding_problem.png", dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
