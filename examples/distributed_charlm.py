"""Data-parallel character-level LSTM language model over MPI (DistributedDataParallel).

Run on this machine only (shared memory and loopback, no listener on the network):

    UCX_TLS=self,sm UCX_NET_DEVICES=lo mpiexec.gforker -n 2 python examples/distributed_charlm.py

or on a cluster: ``mpiexec -f hostfile -n 8 python examples/distributed_charlm.py``;
without ``mpiexec`` it is one process. Text: the pydoc topics every Python ships
(minigrad.utils.text), cut into ``ranks x --batch`` parallel streams; each rank
takes its ``--batch`` streams (DistributedSampler over the stream numbers) and
trains with truncated BPTT over ``--seq`` characters, the LSTM state carried per
stream and kept local to the rank. After each backward every rank holds the mean
gradient, clipping and Adam then act identically everywhere, so the replicas stay
equal: the same training as one process with batch ``ranks x --batch``.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.nn.utils import clip_grad_norm_, detach_state  # noqa: E402
from minigrad.utils.data import DistributedSampler  # noqa: E402
from minigrad.utils.text import pydoc_topics_text  # noqa: E402


class CharLM(nn.Module):
    """Embedding -> LSTM -> Linear: ``(T, B)`` character ids -> ``(T, B, vocab)`` logits."""

    def __init__(self, vocab, embed=64, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.lstm(self.embed(x), state)
        return self.head(h), state


def corpus():
    """(ids as an int64 array, vocabulary size) of the pydoc topics text."""
    text = pydoc_topics_text()
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    return np.array([lookup[c] for c in text], dtype=np.int64), len(chars)


def rank_streams(ids, batch, rank, world):
    """``(L, batch)``: this rank's ``batch`` of the ``world * batch`` equal streams."""
    n = world * batch
    length = len(ids) // n
    streams = ids[:length * n].reshape(n, length).T            # column j: stream j
    mine = list(DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=False))
    return np.ascontiguousarray(streams[:, mine])


def make_trainer(model, lr=2e-3, clip=1.0):
    """One TBPTT step on ``model`` (DDP-wrapped or not): ``step(x, y, state) -> (loss, state)``."""
    params = list(model.parameters())
    opt = optim.Adam(params, lr=lr)

    def step(x, y, state):
        logits, state = model(mg.tensor(x), state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), mg.tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(params, clip)
        opt.step()
        return float(loss.item()), detach_state(state)
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=32, help="streams per rank")
    p.add_argument("--seq", type=int, default=64, help="characters per TBPTT step")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=20)
    args = p.parse_args(argv)

    dist.init()
    rank, world = dist.get_rank(), dist.get_world_size()
    mg.manual_seed(args.seed)          # DDP broadcasts rank 0's parameters anyway
    ids, vocab = corpus()
    data = rank_streams(ids, args.batch, rank, world)
    model = nn.parallel.DistributedDataParallel(CharLM(vocab, hidden=args.hidden))
    step = make_trainer(model, args.lr, args.clip)
    state, t0 = None, time.perf_counter()
    positions = range(0, len(data) - args.seq - 1, args.seq)
    for i, pos in zip(range(args.steps), positions):
        loss, state = step(data[pos:pos + args.seq], data[pos + 1:pos + args.seq + 1], state)
        mean = np.array([loss])
        dist.all_reduce(mean, op="mean")
        if rank == 0 and (i + 1) % args.log_every == 0:
            rate = (i + 1) * world * args.batch * args.seq / (time.perf_counter() - t0)
            print(f"step {i + 1}: loss {mean[0]:.3f} ({world} ranks, {rate:,.0f} chars/s)",
                  flush=True)
    return {"loss": float(mean[0]), "ranks": world}


if __name__ == "__main__":
    main()
