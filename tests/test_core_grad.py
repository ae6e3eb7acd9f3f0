"""Gradients of every differentiable op, declared once and checked several ways.

``CASES`` is the whole declaration: one line per op, naming the function under
test and the strategy (from ``minigrad.testing``) that draws its inputs. Every
case then goes through each property of ``minigrad.testing.PROPERTIES``, in
float64 -- the same checks ``minigrad.testing.gradient_test`` gives users:

* ``gradcheck``: analytic gradients against central differences
  (``mg.gradcheck``, element-wise and along a random direction);
* ``grad-shape``: d sum(f(x)) / dx has x's shape and dtype;
* ``accumulates``: a second backward adds the same amount;
* ``linear``: grad(a f) == a grad(f);
* ``used-twice``: an intermediate feeding two branches (a diamond) gets the
  sum of both branches' gradients.

Adding an op means adding one ``Case`` line: ``test_every_registered_op_is_declared``
fails for an op in the registry (``minigrad.ops.registry.ops()``) that no
declaration records on the tape.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import registry
from minigrad.testing import (PROPERTIES, elementwise, expandable, indexed, joined,
                              matmul_operands, mlp_operands, permutations, reduction, reshapes,
                              squeezable, unsqueezable, where_operands, with_kwargs)
from test_nn_layers import LAYERS
from test_nn_losses import LOSSES


@dataclass
class Case:
    name: str
    fn: Callable            # fn(*tensors, **kwargs) -> Tensor
    inputs: st.SearchStrategy  # draws Inputs(arrays, kwargs)

    def __repr__(self):
        return self.name


def _torch_kw(kw):
    """A reduction's NumPy keywords in PyTorch's spelling."""
    names = dict(axis="dim", keepdims="keepdim", ddof="correction")
    return {names[k]: v for k, v in kw.items()}


def _index(x, index):
    return x[index]


def _tensor_index(x, index):
    """The same index with its arrays given as minigrad tensors."""
    wrap = lambda i: mg.tensor(i) if isinstance(i, np.ndarray) else i  # noqa: E731
    return x[tuple(wrap(i) for i in index) if isinstance(index, tuple) else wrap(index)]


CASES = [
    # --- arithmetic with broadcasting, and Python scalars on either side
    Case("add", lambda a, b: a + b, elementwise(2)),
    Case("sub", lambda a, b: a - b, elementwise(2)),
    Case("mul", lambda a, b: a * b, elementwise(2)),
    Case("div", lambda a, b: a / b, elementwise(2, away_from_zero=0.5)),
    Case("neg", lambda x: -x, elementwise(1)),
    Case("scalar-add", lambda x: 2.5 + x + 1, elementwise(1)),
    Case("scalar-sub", lambda x: 1.5 - x - 0.5, elementwise(1)),
    Case("scalar-mul", lambda x: 3.0 * x * -2, elementwise(1)),
    Case("scalar-div", lambda x: 2.0 / x / 3, elementwise(1, away_from_zero=0.5)),
    Case("pow-scalar", lambda x, p: x ** p, with_kwargs(
        elementwise(1, low=0.3, high=2.0), p=st.sampled_from([2, 3, 0.5, -1.5, 1]))),
    Case("pow-tensor", lambda a, b: a ** b, elementwise(2, low=0.3, high=2.0)),
    Case("rpow", lambda x: 2.0 ** x, elementwise(1)),
    Case("mg.pow", lambda a, b: mg.pow(a, b), elementwise(2, low=0.3, high=2.0)),
    Case("Tensor.pow", lambda a, b: a.pow(b), elementwise(2, low=0.3, high=2.0)),
    Case("matmul-operator", lambda a, b: a @ b, matmul_operands()),
    Case("mg.matmul", lambda a, b: mg.matmul(a, b), matmul_operands()),
    Case("Tensor.matmul", lambda a, b: a.matmul(b), matmul_operands()),
    Case("maximum", lambda a, b: mg.maximum(a, b), elementwise(2, distinct=True)),
    Case("minimum", lambda a, b: mg.minimum(a, b), elementwise(2, distinct=True)),
    Case("where", lambda a, b, cond: mg.where(cond, a, b), where_operands()),
    Case("where-tensor-cond", lambda a, b, cond: mg.where(mg.tensor(cond), a, b),
         where_operands()),
    Case("where-comparison-cond", lambda a, b: mg.where(a > b, a, b * 2),
         elementwise(2, distinct=True)),
    # --- elementwise functions (inputs kept off kinks and poles, also when scaled by 1.5)
    Case("exp", lambda x: x.exp(), elementwise(1)),
    Case("log", lambda x: x.log(), elementwise(1, low=0.2, high=3.0)),
    Case("sqrt", lambda x: x.sqrt(), elementwise(1, low=0.2, high=3.0)),
    Case("abs", lambda x: x.abs(), elementwise(1, away_from_zero=0.1)),
    Case("builtin-abs", lambda x: abs(x), elementwise(1, away_from_zero=0.1)),
    Case("tanh", lambda x: x.tanh(), elementwise(1)),
    Case("sigmoid", lambda x: x.sigmoid(), elementwise(1, low=-4.0, high=4.0)),
    Case("relu", lambda x: x.relu(), elementwise(1, away_from_zero=0.1)),
    Case("clip", lambda x: x.clip(-0.5, 0.7), elementwise(1, avoid=(-0.5, 0.7))),
    Case("clip-lo", lambda x: mg.clip(x, lo=-0.3), elementwise(1, avoid=(-0.3,))),
    Case("clip-hi", lambda x: mg.clip(x, hi=0.4), elementwise(1, avoid=(0.4,))),
    Case("sin", lambda x: x.sin(), elementwise(1)),
    Case("cos", lambda x: mg.cos(x), elementwise(1)),
    Case("tan", lambda x: x.tan(), elementwise(1, low=-0.9, high=0.9)),
    Case("asin", lambda x: x.asin(), elementwise(1, low=-0.6, high=0.6)),
    Case("acos", lambda x: x.acos(), elementwise(1, low=-0.6, high=0.6)),
    Case("atan", lambda x: x.atan(), elementwise(1)),
    Case("sinh", lambda x: x.sinh(), elementwise(1)),
    Case("cosh", lambda x: x.cosh(), elementwise(1)),
    Case("exp2", lambda x: x.exp2(), elementwise(1)),
    Case("expm1", lambda x: x.expm1(), elementwise(1)),
    Case("log2", lambda x: x.log2(), elementwise(1, low=0.2, high=3.0)),
    Case("log10", lambda x: x.log10(), elementwise(1, low=0.2, high=3.0)),
    Case("log1p", lambda x: x.log1p(), elementwise(1, low=-0.5, high=3.0)),
    Case("rsqrt", lambda x: x.rsqrt(), elementwise(1, low=0.2, high=3.0)),
    Case("square", lambda x: x.square(), elementwise(1)),
    Case("erf", lambda x: x.erf(), elementwise(1)),
    # step functions: zero gradient (values kept off their jumps)
    Case("sign", lambda x: x.sign() * x, elementwise(1, away_from_zero=0.1)),
    Case("floor", lambda x: x.floor() + x, elementwise(1, avoid=(-2, -1, 0, 1, 2))),
    Case("ceil", lambda x: x.ceil() * x, elementwise(1, avoid=(-2, -1, 0, 1, 2))),
    Case("trunc", lambda x: x.trunc() - x, elementwise(1, avoid=(-2, -1, 0, 1, 2))),
    Case("round", lambda x: x.round() * x, elementwise(1, avoid=(-1.5, -0.5, 0.5, 1.5))),
    # a round trip through another exact floating dtype (big-endian float64): no rounding
    Case("astype", lambda x: x.astype(">f8").astype(mg.float64), elementwise(1)),
    # --- reductions (axis None / int / tuple, keepdims) and normalised exponentials
    Case("sum", lambda x, **kw: x.sum(**kw), reduction()),
    Case("mean", lambda x, **kw: x.mean(**kw), reduction()),
    Case("var", lambda x, **kw: x.var(**kw), reduction(min_side=2, ddof=True)),
    Case("std", lambda x, **kw: x.std(**kw), reduction(min_side=2, ddof=True)),
    Case("max", lambda x, **kw: x.max(**kw), reduction(distinct=True)),
    Case("min", lambda x, **kw: x.min(**kw), reduction(distinct=True)),
    Case("mg.sum", lambda x, **kw: mg.sum(x, **kw), reduction()),
    Case("softmax", lambda x, axis: x.softmax(axis), reduction(int_axis=True, low=-3, high=3)),
    Case("log_softmax", lambda x, axis: x.log_softmax(axis),
         reduction(int_axis=True, low=-3, high=3)),
    Case("mg.log_softmax", lambda x, axis: mg.log_softmax(x, axis=axis),
         reduction(int_axis=True)),
    Case("logsumexp", lambda x, **kw: x.logsumexp(**kw), reduction()),
    Case("logsumexp-dim", lambda x, **kw: mg.logsumexp(x, **_torch_kw(kw)), reduction()),
    Case("prod", lambda x, **kw: x.prod(**kw), reduction(low=0.5, high=1.5)),
    Case("prod-with-zero", lambda x: mg.prod(x * mg.tensor([0.0, 1.0]), dim=-1),
         elementwise(1, max_dims=0)),
    Case("cumsum", lambda x, axis: x.cumsum(dim=axis), reduction(int_axis=True)),
    Case("cumsum-flat", lambda x: mg.cumsum(x), elementwise(1)),
    Case("norm", lambda x, **kw: x.norm(dim=kw["axis"], keepdim=kw["keepdims"]),
         reduction(away_from_zero=0.3)),
    Case("norm-p", lambda x, p: x.norm(p), with_kwargs(
        elementwise(1, away_from_zero=0.3), p=st.sampled_from([1, 3, 0.5, float("inf")]))),
    Case("norm-inf", lambda x, axis: x.norm(float("inf"), dim=axis),
         reduction(int_axis=True, distinct=True, away_from_zero=0.1)),
    # --- selection and masking
    Case("tril", lambda x, axes: x.tril(-1) if x.ndim >= 2 else x, permutations()),
    Case("triu", lambda x, axes: mg.triu(x, 1) if x.ndim >= 2 else x, permutations()),
    # x[index] = v on a tensor in the graph (SetItem): v is a function of x too
    Case("setitem", lambda x, index: _setitem(x, index), indexed()),
    Case("masked_fill", lambda x: x.masked_fill(x.data > 0.5, 2.0), elementwise(1, avoid=(0.5,))),
    Case("gather", lambda x, axis: x.gather(axis, np.zeros(x.shape, np.int64)),
         reduction(int_axis=True)),
    Case("sort", lambda x, axis: x.sort(axis, descending=True).values,
         reduction(int_axis=True, distinct=True)),
    Case("topk", lambda x, axis: x.topk(1, dim=axis)[0], reduction(int_axis=True, distinct=True)),
    # --- shapes
    Case("reshape", lambda x, shape: x.reshape(*shape), reshapes()),
    Case("reshape-tuple", lambda x, shape: x.reshape(shape), reshapes()),
    Case("transpose", lambda x, axes: x.transpose(*axes), permutations()),
    Case("transpose-reverse", lambda x: x.transpose(), elementwise(1)),
    Case("T", lambda x: x.T, elementwise(1)),
    Case("swapaxes", lambda x, axes: mg.swapaxes(x, 0, -1), permutations()),
    Case("flatten", lambda x: x.flatten(), elementwise(1)),
    Case("flatten-from-1", lambda x, axes: mg.flatten(x, 1) if x.ndim > 1 else x.flatten(),
         permutations()),
    Case("squeeze", lambda x, axis: x.squeeze(axis), squeezable()),
    Case("unsqueeze", lambda x, axis: x.unsqueeze(axis), unsqueezable()),
    Case("expand", lambda x, shape: x.expand(*shape), expandable()),
    Case("concatenate", lambda *xs, axis: mg.concatenate(xs, axis=axis), joined()),
    Case("stack", lambda *xs, axis: mg.stack(xs, axis=axis), joined(new_axis=True)),
    # --- PyTorch's spellings of the same ops (tests/test_pytorch_spellings.py for values)
    Case("sum-dim", lambda x, **kw: x.sum(**_torch_kw(kw)), reduction()),
    Case("mean-dim", lambda x, **kw: mg.mean(x, **_torch_kw(kw)), reduction()),
    Case("var-correction", lambda x, **kw: x.var(**_torch_kw(kw)),
         reduction(min_side=2, ddof=True)),
    Case("std-correction", lambda x, **kw: x.std(**_torch_kw(kw)),
         reduction(min_side=2, ddof=True)),
    Case("max-dim", lambda x, axis: x.max(dim=axis).values,
         reduction(int_axis=True, distinct=True)),
    Case("min-dim-keepdim", lambda x, axis: x.min(dim=axis, keepdim=True)[0],
         reduction(int_axis=True, distinct=True)),
    Case("softmax-dim", lambda x, axis: x.softmax(dim=axis),
         reduction(int_axis=True, low=-3, high=3)),
    Case("view", lambda x, shape: x.view(*shape), reshapes()),
    Case("permute", lambda x, axes: x.permute(*axes), permutations()),
    Case("transpose-two-dims", lambda x, axes: x.transpose(0, -1), permutations()),
    Case("t", lambda x, axes: x.t() if x.ndim <= 2 else x, permutations()),
    Case("narrow", lambda x, axes: x.narrow(-1, x.shape[-1] - 1, 1), permutations()),
    Case("chunk-reversed", lambda x, axes: mg.cat(x.chunk(2, -1)[::-1], dim=-1),
         permutations()),
    Case("split-sizes", lambda x, axes: mg.cat(x.split([1, x.shape[0] - 1])[::-1]),
         permutations()),
    Case("repeat", lambda x: x.repeat(2, *([3] * x.ndim)), elementwise(1)),
    Case("clamp", lambda x: x.clamp(-0.5, 0.7), elementwise(1, avoid=(-0.5, 0.7))),
    Case("cat", lambda *xs, axis: mg.cat(xs, dim=axis), joined()),
    Case("stack-dim", lambda *xs, axis: mg.stack(xs, dim=axis), joined(new_axis=True)),
    Case("unsqueeze-dim", lambda x, axis: x.unsqueeze(dim=axis), unsqueezable()),
    # --- indexing: basic, integer arrays with repeats (accumulate), boolean, mixed
    Case("getitem", _index, indexed()),
    Case("getitem-tensor-index", _tensor_index, indexed()),
    # --- einsum: a product, an outer product, letters summed in one operand only
    Case("einsum-matmul", lambda x, w, b: mg.einsum("ij,jk->ik", x, w) + b, mlp_operands()),
    Case("einsum-outer", lambda x, w, b: mg.einsum("ni,k", x, b) + w.sum(), mlp_operands()),
    Case("einsum-three", lambda x, w, b: mg.einsum("ni,ik,k->nk", x, w, b), mlp_operands()),
    Case("einsum-solo-sums", lambda x, w, b: mg.einsum("ni,jk->nk", [x, w]) + b,
         mlp_operands()),
    Case("einsum-ellipsis", lambda x, w, b: mg.einsum("...k,km->...m", x, w) + b,
         mlp_operands()),
    Case("einsum-ellipsis-broadcast",
         lambda x, w, b: mg.einsum("...j,...j->...", x, w.sum(axis=1).reshape(1, -1)) + b.sum(),
         mlp_operands()),
    Case("einsum-diagonal", lambda x, w, b: mg.einsum("ii->i", mg.einsum("ij,kj->ik", x, x))
         + (w.sum() + b.sum()), mlp_operands()),
    Case("einsum-trace-times", lambda x, w, b: mg.einsum("ii,k->k", x @ x.T, b) + w.sum(),
         mlp_operands()),
    # --- more of PyTorch's functions (tests/test_pytorch_functions.py for values)
    Case("clone", lambda x: x.clone() * x, elementwise(1)),
    Case("mg.clone", lambda x: mg.clone(x).exp(), elementwise(1)),
    Case("index_select", lambda x, axis: x.index_select(axis, [0, x.shape[axis] - 1, 0]),
         reduction(int_axis=True)),
    Case("expand_as", lambda x, shape: x.expand_as(x.expand(*shape).detach()), expandable()),
    Case("mm", lambda x, w, b: mg.mm(x, w) + b, mlp_operands()),
    Case("bmm", lambda x, w, b: mg.bmm(mg.stack([x, 2 * x]), mg.stack([w, w * w])) + b,
         mlp_operands()),
    Case("add-alpha", lambda a, b: a.add(b, alpha=-1.5), elementwise(2)),
    Case("sub-alpha", lambda a, b: mg.sub(a, b, alpha=2.0), elementwise(2)),
    Case("mul-method", lambda a, b: a.mul(b), elementwise(2)),
    Case("div-method", lambda a, b: a.div(b), elementwise(2, away_from_zero=0.5)),
    Case("pad-constant", lambda x, axes: mg.nn.functional.pad(x, (1, 2), value=0.5) * 1.5,
         permutations()),
    Case("pad-crop", lambda x, axes: mg.nn.functional.pad(x, (2, -1)), permutations()),
    Case("pad-replicate", lambda x, axes: mg.nn.functional.pad(x, (2, 1), mode="replicate"),
         permutations()),
    Case("cross_entropy-label_smoothing", lambda x, axes: mg.nn.functional.cross_entropy(
        x.reshape(x.shape[0], -1), np.arange(x.shape[0]) % x[0].size, label_smoothing=0.2),
         permutations()),
    # --- a composite: ops chained through one graph
    Case("mlp-like", lambda x, w, b: ((x @ w + b).tanh() ** 2).mean(), mlp_operands()),
]


def _call(case, inputs, tensors):
    return case.fn(*tensors, **inputs.kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("prop", list(PROPERTIES))
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_gradient_property(prop, case, data, seed):
    inputs = data.draw(case.inputs)
    PROPERTIES[prop](case.fn, inputs, np.random.default_rng(seed))


# Ops whose gradient tests are not drawn from a table of strategies: name -> where.
def _setitem(x, index):
    y = x * 1.5
    y[index] = x[index].sin() * 2
    return y


TESTED_ELSEWHERE = {
    "Recurrent": "test_recurrent_layers.py",   # per cell kind, NumPy and Numba paths
    "ScaledDotProductAttention": "test_attention.py",   # shapes x masks x heads
    "AttentionWeights": "test_multihead_attention.py",  # need_weights=True
    "FreeEnergy": "test_rbm.py",               # the RBM's, both visible kinds, v and params
}


def _recorded_ops(out):
    """Names of the ops on the tape that made ``out`` (a tensor or a tuple of them)."""
    names, seen = set(), set()
    stack = list(out) if isinstance(out, (tuple, list)) else [out]
    while stack:
        t = stack.pop()
        if not isinstance(t, mg.Tensor) or t.grad_fn is None or id(t) in seen:
            continue
        seen.add(id(t))
        names.add(t.grad_fn.name)
        stack.extend(t.grad_fn.parents)
    return names


@settings(max_examples=1)
@given(data=st.data())
def test_every_registered_op_is_declared(data):
    """Every op in the registry (minigrad.ops.registry) is recorded on the tape by some
    gradient declaration: ``CASES`` here, ``LAYERS`` (tests/test_nn_layers.py),
    ``LOSSES`` (tests/test_nn_losses.py), or ``TESTED_ELSEWHERE``. An op added
    without a declaration fails this test."""
    recorded = set()
    for case in CASES:
        inputs = data.draw(case.inputs)
        recorded |= _recorded_ops(_call(case, inputs, inputs.tensors()))
    for strategy in LAYERS.values():
        module, x = data.draw(strategy)
        recorded |= _recorded_ops(module(x))
    for strategy in LOSSES.values():
        loss_cls, x, t, _ = data.draw(strategy)
        recorded |= _recorded_ops(loss_cls()(x, t))
    for name, test_file in TESTED_ELSEWHERE.items():
        assert (Path(__file__).parent / test_file).is_file(), f"{name}: {test_file} is gone"
    recorded |= set(TESTED_ELSEWHERE)
    missing = sorted(set(registry.ops()) - recorded)
    assert not missing, f"ops without a gradient declaration: {missing}"


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "exp", "log",
                                  "sqrt", "abs", "tanh", "sigmoid", "relu", "clip", "reshape",
                                  "transpose", "flatten", "squeeze", "unsqueeze", "expand",
                                  "matmul", "softmax", "log_softmax", "pow"])
def test_module_function_is_the_method(name):
    """``mg.f(x, ...)`` and ``x.f(...)`` are one implementation, so one declaration covers both."""
    assert getattr(mg, name) is getattr(mg.Tensor, name)
