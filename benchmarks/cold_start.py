"""The first recurrent training step in a fresh process with an EMPTY Numba kernel cache.

Run from the repository root:

    python benchmarks/cold_start.py            # 5 fresh processes, float32 LSTM H=128
    python benchmarks/cold_start.py --runs 9 --cell gru --dtype float64

Each run is a new Python process with ``NUMBA_CACHE_DIR`` pointing to a new
empty temporary folder (so every kernel it needs is compiled), 1 thread. It
times, in that order:

* ``import minigrad`` (with nn and functional; it does not import Numba);
* the first step, forward + loss + backward, of the char-LM chunk (one-hot
  V = 65, B = 32, T = 35, the layer of ``--cell`` with H = ``--hidden``, a
  Linear head, cross-entropy): **the figure the target is about** (< 1.0 s);
  and inside it, by instrumenting the process (the same calls the op makes):
  ``import numba``; Numba's first-use set-up (loading its typing and
  lowering registries, which on a machine with SciPy also imports
  ``scipy.linalg`` for Numba's BLAS check); compiling the forward kernel; the
  first forward's other work; compiling the backward kernel; the rest;
* then a second step (warm: no compiling).

It also lists the kernels compiled (only the cell's forward and backward, for
the one dtype), and runs once more with the cache the first run left (a warm
cache: loading instead of compiling). Prints best and median over the runs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
T = {{}}
t0 = time.perf_counter()
import numpy as np
import minigrad as mg
from minigrad import nn
import minigrad.nn.functional as F
T["import minigrad"] = time.perf_counter() - t0
assert "numba" not in sys.modules
mg.set_num_threads(1)
dt = np.dtype({dtype!r})
mg.set_default_dtype(dt)
H, V, B, Tn = {hidden}, 65, 32, 35
layer = getattr(nn, {cell!r})(V, H)
head = nn.Linear(H, V)
x = mg.tensor(np.eye(V, dtype=dt)[np.random.default_rng(0).integers(0, V, (Tn, B))])
y = np.zeros(Tn * B, int)

# instrument: the same calls the op makes, timed where they happen
import minigrad.kernels as K
compiled = []
real_kernel = K._kernel
def timed_kernel(fn, args, dtype):
    first = (fn, dtype) not in K._compiled
    t = time.perf_counter()
    k = real_kernel(fn, args, dtype)
    if first:
        T["compile " + fn.__name__] = time.perf_counter() - t
        compiled.append(f"{{fn.__module__.split('.')[-1]}}.{{fn.__name__}}({{dtype}})")
    return k
K._kernel = timed_kernel
real_function = K._function
def timed_function(spec, name):
    if "numba" not in sys.modules:
        t = time.perf_counter()
        import numba
        T["import numba"] = time.perf_counter() - t
        t = time.perf_counter()
        from numba.core.registry import cpu_target
        cpu_target.target_context.refresh()
        cpu_target.typing_context.refresh()
        T["numba set-up (registries)"] = time.perf_counter() - t
    return real_function(spec, name)
K._function = timed_function

def step():
    out = layer(x)[0]
    loss = F.cross_entropy(head(out.reshape(-1, H)), y)
    t = time.perf_counter()
    loss.backward()
    return time.perf_counter() - t

t = time.perf_counter()
step()
T["first step"] = time.perf_counter() - t
t = time.perf_counter()
step()
T["second step"] = time.perf_counter() - t
print(json.dumps({{"times": T, "compiled": compiled}}))
"""


def run_once(args, cache):
    code = textwrap.dedent(_CHILD.format(root=ROOT, dtype=args.dtype, hidden=args.hidden,
                                         cell=args.cell.upper()))
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, MINIGRAD_NUMBA="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    runs, compiled = [], None
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            r = run_once(args, cache)
            runs.append(r["times"])
            compiled = r["compiled"]
            if len(runs) == 1:
                warm = run_once(args, cache)["times"]
    print(f"first {args.cell.upper()} H={args.hidden} training step ({args.dtype}, B=32, T=35, "
          f"one-hot V=65) in a fresh process, empty Numba cache, {args.runs} runs, 1 thread")
    print(f"kernels compiled: {', '.join(compiled)}")
    first = [r["first step"] for r in runs]
    parts = ["import numba", "numba set-up (registries)", "compile forward", "compile backward"]
    print(f"\n  {'':34s} {'best':>8s} {'median':>8s}")
    for name in ["import minigrad", "first step"] + parts + ["second step"]:
        vals = [r.get(name, 0.0) for r in runs]
        indent = "    " if name in parts else ""
        print(f"  {indent + name:34s} {min(vals):8.3f} {statistics.median(vals):8.3f} s")
    rest = [r["first step"] - sum(r.get(p, 0.0) for p in parts) for r in runs]
    print(f"  {'    the rest of the first step':34s} {min(rest):8.3f} "
          f"{statistics.median(rest):8.3f} s")
    print(f"\n  first step with the cache the first run left (warm): {warm['first step']:.3f} s")
    print(f"  target: first step < 1.0 s; best {min(first):.3f} s, median "
          f"{statistics.median(first):.3f} s")


if __name__ == "__main__":
    main()
