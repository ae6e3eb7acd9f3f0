"""Greedy layer-wise pre-training: the one loop behind ``StackedAutoencoder.pretrain``
and ``DBN.pretrain`` (Hinton et al., 2006; Bengio et al., 2007).

Layer 1 is trained on the data, layer 2 on layer 1's codes, and so on; each layer gets
its own optimizer (``make_optimizer(params)``) and sees the data in a fresh random order
every epoch. The two families differ only in a layer's training step (its objective and
the loss it reports) and in how it encodes the data for the next layer, which they pass
in. The history is, per layer, the list of per-epoch mean reported losses.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad as mg
from minigrad.random import get_rng
from minigrad.utils.progress import progress_bar

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from minigrad._typing import TensorLike
    from minigrad.optim import Optimizer
    from minigrad.tensor import Tensor

    from .module import Module

Array = np.ndarray[Any, Any]


def data_matrix(x: TensorLike, n_features: int, who: str) -> Array:
    """``x`` (a Tensor or array-like) as a NumPy (N, n_features) matrix, checked."""
    data = np.asarray(x.data if isinstance(x, mg.Tensor) else x)
    if data.ndim != 2 or data.shape[1] != n_features or len(data) == 0:
        raise ValueError(f"{who}: expected data of shape (N, {n_features}) with N >= 1, "
                         f"got {data.shape}")
    return data


def _check_counts(epochs: int, batch_size: int, who: str) -> None:
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")


def greedy_pretrain(layers: Sequence[Module], data: Array,
                    make_optimizer: Callable[[list[Tensor]], Optimizer], *,
                    epochs: int, batch_size: int, progress: bool | None,
                    step: Callable[[Module, Array], tuple[Tensor, float]],
                    encode: Callable[[Module, Array], Array],
                    who: str) -> list[list[float]]:
    """Train ``layers`` one after another on ``data`` (N, features); returns the history.

    step(layer, batch) -> (objective to minimise, loss to report for that batch);
    encode(layer, data) -> the next layer's input (run under ``no_grad``, so the layers
    below the one training are frozen: they get no gradient and no optimizer).
    A progress bar per layer shows its epochs and the latest epoch's mean loss.
    """
    _check_counts(epochs, batch_size, who)
    rng = get_rng()
    history: list[list[float]] = []
    for index, layer in enumerate(layers):
        opt = make_optimizer(list(layer.parameters()))
        curve: list[float] = []
        bar = progress_bar(range(epochs), progress=progress, unit="epoch",
                           desc=f"{who} layer {index + 1}/{len(layers)}")
        for _ in bar:
            order = rng.permutation(len(data))
            total = 0.0
            for s in range(0, len(data), batch_size):
                batch = data[order[s:s + batch_size]]
                objective, loss = step(layer, batch)
                opt.zero_grad()
                objective.backward()
                opt.step()
                total += loss * len(batch)
            curve.append(total / len(data))
            bar.set_postfix(loss=f"{curve[-1]:.4f}")
        bar.close()
        history.append(curve)
        with mg.no_grad():
            data = encode(layer, data)
    return history
