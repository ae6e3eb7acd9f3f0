"""The tape: reverse pass, accumulation, graph release, detach/no_grad, hooks,
retain_grad, mg.grad, custom Functions and gradcheck's ability to fail."""
import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import minigrad as mg


def leaf(values, dtype=np.float64):
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------ reverse pass
def test_diamond_graph_accumulates_both_paths():
    """x -> a = 3x -> (a^2, exp(a)) -> sum: dL/dx = 3 (2a + exp(a))."""
    x = leaf([0.1, -0.4, 0.7])
    a = x * 3
    loss = (a * a + a.exp()).sum()
    loss.backward()
    av = 3 * x.data
    np.testing.assert_allclose(x.grad, 3 * (2 * av + np.exp(av)), rtol=1e-12)


def test_same_tensor_as_both_operands():
    x = leaf([1.5, -2.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_gradients_accumulate_until_reset():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * 2 * x.data)
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_backward_with_explicit_grad_tensor_or_array():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    g = np.array([[1.0, 0.0], [0.5, 2.0]])
    (x * 2).backward(g)
    np.testing.assert_allclose(x.grad, 2 * g)
    x.grad = None
    (x * 2).backward(mg.tensor(g))
    np.testing.assert_allclose(x.grad, 2 * g)


def test_broadcast_gradients_reduced_to_input_shape():
    a = leaf(np.ones((2, 1, 3)))
    b = leaf(np.arange(4.0).reshape(4, 1))
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad, np.full((2, 1, 3), 0 + 1 + 2 + 3.0))
    np.testing.assert_allclose(b.grad, np.full((4, 1), 6.0))


def test_repeated_indices_accumulate():
    x = leaf([10.0, 20.0, 30.0])
    x[np.array([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_grad_dtype_follows_the_input_not_the_output():
    x = leaf([1.0, 2.0], dtype=np.float32)
    y = x * np.array([0.5, 0.25])          # float64 constant: a float64 output
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [0.5, 0.25])


def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * (1 + 1e-6)
    limit = sys.getrecursionlimit()
    y.backward()
    assert sys.getrecursionlimit() == limit
    np.testing.assert_allclose(x.grad, [(1 + 1e-6) ** 100_000], rtol=1e-9)
    del y                                   # and freeing the long chain is fine too
    gc.collect()


def test_leaves_that_do_not_require_grad_get_nothing():
    x = leaf([1.0, 2.0])
    c = mg.tensor([3.0, 4.0], dtype=mg.float64)
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


# --------------------------------------------------- graph release / retain
def test_second_backward_through_freed_graph_raises_with_hint():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * 2).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * np.exp(x.data))


def test_backward_releases_saved_arrays():
    x = leaf(np.ones(1000))
    y = x.exp()
    node = y.grad_fn
    assert any(isinstance(a, np.ndarray) for a in node.saved)
    y.sum().backward()
    assert node.saved == ()


# ----------------------------------------------------- detach / no_grad / gc
def test_detach_shares_data_and_has_no_history():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y.data)


def test_detached_graph_is_garbage_collected():
    """TBPTT's cut: once only the detached state refers to it, the old graph is freed."""
    w = leaf(np.full((4, 4), 0.1))
    h = mg.tensor(np.ones((1, 4)), dtype=mg.float64)
    nodes = []
    for step in range(5):
        h = (h @ w).tanh()
        nodes.append(weakref.ref(h.grad_fn))
        h.sum().backward()
        h = h.detach()
    gc.collect()
    assert all(r() is None for r in nodes), "a detached window's graph is still alive"


def test_graph_stays_alive_while_referenced():
    """The check above can fail: without detach the history is kept (here, on purpose)."""
    w = leaf(np.full((4, 4), 0.1))
    h = mg.tensor(np.ones((1, 4)), dtype=mg.float64)
    first = None
    for step in range(3):
        h = (h @ w).tanh()
        first = first or weakref.ref(h.grad_fn)
    gc.collect()
    assert first() is not None
    del h
    gc.collect()
    assert first() is None


def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert mg.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None, "a tensor made under no_grad keeps its inputs alive"
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = leaf([1.0])

    @mg.no_grad()
    def f(t):
        with mg.enable_grad():
            inner = t * 2
        return t * 3, inner

    outer, inner = f(x)
    assert outer.grad_fn is None and inner.grad_fn is not None
    assert mg.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with mg.no_grad():
        t = threading.Thread(target=lambda: seen.append(mg.is_grad_enabled()))
        t.start()
        t.join()
        assert not mg.is_grad_enabled()
    assert seen == [True]


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()


# --------------------------------------------------------- hooks, retain_grad
def test_hook_sees_gradient_and_can_replace_it():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.copy()))
    y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * y.data)
    np.testing.assert_allclose(x.grad, 10 * 2 * y.data * 3)


def test_hook_on_leaf_gets_the_total_gradient_once():
    x = leaf([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.copy()))
    (x * 2 + x * 5).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [7.0, 7.0])


def test_hook_handle_remove():
    x = leaf([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 0)
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0])


def test_retain_grad_keeps_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = x * 4
    y.retain_grad()
    (y * y + z).sum().backward()
    np.testing.assert_allclose(y.grad, 2 * y.data)
    assert z.grad is None                  # not retained
    assert not y.is_leaf and x.is_leaf


# ------------------------------------------------------------------- mg.grad
def test_mg_grad_returns_arrays_and_leaves_grad_alone():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    loss = (x * w).sum()
    gx, gw = mg.grad(loss, [x, w])
    np.testing.assert_allclose(gx, w.data)
    np.testing.assert_allclose(gw, x.data)
    assert x.grad is None and w.grad is None


def test_mg_grad_of_several_outputs_with_grad_outputs():
    x = leaf([1.0, 2.0])
    a, b = x * 2, x * x
    (g,) = mg.grad([a, b], [x], grad_outputs=[np.ones(2), np.array([1.0, 0.5])])
    np.testing.assert_allclose(g, 2 + 2 * x.data * np.array([1.0, 0.5]))


def test_mg_grad_of_an_intermediate_and_an_unused_input():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    y = x * 3
    gy, gu = mg.grad((y * y).sum(), [y, unused])
    np.testing.assert_allclose(gy, 2 * y.data)
    np.testing.assert_array_equal(gu, [0.0])


def test_mg_grad_non_scalar_needs_grad_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad_outputs"):
        mg.grad(x * 2, [x])


# ----------------------------------------------------------- custom Function
class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * 3 * x ** 2


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * 2 * x ** 2           # wrong: should be 3 x^2


class ScaledSum(mg.Function):
    """a * s + b with a wrong gradient for b only (``s`` a constant)."""

    @staticmethod
    def forward(ctx, a, s, b):
        ctx.save_for_backward(s)
        return a * s + b

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved
        assert ctx.needs_input_grad == (True, False, True)
        return grad * s, None, grad * 1.01


def test_custom_function_gradient_is_correct():
    x = leaf([0.5, -1.5, 2.0])
    assert mg.gradcheck(Cube.apply, [x])
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube"


def test_gradcheck_rejects_a_wrong_backward():
    x = leaf([0.5, -1.5, 2.0])
    with pytest.raises(mg.GradcheckError, match=r"input 0 .* index \(\d+,\)"):
        mg.gradcheck(WrongCube.apply, [x])


def test_gradcheck_names_the_input_with_the_wrong_gradient():
    a, b = leaf([[1.0, 2.0]]), leaf([[0.5, -0.5]])
    with pytest.raises(mg.GradcheckError, match=r"input 2"):
        mg.gradcheck(ScaledSum.apply, [a, 3.0, b])


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(mg.GradcheckError, AssertionError)


def test_backward_returning_wrong_number_of_gradients_is_an_error():
    class Bad(mg.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad, grad

    with pytest.raises(RuntimeError, match="3 gradients for 2 inputs"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_custom_function_arbitrary_ctx_attributes_are_released():
    class Keep(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.big = np.ones(10_000)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            assert ctx.big.shape == (10_000,)
            return grad * 2

    y = Keep.apply(leaf([1.0]))
    node = y.grad_fn
    y.backward()
    assert not hasattr(node, "big") and node.freed


def test_gradcheck_handles_non_contiguous_inputs():
    """Regression: a transposed (Fortran-ordered) input used to be perturbed on a copy."""
    x = mg.tensor(np.random.default_rng(0).standard_normal((3, 2)).T, requires_grad=True)
    assert not x.data.flags["C_CONTIGUOUS"]
    assert mg.gradcheck(lambda t: t.exp() * t, [x])
