"""Deep belief networks: RBMs stacked greedily, then fine-tuned as a sigmoid network.

A DBN over ``sizes = [n_0, n_1, ..., n_L]`` is a stack of RBMs ``n_0 -> n_1``, ``n_1 ->
n_2``, ... (Hinton, Osindero & Teh, 2006). ``pretrain`` trains RBM 1 on the data, RBM 2
on RBM 1's hidden probabilities, and so on, the lower RBMs frozen: each added RBM
improves a variational bound on the data's log-likelihood. Then either

* ``classifier(num_classes)``: the up pass as a feed-forward network
  ``sigmoid(x W_1^T + b_h1) -> ... -> Linear(n_L, num_classes)`` whose layers ARE the
  RBMs' ``weight`` and ``hidden_bias`` Parameters, for supervised fine-tuning; or
* ``sample(n)``: generation, Gibbs sampling in the top RBM (the undirected associative
  memory) followed by one top-down pass through the directed lower layers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import minigrad as mg
from minigrad.random import get_rng

from .activation import Sigmoid
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module
from .pretraining import data_matrix, greedy_pretrain
from .rbm import RBM

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from minigrad._typing import TensorLike
    from minigrad.optim import Optimizer
    from minigrad.tensor import Tensor

    from .rbm import VisibleKind


class DBN(Module):
    """A deep belief network: RBMs ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Args:
        sizes: at least two layer sizes, the first the number of input features.
        visible: the first RBM's visible units (``'bernoulli'`` or ``'gaussian'``);
            every higher RBM has Bernoulli visible units (the hidden units below).
    Attributes: ``rbms`` (a ModuleList). Calling the module gives the top layer's
    hidden probabilities (the up pass), (N, sizes[0]) -> (N, sizes[-1]).

    >>> dbn = nn.DBN([64, 32, 16])
    >>> hist = dbn.pretrain(mg.rand(100, 64), lambda p: optim.SGD(p, lr=0.1), epochs=2,
    ...                     progress=False)
    >>> clf = dbn.classifier(10)           # fine-tune clf on labels
    """

    def __init__(self, sizes: Iterable[int], visible: VisibleKind = "bernoulli") -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"DBN: need at least two sizes, got {sizes}")
        self.sizes = sizes
        self.rbms = ModuleList(RBM(a, b, visible=visible if i == 0 else "bernoulli")
                               for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])))

    def rbm(self, index: int) -> RBM:
        """The RBM at ``index`` in the stack (``self.rbms[index]``, typed)."""
        rbm = self.rbms[index]
        assert isinstance(rbm, RBM)
        return rbm

    def forward(self, x: TensorLike) -> Tensor:
        out = mg.tensor(data_matrix(x, self.sizes[0], "DBN.forward"))
        for rbm in self.rbms:
            out = rbm.hidden_probs(out)
        return out

    def pretrain(self, x: TensorLike, make_optimizer: Callable[[list[Tensor]], Optimizer],
                 epochs: int = 10, batch_size: int = 64, k: int = 1, persistent: bool = False,
                 progress: bool | None = True) -> list[list[float]]:
        """Greedy layer-wise training of the RBMs by CD-k (or PCD) on data ``x`` (N, sizes[0]).

        make_optimizer: ``params -> optimizer`` for each RBM in turn (e.g.
        ``lambda p: optim.SGD(p, lr=0.05)``). RBM i+1 trains on RBM i's hidden
        probabilities, RBMs below it frozen. progress: a bar per layer (epochs, loss).
        Returns, per RBM, the list of per-epoch mean reconstruction errors (mean squared
        error of one up-down pass on each batch, before its update). The loop is
        :func:`minigrad.nn.pretraining.greedy_pretrain`, shared with ``StackedAutoencoder``.
        """
        data = data_matrix(x, self.sizes[0], "DBN.pretrain")
        data = self.rbm(0)._visible_array(data, "DBN.pretrain")
        RBM._check_k(k, "DBN.pretrain")

        def step(rbm: Module, batch: np.ndarray) -> tuple[Tensor, float]:
            assert isinstance(rbm, RBM)
            return (rbm.cd_loss(batch, k=k, persistent=persistent),
                    rbm.reconstruction_error(batch))

        def encode(rbm: Module, d: np.ndarray) -> np.ndarray:
            assert isinstance(rbm, RBM)
            return rbm.hidden_probs(d).data

        return greedy_pretrain(list(self.rbms), data, make_optimizer, epochs=epochs,
                               batch_size=batch_size, progress=progress, step=step,
                               encode=encode, who="DBN.pretrain")

    def classifier(self, num_classes: int) -> Sequential:
        """``Linear + Sigmoid`` per RBM (sharing its ``weight`` and ``hidden_bias``
        Parameters: fine-tuning the classifier changes the RBMs) then a new
        ``Linear(sizes[-1], num_classes)`` giving logits: (N, sizes[0]) -> (N, num_classes)."""
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"DBN.classifier: num_classes must be a positive integer, "
                             f"got {num_classes!r}")
        layers: list[Module] = []
        for rbm in self.rbms:
            lin = Linear(rbm.n_visible, rbm.n_hidden)
            lin.weight, lin.bias = rbm.weight, rbm.hidden_bias
            layers += [lin, Sigmoid()]
        return Sequential(*layers, Linear(self.sizes[-1], int(num_classes)))

    def sample(self, n: int, gibbs_steps: int = 1000) -> Tensor:
        """``n`` samples of the visible layer, (n, sizes[0]): ``gibbs_steps`` steps of block
        Gibbs sampling in the top RBM from a random state, then one down pass (sampled
        binary states through the intermediate layers). The bottom layer is returned as
        its conditional means ``E[v | h]`` (probabilities in [0, 1] for Bernoulli units),
        the usual way to show a DBN's samples; reproducible under ``mg.manual_seed``."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"DBN.sample: n must be a positive integer, got {n!r}")
        if not isinstance(gibbs_steps, (int, np.integer)) or gibbs_steps < 1:
            raise ValueError(f"DBN.sample: gibbs_steps must be a positive integer, "
                             f"got {gibbs_steps!r}")
        top = self.rbm(-1)
        rng = get_rng()
        dt = top.weight.dtype
        v = (rng.standard_normal((n, top.n_visible)) if top.visible == "gaussian"
             else (rng.random((n, top.n_visible)) < 0.5)).astype(dt)
        h = top._draw_h(v)
        for _ in range(int(gibbs_steps) - 1):
            h = top._draw_h(top._draw_v(h))
        for i in range(len(self.rbms) - 1, 0, -1):
            h = self.rbm(i)._draw_v(h)
        return mg.tensor(self.rbm(0)._v_mean(h))

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
