"""The flagship-size LSTM language model: minigrad vs PyTorch, training tokens/s.

    python benchmarks/lm_cpu.py [--threads N] [--rounds R] [--steps S] [--profile]

Model (both sides the same, minigrad's initial weights loaded into PyTorch by
name): tokens (T, B) -> Embedding(96, E) -> Dropout -> 2-layer LSTM(E, 512,
dropout between the layers) -> Dropout -> Linear(512, 96) head -> cross-entropy,
Adam (lr 1e-3), B = 32, T = 64, dropout 0.1, float32. ``--no-embed-dropout``
drops the Dropout after the Embedding (dropout stays between the LSTM layers and
before the head): the LSTM's input is then the Embedding lookup itself and
minigrad fuses it (``nn/recurrent.py``: the (T*B, E) input products of layer 0
become a (96, 4H) table). Two configurations:

* ``tied``: E = 512, the head's weight is the Embedding's (one Parameter);
* ``untied``: E = 256, a separate head.

Before timing, both sides run a few steps with dropout off (eval-mode masks,
same weights, same data) and their losses must agree (rtol 2e-4); then the
timed steps run with dropout on (each side its own masks). Rounds of ``--steps``
steps alternate between the sides (interleaved, the best round kept); printed
are ms per step and tokens/s (B*T per step), wall time, and with one thread
also CPU time (``time.process_time``, which load from other processes does not
inflate). ``--threads N`` sets ``torch.set_num_threads(N)`` and minigrad's
thread count (``mg.set_num_threads`` where it exists, else the BLAS pool
through ``threadpoolctl``), and the BLAS environment variables before NumPy
loads. ``--profile`` also prints where minigrad's step goes (CPU time by part,
from ``cProfile``) and the step's matrix products timed alone.

Measured (1 thread, CPU time, on a machine loaded by other jobs: ratios vary
by about +-0.05 between runs; minigrad tokens/s over PyTorch's)::

                                     tied E=512      untied E=256
    Dropout after the Embedding     1.02, 1.05, 1.06  0.97, 1.06, 1.07
    Embedding straight into LSTM    1.21, 1.23, 1.28  1.10, 1.14, 1.17   (fused)

With the Dropout after the Embedding (the flagship's ``CharLM`` style) minigrad's
step is 1.04-1.05x its matrix products timed alone (tied: 656 ms vs 628 ms;
untied: 600 vs 535 ms), and those products alone are about 0.9x PyTorch's
whole step: the products bound the ratio near 1.1x. By part (tied, cProfile):
per-step products 223 ms, input projections 184 ms, weight-gradient products
200 ms, gate kernels 29 ms, Adam 15 ms, head 8 ms, dropout draws 6 ms, the rest
(tape, copies, elementwise) 32 ms. The H=512 backward per-step product
(32 x 2048) @ (2048 x 512) has no column block under OpenBLAS's small-kernel
limit and runs as one product at ~60 GFLOP/s (1.0 ms a call, 128 calls a
step); split along K in 4 blocks of 512 and along N in blocks of 32 columns
(32*32*512 multiply-adds each, summed over K after) it took 0.74 ms (a
measured lead for ``products.py``, not applied here).
"""
import os
import sys


def _threads_from_argv():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


_N = _threads_from_argv()
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _N           # before NumPy (and _common, which only sets defaults)

import _common  # noqa: E402

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402

V, H, B, T, P, LR = 96, 512, 32, 64, 0.1, 1e-3
CONFIGS = {"tied": (512, True), "untied": (256, False)}
EMBED_DROPOUT = True      # --no-embed-dropout: the Embedding feeds the LSTM directly


class LM(nn.Module):
    """Embedding -> Dropout -> 2-layer LSTM -> Dropout -> head (tied: the Embedding's)."""

    def __init__(self, embed, tie):
        super().__init__()
        self.emb = nn.Embedding(V, embed)
        self.rnn = nn.LSTM(embed, H, num_layers=2, dropout=P)
        self.drop = nn.Dropout(P)
        self.head = nn.Linear(H, V)
        if tie:
            self.head.weight = self.emb.weight

    def forward(self, ids, state):
        x = self.emb(ids)
        out, state = self.rnn(self.drop(x) if EMBED_DROPOUT else x, state)
        return self.head(self.drop(out).reshape(T * B, H)), state


def data(seed=0):
    ids = np.random.default_rng(seed).integers(0, V, (T + 1, B))
    return ids[:-1], ids[1:].reshape(-1)


def minigrad_step(config):
    embed, tie = CONFIGS[config]
    mg.manual_seed(0)
    model = LM(embed, tie)
    opt = optim.Adam(model.parameters(), lr=LR)
    ids, y = data()
    it = mg.tensor(ids)

    step = _common.training_step(model, opt, (it, None), F.cross_entropy, y)
    weights = {k: v.copy() for k, v in model.state_dict().items()}
    return step, model, weights


def torch_step(torch, config, weights):
    embed, tie = CONFIGS[config]
    tnn = torch.nn

    class TLM(tnn.Module):
        def __init__(self):
            super().__init__()
            self.emb = tnn.Embedding(V, embed)
            self.rnn = tnn.LSTM(embed, H, num_layers=2, dropout=P)
            self.drop = tnn.Dropout(P)
            self.head = tnn.Linear(H, V)
            if tie:
                self.head.weight = self.emb.weight

        def forward(self, ids):
            x = self.emb(ids)
            out, _ = self.rnn(self.drop(x) if EMBED_DROPOUT else x)
            return self.head(self.drop(out).reshape(T * B, H))

    model = TLM()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(weights[name]))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    ids, y = data()
    it, yt = torch.from_numpy(ids), torch.from_numpy(y)

    step = _common.optimizer_step(opt, lambda: torch.nn.functional.cross_entropy(model(it), yt))
    return step, model


def check_agreement(config, mg_step, mg_model, t_step, t_model):
    """A few steps with dropout off on both sides: the losses must agree."""
    mg_model.eval()
    t_model.eval()
    a = [mg_step() for _ in range(3)]
    b = [t_step() for _ in range(3)]
    mg_model.train()
    t_model.train()
    if not np.allclose(a, b, rtol=2e-4):
        raise AssertionError(f"{config}: minigrad losses {a} differ from PyTorch's {b}")
    return a, b


def timed(fns, rounds, steps, clock):
    """{name: best seconds per step} over ``rounds`` interleaved rounds of ``steps``."""
    for fn in fns.values():
        fn()
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = clock()
            for _ in range(steps):
                fn()
            best[name] = min(best[name], (clock() - t0) / steps)
    return best


def set_threads(torch, n):
    if torch is not None:
        torch.set_num_threads(n)
    if hasattr(mg, "set_num_threads"):
        mg.set_num_threads(n)
        return "mg.set_num_threads"
    from threadpoolctl import threadpool_limits
    threadpool_limits(n)
    return "threadpoolctl"


# ------------------------------------------------------------------ profile
PARTS = [  # (part, predicate on (file, function)) -- first match wins, CPU tottime
    ("per-step products (recurrent, in column blocks)",
     lambda f, n: f.endswith("recurrent/products.py") and n == "<lambda>"),
    ("input projection (tiled product)", lambda f, n: n == "tiled_dot"),
    ("weight-gradient product dG^T [X | Hprev | 1]", lambda f, n: n == "_parameter_grads"),
    ("gate kernels (Numba)", lambda f, n: "/kernels/" in f),
    ("head Linear forward + backward", lambda f, n: f.endswith("ops/linear.py")),
    ("cross-entropy", lambda f, n: f.endswith("ops/loss.py")),
    ("optimizer (Adam)", lambda f, n: "/optim/" in f),
    ("dropout masks (random draws)",
     lambda f, n: "random" in n or n in ("dropout", "_dropout_mask")),
]


def profile(step, n=10):
    import cProfile
    import pstats
    pr = cProfile.Profile(time.process_time)
    step()
    pr.enable()
    for _ in range(n):
        step()
    pr.disable()
    st = pstats.Stats(pr)
    total = sum(v[2] for v in st.stats.values())
    parts = {name: 0.0 for name, _ in PARTS}
    rest = 0.0
    for (f, _, fn), v in st.stats.items():
        for name, pred in PARTS:
            if pred(f, fn):
                parts[name] += v[2]
                break
        else:
            rest += v[2]
    out = {k: v / n for k, v in parts.items()}
    out["everything else (tape, ops, copies, elementwise)"] = rest / n
    return out, total / n


def products_alone(config):
    """The step's matrix products alone (same shapes and BLAS calls, no graph), seconds."""
    from minigrad.ops.recurrent.products import step_product, tiled_dot
    embed, tie = CONFIGS[config]
    f32 = np.float32
    rng = np.random.default_rng(0)
    G = 4 * H
    layers = []
    for k, I in enumerate((embed, H)):
        w_ih = rng.standard_normal((G, I)).astype(f32)
        w_hh = rng.standard_normal((G, H)).astype(f32)
        R, dRec = np.empty((B, G), f32), np.empty((B, H), f32)
        layers.append((I, w_ih, step_product(w_hh.T, B, R), step_product(w_hh, B, dRec)))
    X = [rng.standard_normal((T * B, I)).astype(f32) for I, *_ in layers]
    S = rng.standard_normal((T * B, H)).astype(f32)
    XP = np.empty((T * B, G), f32)
    dG = rng.standard_normal((T * B, G)).astype(f32)
    Wo = rng.standard_normal((V, H)).astype(f32)
    dl = rng.standard_normal((T * B, V)).astype(f32)

    fused = not EMBED_DROPOUT                  # layer 0 runs the fused lookup
    E = rng.standard_normal((V, embed)).astype(f32)
    dTable = rng.standard_normal((V, G)).astype(f32)
    S1 = np.ones((T * B, H + 1), f32)
    XH1 = [np.ones((T * B, I + H + 1), f32) for I, *_ in layers]    # [X | Hprev | 1]

    def run():
        for k, ((I, w_ih, fwd, _), x) in enumerate(zip(layers, X)):
            if k == 0 and fused:
                np.dot(E, w_ih.T)              # the (V, 4H) table
            else:
                tiled_dot(x, w_ih, B, XP)
            for t in range(T):
                fwd(S[t * B:(t + 1) * B])
        S @ Wo.T
        dl.T @ S
        dl @ Wo
        for k, ((I, w_ih, _, bwd), x) in reversed(list(enumerate(zip(layers, X)))):
            for t in range(T):
                bwd(dG[t * B:(t + 1) * B])
            if k == 0 and fused:
                np.dot(dG.T, S1)               # dW_hh, db
                dTable @ w_ih, dTable.T @ E    # dE, dW_ih
            else:
                np.dot(dG.T, XH1[k])
                tiled_dot(dG, w_ih.T, B, np.empty((T * B, I), f32))
    return timed({"p": run}, 5, 3, time.process_time)["p"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--configs", default="tied,untied")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-embed-dropout", action="store_true")
    args = ap.parse_args()
    global EMBED_DROPOUT
    EMBED_DROPOUT = not args.no_embed_dropout
    torch = _common.try_torch()
    how = set_threads(torch, args.threads)
    from threadpoolctl import threadpool_info
    blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info() if i.get("user_api") == "blas"]
    print(_common.machine())
    print(f"threads {args.threads} (minigrad via {how}); BLAS {blas}")
    print(f"LM: Embedding({V}, E) -> {f'Dropout({P}) -> ' if EMBED_DROPOUT else ''}"
          f"LSTM(E, {H}) x2 -> Dropout -> "
          f"Linear({H}, {V}); B={B}, T={T}, Adam, float32")
    for config in args.configs.split(","):
        mg_step, mg_model, weights = minigrad_step(config)
        fns = {"minigrad": mg_step}
        if torch is not None:
            t_step, t_model = torch_step(torch, config, weights)
            a, b = check_agreement(config, mg_step, mg_model, t_step, t_model)
            print(f"\n{config} (E={CONFIGS[config][0]}): losses agree, dropout off: "
                  f"minigrad {a[-1]:.6f}, PyTorch {b[-1]:.6f}")
            fns["PyTorch"] = t_step
        clocks = [("wall", time.perf_counter)]
        if args.threads == 1:
            clocks.append(("CPU", time.process_time))
        for label, clock in clocks:
            best = timed(fns, args.rounds, args.steps, clock)
            line = "  ".join(f"{k} {v * 1e3:7.1f} ms {B * T / v:8.0f} tok/s"
                             for k, v in best.items())
            if "PyTorch" in best:
                ratio = best["PyTorch"] / best["minigrad"]
                line += f"  | minigrad tokens/s = {ratio:.3f}x PyTorch's"
            print(f"  {label:4s}: {line}")
        if args.profile:
            parts, total = profile(mg_step)
            prod = products_alone(config)
            print(f"  minigrad step by part (cProfile, CPU, {total * 1e3:.1f} ms/step "
                  f"with the profiler's overhead):")
            for k, v in parts.items():
                print(f"    {k:50s} {v * 1e3:7.2f} ms")
            print(f"  the step's matrix products alone: {prod * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
