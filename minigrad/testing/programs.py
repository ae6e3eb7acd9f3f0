"""Random differentiable programs: DAGs of registered ops, checked against central differences.

:func:`programs` draws a :class:`Program`: 1-3 float64 inputs of mutually
broadcastable shapes, then 1-30 steps, each one op of the registry
(``minigrad.ops.registry.ops()``) applied to earlier values (inputs or step
outputs, so values are reused and the graph is a DAG, not a chain). Each step's
output may also be

* ``detach``-ed or computed under ``no_grad`` (a constant for the gradient),
* given a tensor hook that scales its gradient by ``c``,
* kept with ``retain_grad()``.

Every value that no later step reads is an output. :func:`check_program` runs
``mg.gradcheck`` on the whole program (float64, element-wise central differences
and a random direction), then two ``backward(retain_graph=True)`` calls, whose
leaf and retained gradients must be twice the first ones.

Central differences see only the forward function, so the cuts and hooks have
forward-side counterparts the numeric evaluations (run under ``no_grad``) use:
a detached or ``no_grad`` value is the array recorded at the unperturbed point
(a constant), and a value ``v`` whose gradient a hook scales by ``c`` is
``c v - (c - 1) v0`` (``v0`` recorded the same way): equal to ``v`` there, with
derivative ``c``.

Ops join automatically: every elementwise op made with ``mg.pointwise`` is
applied to its inputs squashed smoothly into (0.55, 0.95) (clear of every
built-in op's kinks, poles and jumps; smooth ops in :data:`WIDE` get (-1.2, 1.8)),
with its parameters from :data:`POINTWISE_PARAMS` when forward has no defaults.
Every other op has a :data:`BUILDERS` entry saying how to call it on values of
any shape; :func:`unsupported_ops` lists registered ops that have neither (a test
keeps that list equal to :data:`EXCLUDED`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from .. import nn
from ..autograd import grad
from ..gradcheck import gradcheck
from ..ops import concatenate, einsum, registry, stack, where
from ..ops.attention import AttentionWeights
from ..ops.rbm import FreeEnergy
from ..tape import is_grad_enabled, no_grad
from ..tensor import Tensor, tensor
from .strategies import _fill, axes, broadcastable_shapes

F = nn.functional
Shape = tuple[int, ...]
MAX_SIZE = 48                   # elements per value: keeps gradcheck's cost bounded
SAFE = (0.55, 0.95)
WIDE = frozenset({"Exp", "Tanh", "Sigmoid", "Sin", "Cos", "Atan", "Sinh", "Cosh", "Exp2",
                  "Expm1", "Square", "Erf", "Neg", "Gelu", "GeluTanh", "Silu", "Softplus"})
"""Elementwise ops smooth on all of (-1.2, 1.8): their inputs are squashed there."""
RAW = frozenset({"Add", "Sub", "Mul", "Maximum", "Minimum"})
"""Elementwise ops applied to their operands as they are (no squashing)."""
POINTWISE_PARAMS: dict[str, dict[str, Any]] = {
    "Cast": {"dtype": np.float64}, "Elu": {"alpha": 1.0}, "LeakyRelu": {"slope": 0.1},
    "Softplus": {"beta": 1.0, "threshold": 20.0}, "Clip": {"lo": 0.6, "hi": 0.9},
}
"""Parameters for elementwise ops whose forward gives no default (Clip: both branches)."""
EXCLUDED = {
    "Recurrent": "needs an nn.RNN/LSTM/GRU module; its float64 gradients are checked per "
                 "cell kind and path in tests/test_recurrent_layers.py",
}
"""Registered ops random programs leave out, and why."""


# ------------------------------------------------------------------ helpers
def _squash(v: Tensor, lo: float, hi: float) -> Tensor:
    """v mapped smoothly and monotonically into (lo, hi)."""
    return v.tanh() * ((hi - lo) / 2) + (lo + hi) / 2


def _fit(v: Tensor, shape: Shape) -> Tensor:
    """A tensor of ``shape`` filled from v's elements in order, cycling (repeats accumulate)."""
    n = int(np.prod(shape))
    return v.reshape(-1)[np.arange(n) % max(v.size, 1)].reshape(shape)


def _ramp(shape: Shape) -> np.ndarray:
    """Distinct constants: added before max/min/var/pooling so that values copied by
    broadcasting or cycling are not tied (ties and zero spread are kinks)."""
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.37


def _size(shape: Shape) -> int:
    return int(np.prod(shape))


@dataclass(frozen=True)
class Builder:
    """How to use one op in a random program.

    arity: how many earlier values it reads. pick(draw, shapes) -> params or None
    (None: cannot apply to these operand shapes; the step is skipped).
    build(*tensors, **params) -> Tensor.
    """
    arity: int
    pick: Callable[[st.DrawFn, Sequence[Shape]], dict[str, Any] | None]
    build: Callable[..., Tensor]


def _no_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any]:
    return {}


def _axis_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    return {"axis": draw(axes(len(s))), "keepdims": draw(st.booleans())}


def _int_axis(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    return {"axis": draw(st.integers(-len(s), len(s) - 1))} if s else None


def _broadcastable(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    try:
        out = np.broadcast_shapes(*shapes)
    except ValueError:
        return None
    return {} if _size(out) <= MAX_SIZE else None


def _pointwise_builder(name: str, op: Any) -> Builder:
    arity = len(op.vjps)
    params = POINTWISE_PARAMS.get(name, {})
    lo, hi = (-1.2, 1.8) if name in WIDE else SAFE

    def build(*xs: Tensor) -> Tensor:
        args = xs if name in RAW else [_squash(x, lo, hi) for x in xs]
        return op.apply(*args, **params)
    return Builder(arity, _broadcastable if arity > 1 else _no_params, build)


def _reduce(method: str, spread: bool = False) -> Builder:
    def build(x: Tensor, axis: Any, keepdims: bool) -> Tensor:
        if spread:
            x = x + _ramp(x.shape)
        return getattr(x, method)(axis=axis, keepdims=keepdims)
    return Builder(1, _axis_params, build)


def _var_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    if _size(s) < 2:
        return None
    long_axes = [i for i, n in enumerate(s) if n >= 2]
    return {"axis": draw(st.sampled_from([None, *long_axes])), "keepdims": draw(st.booleans()),
            "ddof": draw(st.sampled_from([0, 1]))}


def _spread(method: str) -> Builder:
    return Builder(1, _var_params, lambda x, **kw: getattr(x + _ramp(x.shape), method)(**kw))


def _reshape_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    n = _size(s)
    return {"shape": draw(st.sampled_from([(-1,), tuple(reversed(s)), (1, n), (n, 1)]))}


def _transpose_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    return {"axes": tuple(draw(st.permutations(range(len(s)))))} if s else None


def _expand_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    k = draw(st.integers(2, 3))
    target = (k, *(draw(st.integers(1, 3)) if n == 1 else n for n in s))
    return {"shape": target} if _size(target) <= MAX_SIZE else None


def _join_params(new_axis: bool) -> Callable[[st.DrawFn, Sequence[Shape]], dict[str, Any] | None]:
    def pick(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
        a, b = shapes
        if _size(a) + _size(b) > MAX_SIZE or len(a) != len(b) or (new_axis and a != b):
            return None
        if new_axis:
            return {"axis": draw(st.integers(-len(a) - 1, len(a)))}
        free = [i for i in range(len(a)) if a[:i] + a[i + 1:] == b[:i] + b[i + 1:]]
        return {"axis": draw(st.sampled_from(free))} if free else None
    return pick


def _index_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    if not s:
        return None
    n0 = s[0]
    kind = draw(st.sampled_from(["int", "slice", "repeated", "bool"]))
    if kind == "int":
        return {"index": draw(st.integers(-n0, n0 - 1))}
    if kind == "slice":
        return {"index": slice(draw(st.integers(0, n0 - 1)), None, draw(st.integers(1, 2)))}
    if kind == "repeated":
        picks = draw(st.lists(st.integers(0, n0 - 1), min_size=1, max_size=4))
        return {"index": np.array(picks + picks[:1])}
    mask = draw(st.lists(st.booleans(), min_size=n0, max_size=n0))
    return {"index": np.array(mask)} if any(mask) else None


def _matmul_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    a, _ = shapes
    m = draw(st.integers(1, 3))
    return {"m": m} if a and _size(a) // a[-1] * m <= MAX_SIZE else None


def _where_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    if _broadcastable(draw, shapes) is None:
        return None
    out = np.broadcast_shapes(*shapes)
    mask = draw(st.lists(st.booleans(), min_size=_size(out), max_size=_size(out)))
    return {"cond": np.array(mask, dtype=bool).reshape(out)}


def _class_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    n, c = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    target = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    return {"n": n, "c": c, "target": np.array(target, dtype=np.int64),
            "reduction": draw(st.sampled_from(["mean", "sum", "none"]))}


def _binary_params(draw: st.DrawFn, shapes: Sequence[Shape]) -> dict[str, Any] | None:
    (s,) = shapes
    target = draw(st.lists(st.floats(0.05, 0.95), min_size=_size(s), max_size=_size(s)))
    return {"target": np.array(target).reshape(s),
            "reduction": draw(st.sampled_from(["mean", "sum", "none"]))}


def _conv(x: Tensor, w: Tensor) -> Tensor:
    return F.conv2d(_fit(x, (1, 2, 3, 3)), _fit(w, (2, 2, 2, 2)), _fit(w, (2,)))


def _setitem(x: Tensor, row: Tensor) -> Tensor:
    """x with its second row replaced by ``row``: ``y[1] = row`` written in place on a
    new tensor (the recorded in-place write, SetItem)."""
    y = x * 1.0
    y[1] = row
    return y


def _pool(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    return lambda x: fn(_fit(x, (1, 2, 4, 4)) + _ramp((1, 2, 4, 4)), 2)


BUILDERS: dict[str, Builder] = {
    "Sum": _reduce("sum"), "Mean": _reduce("mean"),
    "Max": _reduce("max", spread=True), "Min": _reduce("min", spread=True),
    "Prod": Builder(1, _axis_params, lambda x, **kw: _squash(x, *SAFE).prod(**kw)),
    "LogSumExp": _reduce("logsumexp"),
    "Var": _spread("var"), "Std": _spread("std"),
    "Softmax": Builder(1, _int_axis, lambda x, axis: x.softmax(axis)),
    "LogSoftmax": Builder(1, _int_axis, lambda x, axis: x.log_softmax(axis)),
    "CumSum": Builder(1, _int_axis, lambda x, axis: x.cumsum(dim=axis)),
    "Reshape": Builder(1, _reshape_params, lambda x, shape: x.reshape(shape)),
    "Transpose": Builder(1, _transpose_params, lambda x, axes: x.transpose(*axes)),
    "Expand": Builder(1, _expand_params, lambda x, shape: x.expand(*shape)),
    "Concatenate": Builder(2, _join_params(False),
                           lambda a, b, axis: concatenate([a, b], axis=axis)),
    "Stack": Builder(2, _join_params(True), lambda a, b, axis: stack([a, b], axis=axis)),
    "GetItem": Builder(1, _index_params, lambda x, index: x[index]),
    "MatMul": Builder(2, _matmul_params, lambda a, b, m: a @ _fit(b, (a.shape[-1], m))),
    "Einsum": Builder(2, _matmul_params,
                      lambda a, b, m: einsum("ik,km->im", a.reshape(-1, a.shape[-1]),
                                            _fit(b, (a.shape[-1], m)))),
    "Where": Builder(2, _where_params, lambda a, b, cond: where(cond, a, b)),
    "Linear": Builder(2, _matmul_params, lambda a, b, m: F.linear(
        a, _fit(b, (m, a.shape[-1])), _fit(b, (m,)))),
    "Conv2d": Builder(2, _no_params, _conv),
    "MaxPool2d": Builder(1, _no_params, _pool(F.max_pool2d)),
    "AvgPool2d": Builder(1, _no_params, _pool(F.avg_pool2d)),
    "Normalize": Builder(1, _int_axis, lambda x, axis: F.layer_norm(
        x + _ramp(x.shape), x.shape[-1:])),
    "CrossEntropy": Builder(1, _class_params, lambda x, n, c, target, reduction:
                            F.cross_entropy(_fit(x, (n, c)), target, reduction=reduction)),
    "NLL": Builder(1, _class_params, lambda x, n, c, target, reduction: F.nll_loss(
        _fit(x, (n, c)).log_softmax(1), target, reduction=reduction)),
    "BCE": Builder(1, _binary_params, lambda x, target, reduction: F.binary_cross_entropy(
        _squash(x, 0.05, 0.95), target, reduction=reduction)),
    "BCEWithLogits": Builder(1, _binary_params, lambda x, target, reduction:
                             F.binary_cross_entropy_with_logits(x, target, reduction=reduction)),
    "Norm": Builder(1, _int_axis, lambda x, axis: _squash(x, *SAFE).norm(2, dim=axis)),
    "Pad": Builder(1, _no_params, lambda x: F.pad(_fit(x, (2, 3)), (1, 2))),
    "SetItem": Builder(2, _no_params, lambda a, b: _setitem(_fit(a, (3, 4)), _fit(b, (4,)))),
    "ScaledDotProductAttention": Builder(2, _no_params, lambda a, b:
                                         F.scaled_dot_product_attention(
                                             _fit(a, (1, 3, 2)), _fit(b, (1, 4, 2)),
                                             _fit(a, (1, 4, 2)))),
    "AttentionWeights": Builder(2, _no_params, lambda a, b: AttentionWeights.apply(
        _fit(a, (1, 3, 2)), _fit(b, (1, 4, 2)), None, scale=0.7)),
    "FreeEnergy": Builder(2, _no_params, lambda a, b: FreeEnergy.apply(
        _squash(_fit(a, (3, 4)), *SAFE), _fit(b, (2, 4)), _fit(a, (4,)), _fit(b, (2,)))),
}
"""How each op that is not elementwise is called on values of any shape."""


def builders() -> dict[str, Builder]:
    """A builder for every registered op random programs use, by op name."""
    out = {}
    for name, op in registry.ops().items():
        if name in BUILDERS:
            out[name] = BUILDERS[name]
        elif getattr(op, "vjps", None) is not None:
            out[name] = _pointwise_builder(name, op)
    return out


def unsupported_ops() -> list[str]:
    """Registered ops with no builder (should be exactly those in :data:`EXCLUDED`)."""
    return sorted(set(registry.ops()) - set(builders()))


# ------------------------------------------------------------------ programs
MODES = ("plain", "detach", "no_grad", "hook", "retain_grad")


@dataclass(frozen=True)
class Step:
    """One step: ``op`` applied to values ``args`` with ``params``, in ``mode``."""
    op: str
    args: tuple[int, ...]
    params: dict[str, Any]
    mode: str = "plain"
    scale: float = 1.0          # the hook's factor (mode "hook")


@dataclass
class Program:
    """Inputs (float64 arrays) and steps; values are numbered inputs first, then steps."""
    inputs: list[np.ndarray]
    steps: list[Step] = field(default_factory=list)
    recorded: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    retained: list[Tensor] = field(default_factory=list, repr=False)

    def outputs(self) -> list[int]:
        """Values no step reads (the program's results), by number."""
        used = {i for s in self.steps for i in s.args}
        n = len(self.inputs)
        return [n + k for k in range(len(self.steps)) if n + k not in used]

    def run(self, *leaves: Tensor) -> tuple[Tensor, ...]:
        """The outputs, from ``leaves`` (one tensor per input).

        With grad enabled: the real program (cuts, hooks, retain_grad), recording
        the arrays of cut and hooked values. Under ``no_grad`` (gradcheck's
        numeric evaluations): their forward-side counterparts (module docstring).
        """
        table = builders()
        live = is_grad_enabled()
        if live:
            self.retained = []
        vals: list[Tensor] = list(leaves)
        for k, s in enumerate(self.steps):
            args = [vals[i] for i in s.args]
            if s.mode == "no_grad" and live:
                with no_grad():
                    v = table[s.op].build(*args, **s.params)
            else:
                v = table[s.op].build(*args, **s.params)
            if s.mode in ("detach", "no_grad"):
                if live:
                    v = v.detach()
                    self.recorded[k] = v.data.copy()
                else:
                    v = tensor(self.recorded[k])
            elif s.mode == "hook" and v.requires_grad:
                self.recorded[k] = v.data.copy()
                v.register_hook(_scaling_hook(s.scale))
            elif s.mode == "hook" and not live and k in self.recorded:
                v = v * s.scale - self.recorded[k] * (s.scale - 1)
            elif s.mode == "retain_grad" and live and v.requires_grad:
                v.retain_grad()
                self.retained.append(v)
            vals.append(v)
        return tuple(vals[i] for i in self.outputs())

    def __str__(self) -> str:
        lines = [f"v{i} = input{tuple(a.shape)}" for i, a in enumerate(self.inputs)]
        n = len(self.inputs)
        for k, s in enumerate(self.steps):
            ps = ", ".join(f"{p}={_short(v)}" for p, v in s.params.items())
            args = ", ".join(f"v{i}" for i in s.args)
            extra = "" if s.mode == "plain" else f"  [{s.mode}{'' if s.mode != 'hook' else f' x{s.scale}'}]"
            lines.append(f"v{n + k} = {s.op}({args}{', ' if ps else ''}{ps}){extra}")
        lines.append("outputs: " + ", ".join(f"v{i}" for i in self.outputs()))
        return "\n".join(lines)


def _scaling_hook(c: float) -> Callable[[np.ndarray], np.ndarray]:
    def hook(g: np.ndarray) -> np.ndarray:
        return g * c
    return hook


def _short(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"array{v.shape}" if v.size > 6 else repr(v.tolist())
    return repr(v)


@st.composite
def programs(draw: st.DrawFn, min_ops: int = 1, max_ops: int = 30, max_inputs: int = 3,
             modes: Sequence[str] = MODES, ops: Sequence[str] | None = None) -> Program:
    """A random program of ``min_ops..max_ops`` steps over 1..``max_inputs`` inputs.

    Operands are drawn mostly from recent values (shrinking goes towards chains);
    a step whose op cannot take the drawn operands is skipped. modes: which
    step modes may occur (4 in 5 steps are ``"plain"``). ops: the op names to
    draw from (default: every op of :func:`builders`).
    """
    table = builders()
    names = sorted(table) if ops is None else sorted(ops)
    unknown = sorted(set(names) - set(table))
    if unknown:
        raise ValueError(f"programs: no builder for ops {unknown}")
    k = draw(st.integers(1, max_inputs))
    shapes = list(draw(broadcastable_shapes(k, max_dims=3, max_side=3)))
    prog = Program(_fill(draw, shapes, {}))
    vals = [tensor(a) for a in prog.inputs]
    target = draw(st.integers(min_ops, max_ops))
    for _ in range(target * 3):
        if len(prog.steps) >= target:
            break
        name = draw(st.sampled_from(names))
        b = table[name]
        args = tuple(len(vals) - 1 - draw(st.integers(0, len(vals) - 1)) for _ in range(b.arity))
        params = b.pick(draw, [vals[i].shape for i in args])
        if params is None:
            continue
        with no_grad():
            v = b.build(*(vals[i] for i in args), **params)
        if v.size > MAX_SIZE:
            continue
        mode = "plain" if draw(st.integers(0, 4)) else draw(st.sampled_from(list(modes)))
        scale = draw(st.sampled_from([0.5, 2.0, -1.5])) if mode == "hook" else 1.0
        prog.steps.append(Step(name, args, params, mode, scale))
        vals.append(v)
    return prog


def check_program(prog: Program, seed: int = 0) -> None:
    """Every gradient of ``prog`` against central differences, then retain_graph twice.

    Raises ``mg.GradcheckError`` or ``AssertionError`` (naming what differs).
    """
    leaves = [tensor(a, requires_grad=True) for a in prog.inputs]
    outs = [o for o in prog.run(*leaves) if o.dtype.kind == "f"]
    if not any(o.requires_grad for o in outs):
        return                      # every path cut: nothing to differentiate
    gradcheck(prog.run, leaves, seed=seed)

    leaves = [tensor(a, requires_grad=True) for a in prog.inputs]
    outs = [o for o in prog.run(*leaves) if o.requires_grad]
    rng = np.random.default_rng(seed)
    terms = [(o * rng.standard_normal(o.shape)).sum() for o in outs]
    loss = terms[0]
    for term in terms[1:]:
        loss = loss + term
    expected = grad(loss, leaves, retain_graph=True)
    loss.backward(retain_graph=True)
    first = [None if r.grad is None else r.grad.copy() for r in prog.retained]
    loss.backward(retain_graph=True)
    for i, (t, g) in enumerate(zip(leaves, expected)):
        got = np.zeros_like(g) if t.grad is None else t.grad
        np.testing.assert_allclose(got, 2 * g, rtol=1e-9, atol=1e-12,
                                   err_msg=f"input {i}: two backward(retain_graph=True) calls")
    for r, g1 in zip(prog.retained, first):
        if g1 is None:              # no path from the loss (e.g. only read by a detach)
            assert r.grad is None, "a retained .grad appeared on the second backward"
            continue
        assert r.grad is not None, "a retained .grad vanished on the second backward"
        np.testing.assert_allclose(r.grad, 2 * g1, rtol=1e-9, atol=1e-12,
                                   err_msg="a retained .grad did not accumulate")
