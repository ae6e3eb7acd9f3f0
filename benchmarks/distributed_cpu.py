"""Data-parallel scaling of the char-LM (examples/distributed_charlm.py) on this machine.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/distributed_cpu.py [--docs]

Starts MPI jobs on this machine only (minigrad.distributed.local: MPICH's forking
launcher, shared memory and loopback), one BLAS/Numba thread per rank, the same
per-rank batch (32 streams x 64 characters per step), alternating 1-rank and
2-rank jobs over ``--rounds`` rounds and keeping each side's best round:

* tokens/s at 1 rank (the plain model, no wrapper) and at 2 ranks (DDP), and the
  scaling efficiency = tokens/s(2) / (2 x tokens/s(1));
* per step at 2 ranks: the time spent waiting for the all-reduces at the end of
  backward (``wait``), the time the same buckets take as blocking all-reduces
  (``comm``), and the share of the communication hidden under backward,
  1 - wait / comm;
* the compute time per step at 1 rank of the char-LM and of a 10x larger one
  (hidden 900: 9.8x the parameters), from which the expected efficiency at 8, 64
  and 256 ranks over 10 and 100 Gbit/s follows with the ring all-reduce cost
  2 (N - 1) / N x bytes / bandwidth (no overlap assumed: a lower bound).

``--docs`` writes that projection into docs/distributed.md (between its
``projection`` markers). The machine is shared: absolute rates are noisy.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (one BLAS thread; before numpy)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))

BATCH, SEQ, HIDDEN, BIG_HIDDEN = 32, 64, 256, 900
RANKS, LINKS_GBIT = (8, 64, 256), (10, 100)
LATENCY = 20e-6          # seconds per message over TCP/Ethernet (an assumption, not measured)
DOC = os.path.join(ROOT, "docs", "distributed.md")
BEGIN, END = "<!-- projection: begin -->", "<!-- projection: end -->"


# ------------------------------------------------------------------ one job
def worker(out, hidden, steps, warmup):
    """Train ``warmup + steps`` steps on this rank; rank 0 writes the figures to ``out``."""
    import numpy as np

    import distributed_charlm as ex
    import minigrad as mg
    import minigrad.distributed as dist
    from minigrad import nn
    from minigrad.nn.parallel._reducer import MIB, assign_buckets

    dist.init()
    rank, world = dist.get_rank(), dist.get_world_size()
    mg.manual_seed(0)
    ids, vocab = ex.corpus()
    data = ex.rank_streams(ids, BATCH, rank, world)
    model = ex.CharLM(vocab, hidden=hidden)
    n_params = sum(p.data.size for p in model.parameters())
    grad_bytes = sum(p.data.nbytes for p in model.parameters())
    ddp = nn.parallel.DistributedDataParallel(model) if world > 1 else None
    step = ex.make_trainer(ddp or model)
    state, times, cpus, waits = None, [], [], []
    for i in range(warmup + steps):
        pos = i * SEQ
        w0 = ddp.reducer.wait_seconds if ddp else 0.0
        dist.barrier()
        t0, c0 = time.perf_counter(), time.process_time()
        _, state = step(data[pos:pos + SEQ], data[pos + 1:pos + SEQ + 1], state)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            waits.append((ddp.reducer.wait_seconds if ddp else 0.0) - w0)
    cpu = np.array([statistics.median(cpus)])
    dist.all_reduce(cpu, op="max")          # the slowest rank sets the pace
    comm = 0.0
    if ddp:                     # the same buckets, reduced with blocking calls
        MPI, c = dist.world.world("benchmark")
        bufs = [np.empty(b.size, b.dtype) for b in ddp.reducer.buckets]
        rounds = []
        for _ in range(20):
            dist.barrier()
            t0 = time.perf_counter()
            for buf in bufs:
                c.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            rounds.append(time.perf_counter() - t0)
        comm = statistics.median(rounds)
    if rank == 0:
        step_s = statistics.median(times)
        with open(out, "w") as f:
            json.dump({"ranks": world, "hidden": hidden, "params": n_params,
                       "grad_bytes": grad_bytes, "step_s": step_s, "cpu_s": float(cpu[0]),
                       "tokens_per_s": world * BATCH * SEQ / step_s,
                       "cpu_tokens_per_s": world * BATCH * SEQ / float(cpu[0]),
                       "wait_s": statistics.median(waits), "comm_s": comm,
                       "buckets": len(assign_buckets(list(model.parameters()), 25 * MIB))}, f)


def run_job(ranks, hidden, steps, warmup):
    from minigrad.distributed.local import local_command
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd, env = local_command(ranks, [sys.executable, os.path.abspath(__file__), "--worker",
                                         out, str(hidden), str(steps), str(warmup)])
        subprocess.run(cmd, env=env, check=True, timeout=1800)
        with open(out) as f:
            return json.load(f)


# ------------------------------------------------------------------ the projection
def ring_seconds(n, nbytes, gbit):
    """Ring all-reduce of ``nbytes`` over ``n`` ranks on a ``gbit`` Gbit/s link."""
    return 2 * (n - 1) / n * nbytes / (gbit * 1e9 / 8)


def projection(models, latency=0.0):
    """Markdown: expected efficiency = compute / (compute + ring all-reduce), per model.

    ``latency``: seconds per message, ``2 (N - 1)`` messages per bucket on a ring
    (DDP's default buckets)."""
    head = "| model | parameters | gradient MB | compute / step (1 rank) | " + " | ".join(
        f"{n} ranks, {g} Gbit/s" for g in LINKS_GBIT for n in RANKS) + " |"
    lines = [head, "|" + "---|" * (4 + len(RANKS) * len(LINKS_GBIT))]
    for name, m in models:
        cells = [name, f"{m['params']:,}", f"{m['grad_bytes'] / 1e6:.2f}",
                 f"{m['cpu_s'] * 1e3:.0f} ms"]
        for g in LINKS_GBIT:
            for n in RANKS:
                t = m["cpu_s"]
                comm = ring_seconds(n, m["grad_bytes"], g) + latency * 2 * (n - 1) * m["buckets"]
                cells.append(f"{t / (t + comm):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_docs(block):
    text = open(DOC).read()
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    with open(DOC, "w") as f:
        f.write(text[:start] + "\n" + block + "\n" + text[stop:])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--docs", action="store_true", help="write the projection into docs/")
    args = p.parse_args()
    best, best_cpu = {}, {}
    for r in range(args.rounds):
        for ranks in (1, 2):
            res = run_job(ranks, HIDDEN, args.steps, warmup=3)
            print(f"round {r + 1}, {ranks} rank(s): {res['tokens_per_s']:,.0f} tokens/s, "
                  f"step {res['step_s'] * 1e3:.1f} ms (CPU {res['cpu_s'] * 1e3:.1f} ms), "
                  f"wait {res['wait_s'] * 1e3:.2f} ms, comm {res['comm_s'] * 1e3:.2f} ms",
                  flush=True)
            if ranks not in best or res["tokens_per_s"] > best[ranks]["tokens_per_s"]:
                best[ranks] = res
            if ranks not in best_cpu or res["cpu_s"] < best_cpu[ranks]["cpu_s"]:
                best_cpu[ranks] = res
    big = min((run_job(1, BIG_HIDDEN, 5, warmup=2) for _ in range(2)),
              key=lambda m: m["cpu_s"])
    one, two = best[1], best[2]
    eff = two["tokens_per_s"] / (2 * one["tokens_per_s"])
    c1, c2 = best_cpu[1], best_cpu[2]
    cpu_eff = c2["cpu_tokens_per_s"] / (2 * c1["cpu_tokens_per_s"])
    hidden = 1 - two["wait_s"] / two["comm_s"] if two["comm_s"] > 0 else float("nan")
    summary = "\n".join([
        f"- char-LM (H={HIDDEN}, {one['params']:,} parameters), batch {BATCH} x {SEQ} "
        f"characters per rank, best of {args.rounds} alternating rounds:",
        f"  - wall clock: {one['tokens_per_s']:,.0f} tokens/s at 1 rank, "
        f"{two['tokens_per_s']:,.0f} at 2 ranks: scaling efficiency {eff:.2f};",
        f"  - CPU time per step of the slowest rank (what a machine with a free core per rank "
        f"would give): {c1['cpu_s'] * 1e3:.1f} ms at 1 rank, {c2['cpu_s'] * 1e3:.1f} ms at 2 "
        f"({c1['cpu_tokens_per_s']:,.0f} and {c2['cpu_tokens_per_s']:,.0f} tokens/s): "
        f"efficiency {cpu_eff:.2f};",
        f"  - at 2 ranks, per step: {two['wait_s'] * 1e3:.2f} ms waiting for the all-reduces "
        f"at the end of backward (including waiting for the other rank to finish its "
        f"backward), against {two['comm_s'] * 1e3:.2f} ms for the same {two['buckets']} "
        f"buckets as blocking all-reduces: {max(hidden, 0.0):.0%} hidden under backward."])
    print(f"\n{_common.machine()}\n{summary}")
    models = [(f"char-LM (H={HIDDEN})", c1), (f"10x (H={BIG_HIDDEN})", big)]
    table = projection(models)
    slow = projection(models, latency=LATENCY)
    print("\n" + table + "\n\nwith latency:\n" + slow)
    note = (f"Measured by `benchmarks/distributed_cpu.py` ({_common.machine()}; a shared "
            f"machine, one thread per rank): compute = CPU time per step at 1 rank, batch "
            f"{BATCH} x {SEQ} characters; efficiency = compute / (compute + 2 (N-1)/N x "
            f"gradient bytes / bandwidth), float32 gradients, no overlap counted. "
            f"Counting also a latency of {LATENCY * 1e6:.0f} us per message (TCP over "
            f"Ethernet; 2 (N-1) messages per bucket; {one['buckets']} and {big['buckets']} "
            f"buckets):\n\n{slow}")
    if args.docs:
        write_docs(f"{summary}\n\nExpected efficiency:\n\n{table}\n\n{note}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        out, hidden, steps, warmup = sys.argv[2:6]
        worker(out, int(hidden), int(steps), int(warmup))
    else:
        main()
