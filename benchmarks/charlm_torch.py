"""The flagship char-LM (minigrad/demos/charlm.py) against the same model in PyTorch.

Run from the repository root (PyTorch optional; without it only minigrad runs):

    python benchmarks/charlm_torch.py                 # --segments 40, about 650k characters
    python benchmarks/charlm_torch.py --segments 6    # a smoke run

Both sides: the charlm defaults (Embedding(V, 64) -> 2-layer LSTM(192), dropout
0.1, head tied to the embedding through a Linear(192, 64) projection; 64
streams, TBPTT k1 = k2 = 64, clip 1.0, Adam lr 3e-3, cosine to lr/10 over the
run), the same initial weights (minigrad's, loaded into PyTorch by name), the same
data in the same order, one thread each. They take turns segment by segment
(a segment is 4 updates: 16,384 characters), and each segment's CPU time is
taken on its own side, so load from other processes falls on both alike.
Prints characters/s (CPU time) per side and the validation bpc both reach.
Dropout masks differ (each side's own generator), so the losses agree
statistically, not exactly.
"""
import _common  # noqa: F401  (first: pins BLAS to one thread)

import argparse
import math
import statistics
import time

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.demos._lm import LN2, CharLM, Vocab, batchify, evaluate_bpc, lm_loss, \
    unigram_bpc
from minigrad.utils.text import pydoc_topics_text

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--segments", type=int, default=40)
p.add_argument("--hidden", type=int, default=192)
p.add_argument("--embed", type=int, default=64)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--chunk", type=int, default=64)
p.add_argument("--lr", type=float, default=3e-3)
p.add_argument("--dropout", type=float, default=0.1)
args = p.parse_args()
UPDATES = 4
seg = UPDATES * args.chunk

text = pydoc_topics_text()
vocab = Vocab(text)
ids = vocab.encode(text)
n_val = int(len(ids) * 0.1)
train_ids, val_ids = ids[:-n_val], ids[-n_val:]
x, y = batchify(train_ids, args.batch)
vx, vy = batchify(val_ids, args.batch)
V = len(vocab)

mg.manual_seed(0)
model = CharLM(V, args.embed, args.hidden, 2, "lstm", args.dropout, True)
init = {k: v.copy() for k, v in model.state_dict().items()}
opt = optim.Adam(model.parameters(), lr=args.lr)
sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.segments, eta_min=args.lr / 10)
trainer = nn.utils.TBPTT(model, lm_loss, opt, k1=args.chunk, clip_norm=1.0)
mg_state = [None]


def mg_segment(a):
    loss, mg_state[0] = trainer.run(x[a:a + seg], y[a:a + seg], mg_state[0], progress=False)
    sched.step()
    return loss


torch = _common.try_torch()
if torch is not None:
    class TorchCharLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(V, args.embed)
            self.rnn = torch.nn.LSTM(args.embed, args.hidden, num_layers=2, dropout=args.dropout)
            self.drop = torch.nn.Dropout(args.dropout)
            self.proj = torch.nn.Linear(args.hidden, args.embed)
            self.head = torch.nn.Linear(args.embed, V)
            self.head.weight = self.embed.weight

        def forward(self, tokens, state=None):
            out, state = self.rnn(self.drop(self.embed(tokens)), state)
            return self.head(self.proj(self.drop(out))), state

    torch.manual_seed(0)
    tmodel = TorchCharLM()
    tsd = {k: torch.from_numpy(v) for k, v in init.items()}
    tsd.setdefault("head.weight", tsd["embed.weight"])    # minigrad lists a tied weight once
    tmodel.load_state_dict(tsd, strict=True)
    topt = torch.optim.Adam(tmodel.parameters(), lr=args.lr)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=args.segments,
                                                        eta_min=args.lr / 10)
    t_state = [None]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_segment(a):
        total = 0.0
        for s in range(a, min(a + seg, len(x)), args.chunk):
            xc, yc = tx[s:s + args.chunk], ty[s:s + args.chunk]
            logits, st = tmodel(xc, t_state[0])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), yc.reshape(-1))
            topt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tmodel.parameters(), 1.0)
            topt.step()
            t_state[0] = tuple(t.detach() for t in st)
            total += loss.item() * len(xc)
        tsched.step()
        return total / len(tx[a:a + seg])

    def torch_bpc():
        tmodel.eval()
        total, st = 0.0, None
        with torch.no_grad():
            for s in range(0, len(vx), 256):
                logits, st = tmodel(torch.from_numpy(vx[s:s + 256]), st)
                total += torch.nn.functional.cross_entropy(
                    logits.reshape(-1, V), torch.from_numpy(vy[s:s + 256]).reshape(-1)).item() \
                    * len(vx[s:s + 256])
        tmodel.train()
        return total / len(vx) / LN2

sides = {"minigrad": mg_segment}
if torch is not None:
    sides["PyTorch"] = torch_segment
cpu = {k: [] for k in sides}
losses = {k: [] for k in sides}
print(_common.machine())
print(f"{V} characters, unigram baseline {unigram_bpc(train_ids, val_ids, V):.3f} bpc; "
      f"{args.segments} segments of {seg * args.batch:,} characters")
start = time.perf_counter()
for i in range(args.segments):
    a = (i % math.ceil(len(x) / seg)) * seg
    order = list(sides) if i % 2 == 0 else list(sides)[::-1]     # alternate who goes first
    for name in order:
        t0 = time.process_time()
        losses[name].append(sides[name](a))
        cpu[name].append(time.process_time() - t0)
    if i % 5 == 4 or i == args.segments - 1:
        print(f"segment {i + 1:3d}: " + ", ".join(
            f"{n} {losses[n][-1] / LN2:.3f} bpc" for n in sides)
            + f"  ({time.perf_counter() - start:.0f} s)", flush=True)

chars = seg * args.batch
print("\nside        chars/s (median segment, CPU time)   train bpc (last 5)   validation bpc")
results = {}
for name in sides:
    rate = chars / statistics.median(cpu[name][1:] or cpu[name])   # the first compiles
    val = evaluate_bpc(model, vx, vy) if name == "minigrad" else torch_bpc()
    results[name] = rate
    print(f"{name:10s}  {rate:12,.0f}                          "
          f"{np.mean(losses[name][-5:]) / LN2:8.3f}           {val:8.3f}")
if torch is not None:
    print(f"\nminigrad / PyTorch throughput: {results['minigrad'] / results['PyTorch']:.2f}")
