"""Early stopping: stop training when a validation metric stops improving."""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Literal, SupportsFloat

import numpy as np

from .optimizer import as_metric

if TYPE_CHECKING:
    from typing import TypeVar

    from minigrad._typing import Array
    from minigrad.nn.module import Module

    _M = TypeVar("_M", bound=Module)


class EarlyStopping:
    r"""Stop training once the validation metric has not improved for ``patience``
    epochs, and (optionally) go back to the weights of the best epoch.

    Early stopping is a *regulariser*: the number of training steps bounds how
    far the weights can travel from their initialisation. For a quadratic
    loss and gradient descent with rate :math:`\epsilon` stopped after
    :math:`\tau` steps it behaves like L2 weight decay with
    :math:`\lambda \approx 1 / (\tau \epsilon)` (Goodfellow, Bengio & Courville,
    2016, *Deep Learning*, section 7.8; Bishop, 1995). Unlike a weight-decay
    coefficient, the amount of regularisation is chosen automatically, by
    watching held-out data; the training-set loss must not be used. See
    Prechelt (1998), "Early stopping — but when?" for the stopping criteria.

    An epoch *improves* when (``mode='min'``, e.g. a loss)
    ``metric < best - min_delta``, or (``mode='max'``, e.g. an accuracy)
    ``metric > best + min_delta``. A NaN never improves.

    Args:
        patience: epochs without improvement after which ``step`` returns True.
        min_delta: smallest change that counts as an improvement (>= 0).
        mode: ``'min'`` or ``'max'``.
        restore_best: keep a copy of ``model.state_dict()`` at the best epoch and
            load it back into the model when stopping.

    Example::

        stopper = optim.EarlyStopping(patience=5)
        for epoch in range(1000):
            train_one_epoch(model, opt)
            if stopper.step(validation_loss(model), model):
                break                    # model now holds the best epoch's weights
    """

    def __init__(self, patience: int, min_delta: float = 0.0,
                 mode: Literal["min", "max"] = "min", restore_best: bool = True) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, numbers.Integral)) \
                or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, "
                             f"got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (float, numbers.Real)) \
                or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, "
                             f"got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best = bool(restore_best)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: int | None = None      # index (0-based) of the best step() call
        self.best_state: dict[str, Array] | None = None  # model.state_dict() at that epoch
        self.num_bad_epochs = 0
        self.epoch = 0                  # number of step() calls so far
        self.stopped = False

    def is_improvement(self, metric: float) -> bool:
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric: SupportsFloat, model: Module | None = None) -> bool:
        """Record this epoch's validation ``metric``; return True when training should stop:
        at an epoch that does not improve, once ``patience`` epochs in a row have not
        (so ``patience=0`` stops at the first epoch without improvement).

        With ``restore_best`` and a ``model``, the model's state dict is copied
        at every improvement and loaded back when True is returned.
        """
        metric = as_metric("EarlyStopping.step", metric)
        if model is not None and not callable(getattr(model, "state_dict", None)):
            raise TypeError(f"EarlyStopping.step: model must be a Module (with state_dict()) "
                            f"or None, got {type(model).__name__}")
        if not math.isnan(metric) and self.is_improvement(metric):
            if self.restore_best and model is not None:
                self.best_state = {k: np.array(v, copy=True)
                                   for k, v in model.state_dict().items()}
            self.epoch += 1
            self.best = metric
            self.best_epoch = self.epoch - 1
            self.num_bad_epochs = 0
            self.stopped = False
            return False
        stopped = self.num_bad_epochs + 1 >= self.patience
        if stopped and self.restore_best and model is not None:
            self.restore(model)                  # (may refuse the model: nothing counted yet)
        self.epoch += 1
        self.num_bad_epochs += 1
        self.stopped = stopped
        return self.stopped

    def restore(self, model: _M) -> _M:
        """Load the best epoch's weights into ``model`` (no-op before any improvement)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
        return model

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"mode={self.mode!r}, best={self.best}, best_epoch={self.best_epoch}, "
                f"num_bad_epochs={self.num_bad_epochs})")
