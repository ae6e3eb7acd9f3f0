"""The recurrent op's batch parts: the critical path from CPU times, or wall-clock.

    python benchmarks/threads_cpu.py [--parts 2] [LSTM:128 LSTM:256 GRU:128 RNN:128 ...]
    python benchmarks/threads_cpu.py --wall        (on an idle machine)

``--wall``: wall-clock per chunk, three ways in interleaved rounds in one
process: 1 thread; 2 threads for BLAS alone (the op in one part, the default
rule); 2 threads with the op's batch parts forced on (``threads._MIN_WORK`` 0).
Ratios to the 1-thread time; this is what set ``threads._MIN_WORK``.

Wall-clock times of two threads mean little while other processes hold the
cores (bench_recurrent.py --threads 2 measures them; run it on an idle
machine). This script estimates what the parts save independently of the load:
each chunk of bench_recurrent.py (B = 32, T = 35, float32) runs with BLAS at
one thread, once in one part and once in ``--parts`` parts; the thread CPU
time of every part is recorded (``time.thread_time``) and the critical path is
the process CPU time less the CPU time of all parts but the longest, i.e. what
the chunk would take with a free core per part and the rest serial. Figures:
best of ``--rounds`` rounds of 10 chunks, ms per chunk. It leaves out what BLAS's
own threads add on the products over all steps (weight gradients, the head).
"""
import os
import sys

if "--wall" in sys.argv:                       # BLAS must start with 2 threads to use 2
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
import _common  # noqa: F401,E402  (pins BLAS to one thread unless set; before numpy)

import argparse
import time

import minigrad as mg
from minigrad import threads
import bench_recurrent as br


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", default=["LSTM:128", "LSTM:256", "GRU:128",
                                                     "RNN:128"])
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--wall", action="store_true",
                        help="wall-clock: 1 thread, 2 threads BLAS only, 2 threads with parts")
    args = parser.parse_args()
    if args.wall:
        return wall(args)
    threads._MIN_WORK = 0                    # parts at every size (the rule aside)
    mg.set_num_threads(1)                    # BLAS: one thread, so process CPU = serial work
    real = threads.run_parts
    spent = {"parts": 0.0, "longest": 0.0}

    def timed_run_parts(fn, parts):
        times = {}

        def part(b0, b1):
            t = time.thread_time()
            fn(b0, b1)
            times[b0] = time.thread_time() - t
        real(part, parts)
        spent["parts"] += sum(times.values())
        spent["longest"] += max(times.values())
    threads.run_parts = timed_run_parts
    x, y = br.make_data()
    print(f"{_common.machine()}; chunk B={br.B}, T={br.T}, float32; ms per chunk")
    for case in args.cases:
        kind, H = case.split(":")
        H = int(H)
        state = br.make_state(kind, H)
        row = {}
        for n in (1, args.parts):
            threads._num_threads = n         # the op's parts only; BLAS stays at 1
            chunk, _ = br.minigrad_chunk(kind, H, x, y, state)
            for _ in range(3):
                chunk()
            best = None
            for _ in range(args.rounds):
                spent["parts"] = spent["longest"] = 0.0
                t = time.process_time()
                for _ in range(10):
                    chunk()
                cpu = (time.process_time() - t) / 10
                path = cpu - (spent["parts"] - spent["longest"]) / 10
                if best is None or path < best[0]:
                    best = (path, cpu)
            row[n] = best
        parts = threads.batch_parts(br.B, H, br.GATES[kind], args.parts)
        print(f"  {case:9s} one part: {row[1][1] * 1e3:7.2f}   {len(parts)} part(s): CPU "
              f"{row[args.parts][1] * 1e3:7.2f}, critical path {row[args.parts][0] * 1e3:7.2f}"
              f"  ({row[args.parts][0] / row[1][1]:.2f}x)")
    threads._num_threads = 1


def wall(args):
    x, y = br.make_data()
    modes = {"1 thread": (1, None), "2 threads, BLAS": (2, None),
             "2 threads, BLAS + parts": (2, 0)}
    default = threads._MIN_WORK
    print(f"{_common.machine()}; chunk B={br.B}, T={br.T}, float32; wall ms per chunk, "
          f"best of {args.rounds} interleaved rounds")
    for case in args.cases:
        kind, H = case.split(":")
        chunk, _ = br.minigrad_chunk(kind, int(H), x, y, br.make_state(kind, int(H)))
        best = {m: float("inf") for m in modes}
        for _ in range(args.rounds):
            for m, (n, min_work) in modes.items():
                mg.set_num_threads(n)
                threads._MIN_WORK = default if min_work is None else min_work
                for _ in range(2):
                    chunk()
                t = time.perf_counter()
                for _ in range(10):
                    chunk()
                best[m] = min(best[m], (time.perf_counter() - t) / 10)
        one = best["1 thread"]
        print(f"  {case:9s} " + "   ".join(f"{m}: {v * 1e3:7.2f} ({v / one:.2f})"
                                            for m, v in best.items()))
    threads._MIN_WORK = default


if __name__ == "__main__":
    main()
