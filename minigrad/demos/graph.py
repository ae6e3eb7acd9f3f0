"""Computation-graph pictures: an MLP's gradient norms, a TBPTT chunk's cut, norms over training.

Run:  python -m minigrad graph          (needs Graphviz's `dot`; matplotlib for the plot)

Writes into --out:
  mlp_graph.svg/.png         a small MLP + cross-entropy after one backward: every
                             edge labelled and coloured by the norm of the gradient
                             that flowed along it (log scale, legend), ops boxed by module.
  lstm_tbptt_graph.svg/.png  one TBPTT chunk of a 2-layer LSTM language model: the
                             state carried in from the previous chunk enters as red
                             dashed "detached" leaves (the truncation point).
  grad_norms.png             per-parameter gradient norms over 150 TBPTT updates of that
                             model (mg.viz.GradNormRecorder).
The README's pictures in docs/images/ are these, written with --out docs/images.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.demos._cli import demo_parser, parse, progress_flag, setup
from minigrad.nn.utils import clip_grad_norm_, detach_state
from minigrad.tensor import Tensor
from minigrad.utils.progress import progress_bar

VOCAB, EMBED, HIDDEN, LAYERS = 12, 8, 16, 2     # the LSTM language model
BATCH, K = 4, 6                                 # TBPTT chunk: K steps of BATCH streams


class LSTMLM(nn.Module):
    """Embedding -> LSTM -> Linear: next-token logits for (T, B) token ids."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out, state = self.lstm(self.embed(tokens), state)
        T, B, H = out.shape
        return self.head(out.reshape(T * B, H)), state


def make_stream(n: int, rng: np.random.Generator) -> np.ndarray:
    """Tokens (n + 1, BATCH) that count up by a random stride per stream, with a little noise."""
    stride = rng.integers(1, 4, size=BATCH)
    t = np.arange(n + 1)[:, None] * stride[None, :] + rng.integers(0, VOCAB, size=BATCH)
    noise = rng.random(t.shape) < 0.05
    return np.where(noise, rng.integers(0, VOCAB, size=t.shape), t % VOCAB)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Draw the pictures; returns the paths written and the LM's first and final loss."""
    p = demo_parser("graph", __doc__)
    p.add_argument("--steps", type=int, default=150,
                   help="TBPTT updates recorded for grad_norms.png")
    args = parse(p, argv, quick=dict(steps=30))
    rng = setup(args)
    written: list[str] = []

    def save(graph: Any, name: str) -> None:
        for fmt in ("svg", "png"):
            path = mg.viz.render(graph, os.path.join(args.out, f"{name}.{fmt}"))
            print("wrote", path)
            written.append(path)

    # ------------------------------------------------------------ 1. an MLP
    mlp = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                        nn.Linear(16, 3))
    criterion = nn.CrossEntropyLoss()
    x = mg.tensor(rng.standard_normal((8, 4)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 3, size=8))
    with mg.viz.trace_modules():                    # remember which module made each op
        loss = criterion(mlp(x), y)
    with mg.viz.record_grad_norms():                # remember the gradient on every edge
        loss.backward()
    save(mg.viz.draw_graph(loss, model=mlp, show_grad_norms=True), "mlp_graph")

    # ----------------------------------------------- 2. a TBPTT chunk of an LSTM LM
    model = LSTMLM()
    opt = optim.Adam(model.parameters(), lr=0.01)
    stream = make_stream(K * args.steps, rng)

    def chunk(i: int) -> tuple[Tensor, Tensor]:
        return (mg.tensor(stream[i * K:(i + 1) * K]),
                mg.tensor(stream[i * K + 1:(i + 1) * K + 1].reshape(-1)))

    _, state = model(chunk(0)[0])                   # the chunk before: its state is carried
    state = detach_state(state)                     # ... detached: the TBPTT cut
    tokens, targets = chunk(1)
    with mg.viz.trace_modules():
        logits, state = model(tokens, state)
        loss = criterion(logits, targets)
    with mg.viz.record_grad_norms():
        loss.backward()
    save(mg.viz.draw_graph(loss, model=model, show_grad_norms=True), "lstm_tbptt_graph")
    model.zero_grad()

    # --------------------------------------- 3. gradient norms across training
    rec = mg.viz.GradNormRecorder(model)
    state = None
    losses = []
    for i in progress_bar(range(args.steps), progress=progress_flag(args), desc="graph",
                          unit="update"):
        tokens, targets = chunk(i)
        logits, state = model(tokens, state)
        loss = criterion(logits, targets)
        loss.backward()
        rec.record()                                # after backward, before zero_grad
        clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        opt.zero_grad()
        state = detach_state(state)
        losses.append(loss.item())
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} (chance {np.log(VOCAB):.3f})")
    try:
        path = os.path.join(args.out, "grad_norms.png")
        rec.plot(path, title=f"LSTM LM, TBPTT k={K}: gradient norm per parameter")
        print("wrote", path)
        written.append(path)
    except ImportError as e:
        print("skipped grad_norms.png:", e)
    return {"written": written, "first_loss": losses[0], "final_loss": losses[-1]}


if __name__ == "__main__":
    main()
