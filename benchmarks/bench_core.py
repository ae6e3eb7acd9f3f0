"""Tiny-MLP training step: minigrad vs hand-written NumPy vs PyTorch (1 thread).

Run from the repository root:

    python benchmarks/bench_core.py

One step = forward + backward + SGD update of a 16-32-1 MLP with tanh on a
batch of 4, mean-squared-error loss, float32:

    h = tanh(x W1 + b1)      x (4, 16), W1 (16, 32), b1 (32,)
    y = h W2 + b2            W2 (32, 1), b2 (1,)
    L = mean((y - t)^2)      t (4, 1)

On tensors this small the time is almost all per-op Python overhead, which is
what this measures. Two ways of writing the step are timed in each framework:
with tensor ops (``tanh(x @ W1 + b1)``..., 8 recorded ops: the core's per-op
cost) and with modules (``nn.Linear``, ``nn.Tanh``, ``nn.MSELoss``; minigrad's
Linear and MSE are single fused ops, so the step records 4 nodes). All variants are timed in one run, side by side; the
ratios printed at the end are the figures quoted in README.md. Each variant's
time is its best round of 15 (rounds interleaved across variants, see
``_common.bench_many``), which keeps the ratios steady on a shared machine. Also reports
``import minigrad`` time (a fresh interpreter, best of 5).
"""
import _common  # noqa: F401  (pins BLAS to one thread; must come before numpy)

import subprocess
import sys

import numpy as np

import minigrad as mg

B, IN, HID, OUT, LR = 4, 16, 32, 1, 0.01


def init_arrays(seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    return dict(x=rng.standard_normal((B, IN)).astype(f),
                t=rng.standard_normal((B, OUT)).astype(f),
                W1=(rng.standard_normal((IN, HID)) / np.sqrt(IN)).astype(f),
                b1=np.zeros(HID, f),
                W2=(rng.standard_normal((HID, OUT)) / np.sqrt(HID)).astype(f),
                b2=np.zeros(OUT, f))


# ------------------------------------------------------------------ minigrad
def minigrad_step_fn(a):
    x, t = mg.tensor(a["x"]), mg.tensor(a["t"])
    params = [mg.tensor(a[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params
    opt = _sgd(params)

    def step():
        h = (x @ W1 + b1).tanh()
        y = h @ W2 + b2
        loss = ((y - t) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, params


def _sgd(params):
    """``optim.SGD`` when it exists, else the same update by hand."""
    SGD = getattr(mg.optim, "SGD", None)
    if SGD is not None:
        return SGD(params, lr=LR)

    class _HandSGD:
        def zero_grad(self):
            for p in params:
                p.grad = None

        def step(self):
            for p in params:
                p.data -= LR * p.grad
    return _HandSGD()


def minigrad_nn_step_fn(a):
    from minigrad import nn
    x, t = mg.tensor(a["x"]), mg.tensor(a["t"])
    model = nn.Sequential(nn.Linear(IN, HID), nn.Tanh(), nn.Linear(HID, OUT))
    _load_linear(model, a, lambda p, v: p.data.__setitem__(Ellipsis, v))
    loss_fn = nn.MSELoss()
    opt = mg.optim.SGD(model.parameters(), lr=LR)

    def step():
        loss = loss_fn(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, list(model.parameters())


def _load_linear(model, a, assign):
    """Copy W1, b1, W2, b2 into the two Linear layers (weight is (out, in))."""
    assign(model[0].weight, a["W1"].T)
    assign(model[0].bias, a["b1"])
    assign(model[2].weight, a["W2"].T)
    assign(model[2].bias, a["b2"])


# -------------------------------------------------------------------- NumPy
def numpy_step_fn(a):
    x, t = a["x"], a["t"]
    params = [a[k].copy() for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params

    def step():
        z = x @ W1 + b1
        h = np.tanh(z)
        y = h @ W2 + b2
        d = y - t
        loss = np.mean(d * d)
        gy = d * (2.0 / d.size)             # dL/dy
        gW2 = h.T @ gy
        gb2 = gy.sum(0)
        gz = (gy @ W2.T) * (1 - h * h)      # through tanh
        gW1 = x.T @ gz
        gb1 = gz.sum(0)
        for p, g in zip(params, (gW1, gb1, gW2, gb2)):
            p -= LR * g                     # in place: the arrays W1.. see it
        return loss
    return step, params


# ------------------------------------------------------------------ PyTorch
def torch_step_fn(torch, a):
    x, t = torch.from_numpy(a["x"]), torch.from_numpy(a["t"])
    params = [torch.tensor(a[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params
    opt = torch.optim.SGD(params, lr=LR)

    def step():
        h = torch.tanh(x @ W1 + b1)
        y = h @ W2 + b2
        loss = ((y - t) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, params


def torch_nn_step_fn(torch, a):
    nn = torch.nn
    x, t = torch.from_numpy(a["x"]), torch.from_numpy(a["t"])
    model = nn.Sequential(nn.Linear(IN, HID), nn.Tanh(), nn.Linear(HID, OUT))
    with torch.no_grad():
        _load_linear(model, a, lambda p, v: p.copy_(torch.from_numpy(v.copy())))
    loss_fn = nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        loss = loss_fn(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, list(model.parameters())


def import_time(repeat=5):
    """Best wall time of ``import minigrad`` in a fresh interpreter (seconds)."""
    code = "import time; t = time.perf_counter(); import minigrad; " \
           "print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                  text=True, check=True, cwd=_common._ROOT).stdout)
             for _ in range(repeat)]
    return min(times)


def main():
    a = init_arrays()
    torch = _common.try_torch()
    variants = [("numpy (hand-written)", numpy_step_fn(a)),
                ("minigrad", minigrad_step_fn(a)),
                ("minigrad nn", minigrad_nn_step_fn(a))]
    if torch is not None:
        variants += [("pytorch", torch_step_fn(torch, a)),
                     ("pytorch nn", torch_nn_step_fn(torch, a))]

    # same maths: after 50 steps from the same start all three agree
    finals = {}
    for name, (step, params) in variants:
        for _ in range(50):
            loss = step()
        finals[name] = loss.item()
    ref = finals["numpy (hand-written)"]
    for name, v in finals.items():
        assert abs(v - ref) <= 1e-4 * max(1.0, abs(ref)), f"{name} diverged: {finals}"

    print(_common.machine())
    opt = "optim.SGD" if getattr(mg.optim, "SGD", None) else "by-hand update"
    print(f"minigrad update: {opt}")
    best = _common.bench_many({name: step for name, (step, _) in variants})
    rows = list(best.items())
    _common.report(f"Tiny MLP training step (batch {B}, {IN}-{HID}-{OUT}, tanh, MSE, SGD)",
                   rows, baseline="numpy (hand-written)")
    t = dict(rows)
    print("\nratios (tensor ops | modules):")
    for ours in ("minigrad", "minigrad nn"):
        print(f"  {ours + ' / numpy':24s} = {t[ours] / t['numpy (hand-written)']:.2f}  "
              f"(target <= 3)")
    if "pytorch" in t:
        print(f"  {'minigrad / pytorch':24s} = {t['minigrad'] / t['pytorch']:.2f}  "
              f"(target <= 1)")
        print(f"  {'minigrad nn / pytorch nn':24s} = "
              f"{t['minigrad nn'] / t['pytorch nn']:.2f}  (target <= 1)")
    print(f"\nimport minigrad: {import_time() * 1e3:.0f} ms (best of 5, target < 500 ms)")


if __name__ == "__main__":
    main()
