"""The candidates for the row scatter-add (``minigrad/ops/scatter.py``), timed side by side.

    python benchmarks/scatter_cpu.py

``out[rows[r]] += g[r]`` for out (V, D), g (N, D): ``np.add.at``, ``np.bincount``
over flat element numbers, sorted segments (stable argsort + ``np.add.reduceat``),
a one-hot (V, N) product (small V*N only) and the Numba kernel
(``minigrad/kernels/scatter.py``); each includes the zeros of ``out``. Best of
5 rounds, CPU time, 1 thread, in us; the largest difference from ``np.add.at``
is printed beside each time. The size rule in ``ops/scatter.py`` quotes these.
"""
import _common  # noqa: F401  (first: pins BLAS to one thread)

import time

import numpy as np

from minigrad.kernels.scatter import scatter_add_rows

SIZES = [(65, 1120, 64), (65, 1120, 512), (96, 2048, 256), (96, 2048, 2048),
         (1000, 1120, 64), (10000, 1120, 64), (10000, 20000, 128), (50000, 2048, 256)]


def cpu_us(fn, calls):
    fn()
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - t0) / calls)
    return best * 1e6


def candidates(V, idx, g):
    dt, (N, D) = g.dtype, g.shape

    def add_at():
        out = np.zeros((V, D), dt)
        np.add.at(out, idx, g)
        return out

    def bincount():
        flat = (idx[:, None] * D + np.arange(D)).ravel()
        return np.bincount(flat, weights=g.ravel(), minlength=V * D).reshape(V, D).astype(dt)

    def reduceat():
        order = np.argsort(idx, kind="stable")
        s = idx[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        out = np.zeros((V, D), dt)
        out[s[starts]] = np.add.reduceat(g[order], starts, axis=0)
        return out

    def one_hot():
        M = np.zeros((V, N), dt)
        M[idx, np.arange(N)] = 1
        return M @ g

    def numba():
        out = np.zeros((V, D), dt)
        scatter_add_rows(out, idx, g)
        return out
    fns = {"add.at": add_at, "bincount": bincount, "reduceat": reduceat, "numba": numba}
    if V * N <= 4e7:
        fns["one-hot"] = one_hot
    return fns


def main():
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        for V, N, D in SIZES:
            idx = rng.integers(0, V, N)
            g = rng.standard_normal((N, D)).astype(dt)
            fns = candidates(V, idx, g)
            ref = fns["add.at"]()
            calls = 20 if N * D > 1e6 else 100
            row = "  ".join(f"{k} {cpu_us(f, calls):7.0f} ({np.abs(f() - ref).max():.0e})"
                            for k, f in fns.items())
            print(f"{dt.__name__:8s} V={V:5d} N={N:5d} D={D:4d}  {row}")


if __name__ == "__main__":
    main()
