"""Shared timing helpers for the scripts in benchmarks/ (import this FIRST).

Importing this module pins BLAS/OpenMP to one thread (it sets
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``NUMEXPR_NUM_THREADS`` to 1 unless already set), so it must be imported before
NumPy -- put ``import _common`` (or ``from _common import ...``) at the top of
a benchmark script, before ``import numpy``. Run scripts from the repository
root, e.g. ``python benchmarks/bench_core.py``; the repository root is put on
``sys.path`` so ``import minigrad`` finds the source tree.

Helpers:

* ``bench(fn, min_time=0.2, repeat=5, warmup=3)`` -> seconds per call (the
  median over ``repeat`` rounds, each round calling ``fn`` enough times to last
  ``min_time`` seconds). Time every variant of a comparison in the same run.
* ``bench_many({name: fn}, ...)`` -> {name: seconds per call}: the same, but
  the variants' rounds are interleaved (A, B, C, A, B, C, ...) and the best
  round of each is kept, so a burst of load from other processes on a
  shared machine hits all variants alike. Prefer it for ratios.
* ``try_torch()`` -> the ``torch`` module pinned to one thread, or None when it
  is not installed (PyTorch is a comparison only, never a dependency).
* ``report(title, rows, baseline=None)`` prints a table of (name, seconds) with
  microseconds per call and ratios to ``baseline`` (a row name).
* ``machine()`` -> a one-line description (CPU, Python, NumPy, torch versions).

Example::

    import _common
    import numpy as np
    t_np = _common.bench(lambda: np.tanh(x))
    _common.report("tanh", [("numpy", t_np)], baseline="numpy")
"""
import os
import platform
import statistics
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

if "numpy" in sys.modules:
    print("benchmarks/_common.py: warning: numpy was imported before _common; BLAS "
          "may use several threads", file=sys.stderr)

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def bench(fn, min_time=0.2, repeat=5, warmup=3):
    """Median seconds per call of ``fn()`` over ``repeat`` rounds of >= ``min_time`` s."""
    for _ in range(warmup):
        fn()
    n, t = 1, 0.0
    while True:                      # calibrate the number of calls per round
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t >= min_time / 4:
            break
        n *= 4
    n = max(1, int(n * min_time / max(t, 1e-9)))
    rounds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - t0) / n)
    return statistics.median(rounds)


def _calls_per_round(fn, min_time):
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t >= min_time / 4:
            return max(1, int(n * min_time / max(t, 1e-9)))
        n *= 4


def bench_many(fns, min_time=0.1, repeat=15, warmup=3):
    """{name: best seconds per call}, rounds of all variants interleaved."""
    calls = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        calls[name] = _calls_per_round(fn, min_time)
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            n = calls[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / n)
    return best


def try_torch():
    """``torch`` with one intra-op and one inter-op thread, or None if not importable."""
    try:
        import torch
    except Exception:           # not installed or broken: the comparison is optional
        return None
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:        # already set once in this process
        pass
    return torch


def machine():
    """CPU model, core count, Python / NumPy / torch versions, as one line."""
    import numpy as np
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    torch = sys.modules.get("torch")
    tv = f", torch {torch.__version__}" if torch is not None else ""
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {np.__version__}{tv}, 1 thread")


def report(title, rows, baseline=None):
    """Print ``rows`` [(name, seconds per call)] with us/call and ratios to ``baseline``."""
    base = dict(rows).get(baseline) if baseline else None
    print(f"\n{title}")
    print(f"  {'':28s} {'us/call':>10s}" + (f"  {'x ' + baseline:>14s}" if base else ""))
    for name, sec in rows:
        line = f"  {name:28s} {sec * 1e6:10.1f}"
        if base:
            line += f"  {sec / base:14.2f}"
        print(line)


def optimizer_step(opt, loss_of):
    """One training step, minigrad or PyTorch alike: ``loss = loss_of()``,
    ``opt.zero_grad()``, ``loss.backward()``, ``opt.step()``; returns the loss as a float."""
    def step():
        loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def training_step(model, opt, inputs, loss_fn, targets):
    """:func:`optimizer_step` of a model returning ``(outputs, state)`` (the recurrent
    benchmarks' models): the loss is ``loss_fn(model(*inputs)[0], targets)``."""
    return optimizer_step(opt, lambda: loss_fn(model(*inputs)[0], targets))
