"""The minigrad chunks of bench_recurrent.py timed in CPU time, for A/B runs on a busy machine.

    python benchmarks/ab.py OLD_TREE NEW_TREE "$PWD/benchmarks/recurrent_cpu.py" --interleave

Run with a source tree as the working directory: it imports that tree's
``benchmarks/bench_recurrent.py`` (its chunk builders, unchanged) and that
tree's ``minigrad``, so one copy of this script measures both trees of an A/B
run. Cases: LSTM, GRU and RNN at H = 128 and 256, the Numba path and the NumPy
path; and the Embedding(65, 64)-fed LSTM at H = 128 (``br.embed_chunks``: the
fused lookup and the unfused path; a tree without ``embed_chunks`` gets its
Embedding-fed chunk from this script's copy of the model, unfused; run
directly, also PyTorch's nn.Embedding + nn.LSTM and the chunk's matrix products
alone). Each chunk
is timed with ``time.process_time`` (CPU time of this single-threaded process),
which time spent descheduled by other processes does not inflate, as the best
of ``ROUNDS`` rounds of ``CALLS`` chunks (interleaved over the variants of a
case), in ms.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))
import _common  # noqa: E402,F401  (pins BLAS to one thread; before numpy)
import bench_recurrent as br  # noqa: E402

ROUNDS, CALLS = 7, 5
CASES = [("LSTM", 128), ("LSTM", 256), ("GRU", 128), ("GRU", 256), ("RNN", 128), ("RNN", 256)]


def best_cpu_ms(fns):
    """{name: best CPU ms per call} over ROUNDS rounds of CALLS calls, variants interleaved."""
    for fn in fns.values():
        for _ in range(2):
            fn()
    best = {name: float("inf") for name in fns}
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            t0 = time.process_time()
            for _ in range(CALLS):
                fn()
            best[name] = min(best[name], (time.process_time() - t0) / CALLS * 1e3)
    return best


def case_chunks(kind, H, x, y):
    """{variant: one chunk of ``kind`` at ``H``} for the Numba and the NumPy path."""
    state = br.make_state(kind, H)
    fns = {}
    for label, numba in (("minigrad (Numba)", True), ("minigrad (NumPy path)", False)):
        chunk, _ = br.minigrad_chunk(kind, H, x, y, state)
        fns[label] = br.with_path(chunk, numba)
    return fns


def embed_case():
    """{variant: chunk} of the Embedding-fed LSTM H=128 (the same names in both trees)."""
    if hasattr(br, "embed_chunks"):
        fns = br.embed_chunks(128)
        return {"Embedding LSTM H=128 / fused": fns["minigrad (fused lookup)"],
                "Embedding LSTM H=128 / unfused": fns["minigrad (unfused)"]}
    import numpy as np
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad import nn, optim
    mg.manual_seed(0)
    emb, rnn, head = nn.Embedding(br.V, 64), nn.LSTM(64, 128), nn.Linear(128, br.V)
    params = [p for m in (emb, rnn, head) for p in m.parameters()]
    opt = optim.SGD(params, lr=br.LR)
    ids = np.random.default_rng(0).integers(0, br.V, (br.T + 1, br.B))
    it, y = mg.tensor(ids[:-1]), ids[1:].reshape(-1)
    st = tuple(mg.tensor(s) for s in br.make_state("LSTM", 128))

    def chunk():
        out, _ = rnn(emb(it), st)
        loss = F.cross_entropy(head(out.reshape(br.T * br.B, -1)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return {"Embedding LSTM H=128 / fused": chunk, "Embedding LSTM H=128 / unfused": chunk}


def embed_products_alone():
    """{"products alone": chunk}: the matrix products of the fused Embedding-fed LSTM
    H=128 chunk with nothing else (the same BLAS calls: table, per-step products
    forward and backward, dG^T [Hprev | 1], head forward and backward, dE, dW_ih)."""
    import numpy as np
    from minigrad.ops.recurrent.products import step_product
    f32, T, B, H, V, I = np.float32, br.T, br.B, 128, br.V, 64
    rng = np.random.default_rng(0)
    w_hh, w_ih = (rng.standard_normal(s).astype(f32) for s in ((4 * H, H), (4 * H, I)))
    E, Wo = rng.standard_normal((V, I)).astype(f32), rng.standard_normal((V, H)).astype(f32)
    fwd = step_product(w_hh.T, B, np.empty((B, 4 * H), f32))
    bwd = step_product(w_hh, B, np.empty((B, H), f32))
    S, dG = (rng.standard_normal((T * B, n)).astype(f32) for n in (H, 4 * H))
    XH1, dl = np.ones((T * B, H + 1), f32), rng.standard_normal((T * B, V)).astype(f32)
    dTable = rng.standard_normal((V, 4 * H)).astype(f32)

    def chunk():
        np.dot(E, w_ih.T)
        for t in range(T):
            fwd(S[t * B:(t + 1) * B])
        S @ Wo.T, dl.T @ S, dl @ Wo
        for t in range(T):
            bwd(dG[t * B:(t + 1) * B])
        np.dot(dG.T, XH1), dTable @ w_ih, dTable.T @ E
    return {"products alone": chunk}


def cases():
    """{"<kind> H=<H> / <variant>": chunk} for ``ab.py --interleave``."""
    x, y = br.make_data()
    out = {f"{kind} H={H} / {label}": fn for kind, H in CASES
           for label, fn in case_chunks(kind, H, x, y).items()}
    out.update(embed_case())
    return out


def main():
    x, y = br.make_data()
    for kind, H in CASES:
        print(f"\n{kind} H={H}: CPU ms per chunk")
        for name, ms in best_cpu_ms(case_chunks(kind, H, x, y)).items():
            print(f"  {name:28s} {ms:8.3f} ms")
    torch = _common.try_torch()
    fns = {**embed_case(), **embed_products_alone()}
    if torch is not None and hasattr(br, "embed_chunks"):
        fns["PyTorch nn.Embedding+nn.LSTM"] = br.embed_chunks(128, torch)[
            "PyTorch nn.Embedding+nn.LSTM"]
    print("\nEmbedding(65, 64) -> LSTM H=128: CPU ms per chunk (ratio to PyTorch)")
    best = best_cpu_ms(fns)
    ref = best.get("PyTorch nn.Embedding+nn.LSTM")
    for name, ms in best.items():
        print(f"  {name:36s} {ms:8.3f} ms" + (f"  {ms / ref:6.3f}" if ref else ""))


if __name__ == "__main__":
    main()
