"""What the distributed tests train, on N ranks and as the one-process reference.

``python tests/distributed_programs.py train OUT`` (under ``mpiexec -n N``)
runs every program below with ``DistributedDataParallel`` on its rank's share
of each batch and writes the results to ``OUT/rank{r}.npz``;
``python tests/distributed_programs.py fail`` raises on rank 1 while rank 0
waits in a collective. The tests call the same functions with ``world=1`` and
no wrapper for the reference: one process, the whole batch.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.nn.utils.tbptt import TBPTT  # noqa: E402

B, STEPS, SEED = 8, 4, 100      # global batch, optimizer steps, rank 0's model seed

OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "Adadelta": lambda ps: optim.Adadelta(ps, lr=1.0, weight_decay=0.01),
}


def shard(a, rank, world, axis=0):
    """This rank's contiguous share of ``a`` along ``axis`` (the batch axis)."""
    n = a.shape[axis] // world
    index = (slice(None),) * axis + (slice(rank * n, (rank + 1) * n),)
    return a[index]


def params_of(model, prefix):
    return {f"{prefix}/{name}": p.data.copy() for name, p in model.named_parameters()}


def mlp(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


def regression_steps(net, opt, x, y, rank, world):
    """One MSE step per batch ``x[s], y[s]`` on this rank's share."""
    for s in range(len(x)):
        loss = F.mse_loss(net(mg.tensor(shard(x[s], rank, world))),
                          mg.tensor(shard(y[s], rank, world)))
        opt.zero_grad()
        loss.backward()
        opt.step()


def train_mlp(rank, world, wrap, opt_name):
    """STEPS steps of an MLP on a regression batch of B rows (this rank's B / world)."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(STEPS, B, 3)), rng.normal(size=(STEPS, B, 2))
    model = mlp(SEED + rank)
    net = model if wrap is None else wrap(model)
    out = {} if wrap is None else params_of(model, f"before/{opt_name}")   # after the broadcast
    opt = OPTIMIZERS[opt_name](model.parameters())
    regression_steps(net, opt, x, y, rank, world)
    out.update(params_of(model, f"mlp/{opt_name}"))
    return out


def train_lbfgs(rank, world, wrap, dist=None):
    """LBFGS (strong Wolfe) on an MLP: the closure averages its loss over the ranks, so
    every rank's line search makes the same decisions."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(B, 3)), rng.normal(size=(B, 2))
    xs, ys = mg.tensor(shard(x, rank, world)), mg.tensor(shard(y, rank, world))
    model = mlp(SEED + rank)
    net = model if wrap is None else wrap(model)
    opt = optim.LBFGS(model.parameters(), lr=1, max_iter=5, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(net(xs), ys)
        loss.backward()
        value = np.array([loss.item()])
        if dist is not None:
            dist.all_reduce(value, op="mean")
        return float(value[0])

    for _ in range(2):
        opt.step(closure)
    return params_of(model, "lbfgs")


def train_sync_batchnorm(rank, world, wrap):
    """SGD steps of Linear -> SyncBatchNorm -> Tanh -> Linear (BatchNorm1d in one process):
    parameters and running statistics."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(STEPS, B, 3)) * 3 + 1, rng.normal(size=(STEPS, B, 2))
    mg.manual_seed(SEED + rank)
    norm = nn.BatchNorm1d if wrap is None else nn.SyncBatchNorm
    model = nn.Sequential(nn.Linear(3, 6), norm(6, momentum=0.3), nn.Tanh(), nn.Linear(6, 2))
    net = model if wrap is None else wrap(model)
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    regression_steps(net, opt, x, y, rank, world)
    out = params_of(model, "syncbn")
    out.update({f"syncbn/{k}": np.array(v, dtype=float) for k, v in model.named_buffers()})
    return out


class CharLM(nn.Module):
    """Embedding -> LSTM -> Linear over (T, B) token ids; ``tie``: the head reuses
    the embedding's weight (one Parameter used twice)."""

    def __init__(self, vocab=7, hidden=6, tie=False):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden)
        self.head = nn.Linear(hidden, vocab)
        if tie:
            self.head.weight = self.embed.weight

    def forward(self, x, state):
        h, state = self.lstm(self.embed(x), state)
        return self.head(h), state


def lm_loss(out, y):
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def train_lm(rank, world, wrap, tie):
    """TBPTT(k1=3, k2=5) with clipping and Adam over 2 sequences of 12 steps, batch B."""
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 7, size=(2, 13, B))
    mg.manual_seed(SEED + rank)
    model = CharLM(tie=tie)
    net = model if wrap is None else wrap(model)
    trainer = TBPTT(net, lm_loss, optim.Adam(model.parameters(), lr=0.05), k1=3, k2=5,
                    clip_norm=0.1)
    state = None
    for seq in tokens:
        seq = shard(seq, rank, world, axis=1)
        _, state = trainer.run(mg.tensor(seq[:-1]), mg.tensor(seq[1:]), state)
    return params_of(model, "tied" if tie else "lm")


def train_no_sync(rank, world, wrap):
    """SGD steps from 2 micro-batches per rank, the first under ``no_sync()``.

    Also keeps the gradient after the first (unreduced) backward of step 0."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(STEPS, B, 3)), rng.normal(size=(STEPS, B, 2))
    model = mlp(SEED + rank)
    net = model if wrap is None else wrap(model)
    opt = optim.SGD(model.parameters(), lr=0.2)
    out = {}
    for s in range(STEPS):
        xs, ys = shard(x[s], rank, world), shard(y[s], rank, world)
        half = xs.shape[0] // 2
        opt.zero_grad()
        if wrap is None:
            F.mse_loss(net(mg.tensor(xs)), mg.tensor(ys)).backward()
        else:
            with net.no_sync():
                (F.mse_loss(net(mg.tensor(xs[:half])), mg.tensor(ys[:half])) / 2).backward()
            if s == 0:
                out.update({f"local/{n}": p.grad.copy() for n, p in model.named_parameters()})
            (F.mse_loss(net(mg.tensor(xs[half:])), mg.tensor(ys[half:])) / 2).backward()
        opt.step()
    out.update(params_of(model, "no_sync"))
    return out


def collectives(dist):
    """Every collective on arrays and Tensors; what each rank holds after."""
    r = dist.get_rank()
    out = {}
    for op in ("sum", "mean", "max", "min"):
        a = np.arange(6.0).reshape(2, 3) * (r + 1) - 3 * r
        dist.all_reduce(a, op=op)
        out[f"array/{op}"] = a
    t = mg.tensor(np.arange(4.0) + 10 * r)
    dist.all_reduce(t, op="max")
    out["tensor/max"] = t.data.copy()
    wide = np.arange(12).reshape(3, 4) * (r + 1)
    dist.all_reduce(wide[:, ::2])                   # a non-contiguous view, int64
    out["strided/sum"] = wide
    b = np.full(3, float(r))
    dist.broadcast(b, src=1)
    out["broadcast/src1"] = b
    dist.barrier()
    out["world"] = np.array([r, dist.get_world_size()])
    from minigrad.utils.data import DistributedSampler
    out["sampler"] = np.array(list(DistributedSampler(range(10), shuffle=False)))
    return out


def sockets(pid):
    """The local addresses of every TCP/UDP socket process ``pid`` has open, as text."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[9] in inodes:
                    found.append(f"{table} {cols[1]}")
    return found


def main(argv):
    import minigrad.distributed as dist
    dist.init()
    rank, world = dist.get_rank(), dist.get_world_size()
    if argv[0] == "fail":
        if rank == 1:
            raise RuntimeError("deliberate failure on rank 1")
        dist.all_reduce(np.ones(3))                # waits for rank 1 forever, unless aborted
        return
    mg.set_default_dtype(mg.float64)
    wrap = nn.parallel.DistributedDataParallel
    out = collectives(dist)
    for name in OPTIMIZERS:
        out.update(train_mlp(rank, world, wrap, name))
    out.update(train_lm(rank, world, wrap, tie=False))
    out.update(train_lm(rank, world, wrap, tie=True))
    out.update(train_no_sync(rank, world, wrap))
    out.update(train_lbfgs(rank, world, wrap, dist))
    out.update(train_sync_batchnorm(rank, world, wrap))
    dist.barrier()
    socks = sockets(os.getpid()) + sockets(os.getppid())     # this rank and the launcher
    out["sockets"] = np.array(socks, dtype=str)
    np.savez(os.path.join(argv[1], f"rank{rank}.npz"), **out)


if __name__ == "__main__":
    main(sys.argv[1:])
