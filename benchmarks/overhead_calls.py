"""Per-step overhead counted deterministically: Python calls (and C calls) per step.

    python benchmarks/overhead_calls.py            # counts per step, then the top functions
    python benchmarks/overhead_calls.py --list 40  # more of the per-function table
    python benchmarks/overhead_calls.py --instructions [--case NAME]

Run with a source tree as the working directory (as ``steps_cpu.py``, whose
``cases()`` it counts): ``cd /work/base && python /work/wt-overhead/benchmarks/overhead_calls.py``
counts the old tree with the same script. Timings on a shared machine move by
10-20%; these counts do not move at all, so they show a change in per-op overhead
that a timing cannot resolve.

Counts: each case is run a few times to warm up, then one step under
``sys.setprofile``: ``python calls`` are Python frames entered (``call`` events),
``C calls`` are calls of builtins / C methods from Python (``c_call``), both per step.
``--instructions`` runs each tiny case 2,000 times under ``valgrind
--tool=callgrind`` (if installed) in a child process, and once more with 200
steps, and prints (Ir(2000) - Ir(200)) / 1800: CPU instructions per step,
without start-up, repeatable on a loaded machine to well under 1%; also for the
hand-written NumPy step of ``bench_core.py`` (the baseline of the 2.0x target), and
each case's ratio to it. Instructions are not time (NumPy's C loops retire more
instructions per cycle than the interpreter), but a change that cuts them cuts time.

Measured (issue 16 item 5), the tree before (/work/base, 66c9342) and after, on a
2-core AMD EPYC loaded by three other jobs (counts do not depend on the load):

===========================  ==============  ==============  ========================
per tiny step                tensor ops      modules         command
===========================  ==============  ==============  ========================
Python calls, before/after   71 / 47         97 / 50         this script
C calls, before/after        201 / 146       180 / 138       this script
instructions, before         511,869 (2.43x  554,920 (2.64x  ``--instructions``
                             NumPy)          NumPy)
instructions, after          428,370 (2.04x  452,157 (2.15x  ``--instructions``
                             NumPy)          NumPy)
===========================  ==============  ==============  ========================

(hand-written NumPy step: 210,134-210,394 instructions over the runs.) Time, same machine and load:
``benchmarks/ab.py /work/base . "$PWD/benchmarks/steps_cpu.py" --interleave --rounds
15 --unit 0.3``, CPU time, 1 thread each: new/old median 0.80 (tensor ops), 0.78
(modules), MLP step 0.97, CNN step 0.96; ``bench_core.py`` (best of 15 interleaved
rounds, two runs): 2.11-2.12x hand-written NumPy with tensor ops, 2.23-2.27x with
modules (the tree before, one run in the same hour: 2.78x and 2.99x).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))
import _common  # noqa: E402,F401  (pins BLAS to one thread; before numpy)

TINY = ("tiny step (tensor ops)", "tiny step (modules)")


def _cases():
    import steps_cpu  # noqa: PLC0415  (the tree's own copy is the cwd's benchmarks/)
    return steps_cpu.cases()


def count(step, warm=5):
    """(python calls, C calls, Counter of (file:function) -> calls) for one step."""
    for _ in range(warm):
        step()
    py, c = collections.Counter(), collections.Counter()

    def prof(frame, event, arg):
        if event == "call":
            co = frame.f_code
            py[f"{os.path.basename(co.co_filename)}:{co.co_name}"] += 1
        elif event == "c_call":
            c[getattr(arg, "__qualname__", getattr(arg, "__name__", repr(arg)))] += 1

    sys.setprofile(prof)
    try:
        step()
    finally:
        sys.setprofile(None)
    return sum(py.values()), sum(c.values()), py, c


NUMPY = "numpy (hand-written)"


def _instructions(case, steps):
    pick = ("import bench_core; s = bench_core.numpy_step_fn(bench_core.init_arrays())[0]"
            if case == NUMPY else f"import steps_cpu; s = steps_cpu.cases()[{case!r}]")
    code = (f"import sys, os; sys.path.insert(0, os.path.join(os.getcwd(), 'benchmarks'));"
            f"import _common; {pick}\nfor _ in range({steps}):\n    s()")   # (keep no result)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONHASHSEED="0"))
        m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
        if m is None:
            raise RuntimeError(r.stderr[-2000:])
        return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", type=int, default=15, help="functions listed per case")
    ap.add_argument("--case", action="append", help="only these cases (repeatable)")
    ap.add_argument("--instructions", action="store_true",
                    help="CPU instructions per step under callgrind (slow: ~1 min a case)")
    args = ap.parse_args()
    names = args.case or list(TINY)
    cases = _cases()
    print(f"tree: {os.getcwd()}")
    for name in names:
        py, c, per_py, per_c = count(cases[name])
        print(f"{name}:")
        print(f"  python calls  {py}")
        print(f"  C calls  {c}")
        for fn, n in per_py.most_common(args.list):
            print(f"      {n:4d}  {fn}")
    if args.instructions:
        print("instructions per step (callgrind, (Ir(2000 steps) - Ir(200)) / 1800):")
        per = {}
        for name in [NUMPY] + names:
            hi, lo = _instructions(name, 2000), _instructions(name, 200)
            per[name] = (hi - lo) / 1800
            ratio = "" if name == NUMPY else f"  ({per[name] / per[NUMPY]:.2f}x NumPy)"
            print(f"  {name}  {per[name]:.0f}{ratio}")


if __name__ == "__main__":
    main()
