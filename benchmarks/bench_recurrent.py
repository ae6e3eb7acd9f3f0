"""One TBPTT chunk of a char-level language model: minigrad (Numba and NumPy paths)
vs hand-written NumPy vs PyTorch ``nn.LSTM`` (1 thread), plus GRU and RNN.

Run from the repository root:

    python benchmarks/bench_recurrent.py               # 1 thread on both sides
    python benchmarks/bench_recurrent.py --threads 2   # mg.set_num_threads(2), torch's 2

``--threads N``: minigrad with ``mg.set_num_threads(N)`` (its BLAS pool and the
recurrent op's parts), PyTorch with ``torch.set_num_threads(N)``, the
hand-written NumPy with the same BLAS pool; times are wall-clock (a threaded
run's CPU time is no measure of it), so run it on an idle machine.
``--no-first-call`` skips the fresh-process part (benchmarks/cold_start.py
measures the first call in detail).

One chunk = forward + cross-entropy + backward + SGD step (lr 0.1), float32,
vocabulary V = 65 one-hot inputs, batch B = 32, T = 35 steps, one recurrent
layer of H units (starting from a given detached state, as inside TBPTT) and a
Linear(H, V) head on every step. LSTM at H = 128 and 256; GRU and RNN (tanh)
at H = 128.

* minigrad: ``nn.LSTM/GRU/RNN`` + ``nn.Linear`` + ``F.cross_entropy`` +
  ``optim.SGD``, once with ``mg.config.use_numba = True`` (fused Numba gate
  kernels) and once with ``False`` (the NumPy path, same op structure).
* hand-written NumPy: the same maths in plain NumPy, the usual way (batch-major
  (B, G*H) gate arrays, gate nonlinearities as array temporaries, input
  projection and weight gradients as one product over all steps).
* PyTorch ``nn.LSTM/GRU/RNN`` (oneDNN), ``torch.set_num_threads(1)`` (or ``--threads``).

All variants start from the same weights; their losses are checked to agree
over a few steps before timing. Times: ``_common.bench_many`` (rounds of all
variants interleaved, best round kept), so the ratios printed are side by side
in one run. Then the first-call cost of the Numba path in a fresh process:
with an empty kernel cache (compile) and with a warm cache.
Targets: LSTM chunk <= 1.0x PyTorch at H = 128 and 256; Numba path <= 0.75x
the NumPy path; GRU and RNN <= hand-written NumPy.

Then the same chunk fed by indices: ``nn.Embedding(65, 64)`` -> ``nn.LSTM(64,
128)`` -> Linear head, minigrad with the fused lookup (the layer sees its input
is an Embedding lookup, see ``nn/recurrent.py``), minigrad unfused (fusion
switched off: the (T*B, 64) input products and the Embedding's scatter) and
PyTorch ``nn.Embedding`` + ``nn.LSTM`` with the same weights (losses checked to
agree). Target: fused <= 0.65x PyTorch. Measured with ``recurrent_cpu.py``
(CPU time, 1 thread, machine loaded by other jobs), three runs: fused 0.78,
0.78, 0.81x PyTorch; unfused 0.97, 0.98, 1.09x; the chunk's matrix products
alone 0.50-0.56x, and the gate kernels about 0.15x more: the target is below
what the products plus the kernels take. Against the starting tree (``ab.py
--interleave``): fused 0.79x its chunk, unfused (the faster scatter only) 0.95x.
"""
import _common  # (first: pins BLAS to one thread; must come before numpy)

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim

V, B, T, LR = 65, 32, 35, 0.1
f32 = np.float32
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, (T + 1, B))
    x = np.eye(V, dtype=f32)[ids[:-1]]                  # (T, B, V) one-hot
    return x, ids[1:].reshape(-1)                         # targets (T*B,)


def make_state(kind, H, seed=1):
    rng = np.random.default_rng(seed)
    n = 2 if kind == "LSTM" else 1
    return [rng.uniform(-0.5, 0.5, (1, B, H)).astype(f32) for _ in range(n)]


# ----------------------------------------------------------------- minigrad
class CharModel(nn.Module):
    def __init__(self, kind, H):
        super().__init__()
        self.rnn = getattr(nn, kind)(V, H)
        self.head = nn.Linear(H, V)

    def forward(self, x, state):
        out, new_state = self.rnn(x, state)
        return self.head(out.reshape(T * B, -1)), new_state


def minigrad_chunk(kind, H, x, y, state):
    mg.manual_seed(0)
    model = CharModel(kind, H)
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = mg.tensor(x)
    st = [mg.tensor(s) for s in state]
    st = tuple(st) if kind == "LSTM" else st[0]

    chunk = _common.training_step(model, opt, (xt, st), F.cross_entropy, y)
    weights = {k: v.copy() for k, v in model.state_dict().items()}
    return chunk, weights


def with_path(fn, numba):
    def run():
        old = mg.config.use_numba
        mg.config.use_numba = numba
        try:
            return fn()
        finally:
            mg.config.use_numba = old
    return run


# ----------------------------------------------------------- hand-written NumPy
def _sigmoid(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def numpy_chunk(kind, H, x, y, state, w):
    """The same chunk written directly in NumPy (batch-major gates, array temporaries)."""
    W_ih, W_hh = w["rnn.weight_ih_l0"].copy(), w["rnn.weight_hh_l0"].copy()
    b_ih, b_hh = w["rnn.bias_ih_l0"].copy(), w["rnn.bias_hh_l0"].copy()
    W_o, b_o = w["head.weight"].copy(), w["head.bias"].copy()
    params = [W_ih, W_hh, b_ih, b_hh, W_o, b_o]
    X2 = x.reshape(T * B, V)
    h0 = state[0][0]
    c0 = state[1][0] if kind == "LSTM" else None
    N = T * B

    def chunk():
        # forward: input projection for all steps, then the recurrence
        XP = (X2 @ W_ih.T + b_ih).reshape(T, B, -1)
        hs = np.empty((T + 1, B, H), f32)
        hs[0] = h0
        if kind == "LSTM":
            cs = np.empty((T + 1, B, H), f32)
            cs[0] = c0
            acts = np.empty((T, B, 5 * H), f32)
            for t in range(T):
                a = XP[t] + hs[t] @ W_hh.T + b_hh
                i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
                g = np.tanh(a[:, 2 * H:3 * H])
                cs[t + 1] = f * cs[t] + i * g
                tc = np.tanh(cs[t + 1])
                hs[t + 1] = o * tc
                acts[t] = np.concatenate([i, f, g, o, tc], axis=1)
        elif kind == "GRU":
            acts = np.empty((T, B, 4 * H), f32)
            for t in range(T):
                u = hs[t] @ W_hh.T + b_hh
                r = _sigmoid(XP[t, :, :H] + u[:, :H])
                z = _sigmoid(XP[t, :, H:2 * H] + u[:, H:2 * H])
                n = np.tanh(XP[t, :, 2 * H:] + r * u[:, 2 * H:])
                hs[t + 1] = n + z * (hs[t] - n)
                acts[t] = np.concatenate([r, z, n, u[:, 2 * H:]], axis=1)
        else:
            for t in range(T):
                hs[t + 1] = np.tanh(XP[t] + hs[t] @ W_hh.T + b_hh)
        Hs = hs[1:].reshape(N, H)
        logits = Hs @ W_o.T + b_o
        # cross-entropy (mean) and its gradient
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(N), y]))
        dlog = e / s
        dlog[np.arange(N), y] -= 1
        dlog /= N
        dW_o, db_o = dlog.T @ Hs, dlog.sum(0)
        dHs = (dlog @ W_o).reshape(T, B, H)
        # backward through time
        G = GATES[kind]
        dA = np.empty((T, B, G * H), f32)
        dAi = np.empty((T, B, G * H), f32) if kind == "GRU" else dA
        dh = np.zeros((B, H), f32)
        dc = np.zeros((B, H), f32)
        for t in range(T - 1, -1, -1):
            dh = dh + dHs[t]
            if kind == "LSTM":
                a = acts[t]
                i, f, g, o, tc = (a[:, k * H:(k + 1) * H] for k in range(5))
                dc = dc + dh * o * (1 - tc * tc)
                dA[t] = np.concatenate([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f),
                                        dc * i * (1 - g * g), dh * tc * o * (1 - o)], axis=1)
                dc = dc * f
                dh = dA[t] @ W_hh
            elif kind == "GRU":
                a = acts[t]
                r, z, n, un = (a[:, k * H:(k + 1) * H] for k in range(4))
                dan = dh * (1 - z) * (1 - n * n)
                dar = dan * un * r * (1 - r)
                daz = dh * (hs[t] - n) * z * (1 - z)
                dA[t] = np.concatenate([dar, daz, dan * r], axis=1)
                dAi[t] = np.concatenate([dar, daz, dan], axis=1)
                dh = dA[t] @ W_hh + dh * z
            else:
                dA[t] = dh * (1 - hs[t + 1] * hs[t + 1])
                dh = dA[t] @ W_hh
        dA2, dAi2 = dA.reshape(N, -1), dAi.reshape(N, -1)
        grads = [dAi2.T @ X2, dA2.T @ hs[:-1].reshape(N, H), dAi2.sum(0), dA2.sum(0),
                 dW_o, db_o]
        for p, g_ in zip(params, grads):
            p -= LR * g_
        return loss
    return chunk


# ----------------------------------------------------------------- PyTorch
def torch_chunk(torch, kind, H, x, y, state, w):
    tnn = torch.nn
    rnn = getattr(tnn, kind)(V, H)
    head = tnn.Linear(H, V)
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            p.copy_(torch.from_numpy(w["rnn." + name]))
        head.weight.copy_(torch.from_numpy(w["head.weight"]))
        head.bias.copy_(torch.from_numpy(w["head.bias"]))
    opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    st = [torch.from_numpy(s) for s in state]
    st = tuple(st) if kind == "LSTM" else st[0]

    return _common.optimizer_step(opt, lambda: torch.nn.functional.cross_entropy(
        head(rnn(xt, st)[0].reshape(T * B, H)), yt))


# ------------------------------------------- Embedding-fed chunk (indices in)
EMB = 64      # Embedding(V, EMB) -> LSTM(EMB, H)


class EmbedModel(nn.Module):
    """Embedding(V, 64) -> LSTM(64, H) -> Linear(H, V), fed by indices (T, B)."""

    def __init__(self, H):
        super().__init__()
        self.emb = nn.Embedding(V, EMB)
        self.rnn = nn.LSTM(EMB, H)
        self.head = nn.Linear(H, V)

    def forward(self, ids, state):
        out, new_state = self.rnn(self.emb(ids), state)
        return self.head(out.reshape(T * B, -1)), new_state


def embed_data(seed=0):
    """(ids (T, B) int64, targets (T*B,)) from the same draw as :func:`make_data`."""
    ids = np.random.default_rng(seed).integers(0, V, (T + 1, B))
    return ids[:-1], ids[1:].reshape(-1)


def unfused(fn):
    """``fn`` run with the Embedding -> recurrent fusion off (today's unfused path)."""
    from minigrad.nn import recurrent as rec

    def run():
        keep = rec._embedding_lookup
        rec._embedding_lookup = lambda x, batch_first: None
        try:
            return fn()
        finally:
            rec._embedding_lookup = keep
    return run


def minigrad_embed_chunk(H, ids, y, state):
    mg.manual_seed(0)
    model = EmbedModel(H)
    opt = optim.SGD(model.parameters(), lr=LR)
    it = mg.tensor(ids)
    st = tuple(mg.tensor(s) for s in state)

    chunk = _common.training_step(model, opt, (it, st), F.cross_entropy, y)
    weights = {k: v.copy() for k, v in model.state_dict().items()}
    return chunk, weights


def torch_embed_chunk(torch, H, ids, y, state, w):
    tnn = torch.nn
    emb, rnn, head = tnn.Embedding(V, EMB), tnn.LSTM(EMB, H), tnn.Linear(H, V)
    with torch.no_grad():
        for prefix, mod in (("emb.", emb), ("rnn.", rnn), ("head.", head)):
            for name, p in mod.named_parameters():
                p.copy_(torch.from_numpy(w[prefix + name]))
    params = [p for m in (emb, rnn, head) for p in m.parameters()]
    opt = torch.optim.SGD(params, lr=LR)
    it, yt = torch.from_numpy(ids), torch.from_numpy(y)
    st = tuple(torch.from_numpy(s) for s in state)

    return _common.optimizer_step(opt, lambda: torch.nn.functional.cross_entropy(
        head(rnn(emb(it), st)[0].reshape(T * B, H)), yt))


def embed_chunks(H, torch=None):
    """{variant: chunk} for the Embedding-fed LSTM at H; the losses of the first steps
    are checked to agree (same weights, same data) before anything is timed."""
    ids, y = embed_data()
    state = make_state("LSTM", H)
    fused, w = minigrad_embed_chunk(H, ids, y, state)
    plain, _ = minigrad_embed_chunk(H, ids, y, state)
    fns = {"minigrad (fused lookup)": with_path(fused, True),
           "minigrad (unfused)": with_path(unfused(plain), True)}
    if torch is not None:
        fns["PyTorch nn.Embedding+nn.LSTM"] = torch_embed_chunk(torch, H, ids, y, state, w)
    losses = {name: [fn() for _ in range(3)] for name, fn in fns.items()}
    ref = losses["minigrad (unfused)"]
    for name, ls in losses.items():
        if not np.allclose(ls, ref, rtol=2e-4):
            raise AssertionError(f"Embedding LSTM H={H}: {name} losses {ls} differ "
                                 f"from the unfused path's {ref}")
    return fns


# ----------------------------------------------------------------- first call
_FIRST_CALL = """
import os, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import numpy as np
import minigrad as mg
from minigrad import nn
import minigrad.nn.functional as F
lstm, head = nn.LSTM(65, 128), nn.Linear(128, 65)
x = mg.tensor(np.eye(65, dtype=np.float32)[np.zeros((35, 32), int)])
t1 = time.perf_counter()
out, _ = lstm(x)
F.cross_entropy(head(out.reshape(-1, 128)), np.zeros(35 * 32, int)).backward()
t2 = time.perf_counter()
out, _ = lstm(x)
F.cross_entropy(head(out.reshape(-1, 128)), np.zeros(35 * 32, int)).backward()
t3 = time.perf_counter()
print(t2 - t1, t3 - t2, t1 - t0)
"""


def first_call_times():
    """(cold-cache first chunk, warm-cache first chunk, steady chunk) in fresh processes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = textwrap.dedent(_FIRST_CALL.format(root=root))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, MINIGRAD_NUMBA="1")
        runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                               text=True, check=True).stdout.split() for _ in range(3)]
    cold = float(runs[0][0])
    warm = sorted(float(r[0]) for r in runs[1:])[0]
    steady = sorted(float(r[1]) for r in runs)[1]
    return cold, warm, steady


# ----------------------------------------------------------------- main
def compare(kind, H, torch, x, y):
    state = make_state(kind, H)
    mg_chunk, w = minigrad_chunk(kind, H, x, y, state)
    mg_numba = with_path(mg_chunk, True)
    mg_chunk2, _ = minigrad_chunk(kind, H, x, y, state)
    mg_numpy = with_path(mg_chunk2, False)
    fns = {"minigrad (Numba)": mg_numba, "minigrad (NumPy path)": mg_numpy,
           "hand-written NumPy": numpy_chunk(kind, H, x, y, state, w)}
    if torch is not None:
        fns[f"PyTorch nn.{kind}"] = torch_chunk(torch, kind, H, x, y, state, w)
    # same weights, same data: the losses of the first steps must agree
    losses = {name: [fn() for _ in range(3)] for name, fn in fns.items()}
    ref = losses["hand-written NumPy"]
    for name, ls in losses.items():
        if not np.allclose(ls, ref, rtol=2e-4):
            raise AssertionError(f"{kind} H={H}: {name} losses {ls} differ from NumPy's {ref}")
    times = _common.bench_many(fns, min_time=0.15, repeat=15)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads on both sides (mg.set_num_threads, torch.set_num_threads)")
    parser.add_argument("--no-first-call", action="store_true",
                        help="skip the first call in a fresh process")
    args = parser.parse_args()
    torch = _common.try_torch()
    mg.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(_common.machine().replace(", 1 thread", f", {args.threads} thread(s) on each side"))
    print(f"one chunk: one-hot V={V}, B={B}, T={T}, 1 layer + Linear head + cross-entropy, "
          f"forward + backward + SGD, float32")
    x, y = make_data()
    summary = []
    cases = [("LSTM", 128), ("LSTM", 256), ("GRU", 128), ("RNN", 128)]
    for kind, H in cases:
        times = compare(kind, H, torch, x, y)
        base = f"PyTorch nn.{kind}" if torch is not None and kind == "LSTM" \
            else "hand-written NumPy"
        print(f"\n{kind} H={H}: ms per chunk, and ratio to {base}")
        for name, sec in times.items():
            print(f"  {name:28s} {sec * 1e3:8.2f} ms  {sec / times[base]:6.2f}")
        row = {"case": f"{kind} H={H}", **{k: v for k, v in times.items()}}
        summary.append(row)
    print("\nsummary (ratios of best-round times, same run)")
    for row in summary:
        t = row
        numba, numpy_path = t["minigrad (Numba)"], t["minigrad (NumPy path)"]
        hand = t["hand-written NumPy"]
        line = (f"  {row['case']:12s} Numba {numba * 1e3:7.2f} ms | Numba/NumPy-path "
                f"{numba / numpy_path:5.2f} | Numba/hand-NumPy {numba / hand:5.2f}")
        tkey = [k for k in t if k.startswith("PyTorch")]
        if tkey:
            line += f" | Numba/PyTorch {numba / t[tkey[0]]:5.2f}"
        print(line)
    fns = embed_chunks(128, torch)
    times = _common.bench_many(fns, min_time=0.15, repeat=15)
    base = "PyTorch nn.Embedding+nn.LSTM" if torch is not None else "minigrad (unfused)"
    print(f"\nEmbedding({V}, {EMB}) -> LSTM H=128 fed by indices: ms per chunk, and "
          f"ratio to {base}")
    for name, sec in times.items():
        print(f"  {name:30s} {sec * 1e3:8.2f} ms  {sec / times[base]:6.2f}")
    if args.no_first_call:
        return
    cold, warm, steady = first_call_times()
    print(f"\nfirst LSTM H=128 forward+backward in a fresh process (Numba path, float32): "
          f"empty kernel cache {cold:.2f} s, warm cache {warm:.2f} s "
          f"(steady state {steady * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
