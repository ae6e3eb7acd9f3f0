"""Greedy layer-wise pre-training of a stacked tied autoencoder, then fine-tuning.

Run:  python examples/pretraining.py

Data: scikit-learn's bundled 8x8 digits when scikit-learn is installed (the
optional `examples` extra), otherwise a synthetic 64-pixel data set of noisy
stroke prototypes. Compares the same 64-32-16-10 network trained from random
init and from the pre-trained encoders, on a small labelled subset (where
pre-training helps most).
"""
import numpy as np

import minigrad as mg
from minigrad import nn, optim
import minigrad.nn.functional as F

SIZES = [64, 32, 16]     # encoder stack
LABELLED = 50            # labelled examples used for fine-tuning
PRETRAIN_EPOCHS = 15
FINETUNE_STEPS = 300
NOISE = 0.2              # masking noise: a denoising autoencoder

mg.manual_seed(0)
rng = np.random.default_rng(0)
try:
    from sklearn.datasets import load_digits
    digits = load_digits()
    X, y = digits.data / 16.0, digits.target
    source = "scikit-learn digits"
except ImportError:
    protos = rng.random((10, 64)) > 0.6
    y = rng.integers(0, 10, 1800)
    X = np.clip(protos[y] * 0.9 + rng.normal(0, 0.6, (1800, 64)), 0, 1)
    source = "synthetic prototypes (install scikit-learn for the digits)"
X = X.astype(np.float32)
perm = rng.permutation(len(X))
train, test = perm[:1400], perm[1400:]
print(f"data: {source}, {len(train)} train / {len(test)} test, {LABELLED} labelled")


def finetune(model):
    opt = optim.Adam(model.parameters(), lr=0.01)
    xs, ys = mg.tensor(X[train[:LABELLED]]), mg.tensor(y[train[:LABELLED]])
    for _ in range(FINETUNE_STEPS):
        loss = F.cross_entropy(model(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        pred = model(mg.tensor(X[test])).data.argmax(1)
    return (pred == y[test]).mean()


stack = nn.StackedAutoencoder(SIZES)
hist = stack.pretrain(X[train], lambda p: optim.Adam(p, lr=0.01), epochs=PRETRAIN_EPOCHS,
                      noise=NOISE)
for i, curve in enumerate(hist):
    print(f"layer {i}: reconstruction error {curve[0]:.3f} -> {curve[-1]:.3f}")
acc_pre = finetune(stack.classifier(10))
mg.manual_seed(0)
acc_rand = finetune(nn.StackedAutoencoder(SIZES).classifier(10))
print(f"test accuracy, random init:      {acc_rand:.3f}")
print(f"test accuracy, pre-trained init: {acc_pre:.3f}")
