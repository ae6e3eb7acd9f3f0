"""nn.RBM against scikit-learn's BernoulliRBM: held-out pseudo-log-likelihood and time per epoch.

Run from the repository root (scikit-learn is an optional dependency: the `examples` extra):

    python benchmarks/rbm_sklearn.py [--epochs 10] [--rounds 3]

Same data (scikit-learn's 8x8 digits scaled to [0, 1]; a fixed 1437/360 train/test
split), same hidden size, learning rate, batch size (scikit-learn's even batches, in
the same fixed order) and number of epochs, persistent CD with one Gibbs step in both,
float64 in both. minigrad trains with ``rbm.cd_loss(batch, persistent=True)``,
``backward()`` and ``optim.SGD`` — the update scikit-learn writes out by hand.

Pseudo-log-likelihood (PLL): scikit-learn's ``score_samples`` flips ONE random unit
per example, so a single evaluation is noisy. Reported, on the held-out digits, per
example: (1) each library's own one-flip estimate averaged over ``--evals`` draws, and
(2) the exact PLL (every unit flipped in turn, no noise) of both trained models,
computed by the same function (scikit-learn's weights loaded into an ``nn.RBM``).
Time: seconds per epoch of training, the two sides alternated over ``--rounds``
rounds (each round trains both from scratch), the best round kept. Targets: minigrad's
held-out PLL >= scikit-learn's, its time per epoch <= scikit-learn's.
"""
import _common  # noqa: F401  (pins BLAS to one thread; must come before numpy)

import argparse
import time

import numpy as np

import minigrad as mg
from minigrad import nn, optim


def digits_split(seed=0):
    from sklearn.datasets import load_digits
    x = load_digits().data / 16.0
    perm = np.random.default_rng(seed).permutation(len(x))
    return x[perm[:1437]], x[perm[1437:]]


def even_batches(n, batch_size):
    """scikit-learn's batches: ceil(n / batch_size) slices of (nearly) even size."""
    from sklearn.utils import gen_even_slices
    n_batches = int(np.ceil(n / batch_size))
    return list(gen_even_slices(n_batches * batch_size, n_batches, n_samples=n))


def train_sklearn(x, args, seed):
    from sklearn.neural_network import BernoulliRBM
    model = BernoulliRBM(n_components=args.hidden, learning_rate=args.lr,
                         batch_size=args.batch_size, n_iter=args.epochs, random_state=seed)
    t0 = time.perf_counter()
    model.fit(x)
    return model, (time.perf_counter() - t0) / args.epochs


def train_minigrad(x, args, seed):
    mg.set_default_dtype(mg.float64)
    mg.manual_seed(seed)
    rbm = nn.RBM(x.shape[1], args.hidden)
    opt = optim.SGD(rbm.parameters(), lr=args.lr)
    batches = even_batches(len(x), args.batch_size)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        for sl in batches:
            opt.zero_grad()
            rbm.cd_loss(x[sl], k=1, persistent=True).backward()
            opt.step()
    return rbm, (time.perf_counter() - t0) / args.epochs


def as_rbm(sk_model):
    """scikit-learn's trained weights in an nn.RBM (same parameterisation)."""
    rbm = nn.RBM(sk_model.components_.shape[1], sk_model.components_.shape[0])
    rbm.weight.data[:] = sk_model.components_
    rbm.visible_bias.data[:] = sk_model.intercept_visible_
    rbm.hidden_bias.data[:] = sk_model.intercept_hidden_
    return rbm


def one_flip_pll(model, x, evals):
    """Each library's own one-random-flip PLL estimate, averaged over ``evals`` draws."""
    if isinstance(model, nn.RBM):
        mg.set_default_dtype(mg.float64)
        return np.mean([model.pseudo_log_likelihood(x).mean() for _ in range(evals)])
    return np.mean([model.set_params(random_state=s).score_samples(x).mean()
                    for s in range(evals)])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--evals", type=int, default=20)
    args = p.parse_args()
    train, test = digits_split()
    names = ("minigrad", "scikit-learn")
    times, one_flip, exact = ({n: [] for n in names} for _ in range(3))
    for r in range(args.rounds):                 # round r: seed r for both, order alternated
        sides = [("scikit-learn", train_sklearn), ("minigrad", train_minigrad)]
        for name, fn in (sides if r % 2 == 0 else sides[::-1]):
            model, t = fn(train, args, seed=r)
            times[name].append(t)
            one_flip[name].append(one_flip_pll(model, test, args.evals))
            mg.set_default_dtype(mg.float64)
            rbm = model if name == "minigrad" else as_rbm(model)
            exact[name].append(rbm.pseudo_log_likelihood(test, all_units=True).mean())
    print(_common.machine())
    print(f"digits {train.shape[0]} train / {test.shape[0]} test, hidden {args.hidden}, "
          f"lr {args.lr}, batch {args.batch_size}, {args.epochs} epochs, PCD-1, float64; "
          f"held-out PLL per example, mean +- std over {args.rounds} seeds")
    print(f"{'':14s} {'s/epoch (best)':>15s} {'PLL one-flip':>16s} {'PLL exact':>16s}")
    for n in names:
        print(f"{n:14s} {min(times[n]):15.4f} {np.mean(one_flip[n]):9.3f} +- "
              f"{np.std(one_flip[n]):4.2f} {np.mean(exact[n]):9.3f} +- {np.std(exact[n]):4.2f}")
    ratio = min(times["minigrad"]) / min(times["scikit-learn"])
    diff = np.mean(exact["minigrad"]) - np.mean(exact["scikit-learn"])
    print(f"time ratio minigrad / scikit-learn: {ratio:.2f} (target <= 1); exact PLL "
          f"difference minigrad - scikit-learn: {diff:+.3f} (target >= 0)")


if __name__ == "__main__":
    main()
