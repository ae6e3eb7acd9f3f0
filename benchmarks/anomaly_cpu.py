"""Anomaly mode's cost: each step of ``steps_cpu.py`` with ``mg.detect_anomaly()`` off and on.

    python benchmarks/anomaly_cpu.py [--rounds 7] [--min-time 0.2]

Run from the repository root. Each case (the tiny steps, the MLP step, the CNN step)
is timed off and on in one run, the two sides' rounds interleaved and the best
round of each kept (``_common.bench_many``), and the ratio on / off printed.
Target: at most 2x on the MLP step. When off, anomaly mode installs no hook, so the
"off" figure is minigrad without the feature.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402  (pins BLAS to one thread; before numpy)
import steps_cpu  # noqa: E402

import minigrad as mg  # noqa: E402


def _on(step):
    def stepped():
        with mg.detect_anomaly():
            return step()
    return stepped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.2)
    args = ap.parse_args(argv)
    print(_common.machine())
    ratios = {}
    for name, step in steps_cpu.cases().items():
        t = _common.bench_many({"off": step, "on": _on(step)}, min_time=args.min_time,
                               repeat=args.rounds)
        _common.report(name, [("off", t["off"]), ("on", t["on"])], baseline="off")
        ratios[name] = t["on"] / t["off"]
    print("\non / off:", ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    return ratios


if __name__ == "__main__":
    main()
