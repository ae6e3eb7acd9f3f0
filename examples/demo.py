"""Train a small MLP to separate three interleaved spirals, with nothing but minigrad.

Run from the repository root (after ``pip install .``):

    python examples/demo.py

A 2-64-64-3 network (tanh, then ReLU) learns a 2-D, three-class problem that a
linear model cannot solve (a linear classifier gets ~35-50%): points on three
noisy spiral arms. It trains with minibatch Adam, a cosine learning-rate
schedule and cross-entropy, printing loss and accuracy as it goes, then the
held-out accuracy and a coarse picture of the decision regions it learned.
Takes ~10-20 s on one CPU core.
"""
import time

import numpy as np

import minigrad as mg
from minigrad import nn, optim

# -------------------------------------------------------------- settings
SEED = 0
POINTS_PER_ARM = 400        # training points per class (as many again for testing)
ARMS = 3                    # classes
NOISE = 0.2                 # std of the noise added to every point
TURNS = 2.0                 # how many times each arm winds around the centre
HIDDEN = 64
EPOCHS = 600
BATCH = 64
LR = 0.01
PRINT_EVERY = 50            # epochs


def spirals(n, arms, noise, turns, rng):
    """``arms`` interleaved spiral arms of ``n`` noisy points each: x (arms*n, 2), y (arms*n,)."""
    r = np.sqrt(rng.uniform(0.05, 1.0, (arms, n)))          # denser near the centre
    angle = r * turns * 2 * np.pi + np.arange(arms)[:, None] * 2 * np.pi / arms
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=-1) * 3
    x = x + noise * rng.standard_normal(x.shape) * r[..., None]
    y = np.repeat(np.arange(arms), n)
    return x.reshape(-1, 2).astype(np.float32), y


def accuracy(model, x, y):
    with mg.no_grad():
        return float((model(mg.tensor(x)).data.argmax(axis=1) == y).mean())


# ------------------------------------------------------------------ data
mg.manual_seed(SEED)
rng = np.random.default_rng(SEED)
x_train, y_train = spirals(POINTS_PER_ARM, ARMS, NOISE, TURNS, rng)
x_test, y_test = spirals(POINTS_PER_ARM, ARMS, NOISE, TURNS, rng)

# ----------------------------------------------------------------- model
model = nn.Sequential(
    nn.Linear(2, HIDDEN), nn.Tanh(),
    nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
    nn.Linear(HIDDEN, ARMS),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=LR)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
print(f"three spirals: {len(x_train)} training and {len(x_test)} test points; "
      f"MLP 2-{HIDDEN}-{HIDDEN}-{ARMS}, "
      f"{sum(p.numel() for p in model.parameters())} parameters")

# -------------------------------------------------------------- training
start = time.perf_counter()
for epoch in range(1, EPOCHS + 1):
    model.train()
    order = rng.permutation(len(x_train))
    total = 0.0
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        logits = model(mg.tensor(x_train[idx]))
        loss = loss_fn(logits, mg.tensor(y_train[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    scheduler.step()
    if epoch % PRINT_EVERY == 0 or epoch == 1:
        model.eval()
        print(f"epoch {epoch:4d}  loss {total / len(x_train):.4f}  "
              f"train acc {accuracy(model, x_train, y_train):6.1%}  "
              f"test acc {accuracy(model, x_test, y_test):6.1%}  "
              f"lr {optimizer.param_groups[0]['lr']:.5f}  "
              f"{time.perf_counter() - start:5.1f} s")

# ---------------------------------------------------------------- result
model.eval()
test_acc = accuracy(model, x_test, y_test)
print(f"\nfinal test accuracy: {test_acc:.1%} "
      f"(chance {1 / ARMS:.0%}) after {time.perf_counter() - start:.1f} s")

# the decision regions on a coarse grid, one character per cell (class 0, 1, 2)
xs = np.linspace(-3.5, 3.5, 56)
ys = np.linspace(3.5, -3.5, 22)
grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(np.float32)
with mg.no_grad():
    cls = model(mg.tensor(grid)).data.argmax(axis=1).reshape(len(ys), len(xs))
print("\ndecision regions learned (., o, #  =  class 0, 1, 2):")
for row in cls:
    print("  " + "".join(".o#"[c] for c in row))
