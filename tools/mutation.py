"""Plant single-point bugs one at a time and report which the tests catch.

    python tools/mutation.py [--only NAME ...] [--list]

Each mutant replaces one snippet in one file of a copy of the working tree (the
tree itself is never touched), runs the listed tests there with ``-x`` and
counts the mutant caught if they fail. The mutants target the behaviours of
issue 14 items 5, 7 and 8: tie sharing in max/min, cross-entropy with
probability targets, clip at its bounds, retained gradients, broadcasting,
hooks, gradcheck itself, and minigrad.testing (properties, factory, programs,
strategies). A survivor is a behaviour no test pins down.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EDGE = "tests/test_grad_edge_cases.py"
TESTING = "tests/test_testing.py"
PROGRAMS = "tests/test_random_programs.py"
CORE = "tests/test_core_grad.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...] = (EDGE, TESTING, PROGRAMS)


MUTANTS = [
    Mutant("max/min ties: every tie gets the whole gradient", "minigrad/ops/reduce.py",
           "share = mask / mask.sum(axis=axis, keepdims=True)", "share = mask * 1.0"),
    Mutant("cross_entropy(q): drop the sum_c q_c factor", "minigrad/ops/loss.py",
           "gx = (p * target.sum(axis=1, keepdims=True) - target) * g", "gx = (p - target) * g"),
    Mutant("cross_entropy(q): d/dq sign flipped", "minigrad/ops/loss.py",
           "gt = -logp * g if", "gt = logp * g if"),
    Mutant("clip: no gradient at x == lo", "minigrad/ops/elementwise.py",
           "mask &= x >= lo", "mask &= x > lo"),
    Mutant("clip: no gradient at x == hi", "minigrad/ops/elementwise.py",
           "mask &= x <= hi", "mask &= x < hi"),
    Mutant("retain_grad: overwrite instead of accumulate", "minigrad/tape.py",
           "elif t._retain:\n            t.grad = g.copy() if t.grad is None else t.grad + g",
           "elif t._retain:\n            t.grad = g.copy()"),
    Mutant("unbroadcast: first slice of a size-1 axis, not the sum", "minigrad/tape.py",
           "grad = gradient_sum(grad, axes, keepdims=True)",
           "grad = grad[tuple(slice(0, 1) if i in axes else slice(None) "
           "for i in range(grad.ndim))]"),
    Mutant("tensor hooks: a returned gradient is ignored", "minigrad/tape.py",
           "            g = new\n    return g", "            pass\n    return g"),
    Mutant("leaf .grad: a gradient held elsewhere taken without a copy", "minigrad/tape.py",
           "_getrefcount(g) <= _ALONE)", "_getrefcount(g) <= _ALONE + 1)",
           ("tests/test_engine_fast_paths.py",)),
    Mutant("Mul: d/db uses b", "minigrad/ops/elementwise.py",
           "lambda g, a, b: g * a), \"input\"", "lambda g, a, b: g * b), \"input\""),
    Mutant("gradcheck: directional check never fails", "minigrad/gradcheck.py",
           "if abs(analytic_dir - numeric_dir) > atol", "if False and abs(analytic_dir - numeric_dir) > atol"),
    Mutant("gradcheck: element-wise tolerance 1 absolute", "minigrad/gradcheck.py",
           "if err.size and np.max(err) > 0:", "if err.size and np.max(err) > 1:"),
    Mutant("programs: hook counterpart missing", "minigrad/testing/programs.py",
           "v = v * s.scale - self.recorded[k] * (s.scale - 1)", "v = v * 1.0"),
    Mutant("programs: detached value recomputed in numeric runs", "minigrad/testing/programs.py",
           "v = tensor(self.recorded[k])", "v = v.detach()"),
    Mutant("programs: no tie-breaking ramp", "minigrad/testing/programs.py",
           "dtype=np.float64).reshape(shape) * 0.37", "dtype=np.float64).reshape(shape) * 0.0"),
    Mutant("programs: second retain_graph backward not compared", "minigrad/testing/programs.py",
           "np.testing.assert_allclose(got, 2 * g,", "np.testing.assert_allclose(2 * g, 2 * g,"),
    Mutant("properties: accumulation not compared", "minigrad/testing/properties.py",
           "_close(t.grad, 2 * g, f\"input {i}: second", "_close(2 * g, 2 * g, f\"input {i}: second"),
    Mutant("properties: linearity with a = 1", "minigrad/testing/properties.py",
           "a = float(rng.uniform(0.1, 3.0) * rng.choice([-1.0, 1.0]))", "a = 1.0"),
    Mutant("properties: used-twice compares one branch", "minigrad/testing/properties.py",
           "[a + b for a, b in zip(w1, w2)]", "[a + b for a, b in zip(w1, w1)]"),
    Mutant("factory: properties skipped", "minigrad/testing/factory.py",
           "for prop in chosen:", "for prop in chosen[:0]:"),
    Mutant("factory: module parameters not restored", "minigrad/testing/factory.py",
           "        for m, name, p in owners:\n            m._parameters[name] = p",
           "        for m, name, p in owners[:0]:\n            m._parameters[name] = p"),
    Mutant("strategies: away_from_zero ignored", "minigrad/testing/strategies.py",
           "    if away_from_zero:\n", "    if False:\n"),
    Mutant("strategies: distinct ignored", "minigrad/testing/strategies.py",
           "    if distinct and n > 1:", "    if False:"),
]


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", ".mypy_cache", "__pycache__", ".hypothesis",
                                    "minigrad-out", ".ci", "*.egg-info")
    shutil.copytree(ROOT, dest, ignore=ignore, dirs_exist_ok=True)


def run(m: Mutant, tmp: Path) -> tuple[bool, float, str]:
    """(caught, seconds, the first failing test or pytest's last line) for one mutant."""
    target = tmp / m.path
    original = target.read_text()
    if original.count(m.old) != 1:
        raise SystemExit(f"mutant {m.name!r}: snippet found {original.count(m.old)} times "
                         f"in {m.path}")
    target.write_text(original.replace(m.old, m.new))
    t0 = time.time()
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}     # no shrinking
    try:
        out = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:warnings",
                              "-p", "no:cacheprovider", *m.tests], cwd=tmp,
                             env=env, capture_output=True, text=True, timeout=1800)
    finally:
        target.write_text(original)
    lines = [line for line in out.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    tail = out.stdout.strip().splitlines()[-1:] or [out.stderr[-200:]]
    return out.returncode != 0, time.time() - t0, (lines or tail)[0][:110]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="substrings of mutant names to run")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(s in m.name for s in args.only)]
    if args.list:
        print("\n".join(m.name for m in chosen))
        return 0
    survivors = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        _copy_tree(tmp)
        for m in chosen:
            caught, secs, last = run(m, tmp)
            print(f"{'caught  ' if caught else 'SURVIVED'} {secs:6.1f}s  {m.name}  ({last})",
                  flush=True)
            if not caught:
                survivors.append(m.name)
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} caught; survivors: {survivors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
