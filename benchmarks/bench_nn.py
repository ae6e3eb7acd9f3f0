"""MLP and small-CNN training steps: minigrad vs hand-written NumPy vs PyTorch (1 thread).

Run from the repository root:

    python benchmarks/bench_nn.py

One step = forward + cross-entropy loss + backward + SGD update (lr 0.01), float32:

* MLP: batch 256, 784-512-256-10, ReLU (``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``).
* CNN: batch 64 of 1x28x28, Conv2d(1,8,3)-ReLU-MaxPool2d(2)-Conv2d(8,16,3)-ReLU-
  MaxPool2d(2)-Flatten-Linear(400,10).

The NumPy variants are the same maths written out by hand (the MLP as plain
matrix products; the CNN with the same im2col layout as minigrad's reference
convolution path and the same running-max 2x2 pooling, specialised to this
network; minigrad itself runs its Numba patch and pooling kernels by default,
``MINIGRAD_NUMBA=0`` for the NumPy paths). All
variants start from the same weights and are checked to agree
after a few steps, then timed side by side in one run (rounds interleaved,
best round kept, see ``_common.bench_many``). Targets: MLP within 1.15x of
NumPy; CNN within 1.0x of PyTorch (issue 16; per layer: ``benchmarks/conv_cpu.py``).
"""
import _common  # (first: pins BLAS to one thread; must come before numpy)

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim

LR = 0.01
f32 = np.float32


def _data(rng, shape, classes, n):
    return rng.standard_normal(shape).astype(f32), rng.integers(0, classes, n)


# --------------------------------------------------------------------- MLP
def minigrad_step(model, x, t):
    """One training step of ``model`` on (x, t); also returns the initial weights."""
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = mg.tensor(x)

    step = _common.optimizer_step(opt, lambda: F.cross_entropy(model(xt), t))
    return step, [p.data.copy() for p in model.parameters()]


def mlp_minigrad(x, t):
    mg.manual_seed(0)
    return minigrad_step(nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256),
                                       nn.ReLU(), nn.Linear(256, 10)), x, t)


def _ce_grad(z, t):
    """Mean cross-entropy of logits z (B, C) and its gradient."""
    s = z - z.max(axis=1, keepdims=True)
    e = np.exp(s)
    se = e.sum(axis=1, keepdims=True)
    b = np.arange(len(t))
    loss = float(np.mean(np.log(se[:, 0]) - s[b, t]))
    g = e / se
    g[b, t] -= 1
    g *= 1.0 / len(t)
    return loss, g


def mlp_numpy(x, t, weights):
    W1, b1, W2, b2, W3, b3 = [w.copy() for w in weights]
    params = [W1, b1, W2, b2, W3, b3]

    def step():
        h1 = np.maximum(x @ W1.T + b1, 0)
        h2 = np.maximum(h1 @ W2.T + b2, 0)
        z = h2 @ W3.T + b3
        loss, g3 = _ce_grad(z, t)
        g2 = (g3 @ W3) * (h2 > 0)
        g1 = (g2 @ W2) * (h1 > 0)
        grads = (g1.T @ x, g1.sum(0), g2.T @ h1, g2.sum(0), g3.T @ h2, g3.sum(0))
        for p, g in zip(params, grads):
            p -= LR * g
        return loss
    return step


# --------------------------------------------------------------------- CNN
def cnn_minigrad(x, t):
    mg.manual_seed(0)
    return minigrad_step(nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Flatten(), nn.Linear(16 * 5 * 5, 10)), x, t)


def _conv_fwd(x, w, b):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ho, wo = h - k + 1, wd - k + 1
    # im2col, patch (c, p, q) as rows and position (n, i, j) as columns
    cols = sliding_window_view(x, (k, k), axis=(2, 3)).transpose(1, 4, 5, 0, 2, 3)
    cols = cols.reshape(c * k * k, n * ho * wo)
    y = w.reshape(o, -1) @ cols + b[:, None]
    return np.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)), cols


def _conv_bwd(g, cols, w, xshape):
    n, o, ho, wo = g.shape
    _, c, k, _ = w.shape
    gm = g.transpose(1, 0, 2, 3).reshape(o, -1)
    gw = (gm @ cols.T).reshape(w.shape)
    gcols = (w.reshape(o, -1).T @ gm).reshape(c, k, k, n, ho, wo)
    gx = np.zeros(xshape, g.dtype)
    for p in range(k):
        for q in range(k):
            gx[:, :, p:p + ho, q:q + wo] += gcols[:, p, q].transpose(1, 0, 2, 3)
    return gx, gw, g.sum(axis=(0, 2, 3))


def _pool_fwd(x):
    """2x2 max pooling, stride 2: a running max over the four window offsets."""
    h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    y = x[:, :, 0:h:2, 0:w:2].copy()
    arg = np.zeros(y.shape, np.int8)
    for k, (p, q) in enumerate([(0, 1), (1, 0), (1, 1)], start=1):
        v = x[:, :, p:h:2, q:w:2]
        arg[v > y] = k
        np.maximum(y, v, out=y)
    return y, arg


def _pool_bwd(g, arg, xshape):
    gx = np.zeros(xshape, g.dtype)
    h, w = xshape[2] // 2 * 2, xshape[3] // 2 * 2
    for k, (p, q) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        gx[:, :, p:h:2, q:w:2] = np.where(arg == k, g, 0)
    return gx


def cnn_numpy(x, t, weights):
    params = [w.copy() for w in weights]
    C1, c1, C2, c2, W, b = params

    def step():
        z1, cols1 = _conv_fwd(x, C1, c1)
        a1 = np.maximum(z1, 0)
        p1, m1 = _pool_fwd(a1)
        z2, cols2 = _conv_fwd(p1, C2, c2)
        a2 = np.maximum(z2, 0)
        p2, m2 = _pool_fwd(a2)
        f = p2.reshape(len(x), -1)
        loss, gz = _ce_grad(f @ W.T + b, t)
        gW, gb = gz.T @ f, gz.sum(0)
        gp2 = (gz @ W).reshape(p2.shape)
        ga2 = _pool_bwd(gp2, m2, a2.shape) * (a2 > 0)
        gp1, gC2, gc2 = _conv_bwd(ga2, cols2, C2, p1.shape)
        ga1 = _pool_bwd(gp1, m1, a1.shape) * (a1 > 0)
        _, gC1, gc1 = _conv_bwd(ga1, cols1, C1, x.shape)
        for p, g in zip(params, (gC1, gc1, gC2, gc2, gW, gb)):
            p -= LR * g
        return loss
    return step


# ----------------------------------------------------------------- PyTorch
def torch_step(torch, model, weights, x, t):
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)

    return _common.optimizer_step(opt, lambda: torch.nn.functional.cross_entropy(model(xt), tt))


def torch_models(torch):
    tn = torch.nn
    mlp = tn.Sequential(tn.Linear(784, 512), tn.ReLU(), tn.Linear(512, 256), tn.ReLU(),
                        tn.Linear(256, 10))
    cnn = tn.Sequential(tn.Conv2d(1, 8, 3), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(8, 16, 3),
                        tn.ReLU(), tn.MaxPool2d(2), tn.Flatten(), tn.Linear(400, 10))
    return mlp, cnn


def _agree(title, variants, steps=5):
    finals = {}
    for name, step in variants.items():
        for _ in range(steps):
            loss = step()
        finals[name] = loss
    ref = finals["numpy (hand-written)"]
    for name, v in finals.items():
        assert abs(v - ref) <= 1e-3 * max(1.0, abs(ref)), f"{title}: {name} diverged: {finals}"


def main():
    rng = np.random.default_rng(0)
    torch = _common.try_torch()
    print(_common.machine())
    results = {}
    for title, make, make_np, shape, tm in [
            ("MLP step (batch 256, 784-512-256-10, ReLU, cross-entropy, SGD)",
             mlp_minigrad, mlp_numpy, (256, 784), 0),
            ("CNN step (batch 64, 1x28x28, conv8-pool-conv16-pool-linear10, SGD)",
             cnn_minigrad, cnn_numpy, (64, 1, 28, 28), 1)]:
        x, t = _data(rng, shape, 10, shape[0])
        step, weights = make(x, t)
        variants = {"numpy (hand-written)": make_np(x, t, weights), "minigrad": step}
        if torch is not None:
            variants["pytorch"] = torch_step(torch, torch_models(torch)[tm], weights, x, t)
        _agree(title, variants)
        best = _common.bench_many(variants, min_time=0.3, repeat=15)
        _common.report(title, list(best.items()), baseline="numpy (hand-written)")
        results[title.split()[0]] = best
    print("\nratios:")
    m, c = results["MLP"], results["CNN"]
    print(f"  MLP minigrad / numpy   = {m['minigrad'] / m['numpy (hand-written)']:.2f}  "
          f"(target <= 1.15)")
    if "pytorch" in m:
        print(f"  MLP minigrad / pytorch = {m['minigrad'] / m['pytorch']:.2f}")
    print(f"  CNN minigrad / numpy   = {c['minigrad'] / c['numpy (hand-written)']:.2f}")
    if "pytorch" in c:
        print(f"  CNN minigrad / pytorch = {c['minigrad'] / c['pytorch']:.2f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
