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
from collections.abc import Callable, Sequence
from typing import Any, Literal, SupportsFloat

from .optimizer import Optimizer, as_metric


class LRScheduler:
    """Base of the schedules: the epoch counter, ``step``, ``get_last_lr`` and the
    state dict. A subclass writes ``get_lr()``: the new rate of every group at
    epoch ``self.last_epoch``, from the current rates (chainable) or from
    ``base_lrs`` (closed form)."""

    #: whether construction (epoch 0) leaves the rates as they are; the schedules
    #: that compute a rate from a formula at epoch 0 (as PyTorch's do) set False
    _keeps_lr_at_construction = True
    #: attributes left out of ``state_dict()`` (things that are not data)
    _not_saved: tuple[str, ...] = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self._attach(optimizer)
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: resuming with last_epoch="
                                   f"{last_epoch} needs 'initial_lr' in param_groups[{i}] "
                                   f"(load the optimizer's state dict first)")
        saved = [dict(group) for group in optimizer.param_groups]
        try:
            if last_epoch == -1:
                for group in optimizer.param_groups:
                    group.setdefault("initial_lr", group["lr"])
            self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
            self.last_epoch = last_epoch
            self._initial = True              # the constructor's step keeps the rates
            self.step()
            self._initial = False
        except BaseException:                 # a refused schedule leaves the optimizer as it was
            for group, before in zip(optimizer.param_groups, saved):
                group.clear()
                group.update(before)
            raise

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
        try:
            lrs = self._current() if self._initial and self._keeps_lr_at_construction \
                else self.get_lr()
        except Exception:
            self.last_epoch -= 1                      # a refused step changes nothing
            raise
        self._write(lrs)

    def _write(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self) -> list[float]:
        """The rates (one per parameter group) set by the latest ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (save that with the optimizer's own state dict)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` taken from a scheduler of the same kind."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict (a "
                            f"state_dict()), got {type(state_dict).__name__}")
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
        current = as_metric("ReduceLROnPlateau.step", metrics)
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


def _per_group(who: str, name: str, value: Any, optimizer: Optimizer,
               check: Callable[[str, str, Any], None] | None = None) -> list[Any]:
    """One value per parameter group: a list/tuple of that length, or one value.

    Each value is checked with ``check(who, name, value)`` (default: a number >= 0).
    """
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{who}: expected {n} values for {name} (one per parameter "
                             f"group), got {len(value)}")
        values = list(value)
    else:
        values = [value] * n
    for v in values:
        (check or _check_number)(who, name, v)
    return values


def _check_callable(who: str, name: str, f: Any) -> None:
    if not callable(f):
        raise TypeError(f"{who}: {name} must be callable (epoch -> factor), "
                        f"got {type(f).__name__}")


class LambdaLR(LRScheduler):
    r"""The initial rate times a user function of the epoch.

    .. math:: \eta_t = \eta_0 \, \lambda(t)

    lr_lambda: a function ``epoch -> factor``, or a list of them, one per
        parameter group. As in PyTorch, construction already applies
        ``lr_lambda(0)``. The functions are not part of ``state_dict()`` (they are
        code, not data): build the resumed scheduler with the same ones.

    >>> sched = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    _keeps_lr_at_construction = False
    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self._attach(optimizer)
        lambdas = _per_group("LambdaLR", "lr_lambda", lr_lambda, optimizer, _check_callable)
        self.lr_lambdas: list[Callable[[int], float]] = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiStepLR(LRScheduler):
    r"""Decay the rate by ``gamma`` at each epoch listed in ``milestones``.

    .. math:: \eta_t = \eta_0 \, \gamma^{\#\{m \in \text{milestones}: m \le t\}}

    A milestone listed twice decays twice (PyTorch counts them).

    >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)  # 0.05 -> 0.005 -> 0.0005
    """

    _keeps_lr_at_construction = False

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence) \
                or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 0
                           for m in milestones):
            raise ValueError(f"MultiStepLR: milestones must be a list of integers >= 0, "
                             f"got {milestones!r}")
        _check_number("MultiStepLR", "gamma", gamma)
        self.milestones = sorted(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        n = self.milestones.count(self.last_epoch)
        if n == 0:
            return self._current()
        return [lr * self.gamma ** n for lr in self._current()]


def _momentum_cycle(who: str, optimizer: Optimizer, base_momentum: Any, max_momentum: Any
                    ) -> tuple[bool, list[float], list[float]]:
    """For a schedule that cycles the momentum: whether it is Adam's ``betas[0]``
    (else ``momentum``), and the per-group base and max momenta; ValueError for an
    optimizer with neither."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{who}: cycle_momentum=True needs an optimizer with "
                         f"'momentum' or 'betas', {type(optimizer).__name__} has "
                         f"neither (pass cycle_momentum=False)")
    return ("betas" in optimizer.defaults,
            _per_group(who, "base_momentum", base_momentum, optimizer),
            _per_group(who, "max_momentum", max_momentum, optimizer))


def _set_momentum(group: dict[str, Any], value: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _start_momentum(optimizer: Optimizer, use_beta1: bool, bases: list[float],
                    maxes: list[float]) -> None:
    """Start every group at its max momentum and record both ends, as PyTorch."""
    for group, top, base in zip(optimizer.param_groups, maxes, bases):
        _set_momentum(group, top, use_beta1)
        group["max_momentum"] = top
        group["base_momentum"] = base


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    """From ``start`` (pct 0) to ``end`` (pct 1): half a cosine, or a straight line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2019, "Super-convergence: very fast
    training of neural networks using large learning rates"), stepped once per
    *batch*, ``total_steps`` times in all (or ``epochs * steps_per_epoch``).

    With ``initial = max_lr / div_factor`` and ``min = initial / final_div_factor``,
    the rate is annealed (``anneal_strategy`` ``'cos'`` or ``'linear'``) through
    the phases below, each ending at the step shown; within a phase from step
    ``a`` to step ``b`` the fraction done is ``(t - a) / (b - a)``::

        two phases (default):  initial -> max_lr  until pct_start * total_steps - 1
                               max_lr  -> min     until total_steps - 1
        three_phase=True:      initial -> max_lr  until pct_start * total_steps - 1
                               max_lr  -> initial until 2 * pct_start * total_steps - 2
                               initial -> min     until total_steps - 1

    With ``cycle_momentum`` the momentum (SGD's, RMSprop's ``momentum`` or Adam's
    ``betas[0]``) moves the opposite way, ``max_momentum -> base_momentum`` while
    the rate rises and back while it falls (held at ``max_momentum`` in the third
    phase). Construction sets the initial values; stepping past ``total_steps``
    raises ValueError. The group keys ``initial_lr, max_lr, min_lr`` (and
    ``max_momentum, base_momentum``) are written as PyTorch does.

    Args:
        max_lr: the peak rate, one number or one per group.
        total_steps, or epochs and steps_per_epoch: the length of the cycle.
        pct_start: fraction of the cycle spent raising the rate (default 0.3).
        anneal_strategy: ``'cos'`` (default) or ``'linear'``.
        cycle_momentum, base_momentum, max_momentum: (True, 0.85, 0.95).
        div_factor, final_div_factor: (25, 1e4), as above.
        three_phase: use the three-phase form (default False).

    >>> sched = OneCycleLR(opt, max_lr=0.1, epochs=10, steps_per_epoch=len(loader))
    """

    _keeps_lr_at_construction = False

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: Literal["cos", "linear"] = "cos",
                 cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        who = "OneCycleLR"
        self._attach(optimizer)
        if total_steps is not None:
            _check_positive_int(who, "total_steps", total_steps)
            steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int(who, "epochs", epochs)
            _check_positive_int(who, "steps_per_epoch", steps_per_epoch)
            steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{who}: give total_steps, or epochs and steps_per_epoch "
                             f"(got total_steps={total_steps}, epochs={epochs}, "
                             f"steps_per_epoch={steps_per_epoch})")
        if isinstance(pct_start, bool) or not isinstance(pct_start, numbers.Real) \
                or not 0 <= pct_start <= 1:
            raise ValueError(f"{who}: pct_start must be a number in [0, 1], "
                             f"got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{who}: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        for name, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            _check_number(who, name, value)
            if value == 0:
                raise ValueError(f"{who}: {name} must be > 0, got {value!r}")
        max_lrs = _per_group(who, "max_lr", max_lr, optimizer)
        if three_phase:
            phases = [(float(pct_start * steps) - 1, "initial_lr", "max_lr",
                       "max_momentum", "base_momentum"),
                      (float(2 * pct_start * steps) - 2, "max_lr", "initial_lr",
                       "base_momentum", "max_momentum"),
                      (steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            phases = [(float(pct_start * steps) - 1, "initial_lr", "max_lr",
                       "max_momentum", "base_momentum"),
                      (steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        ends = [0.0] + [p[0] for p in phases]
        if any(a == b for a, b in zip(ends, ends[1:])):
            raise ValueError(f"{who}: pct_start={pct_start} with total_steps={steps} "
                             f"gives a phase of length zero (phase ends {ends[1:]})")
        use_beta1 = False
        if cycle_momentum:
            use_beta1, base_moms, max_moms = _momentum_cycle(who, optimizer, base_momentum,
                                                             max_momentum)
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                missing = [k for k in ("initial_lr", "max_lr", "min_lr")
                           + (("max_momentum", "base_momentum") if cycle_momentum else ())
                           if k not in group]
                if missing:
                    raise KeyError(f"{who}: resuming with last_epoch={last_epoch} needs "
                                   f"{missing} in param_groups[{i}] (load the "
                                   f"optimizer's state dict first)")
        # all checks passed: write
        self.total_steps: int = steps
        self._schedule_phases: list[dict[str, Any]] = [
            dict(end_step=e, start_lr=a, end_lr=b, start_momentum=c, end_momentum=d)
            for e, a, b, c, d in phases]
        self._anneal_func_type: str = anneal_strategy
        self.cycle_momentum: bool = cycle_momentum
        self.use_beta1: bool = use_beta1
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                _start_momentum(optimizer, use_beta1, base_moms, max_moms)
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        _set_momentum(group, value, self.use_beta1)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {t} times, the cycle has "
                             f"total_steps={self.total_steps}")
        start = 0.0
        for i, phase in enumerate(self._schedule_phases):
            if t <= phase["end_step"] or i == len(self._schedule_phases) - 1:
                break
            start = phase["end_step"]
        pct = (t - start) / (phase["end_step"] - start)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(_anneal(self._anneal_func_type, group[phase["start_lr"]],
                               group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                self._set_momentum(group, _anneal(self._anneal_func_type,
                                                  group[phase["start_momentum"]],
                                                  group[phase["end_momentum"]], pct))
        return lrs


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts: SGDR (Loshchilov & Hutter, 2017,
    "SGDR: Stochastic gradient descent with warm restarts").

    .. math:: \eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})
              \left(1 + \cos\frac{\pi T_{cur}}{T_i}\right)

    where :math:`T_{cur}` counts epochs since the last restart and the
    :math:`i`-th period lasts :math:`T_i = T_0 \, T_{mult}^i` epochs. ``step()``
    advances one epoch; ``step(epoch)`` jumps to ``epoch``, which may be
    fractional (``epoch + i / iters_per_epoch`` inside an epoch), as in PyTorch.

    >>> sched = CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)  # restarts at 10, 30, 70
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1,
                 eta_min: float = 0.0, last_epoch: int = -1) -> None:
        who = "CosineAnnealingWarmRestarts"
        _check_positive_int(who, "T_0", T_0)
        _check_positive_int(who, "T_mult", T_mult)
        _check_number(who, "eta_min", eta_min)
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lo = self.eta_min
        return [lo + (base - lo) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or (``epoch`` given) set the position to ``epoch``."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:                         # a restart
                self.T_cur = self.T_cur - self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real) \
                    or not epoch >= 0:
                raise ValueError(f"CosineAnnealingWarmRestarts.step: expected an epoch "
                                 f">= 0, got {epoch!r}")
            T_0, m = self.T_0, self.T_mult
            if epoch >= T_0:
                if m == 1:
                    self.T_cur = epoch % T_0
                else:                                          # in period n
                    n = int(math.log(epoch / T_0 * (m - 1) + 1, m))
                    self.T_cur = epoch - T_0 * (m ** n - 1) / (m - 1)
                    self.T_i = T_0 * m ** n
            else:
                self.T_i = T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._write(self.get_lr())



class LinearLR(LRScheduler):
    r"""Scale the initial rate by a factor moving linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then hold it (a warm-up).

    .. math:: \eta_t = \eta_0 \left(s + (e - s) \frac{\min(t, T)}{T}\right)

    Chainable, as PyTorch's: construction multiplies the rate by ``start_factor``;
    step t (1 <= t <= T) multiplies it by ``1 + (e - s) / (T s + (t - 1)(e - s))``.

    Args:
        start_factor: s in (0, 1] (default 1/3).
        end_factor: e in [0, 1] (default 1).
        total_iters: T, a positive int (default 5).

    >>> sched = LinearLR(opt, start_factor=0.1, total_iters=4)   # 0.1 lr -> lr
    """

    _keeps_lr_at_construction = False

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        who = "LinearLR"
        _check_number(who, "start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"{who}: start_factor must be in (0, 1], got {start_factor!r}")
        _check_number(who, "end_factor", end_factor)
        if end_factor > 1:
            raise ValueError(f"{who}: end_factor must be in [0, 1], got {end_factor!r}")
        _check_positive_int(who, "total_iters", total_iters)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, s, e, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return [lr * s for lr in self._current()]
        if t > n:
            return self._current()
        return [lr * (1.0 + (e - s) / (n * s + (t - 1) * (e - s))) for lr in self._current()]


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, 2017, "Cyclical learning rates for training
    neural networks"), stepped once per *batch*: the rate rises from ``base_lr`` to
    ``max_lr`` over ``step_size_up`` steps and falls back over ``step_size_down``
    (default: the same), the height of each cycle scaled by the policy::

        cycle = floor(1 + t / (up + down)),  x = 1 + t / (up + down) - cycle
        f = x / r if x <= r else (x - 1) / (r - 1)       r = up / (up + down)
        lr = base_lr + (max_lr - base_lr) * f * scale

    ``mode`` ``'triangular'`` (scale 1), ``'triangular2'`` (1 / 2^(cycle - 1)),
    ``'exp_range'`` (``gamma ** t``), or a custom ``scale_fn`` of the cycle or of t
    (``scale_mode`` ``'cycle'`` / ``'iterations'``). With ``cycle_momentum`` the
    momentum (``momentum``, or Adam's ``betas[0]``) moves the other way, from
    ``max_momentum`` down to ``base_momentum`` and back. Construction sets the rate
    to ``base_lr`` (and the momentum to ``max_momentum``), as PyTorch's. A custom
    ``scale_fn`` is code, not data: it is left out of ``state_dict()``.

    Args:
        base_lr, max_lr: the ends of the cycle, one number or one per group.
        step_size_up, step_size_down: half-cycle lengths in steps (2000, None).
        mode, gamma, scale_fn, scale_mode: the policy, as above.
        cycle_momentum, base_momentum, max_momentum: (True, 0.8, 0.9).

    >>> sched = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)
    """

    _keeps_lr_at_construction = False
    _not_saved = ("optimizer", "scale_fn_custom")

    def __init__(self, optimizer: Optimizer, base_lr: float | Sequence[float],
                 max_lr: float | Sequence[float], step_size_up: int = 2000,
                 step_size_down: int | None = None,
                 mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: Literal["cycle", "iterations"] = "cycle",
                 cycle_momentum: bool = True, base_momentum: float | Sequence[float] = 0.8,
                 max_momentum: float | Sequence[float] = 0.9, last_epoch: int = -1) -> None:
        who = "CyclicLR"
        self._attach(optimizer)
        base_lrs = _per_group(who, "base_lr", base_lr, optimizer)
        max_lrs = _per_group(who, "max_lr", max_lr, optimizer)
        _check_positive_int(who, "step_size_up", step_size_up)
        if step_size_down is not None:
            _check_positive_int(who, "step_size_down", step_size_down)
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"{who}: mode must be 'triangular', 'triangular2' or "
                             f"'exp_range' (or give scale_fn), got {mode!r}")
        if scale_fn is not None:
            _check_callable(who, "scale_fn", scale_fn)
            if scale_mode not in ("cycle", "iterations"):
                raise ValueError(f"{who}: scale_mode must be 'cycle' or 'iterations', got "
                                 f"{scale_mode!r}")
        _check_number(who, "gamma", gamma)
        if cycle_momentum:
            use_beta1, base_moms, max_moms = _momentum_cycle(who, optimizer, base_momentum,
                                                             max_momentum)
        # all checks passed: write
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
        self.max_lrs: list[float] = max_lrs
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode, self.gamma = mode, gamma
        self.scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else \
            ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = use_beta1
            self.base_momentums, self.max_momentums = base_moms, max_moms
            if last_epoch == -1:
                _start_momentum(optimizer, use_beta1, base_moms, max_moms)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The policy's scale of a cycle (or of a step, for ``'iterations'``)."""
        if self.scale_fn_custom is not None:
            return self.scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        f = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else t)
        lrs = [base + (top - base) * f * scale for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, base, top in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                _set_momentum(group, top - (top - base) * f * scale, self.use_beta1)
        return lrs


__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau", "LambdaLR", "MultiStepLR", "OneCycleLR",
           "CosineAnnealingWarmRestarts", "LinearLR", "CyclicLR"]
