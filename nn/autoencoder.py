"""Tied-weight autoencoders and greedy layer-wise pre-training.

A tied autoencoder uses ONE weight matrix twice (parameter tying)::

    h     = act(x W^T + b_enc)          x: (N, in),  W: (hidden, in),  h: (N, hidden)
    x_hat = out_act(h W + b_dec)        x_hat: (N, in)

so the gradient of ``W`` is the sum of its encoder and decoder uses, and the
model owns exactly ``weight``, ``bias_enc`` and ``bias_dec``.

Greedy layer-wise pre-training (Bengio et al., 2007; Vincent et al., 2008)
trains a stack of such autoencoders one layer at a time, each on the codes of
the layers below it, with optional regularisers that make the codes useful:

* denoising: reconstruct the clean input from a corrupted one (masking noise);
* sparse: a KL penalty pulling each unit's mean activation towards ``rho``
  (for sigmoid codes): ``beta * sum_j KL(rho || mean_n h_nj)``;
* contractive (Rifai et al., 2011): ``lam * ||dh/dx||_F^2`` per example, which for
  sigmoid codes is ``sum_j (h_j (1 - h_j))^2 sum_i W_ji^2``.

The pre-trained encoders then initialise a deep network that is fine-tuned end
to end on the supervised task (:meth:`StackedAutoencoder.classifier`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

import minigrad as mg
from minigrad.random import get_rng

from . import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module
from .parameter import Parameter
from .pretraining import data_matrix, greedy_pretrain

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Literal

    from minigrad._typing import TensorLike
    from minigrad.optim import Optimizer
    from minigrad.tensor import Tensor

    #: the nonlinearities an autoencoder can be given by name (None: the identity)
    ActivationName = Literal["sigmoid", "tanh", "relu", "identity"] | None

_ACTIVATIONS: dict[str | None, Callable[[Tensor], Tensor] | None] = {
    "sigmoid": mg.sigmoid,
    "tanh": mg.tanh,
    "relu": mg.relu,
    None: None,
    "identity": None,
}


def _activation(name: str | None, what: str) -> Callable[[Tensor], Tensor] | None:
    if name not in _ACTIVATIONS:
        raise ValueError(f"TiedAutoencoder: {what} must be one of "
                         f"{sorted(k for k in _ACTIVATIONS if k)} or None, got {name!r}")
    return _ACTIVATIONS[name]


class _Act(Module):
    """An activation chosen by name (so an encoder stack is a plain Sequential)."""

    def __init__(self, name: ActivationName) -> None:
        super().__init__()
        self.name = name
        self.fn = _activation(name, "activation")

    def forward(self, x: Tensor) -> Tensor:
        return x if self.fn is None else self.fn(x)

    def extra_repr(self) -> str:
        return repr(self.name)


class _Encoder(Module):
    """``act(x W^T + b)`` sharing ``W`` and ``b`` with a TiedAutoencoder."""

    def __init__(self, weight: Parameter, bias: Parameter,
                 activation: ActivationName) -> None:
        super().__init__()
        self.weight, self.bias = weight, bias
        self.act = _Act(activation)

    def forward(self, x: Tensor) -> Tensor:
        F.check_input(self, x, ndims=(2,))
        F.check_input(self, x, axis=1, size=self.weight.shape[1])
        return self.act(x @ self.weight.T + self.bias)

    def extra_repr(self) -> str:
        h, i = self.weight.shape
        return f"in_features={i}, out_features={h}"


class TiedAutoencoder(Module):
    """Autoencoder whose decoder uses the transpose of the encoder's weight.

    Args:
        in_features, hidden_features: sizes of x and of the code h.
        activation: code nonlinearity ('sigmoid', 'tanh', 'relu' or None).
        out_activation: reconstruction nonlinearity (None means identity).
    Shapes: x (N, in_features) -> forward(x) (N, in_features); encode(x) (N, hidden).
    Init: weight uniform in +-1/sqrt(in_features), as ``nn.Linear``; biases zero.
    """

    def __init__(self, in_features: int, hidden_features: int,
                 activation: ActivationName = "sigmoid",
                 out_activation: ActivationName = "sigmoid") -> None:
        super().__init__()
        if in_features <= 0 or hidden_features <= 0:
            raise ValueError(f"TiedAutoencoder: sizes must be positive, got "
                             f"in_features={in_features}, hidden_features={hidden_features}")
        self.in_features, self.hidden_features = in_features, hidden_features
        self.activation, self.out_activation = activation, out_activation
        self._act = _activation(activation, "activation")
        self._out_act = _activation(out_activation, "out_activation")
        bound = 1.0 / math.sqrt(in_features)
        dt = mg.get_default_dtype()
        self.weight = Parameter(get_rng().uniform(-bound, bound, (hidden_features, in_features)
                                                  ).astype(dt))
        self.bias_enc = Parameter(np.zeros(hidden_features, dt))
        self.bias_dec = Parameter(np.zeros(in_features, dt))

    def _check(self, x: Tensor, n: int, what: str) -> None:
        F.check_input(f"TiedAutoencoder.{what}", x)
        if x.ndim != 2 or x.shape[1] != n:
            raise ValueError(f"TiedAutoencoder.{what}: expected input of shape (N, {n}), "
                             f"got {tuple(x.shape)}")

    def encode(self, x: Tensor) -> Tensor:
        """h = act(x W^T + b_enc): (N, in) -> (N, hidden)."""
        self._check(x, self.in_features, "encode")
        z = x @ self.weight.T + self.bias_enc
        return z if self._act is None else self._act(z)

    def decode(self, h: Tensor) -> Tensor:
        """x_hat = out_act(h W + b_dec): (N, hidden) -> (N, in)."""
        self._check(h, self.hidden_features, "decode")
        z = h @ self.weight + self.bias_dec
        return z if self._out_act is None else self._out_act(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def encoder(self) -> Module:
        """A module computing ``encode`` that shares this autoencoder's parameters."""
        return _Encoder(self.weight, self.bias_enc, self.activation)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, hidden_features={self.hidden_features}, "
                f"activation={self.activation!r}, out_activation={self.out_activation!r}")


def sparsity_penalty(h: Tensor, rho: float = 0.05) -> Tensor:
    """sum_j KL(rho || rho_hat_j) with rho_hat_j = mean_n h_nj (codes in (0, 1))."""
    rho_hat = mg.clip(h.mean(axis=0), 1e-6, 1 - 1e-6)
    return (rho * mg.log(rho / rho_hat) + (1 - rho) * mg.log((1 - rho) / (1 - rho_hat))).sum()


def contractive_penalty(h: Tensor, weight: Tensor) -> Tensor:
    """Mean over examples of ||dh/dx||_F^2 for sigmoid codes h = sigmoid(x W^T + b).

    dh_j/dx_i = h_j (1 - h_j) W_ji, so ||J||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ji^2.
    """
    d = h * (1 - h)
    return ((d * d) * (weight * weight).sum(axis=1)).sum(axis=1).mean()


class StackedAutoencoder(Module):
    """A stack of tied autoencoders ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    ``pretrain`` trains them greedily, one layer at a time; ``encoder()`` is the
    pre-trained stack as a Sequential (sharing parameters); ``classifier(n)``
    appends a Linear head for supervised fine-tuning of the whole stack.
    """

    def __init__(self, sizes: Iterable[int], activation: ActivationName = "sigmoid") -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"StackedAutoencoder: need at least two sizes, got {sizes}")
        self.sizes = sizes
        self.layers = ModuleList(
            TiedAutoencoder(a, b, activation=activation,
                            out_activation="sigmoid" if i == 0 else activation)
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])))

    def forward(self, x: Tensor) -> Tensor:
        return self.encoder()(x)

    def encoder(self) -> Sequential:
        return Sequential(*[ae.encoder() for ae in self.layers])

    def pretrain(self, x: TensorLike, make_optimizer: Callable[[list[Tensor]], Optimizer],
                 epochs: int = 10, batch_size: int = 64, noise: float = 0.0,
                 sparsity: float = 0.0, rho: float = 0.05, contractive: float = 0.0,
                 progress: bool | None = True) -> list[list[float]]:
        """Greedy layer-wise pre-training on data ``x`` (N, sizes[0]).

        make_optimizer: ``params -> optimizer`` (e.g. ``lambda p: optim.Adam(p, 1e-2)``).
        noise: masking-noise probability (denoising autoencoder); sparsity: weight
        beta of the KL sparsity penalty towards mean activation ``rho``;
        contractive: weight lambda of the contractive penalty. progress: a bar per
        layer (epochs, loss); ``None``: only when stderr is a terminal.
        Returns a list (per layer) of lists of per-epoch mean reconstruction losses
        (squared error summed over features, averaged over examples; penalties excluded).
        The loop is :func:`minigrad.nn.pretraining.greedy_pretrain`, shared with ``DBN``.
        """
        data = data_matrix(x, self.sizes[0], "StackedAutoencoder.pretrain")
        if not 0 <= noise < 1:
            raise ValueError(f"StackedAutoencoder.pretrain: noise must be in [0, 1), got {noise}")
        rng = get_rng()

        def step(ae: Module, batch: np.ndarray) -> tuple[Tensor, float]:
            assert isinstance(ae, TiedAutoencoder)
            clean = mg.tensor(batch)
            corrupted = clean if noise == 0 else \
                mg.tensor(batch * (rng.random(batch.shape) >= noise))
            h = ae.encode(corrupted)
            loss = ((ae.decode(h) - clean) ** 2).sum(axis=1).mean()
            objective = loss
            if sparsity:
                objective = objective + sparsity * sparsity_penalty(h, rho)
            if contractive:
                objective = objective + contractive * contractive_penalty(h, ae.weight)
            return objective, loss.item()

        def encode(ae: Module, d: np.ndarray) -> np.ndarray:
            assert isinstance(ae, TiedAutoencoder)
            return ae.encode(mg.tensor(d)).data

        return greedy_pretrain(list(self.layers), data, make_optimizer, epochs=epochs,
                               batch_size=batch_size, progress=progress, step=step,
                               encode=encode, who="StackedAutoencoder.pretrain")

    def classifier(self, num_classes: int) -> Sequential:
        """The pre-trained encoder stack followed by a new ``Linear(sizes[-1], num_classes)``."""
        return Sequential(*[ae.encoder() for ae in self.layers],
                          Linear(self.sizes[-1], num_classes))
