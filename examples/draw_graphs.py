"""Regenerate the computation-graph pictures shown in the README.

Run:  python examples/draw_graphs.py          (needs Graphviz's `dot`; matplotlib for the plot)

Writes to docs/images/:
  mlp_graph.svg/.png         a small MLP + cross-entropy after one backward: every
                             edge labelled and coloured by the norm of the gradient
                             that flowed along it (log scale, legend), ops boxed by module.
  lstm_tbptt_graph.svg/.png  one TBPTT chunk of a 2-layer LSTM language model: the
                             state carried in from the previous chunk enters as red
                             dashed "detached" leaves (the truncation point).
  grad_norms.png             per-parameter gradient norms over 150 TBPTT updates of that
                             model (mg.viz.GradNormRecorder).
"""
import os

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn.utils import clip_grad_norm_, detach_state

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "images")
VOCAB, EMBED, HIDDEN, LAYERS = 12, 8, 16, 2     # the LSTM language model
BATCH, K = 4, 6                                 # TBPTT chunk: K steps of BATCH streams
STEPS = 150                                     # updates recorded for grad_norms.png

mg.manual_seed(0)
rng = np.random.default_rng(0)


def save(graph, name):
    for fmt in ("svg", "png"):
        path = mg.viz.render(graph, os.path.join(OUT, f"{name}.{fmt}"))
        print("wrote", os.path.relpath(path))


# ---------------------------------------------------------------- 1. an MLP
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


# --------------------------------------------------- 2. a TBPTT chunk of an LSTM LM
class LSTMLM(nn.Module):
    """Embedding -> LSTM -> Linear: next-token logits for (T, B) token ids."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens, state=None):
        out, state = self.lstm(self.embed(tokens), state)
        T, B, H = out.shape
        return self.head(out.reshape(T * B, H)), state


def make_stream(n):
    """Tokens that count up by a random stride per stream, with a little noise."""
    stride = rng.integers(1, 4, size=BATCH)
    t = np.arange(n + 1)[:, None] * stride[None, :] + rng.integers(0, VOCAB, size=BATCH)
    noise = rng.random(t.shape) < 0.05
    return np.where(noise, rng.integers(0, VOCAB, size=t.shape), t % VOCAB)


model = LSTMLM()
opt = optim.Adam(model.parameters(), lr=0.01)
stream = make_stream(K * STEPS)
chunk = lambda i: (mg.tensor(stream[i * K:(i + 1) * K]),                   # noqa: E731
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


# ------------------------------------------- 3. gradient norms across training
rec = mg.viz.GradNormRecorder(model)
state = None
for i in range(STEPS):
    tokens, targets = chunk(i)
    logits, state = model(tokens, state)
    loss = criterion(logits, targets)
    loss.backward()
    rec.record()                                # after backward, before zero_grad
    clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    opt.zero_grad()
    state = detach_state(state)
print(f"final loss {loss.item():.3f} (chance {np.log(VOCAB):.3f})")
try:
    rec.plot(os.path.join(OUT, "grad_norms.png"),
             title="LSTM LM, TBPTT k=6: gradient norm per parameter")
    print("wrote", os.path.relpath(os.path.join(OUT, "grad_norms.png")))
except ImportError as e:
    print("skipped grad_norms.png:", e)
