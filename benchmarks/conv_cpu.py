"""Per-layer forward / backward times of bench_nn.py's CNN: minigrad vs PyTorch (1 thread).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/conv_cpu.py [--numpy]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/conv_cpu.py --shapes

Each layer of the CNN step (B=64, 1x28x28, Conv2d(1,8,3)-ReLU-MaxPool2d(2)-
Conv2d(8,16,3)-ReLU-MaxPool2d(2)-Flatten-Linear(400,10), float32) is timed on
its own, at the shape it sees in the network: the forward call, and the
backward pass of that one layer (the first convolution's input needs no gradient, as
in the network) (``y.backward(g, retain_graph=True)`` on the
layer's output, inputs and parameters requiring grad, as in training), for
minigrad and for PyTorch's same module. Times are CPU time
(``time.process_time``, not inflated while other processes hold the core),
the best of ``ROUNDS`` rounds of calls lasting about ``UNIT`` s, variants
interleaved, in microseconds. The last lines time the whole training step of bench_nn.py (minigrad, hand-written
NumPy, PyTorch; same builders, same weights) the same way, in CPU time.
``--numpy`` runs minigrad with
``mg.config.use_numba = False`` (the im2col / NumPy reference path).

``--shapes`` times the two paths of each op against each other at more sizes
(the figures behind the size rules in :mod:`minigrad.ops.conv` and
:mod:`minigrad.ops.pool`): conv2d forward + backward (input and weight
requiring grad) with the "im2col" reference layout and the "patches" Numba
layout, and max_pool2d forward + backward with the NumPy and the Numba
path, float32, in microseconds.

``cases()`` gives the same layers (minigrad only, forward + backward) for
``ab.py --interleave``.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))
import _common  # noqa: E402,F401  (pins BLAS to one thread; before numpy)
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402

ROUNDS, UNIT = 9, 0.05
B = 64


def layers(lib):
    """[(name, module factory, input shape)] of the CNN's layers, for ``lib`` (nn or torch.nn)."""
    return [("conv1 1->8 3x3 @28x28", lambda: lib.Conv2d(1, 8, 3), (B, 1, 28, 28)),
            ("relu1", lambda: lib.ReLU(), (B, 8, 26, 26)),
            ("pool1 2x2 @26x26", lambda: lib.MaxPool2d(2), (B, 8, 26, 26)),
            ("conv2 8->16 3x3 @13x13", lambda: lib.Conv2d(8, 16, 3), (B, 8, 13, 13)),
            ("relu2", lambda: lib.ReLU(), (B, 16, 11, 11)),
            ("pool2 2x2 @11x11", lambda: lib.MaxPool2d(2), (B, 16, 11, 11)),
            ("linear 400->10", lambda: lib.Linear(400, 10), (B, 400))]


def minigrad_pair(make, shape, rng, first=False):
    """(forward(), backward()) of a minigrad layer at ``shape`` (``first``: the input
    needs no gradient, as the network's first layer)."""
    m = make()
    x = mg.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=not first)
    y = m(x)
    g = rng.standard_normal(y.shape).astype(np.float32)
    return (lambda: m(x)), (lambda: y.backward(g, retain_graph=True))


def torch_pair(torch, make, shape, rng, first=False):
    m = make()
    x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32)).requires_grad_(not first)
    y = m(x)
    g = torch.from_numpy(rng.standard_normal(tuple(y.shape)).astype(np.float32))
    return (lambda: m(x)), (lambda: y.backward(g, retain_graph=True))


def best_cpu_us(fns):
    """{name: best CPU microseconds per call}, rounds interleaved over the variants."""
    calls = {}
    for name, fn in fns.items():
        for _ in range(3):
            fn()
        n = 1
        while True:
            t0 = time.process_time()
            for _ in range(n):
                fn()
            t = time.process_time() - t0
            if t >= UNIT / 4:
                break
            n *= 4
        calls[name] = max(1, int(n * UNIT / max(t, 1e-9)))
    best = {name: float("inf") for name in fns}
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            t0 = time.process_time()
            for _ in range(calls[name]):
                fn()
            best[name] = min(best[name], (time.process_time() - t0) / calls[name] * 1e6)
    return best


def cases():
    """{"<layer> fwd|bwd": call} of minigrad's layers, for ``ab.py --interleave``."""
    rng = np.random.default_rng(0)
    out = {}
    for name, make, shape in layers(nn):
        fwd, bwd = minigrad_pair(make, shape, rng, first=not out)
        out[f"{name} fwd"], out[f"{name} bwd"] = fwd, bwd
    return out


CONV_SHAPES = [  # (x shape, out channels, kernel, stride, padding)
    ((64, 1, 28, 28), 8, 3, 1, 0), ((64, 8, 13, 13), 16, 3, 1, 0),
    ((1, 3, 28, 28), 8, 3, 1, 0), ((32, 16, 32, 32), 32, 3, 1, 1),
    ((16, 64, 16, 16), 64, 3, 1, 1), ((4, 128, 8, 8), 128, 3, 1, 1),
    ((8, 3, 64, 64), 16, 5, 2, 2), ((2, 256, 14, 14), 256, 3, 1, 1)]
POOL_SHAPES = [((64, 8, 26, 26), 2, 2, 0), ((64, 16, 11, 11), 2, 2, 0),
               ((32, 32, 32, 32), 2, 2, 0), ((16, 64, 16, 16), 3, 2, 1), ((1, 3, 28, 28), 2, 2, 0)]


def _fwd_bwd(fn, *shapes, rng):
    ts = [mg.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
          for s in shapes]

    def run():
        fn(*ts).sum().backward()
    return run


def shapes_table():
    import minigrad.nn.functional as F
    from minigrad.ops import conv
    rng = np.random.default_rng(0)
    print("\nconv2d forward + backward, us      im2col    patches   patches/im2col")
    auto = conv.layout
    for xs, o, k, s, p in CONV_SHAPES:
        run = _fwd_bwd(lambda x, w, b: F.conv2d(x, w, b, s, p), xs, (o, xs[1], k, k), (o,),
                       rng=rng)

        def forced(name):
            def call():
                conv.layout = lambda *a: name
                try:
                    run()
                finally:
                    conv.layout = auto
            return call
        best = best_cpu_us({"im2col": forced("im2col"), "patches": forced("patches")})
        label = f"{'x'.join(map(str, xs))} -> {o}, {k}x{k} s{s} p{p}"
        print(f"  {label:32s} {best['im2col']:9.1f} {best['patches']:10.1f} "
              f"{best['patches'] / best['im2col']:8.2f}")
    print("\nmax_pool2d forward + backward, us    NumPy      Numba   Numba/NumPy")
    for xs, k, s, p in POOL_SHAPES:
        run = _fwd_bwd(lambda x: F.max_pool2d(x, k, s, p), xs, rng=rng)

        def path(numba):
            def call():
                mg.config.use_numba = numba
                try:
                    run()
                finally:
                    mg.config.use_numba = True
            return call
        best = best_cpu_us({"numpy": path(False), "numba": path(True)})
        label = f"{'x'.join(map(str, xs))}, {k}x{k} s{s} p{p}"
        print(f"  {label:32s} {best['numpy']:9.1f} {best['numba']:10.1f} "
              f"{best['numba'] / best['numpy']:8.2f}")


def main():
    if "--shapes" in sys.argv:
        print(_common.machine())
        shapes_table()
        return
    if "--numpy" in sys.argv:
        mg.config.use_numba = False
    torch = _common.try_torch()
    print(_common.machine())
    print(f"minigrad path: {'NumPy (use_numba=False)' if not mg.config.use_numba else 'default'}")
    rng = np.random.default_rng(0)
    tl = layers(torch.nn) if torch is not None else None
    tot = {"mg": 0.0, "pt": 0.0}
    print(f"\n{'layer':26s} {'pass':4s} {'minigrad us':>12s} {'pytorch us':>11s} {'ratio':>6s}")
    for i, (name, make, shape) in enumerate(layers(nn)):
        mf, mb = minigrad_pair(make, shape, rng, first=i == 0)
        fns = {"mg fwd": mf, "mg bwd": mb}
        if tl is not None:
            tf, tb = torch_pair(torch, tl[i][1], shape, rng, first=i == 0)
            fns.update({"pt fwd": tf, "pt bwd": tb})
        best = best_cpu_us(fns)
        for p in ("fwd", "bwd"):
            m, t = best[f"mg {p}"], best.get(f"pt {p}", float("nan"))
            tot["mg"] += m
            tot["pt"] += t
            print(f"  {name:24s} {p:4s} {m:12.1f} {t:11.1f} {m / t:6.2f}")
    print(f"  {'sum of layers':24s} {'':4s} {tot['mg']:12.1f} {tot['pt']:11.1f} "
          f"{tot['mg'] / tot['pt']:6.2f}")
    import bench_nn as bn
    x, t = bn._data(np.random.default_rng(0), (B, 1, 28, 28), 10, B)
    step, weights = bn.cnn_minigrad(x, t)
    steps = {"minigrad": step, "numpy (hand-written)": bn.cnn_numpy(x, t, weights)}
    if torch is not None:
        steps["pytorch"] = bn.torch_step(torch, bn.torch_models(torch)[1], weights, x, t)
    best = best_cpu_us(steps)
    print("\nCNN training step (bench_nn.py), CPU us")
    for name, us in best.items():
        ratio = f"  minigrad/this = {best['minigrad'] / us:.2f}" if name != "minigrad" else ""
        print(f"  {name:24s} {us:10.1f}{ratio}")


if __name__ == "__main__":
    main()
