"""The adding problem: why LSTM and GRU exist, in one picture.

Run:  python examples/adding_problem.py            (needs matplotlib: pip install ".[examples]")
      python examples/adding_problem.py --T 60 --steps 3000     (harder, slower)

Each input sequence has T steps of two channels: a random number in [0, 1) and a
marker that is 1 at exactly two steps (one in each half of the sequence). The
target, read at the last step, is the sum of the two marked numbers
(Hochreiter & Schmidhuber, 1997). Predicting the mean (1.0) gives an MSE of
1/6 = 0.167; to do better, the network must carry information from the first
marker across up to T steps.

A tanh RNN, an LSTM and a GRU (one nn layer + a Linear head each) are trained
with Adam on fresh batches. Writes docs/images/adding_problem.png with
  (a) ||dL/ds_t|| at every step t at initialisation, for the loss at the last
      step (nn.utils.state_grad_norms; s_t is h_t, and (h_t, c_t) for the LSTM),
  (b) the same after training,
  (c) the learning curves.
"""
import argparse
import os
import time

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn.utils import clip_grad_norm_, state_grad_norms

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--T", type=int, default=40, help="sequence length")
p.add_argument("--hidden", type=int, default=32, help="hidden units of every model")
p.add_argument("--batch", type=int, default=64, help="sequences per update")
p.add_argument("--steps", type=int, default=1000, help="updates per model")
p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
p.add_argument("--clip", type=float, default=1.0, help="clip_grad_norm_ threshold")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "..", "docs", "images", "adding_problem.png"))
args = p.parse_args()

mg.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)


def adding_batch(B, T):
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

    def __init__(self, layer):
        super().__init__()
        self.rnn = layer(2, args.hidden)
        self.head = nn.Linear(args.hidden, 1)

    def forward(self, x, state=None):
        out, state = self.rnn(x, state)
        return self.head(out), state


def last_step_mse(outputs, y):
    return ((outputs[-1] - y) ** 2).mean()


x_probe, y_probe = adding_batch(256, args.T)        # fixed batch for the diagnostics
x_test, y_test = adding_batch(1000, args.T)
results = {}
for name, layer in [("tanh RNN", nn.RNN), ("LSTM", nn.LSTM), ("GRU", nn.GRU)]:
    model = Regressor(layer)
    params = list(model.parameters())
    opt = optim.Adam(params, lr=args.lr)
    norms_init = state_grad_norms(model, x_probe, y_probe, last_step_mse)
    losses, t0 = [], time.perf_counter()
    for step in range(args.steps):
        x, y = adding_batch(args.batch, args.T)
        outputs, _ = model(x)
        loss = last_step_mse(outputs, y)
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(params, args.clip)
        opt.step()
        losses.append(loss.item())
        if step % 200 == 0 or step == args.steps - 1:
            print(f"{name:9s} step {step:5d}  loss {np.mean(losses[-50:]):.4f}  "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    norms_trained = state_grad_norms(model, x_probe, y_probe, last_step_mse)
    with mg.no_grad():
        test_mse = last_step_mse(model(x_test)[0], y_test).item()
    results[name] = dict(losses=np.array(losses), init=norms_init, trained=norms_trained,
                         test=test_mse, seconds=time.perf_counter() - t0)

print(f"\nadding problem, T = {args.T}: test MSE after {args.steps} updates "
      f"(predicting the mean gives 0.167)")
for name, r in results.items():
    ratio = r["trained"][0] / r["trained"][-2]
    print(f"  {name:9s} test MSE {r['test']:.4f}   ||dL/ds_0|| / ||dL/ds_T-2|| = {ratio:.1e}"
          f"   ({r['seconds']:.0f} s)")

# ----------------------------------------------------------------------------- plot
import matplotlib  # noqa: E402  (optional dependency, only needed here)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
fig.savefig(args.out, dpi=110)
print("wrote", os.path.relpath(args.out))
