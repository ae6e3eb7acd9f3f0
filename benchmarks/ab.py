"""A/B timing of two source trees with any benchmark script, alternating in one run.

    python benchmarks/ab.py OLD_TREE NEW_TREE benchmarks/bench_recurrent.py \
        --rounds 3 --only "minigrad" [-- script arguments]

Each round runs the script once in each tree (``python SCRIPT`` with the
tree as working directory, so the script's own copy and the tree's
``minigrad`` are used; an absolute script path is run as it is, in each tree
as working directory), the order alternating (A B, B A, A B, ...) so that
drift in the machine's load hits both alike. Every child runs with one
BLAS/OpenMP/Numba thread (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``, ``NUMBA_NUM_THREADS`` = 1; ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` removed), optionally pinned to one CPU (``--cpu``).

Metrics are read from the script's output: a line starting in column 0 is a
section heading (its text up to the first ':'), and an indented line
``  <name>  <number> ...`` (name and number separated by two or more spaces)
is the metric ``<heading> / <name>`` with the first number as its value; this
fits ``_common.report`` and the per-case tables of the bench scripts. A
different layout can be read with ``--metric`` (a regular expression with
named groups ``name`` and ``value``, matched per line). Printed: per metric,
each round's A and B values and B/A, then the median B/A over the rounds
(below 1: B is faster, for times). The raw outputs are kept with ``--log-dir``.

``--interleave`` alternates much finer, for a machine whose load changes
within a minute: the script must define ``cases()`` returning {name:
callable} (set up once). One worker process per tree imports it (cwd = the
tree) and, on request, times ``n`` calls of one case; the workers take turns
case by case (A B for one case, B A for the next, ...), ``n`` calibrated to
about ``--unit`` seconds. Printed per case: each round's B/A, the median B/A,
and the best (lowest) time of each tree with their ratio; ``--clock cpu``
(the default here) times the worker's CPU time (``time.process_time``, not
inflated while other processes hold the core), ``--clock wall`` wall time.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

_DEFAULT_METRIC = r"^\s+(?P<name>\S.*?)\s{2,}(?P<value>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\b"
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")


def child_env():
    """The environment of a benchmark child: one thread everywhere, no OpenBLAS overrides."""
    env = dict(os.environ)
    for var in _THREAD_VARS:
        env[var] = "1"
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(var, None)
    return env


def parse_metrics(text, metric=_DEFAULT_METRIC):
    """{name: value} from a benchmark's output (see the module docstring)."""
    pattern = re.compile(metric)
    found, section = {}, ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            section = line.split(":", 1)[0].strip()
            continue
        m = pattern.match(line)
        if m:
            name = m.group("name").strip()
            key = f"{section} / {name}" if section and metric == _DEFAULT_METRIC else name
            found.setdefault(key, float(m.group("value")))
    return found


def run_once(tree, script, args, cpu=None, timeout=None):
    """(stdout, seconds) of ``python script args`` run in ``tree``; raises on failure."""
    path = os.path.join(tree, script)
    if not os.path.isfile(path):
        raise SystemExit(f"ab.py: expected {script} in tree {tree}, not found")
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, script, *args], cwd=tree, env=child_env(),
                         capture_output=True, text=True, timeout=timeout, preexec_fn=pin)
    if res.returncode != 0:
        raise SystemExit(f"ab.py: {script} failed in {tree} (exit {res.returncode}):\n"
                         f"{res.stderr[-3000:]}")
    return res.stdout, time.perf_counter() - t0


_MARK = "@@ab "
_WORKER = r"""
import importlib.util, json, os, sys, time
sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), "benchmarks")]
spec = importlib.util.spec_from_file_location("_ab_cases", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
fns = mod.cases()
print("@@ab " + json.dumps(list(fns)), flush=True)
for line in sys.stdin:
    name, n = line.rstrip("\n").rsplit("\t", 1)
    fn = fns[name]
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(int(n)):
        fn()
    print("@@ab " + json.dumps([time.perf_counter() - w0, time.process_time() - c0]),
          flush=True)
"""


class _Worker:
    """A process in ``tree`` that holds ``script``'s cases and times them on request."""

    def __init__(self, tree, script):
        path = os.path.join(tree, script)
        if not os.path.isfile(path):
            raise SystemExit(f"ab.py: expected {script} in tree {tree}, not found")
        self.tree = tree
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, path], cwd=tree,
                                     env=child_env(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.names = self._reply()

    def _reply(self):
        for line in self.proc.stdout:
            if line.startswith(_MARK):
                return json.loads(line[len(_MARK):])
        raise SystemExit(f"ab.py: the worker in {self.tree} stopped (exit {self.proc.wait()})")

    def time(self, name, n):
        """(wall seconds, CPU seconds) of ``n`` calls of case ``name``."""
        self.proc.stdin.write(f"{name}\t{n}\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def interleave(trees, script, rounds, unit, clock, only):
    """{case: ([A seconds per call per round], [B ...])}, the workers taking turns."""
    workers = {label: _Worker(tree, script) for label, tree in trees.items()}
    names = [n for n in workers["A"].names if n in workers["B"].names
             and (only is None or only.search(n))]
    if not names:
        raise SystemExit("ab.py: no case common to both trees (see --only)")
    col = 1 if clock == "cpu" else 0
    calls = {}
    for name in names:                       # warm up both, calibrate on A
        for w in workers.values():
            w.time(name, 2)
        calls[name] = max(1, round(unit / max(workers["A"].time(name, 1)[col], 1e-6)))
    res = {name: ([], []) for name in names}
    for r in range(rounds):
        for i, name in enumerate(names):
            for label in ("AB" if (r + i) % 2 == 0 else "BA"):
                sec = workers[label].time(name, calls[name])[col] / calls[name]
                res[name][label == "B"].append(sec)
        print(f"round {r + 1}/{rounds} done", flush=True)
    for w in workers.values():
        w.close()
    return res


def print_interleaved(res):
    width = max(len(n) for n in res)
    print(f"\n{'case':{width}s}  best A ms  best B ms  B/A best  median B/A  B/A per round")
    for name, (ta, tb) in res.items():
        ratios = [b / a for a, b in zip(ta, tb)]
        print(f"{name:{width}s}  {min(ta) * 1e3:9.3f}  {min(tb) * 1e3:9.3f}  "
              f"{min(tb) / min(ta):8.3f}  {statistics.median(ratios):10.3f}  "
              + " ".join(f"{q:.3f}" for q in ratios))


def which_minigrad(tree):
    """The minigrad package a script run in ``tree`` imports (a sanity check)."""
    code = "import minigrad, os; print(os.path.dirname(minigrad.__file__))"
    return subprocess.run([sys.executable, "-c", code], cwd=tree, env=child_env(),
                          capture_output=True, text=True, check=True).stdout.strip()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tree_a", help="source tree A (the old code)")
    p.add_argument("tree_b", help="source tree B (the new code)")
    p.add_argument("script", help="benchmark script, relative to each tree")
    p.add_argument("script_args", nargs="*", help="arguments for the script (after --)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of (A, B) runs (>= 1)")
    p.add_argument("--only", default=None, help="regular expression on metric names to keep")
    p.add_argument("--metric", default=_DEFAULT_METRIC,
                   help="per-line regular expression with groups 'name' and 'value'")
    p.add_argument("--cpu", type=int, default=None, help="pin every run to this CPU")
    p.add_argument("--timeout", type=float, default=None, help="seconds per run")
    p.add_argument("--log-dir", default=None, help="keep each run's output here")
    p.add_argument("--interleave", action="store_true",
                   help="time the script's cases() in two workers taking turns")
    p.add_argument("--unit", type=float, default=0.3,
                   help="--interleave: seconds of calls per turn")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                   help="--interleave: CPU time or wall time")
    a = p.parse_args(argv)
    if a.rounds < 1:
        p.error(f"expected --rounds >= 1, got {a.rounds}")
    trees = {"A": os.path.abspath(a.tree_a), "B": os.path.abspath(a.tree_b)}
    for label, tree in trees.items():
        print(f"{label}: {tree} (minigrad from {which_minigrad(tree)})", flush=True)
    only = re.compile(a.only) if a.only else None
    if a.interleave:
        print_interleaved(interleave(trees, a.script, a.rounds, a.unit, a.clock, only))
        return
    if a.log_dir:
        os.makedirs(a.log_dir, exist_ok=True)
    values = {"A": [], "B": []}                     # per round: {metric: value}
    for r in range(a.rounds):
        for label in ("AB" if r % 2 == 0 else "BA"):
            out, sec = run_once(trees[label], a.script, a.script_args, a.cpu, a.timeout)
            if a.log_dir:
                with open(os.path.join(a.log_dir, f"round{r + 1}_{label}.txt"), "w") as f:
                    f.write(out)
            m = parse_metrics(out, a.metric)
            if only:
                m = {k: v for k, v in m.items() if only.search(k)}
            values[label].append(m)
            print(f"round {r + 1} {label}: {len(m)} metrics, {sec:.0f} s", flush=True)
    names = [n for n in values["A"][0] if all(n in m for m in values["A"] + values["B"])]
    if not names:
        raise SystemExit("ab.py: no metric found in both trees' outputs (see --metric/--only)")
    width = max(len(n) for n in names)
    print(f"\n{'metric':{width}s}  " + "  ".join(f"r{r + 1} A      B      B/A "
                                              for r in range(a.rounds)) + "  median B/A")
    for n in names:
        cells, ratios = [], []
        for r in range(a.rounds):
            va, vb = values["A"][r][n], values["B"][r][n]
            ratios.append(vb / va if va else float("nan"))
            cells.append(f"{va:7.4g} {vb:7.4g} {ratios[-1]:5.3f}")
        print(f"{n:{width}s}  " + "  ".join(cells) + f"  {statistics.median(ratios):6.3f}")


if __name__ == "__main__":
    main()
