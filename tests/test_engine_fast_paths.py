"""The engine's fast paths (issue 16 item 5) against the general ones they short-cut.

``Function.apply`` unwraps one to three all-Tensor inputs (and a Tensor with a
constant) without building lists and calls ``forward`` positionally when there are
no keywords; the reverse pass lets a leaf take a gradient nothing else holds as its
``.grad`` without a copy (PyTorch's AccumulateGrad rule); ``pointwise`` writes an
identity vjp as ``g``; ``SGD`` updates a plain group in one loop; ``Linear``,
``F.linear`` and the element-wise losses check their inputs without calls. Each test
compares with the general path or with a reference, and would fail if the short cut
changed a result, an alias or an error.
"""
import itertools
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn, optim
from minigrad.function import Function, _unwrap
from minigrad.ops.pointwise import _is_identity


def leaf(values, dtype=np.float64):
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------ Function.apply
class Record(Function):
    """Returns the sum of its array inputs; keeps what apply gave forward."""
    seen = None

    @staticmethod
    def forward(ctx, *arrays, **kwargs):
        Record.seen = (arrays, dict(kwargs), ctx.needs_input_grad)
        ctx.k = kwargs.get("k", 1.0)
        return sum(a for a in arrays if isinstance(a, np.ndarray)) * kwargs.get("k", 1.0)

    @staticmethod
    def backward(ctx, g):
        return tuple(g * ctx.k if need else None for need in ctx.needs_input_grad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["grad", "plain", "const"]), min_size=1, max_size=4),
       st.booleans(), st.booleans())
def test_apply_gives_forward_what_the_general_unwrap_gives(kinds, with_kwargs, enabled):
    inputs = [leaf(np.arange(3.0) + i) if k == "grad" else
              mg.tensor(np.arange(3.0) * i) if k == "plain" else 2.5
              for i, k in enumerate(kinds)]
    if all(k == "const" for k in kinds):
        inputs[0] = mg.tensor(np.ones(3))
    arrays, needs, parents = _unwrap(tuple(inputs))
    kwargs = {"k": 3.0} if with_kwargs else {}
    with mg.enable_grad() if enabled else mg.no_grad():
        out = Record.apply(*inputs, **kwargs)
    got_arrays, got_kwargs, got_needs = Record.seen
    assert len(got_arrays) == len(arrays)
    assert all(a is b for a, b in zip(got_arrays, arrays))
    assert got_kwargs == kwargs
    record = enabled and any(needs)
    assert got_needs == (needs if record else (False,) * len(needs))
    if record:
        assert out.grad_fn.parents == parents and out.requires_grad
        assert all(p is q for p, q in zip(out.grad_fn.parents, parents))
        out.sum().backward()
        for x, k in zip(inputs, kinds):
            if k == "grad":
                np.testing.assert_allclose(x.grad, np.full(3, kwargs.get("k", 1.0)))
    else:
        assert out.grad_fn is None and not out.requires_grad


def test_apply_errors_name_the_op_and_inputs_on_every_path():
    a, b = mg.tensor(np.ones((2, 3))), mg.tensor(np.ones((4, 5)))
    for args in [(a, b), (a, np.ones((4, 5))), (a, b, a)]:
        with pytest.raises(ValueError, match=r"Add: .*input shapes: \(2, 3\), \(4, 5\)"):
            mg.ops.Add.apply(*args[:2])
    with pytest.raises(TypeError, match="Exp: unsupported inputs"):
        mg.ops.Exp.apply("text")


# ------------------------------------------------------- leaf gradient, no copy
class _Give(Function):
    """y = x * c, whose backward returns an array chosen by the test."""
    give = None

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return _Give.give(g)


def test_a_leaf_takes_a_gradient_nobody_else_holds():
    made = []

    def fresh(g):
        a = np.full(g.shape, 2.0)
        made.append(weakref.ref(a))       # a weak reference does not count as a holder
        return a
    _Give.give = staticmethod(fresh)
    x = leaf([1.0, 2.0])
    _Give.apply(x).sum().backward()
    assert made[0]() is x.grad            # no copy was made
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


@pytest.mark.parametrize("holder", ["saved", "user", "view", "hook", "observer", "other leaf"])
def test_a_gradient_someone_else_holds_is_copied(holder):
    kept = []
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    const = np.array([5.0, 6.0])
    if holder in ("saved", "user"):
        _Give.give = staticmethod(lambda g: const)   # an array that outlives the pass
        loss = _Give.apply(x).sum()
    elif holder == "view":
        base = np.array([[5.0, 6.0]])
        _Give.give = staticmethod(lambda g: base[0])
        loss = _Give.apply(x).sum()
        const = base[0]
    elif holder == "hook":
        x.register_hook(lambda g: kept.append(g))
        loss = (x * 3.0).sum()
    elif holder == "observer":
        h = mg.hooks.register_backward_observer(lambda node, g, gs: kept.extend(gs))
        loss = (x * 3.0).sum()
    else:                                  # Add gives both parents the same array
        loss = (x + y).sum()
    loss.backward()
    if holder == "observer":
        h.remove()
    before = x.grad.copy()
    others = {"saved": [const], "user": [const], "view": [const], "hook": kept,
              "observer": [k for k in kept if k is not None], "other leaf": [y.grad]}[holder]
    assert others and not any(np.shares_memory(x.grad, o) for o in others)
    x.grad[...] = -1.0                     # writing the .grad changes nothing else
    assert all(not np.any(o == -1.0) for o in others)
    np.testing.assert_array_equal(before, x.grad * 0 + before)


def test_accumulation_and_retained_grads_still_copy():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.retain_grad()
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    first = x.grad
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * 8 * x.data)
    np.testing.assert_allclose(first, 8 * x.data)       # the first .grad was not written
    assert not np.shares_memory(h.grad, x.grad)


# ----------------------------------------------------------- identity vjps
def test_identity_vjp_is_recognised_exactly():
    def named(g):
        return g

    def doc(g):
        """Documented."""
        return g
    assert _is_identity(lambda g: g) and _is_identity(lambda grad: grad)
    assert _is_identity(named) and _is_identity(doc)
    for f in [lambda g: -g, lambda g, x: g, lambda g=1: g, lambda *g: g, lambda g, **k: g,
              lambda g: g * 1, np.negative, abs]:
        assert not _is_identity(f)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(itertools.product([True, False], repeat=2))),
       st.floats(-3, 3), st.floats(-3, 3))
def test_ops_with_identity_vjps_match_the_called_form(needs, u, v):
    """The same op declared with ``lambda g: g`` (written inline) and with a vjp the
    generator cannot recognise (called) gives the same gradients."""
    inline = mg.pointwise("AddInline", np.add, (lambda g: g, lambda g: g), None)
    called = mg.pointwise("AddCalled", np.add, (lambda g: g * 1, lambda g: g * 1), None)
    grads = []
    for op in (inline, called):
        a = mg.tensor(np.array([u, v]), requires_grad=needs[0])
        b = mg.tensor(np.array([[v], [u]]), requires_grad=needs[1])
        y = op.apply(a, b)
        if y.requires_grad:
            (y * y).sum().backward()
        grads.append((a.grad, b.grad))
    for g1, g2 in zip(*grads):
        assert (g1 is None) == (g2 is None)
        if g1 is not None:
            np.testing.assert_array_equal(g1, g2)


def test_gradcheck_rejects_a_wrong_identity():
    wrong = mg.pointwise("WrongSub", np.subtract, (lambda g: g, lambda g: g), None)
    a, b = leaf([0.3, -0.2]), leaf([0.1, 0.5])
    assert mg.gradcheck(lambda a, b: mg.ops.Sub.apply(a, b), (a, b))
    with pytest.raises(Exception):
        assert mg.gradcheck(lambda a, b: wrong.apply(a, b), (a, b))


# ------------------------------------------------------------------- SGD
def _sgd_run(opt_factory, steps=3):
    rng = np.random.default_rng(0)
    ps = [leaf(rng.standard_normal(s)) for s in [(3, 2), (2,)]]
    opt = opt_factory(ps)
    for _ in range(steps):
        opt.zero_grad()
        ((ps[0].sum(axis=0) * ps[1]) ** 2).sum().backward()
        opt.step()
    return ps, opt


def test_plain_sgd_group_matches_the_per_parameter_rule():
    class PerParameter(optim.SGD):   # an override of update: the general loop runs
        def update(self, param, grad, state, group):
            param -= group["lr"] * grad
    fast, fast_opt = _sgd_run(lambda ps: optim.SGD(ps, lr=0.1))
    slow, _ = _sgd_run(lambda ps: PerParameter(ps, lr=0.1))
    for p, q in zip(fast, slow):
        np.testing.assert_array_equal(p.data, q.data)
    assert all(fast_opt.state[p] == {} for p in fast)      # state entries as before
    momentum, _ = _sgd_run(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))
    assert not np.array_equal(momentum[0].data, fast[0].data)


def test_an_sgd_subclass_update_is_used():
    calls = []

    class Counting(optim.SGD):
        def update(self, param, grad, state, group):
            calls.append(1)
            super().update(param, grad, state, group)
    _sgd_run(lambda ps: Counting(ps, lr=0.1), steps=2)
    assert len(calls) == 4


# ------------------------------------------------------------------ modules
def test_linear_uses_a_weight_replaced_by_a_plain_attribute():
    m = nn.Linear(3, 2)
    w = m.weight.data.copy()
    del m.weight
    m.weight = mg.tensor(w * 2)        # as a reparametrisation does
    x = mg.tensor(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(m(x).data, x.data @ (w * 2).T + m.bias.data, rtol=1e-6)
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 3\), got \(1, 4\)"):
        m(mg.tensor(np.ones((1, 4), np.float32)))
    with pytest.raises(TypeError, match="Tensor or an array"):
        m([1.0, 2.0, 3.0])


def test_functional_checks_keep_their_messages():
    F = nn.functional
    w = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"linear: expected 3 input features on axis 1, got 4"):
        F.linear(mg.tensor(np.ones((5, 4))), w)
    with pytest.raises(ValueError, match="linear: expected weight of shape"):
        F.linear(mg.tensor(np.ones((5, 3))), mg.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        F.linear(mg.tensor(np.array(1.0)), w)
    np.testing.assert_allclose(F.linear(np.ones((5, 3)), w).data, np.full((5, 2), 3.0))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(mg.tensor(np.ones(3)), mg.tensor(np.ones(3)), reduction="avg")
    with pytest.raises(ValueError, match=r"input shape \(3,\) and target shape \(4,\) differ"):
        F.mse_loss(mg.tensor(np.ones(3)), mg.tensor(np.ones(4)))
    x32 = mg.tensor(np.ones(3, np.float32), requires_grad=True)
    loss = F.mse_loss(x32, mg.tensor(np.zeros(3)))          # a float64 target is cast
    assert loss.dtype == np.float32
    loss.backward()
    np.testing.assert_allclose(x32.grad, np.full(3, 2 / 3), rtol=1e-6)


# ------------------------------------------------- op rewrites, bit for bit
@settings(max_examples=40, deadline=None)
@given(st.sampled_from([np.float32, np.float64]), st.sampled_from([2, 2.0, 3, 0.5, -1]),
       st.integers(0, 2 ** 32 - 1))
def test_pow_base_gradient_is_the_general_formula_bit_for_bit(dtype, b, seed):
    rng = np.random.default_rng(seed)
    a = (np.abs(rng.standard_normal((4, 3))) + 0.1).astype(dtype)
    g = rng.standard_normal((4, 3)).astype(dtype)
    x = mg.tensor(a, requires_grad=True)
    (x ** b).backward(g)
    want = g * b * a ** (b - 1)              # the rule before b = 2 skipped a ** 1
    assert x.grad.dtype == want.dtype
    np.testing.assert_array_equal(x.grad, want)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([np.float32, np.float64]),
       st.sampled_from([((4, 1), None, False), ((4, 3), 0, False), ((4, 3), 1, True),
                        ((2, 3, 4), (0, 2), False), ((2, 3), -1, False), ((0, 3), 0, False)]),
       st.integers(0, 2 ** 32 - 1))
def test_mean_gradient_is_the_spread_formula_bit_for_bit(dtype, case, seed):
    shape, axis, keepdims = case
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.mean(axis=axis, keepdims=keepdims)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(g)
    n = x.data.size // max(y.data.size, 1)
    kept = g if keepdims or axis is None else np.expand_dims(g, axis)
    want = np.empty(shape, dtype)
    want[...] = kept * (1.0 / n if n else 0.0)   # the rule before: scale, then spread
    assert x.grad.dtype == want.dtype
    np.testing.assert_array_equal(x.grad, want)


# ------------------------------------------------------- dtype promotion
def test_promotion_is_apply_s_for_ops_that_ask_for_it():
    class Plain(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    class Promoting(Plain):
        promotes = True
    x = mg.tensor(np.ones(2, np.float32), requires_grad=True)
    n = mg.tensor(np.array([1, 2]))
    assert Plain.apply(x, n).dtype == np.float64          # NumPy's rule
    assert Promoting.apply(x, n).dtype == np.float32      # PyTorch's
    assert Promoting.apply(n, x).dtype == np.float32
    assert (x + n).dtype == (n * x).dtype == (x - n).dtype == np.float32
    assert (x + mg.tensor(np.ones(2))).dtype == np.float64   # float32 + float64: NumPy's
    y = Promoting.apply(x, n)
    assert y.grad_fn.parents[1] is n and y.grad_fn.needs_input_grad == (True, False)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert x.grad.dtype == np.float32
