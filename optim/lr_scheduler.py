r"""Learning-rate schedules, with PyTorch's semantics.

A scheduler owns nothing but a counter: it rewrites ``group["lr"]`` of its
optimizer's parameter groups each time ``step()`` is called (once per epoch,
*after* ``optimizer.step()``)::

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)
        sched.step()

Construction counts as epoch 0 and leaves the rate at its initial value
(``base_lr``, saved in each group as ``"initial_lr"``). As in PyTorch the
epoch-based schedules are *chainable*: each step multiplies the group's
current rate by a factor (the ratio of the closed form at ``t`` and ``t-1``),
so they compose with each other and with changes made by hand. Without such
changes they follow the closed forms given in each class, up to rounding.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal, SupportsFloat

from .optimizer import Optimizer


class LRScheduler:
    """Base of the schedules: the epoch counter, ``step``, ``get_last_lr`` and the
    state dict. A subclass writes ``get_lr()``: the new rate of every group at
    epoch ``self.last_epoch``, from the current rates."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self._attach(optimizer)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: resuming with last_epoch="
                                   f"{last_epoch} needs 'initial_lr' in param_groups[{i}] "
                                   f"(load the optimizer's state dict first)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial = True              # the constructor's step keeps the rates
        self.step()
        self._initial = False

    def _attach(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr()")

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one epoch and write the new rate into every parameter group."""
        self.last_epoch += 1
        lrs = self._current() if self._initial else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self) -> list[float]:
        """The rates (one per parameter group) set by the latest ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (save that with the optimizer's own state dict)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` taken from a scheduler of the same kind."""
        own = set(self.state_dict())
        given = set(state_dict)
        if own != given:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected keys "
                             f"{sorted(own)}, got {sorted(given)}")
        self.__dict__.update({k: (list(v) if isinstance(v, list) else v)
                              for k, v in state_dict.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, " \
               f"last_lr={self.get_last_lr()})"


def _check_positive_int(who: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")


def _check_number(who: str, name: str, value: object, low: float = 0.0) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not value >= low:  # type: ignore[operator]  # typeshed's Real has no >=
        raise ValueError(f"{who}: {name} must be a number >= {low}, got {value!r}")


class StepLR(LRScheduler):
    r"""Decay the rate by ``gamma`` every ``step_size`` epochs.

    .. math:: \eta_t = \eta_0 \, \gamma^{\lfloor t / \text{step\_size} \rfloor}

    >>> sched = StepLR(opt, step_size=30, gamma=0.1)   # 0.1 -> 0.01 at epoch 30 -> ...
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_positive_int("StepLR", "step_size", step_size)
        _check_number("StepLR", "gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class ExponentialLR(LRScheduler):
    r"""Decay the rate by ``gamma`` every epoch.

    .. math:: \eta_t = \eta_0 \, \gamma^t
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_number("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial rate down to ``eta_min`` over ``T_max``
    epochs (Loshchilov & Hutter, 2017, "SGDR: Stochastic gradient descent with
    warm restarts", without the restarts).

    .. math:: \eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})
              \left(1 + \cos\frac{\pi t}{T_{max}}\right)

    Past ``T_max`` the rate follows the same cosine back up (period ``2 T_max``),
    as in PyTorch. Chainable form, for ``t`` not just after a minimum:

    .. math:: \eta_t = \eta_{min} + (\eta_{t-1} - \eta_{min})
              \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t-1) / T_{max})}
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        _check_number("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            # just after a minimum, where the ratio below would be 0/0: step up
            # by the closed form's increment
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [lo + (lr - lo) * ratio for lr in self._current()]


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the rate by ``factor`` when a metric has stopped improving.

    ``step(metric)`` once per epoch (with e.g. the validation loss). An epoch is
    an improvement when (``mode='min'``; mirror image for ``'max'``)::

        rel:  metric < best * (1 - threshold)        abs:  metric < best - threshold

    After more than ``patience`` epochs without improvement each group's rate
    becomes ``max(lr * factor, min_lr)`` (unless that changes it by no more than
    ``eps``), then ``cooldown`` epochs pass in which bad epochs are not counted.

    Args:
        optimizer: the optimizer whose rates to reduce.
        mode: ``'min'`` (a loss) or ``'max'`` (an accuracy).
        factor: in [0, 1) (default 0.1).
        patience: bad epochs tolerated (default 10).
        threshold, threshold_mode: what counts as an improvement (1e-4, ``'rel'``).
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: a floor, one number or one per group (default 0).
        eps: smallest change of rate worth making (default 1e-8).
    """

    def __init__(self, optimizer: Optimizer, mode: Literal["min", "max"] = "min",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: Literal["rel", "abs"] = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0, eps: float = 1e-8) -> None:
        who = "ReduceLROnPlateau"
        self._attach(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"{who}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{who}: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        if isinstance(factor, bool) or not (isinstance(factor, (float, numbers.Real)) and 0 <= factor < 1):
            raise ValueError(f"{who}: factor must be in [0, 1), got {factor!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"{who}: patience must be an integer >= 0, got {patience!r}")
        if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
            raise ValueError(f"{who}: cooldown must be an integer >= 0, got {cooldown!r}")
        _check_number(who, "threshold", threshold)
        _check_number(who, "eps", eps)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"{who}: expected {n} min_lrs (one per parameter "
                                 f"group), got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        for v in self.min_lrs:
            _check_number(who, "min_lr", v)
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.factor, self.patience, self.cooldown, self.eps = factor, patience, cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = self._current()

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            return a < (best * (1 - self.threshold) if self.threshold_mode == "rel"
                        else best - self.threshold)
        return a > (best * (1 + self.threshold) if self.threshold_mode == "rel"
                    else best + self.threshold)

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]
        """Record this epoch's metric; reduce the rates if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0                  # bad epochs in cooldown don't count
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current()


__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau"]
