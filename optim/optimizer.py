"""Optimizer: the base of every update rule in :mod:`minigrad.optim`.

An optimizer holds *parameter groups*: a list of dicts, each with its
``"params"`` (a list of tensors) and its own hyper-parameters (``"lr"`` and the
rest), filled in from the optimizer's defaults when a group leaves them out::

    opt = optim.SGD([{"params": model.body.parameters()},
                     {"params": model.head.parameters(), "lr": 1e-3}],
                    lr=1e-2, momentum=0.9)

``step()`` walks every group and every parameter whose ``.grad`` is not None
and calls the subclass's :meth:`Optimizer.update` with the parameter's array,
its gradient, its per-parameter ``state`` dict (empty on the first step: the
subclass creates its buffers lazily, like PyTorch) and the group. Updates are
in place on ``param.data``, so the parameter keeps its dtype and identity.

``state_dict()`` follows PyTorch's layout: parameters are numbered in the
order of ``param_groups`` and the state is keyed by that number, so a
checkpoint can be loaded into a fresh optimizer over a fresh copy of the
model and training continues bit for bit.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.tape import enable_grad
from minigrad.tensor import Tensor
from minigrad.versions import bump

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from minigrad._typing import Array, ParamGroup, Params

    _Loss = TypeVar("_Loss")


# ---------------------------------------------------------------- validation
# Small checks shared by the optimizers' ``_validate``; each names the argument,
# what it must be, and what it got.

def check_lr(lr: object) -> None:
    if not (isinstance(lr, (int, float, np.floating, np.integer)) and lr >= 0):
        raise ValueError(f"Invalid learning rate: {lr} (expected a number >= 0)")


def check_nonnegative(name: str, value: object) -> None:
    if not (isinstance(value, (int, float, np.floating, np.integer)) and value >= 0):
        raise ValueError(f"Invalid {name} value: {value} (expected a number >= 0)")


def check_unit_interval(name: str, value: object, closed_right: bool = True) -> None:
    """``0 <= value <= 1`` (or ``< 1`` with ``closed_right=False``)."""
    ok = isinstance(value, (int, float, np.floating, np.integer)) and \
        0 <= value and (value <= 1 if closed_right else value < 1)
    if not ok:
        bound = "[0, 1]" if closed_right else "[0, 1)"
        raise ValueError(f"Invalid {name} value: {value} (expected a number in {bound})")


def check_betas(betas: object) -> None:
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise ValueError(f"Invalid betas: {betas!r} (expected a pair (beta1, beta2))")
    for i, b in enumerate(betas):
        if not (isinstance(b, (int, float, np.floating, np.integer)) and 0 <= b < 1):
            raise ValueError(f"Invalid beta parameter at index {i}: {b} "
                             f"(expected a number in [0, 1))")


def as_metric(who: str, value: object) -> float:
    """``float(value)`` for a metric given to a schedule or early stopping, or a TypeError
    naming ``who`` and what was given (a string, a multi-element array, None)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{who}: expected the metric to be a number (a float or a one-element "
                        f"Tensor), got {type(value).__name__} {value!r:.60}") from None


def _hyper(value: Any) -> Any:
    """Hyper-parameters are kept as Python floats, so that NumPy's scalar rules
    never promote a float32 parameter's update to float64."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, float, np.floating, np.integer)):
        return value if isinstance(value, int) else float(value)
    if isinstance(value, (tuple, list)):
        return tuple(_hyper(v) for v in value)
    return value


class Optimizer:
    """Base class: holds ``param_groups`` and ``state``; subclasses write ``update``.

    params: an iterable of Tensors, or of dicts (parameter groups) each with a
        ``"params"`` entry and optional per-group hyper-parameters.

    defaults: hyper-parameters used where a group does not give its own.
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self._validate(defaults)
        self.defaults = {k: _hyper(v) for k, v in defaults.items()}
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[ParamGroup] = []
        if isinstance(params, (Tensor, dict)) or not hasattr(params, "__iter__"):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of "
                            f"Tensors or of dicts, got {type(params).__name__}")
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ the groups
    def _validate(self, hyper: dict[str, Any]) -> None:
        """Raise ValueError for invalid hyper-parameters (overridden per optimizer)."""

    def add_param_group(self, param_group: ParamGroup) -> None:
        """Append a group ``{"params": [...], <hyper-parameter>: value, ...}``.

        Missing hyper-parameters come from the defaults; every value is checked,
        and a tensor already in another group is an error.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"add_param_group: expected a dict with a 'params' entry, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("add_param_group: the group has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("add_param_group: parameters must be an ordered iterable "
                            "(list, tuple, generator), not a set: their order numbers "
                            "the entries of state_dict()")
        params = list(params)
        if len(params) == 0:
            raise ValueError(f"{type(self).__name__}: a parameter group has an empty "
                             f"parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but "
                                f"parameter {i} of the group is a {type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf "
                                 f"Tensor (parameter {i} of the group has a grad_fn)")
            if p.data.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__} can only optimize floating-point "
                                f"Tensors, parameter {i} has dtype {p.data.dtype}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = set()
        for i, p in enumerate(params):
            if id(p) in ids:
                raise ValueError(f"{type(self).__name__}: parameter {i} appears twice "
                                 f"in the same parameter group")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {i} of the new group "
                                 f"is already in another parameter group")
            ids.add(id(p))
        group = {k: _hyper(v) for k, v in param_group.items() if k != "params"}
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._validate(group)
        group["params"] = params
        self.param_groups.append(group)

    # ---------------------------------------------------------------- steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], _Loss] | None = None) -> _Loss | None:
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        closure: optional callable that re-evaluates the model and returns the
        loss (it is called with gradient recording on, before the update).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_grads()
        changed: list[Array] = []
        for group in self.param_groups:
            self._step_group(group, changed)
        bump(*changed)                # a node that saved a parameter now refuses to backward
        return loss

    def _step_group(self, group: ParamGroup, changed: list[Array]) -> None:
        """Update the parameters of ``group`` that have a gradient (``update`` each),
        appending each updated array to ``changed``. A subclass may do a whole group
        at once where the rule allows it (``SGD`` without momentum or decay)."""
        state, update = self.state, self.update
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            s = state.get(p)
            if s is None:
                s = state[p] = {}
            data = np.asarray(p.data)     # (a Parameter's is a subclass: keep state plain)
            update(data, grad, s, group)
            changed.append(data)

    def _check_grads(self) -> None:
        """Before any update: every gradient an array of its parameter's shape (else a
        ValueError / TypeError naming the parameter), so a refused step changes nothing."""
        i, ndarray = -1, np.ndarray
        for group in self.param_groups:       # (numbered as _index() numbers them)
            for p in group["params"]:
                i += 1
                g = p.grad
                if g is not None and (type(g) is not ndarray or g.shape != p.data.shape
                                      or g.dtype.kind not in "biuf"):
                    self._bad_grad(i, p, g)

    def _bad_grad(self, i: int, p: Tensor, g: Any) -> None:
        """Raise the error for parameter ``i``'s gradient ``g`` if it is unusable (an
        ndarray subclass of the right shape and kind is fine)."""
        if not isinstance(g, np.ndarray) or g.dtype.kind not in "biuf":
            got = g.dtype if isinstance(g, np.ndarray) else type(g).__name__
            raise TypeError(f"{type(self).__name__}.step: the gradient of parameter {i} "
                            f"must be a numeric array, got {got}")
        if g.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}.step: the gradient of parameter {i} "
                             f"has shape {g.shape}, the parameter has shape "
                             f"{p.data.shape}")

    def update(self, param: Array, grad: Array, state: dict[str, Any],
               group: ParamGroup) -> None:
        """Update ``param`` (an ndarray) in place from ``grad``; ``state`` is this
        parameter's dict (empty on its first step), ``group`` its hyper-parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    # ----------------------------------------------------------- state dict
    def _index(self) -> list[Tensor]:
        """Parameters numbered in the order of ``param_groups`` (PyTorch's convention)."""
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: value}}, "param_groups": [{..., "params": [index]}]}``.

        Arrays are copies, so later steps do not change a saved state dict.
        """
        number = {id(p): i for i, p in enumerate(self._index())}
        groups, start = [], 0
        for g in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            packed["params"] = list(range(start, start + len(g["params"])))
            start += len(g["params"])
            groups.append(packed)
        state = {number[id(p)]: {k: (np.array(v, copy=True) if isinstance(v, np.ndarray)
                                     else copy.deepcopy(v)) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in number}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` taken from an optimizer of the same kind over
        parameters of the same shapes, in the same group layout.

        Everything is checked before anything is written: on a mismatch a
        ValueError names it and the optimizer is left unchanged. Arrays are
        copied and cast to their parameter's dtype.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not (isinstance(state_dict, dict) and "state" in state_dict
                and "param_groups" in state_dict):
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups', "
                             f"got {type(state_dict).__name__}"
                             + (f" with keys {sorted(state_dict)}"
                                if isinstance(state_dict, dict) else ""))
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved_groups)} parameter "
                             f"groups, this optimizer has {len(self.param_groups)}")
        new_groups = []
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(sg["params"]) != len(g["params"]):
                raise ValueError(f"{name}: parameter group {i} has {len(g['params'])} "
                                 f"parameters, the state dict's has {len(sg['params'])}")
            missing = [k for k in self.defaults if k not in sg]
            if missing:
                raise ValueError(f"{name}: parameter group {i} of the state dict lacks "
                                 f"{missing} (saved by a different optimizer?)")
            hyper = {k: copy.deepcopy(v) for k, v in sg.items() if k != "params"}
            self._validate(hyper)
            new_groups.append(hyper)
        by_index: dict[int, Tensor] = {}
        for g, sg in zip(self.param_groups, saved_groups):
            by_index.update(zip(sg["params"], g["params"]))
        new_state = {}
        for idx, s in state_dict["state"].items():
            if idx not in by_index:
                raise ValueError(f"{name}: the state dict has state for parameter {idx}, "
                                 f"which no parameter group lists")
            p = by_index[idx]
            new_state[p] = {k: self._load_state_value(name, idx, k, v, p)
                            for k, v in s.items()}
        # all checks passed: write
        for g, hyper in zip(self.param_groups, new_groups):
            params = g["params"]
            g.clear()
            g.update(hyper)
            g["params"] = params
        self.state = new_state

    def _load_state_value(self, name: str, idx: int, key: str, value: Any,
                          param: Tensor) -> Any:
        """A checked copy of state ``key`` of parameter ``idx`` from a state dict:
        an array must have the parameter's shape (floats are cast to its dtype);
        anything else is deep-copied. Raises ValueError naming the mismatch."""
        if isinstance(value, np.ndarray):
            if value.shape != param.data.shape:
                raise ValueError(f"{name}: state '{key}' of parameter {idx} has shape "
                                 f"{value.shape}, the parameter has shape "
                                 f"{param.data.shape}")
            return value.astype(param.data.dtype) if value.dtype.kind == "f" \
                else value.copy()
        return copy.deepcopy(value)

    # ----------------------------------------------------------------- repr
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


__all__ = ["Optimizer", "check_lr", "check_nonnegative", "check_unit_interval",
           "check_betas"]
