"""minigrad.testing: the gradient_test factory passes correct ops and modules and
rejects wrong backwards (each property on its own catches the fault it targets),
gradcheck_module sees parameters, the strategies keep their promises, and a missing
hypothesis gives an error that says what to install."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.testing import (PROPERTIES, Inputs, arrays, axes, broadcastable_shapes,
                              elementwise, gradcheck_module, gradient_test, module_function,
                              reduction, tensors)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Mul(mg.Function):
    """x * y, with a correct backward."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        return g * y, g * x


class WrongMul(Mul):
    """x * y whose backward forgets a factor: dL/dx = g instead of g * y."""

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        return g, g * x


Cube = mg.pointwise("TestingCube", lambda x: x ** 3, lambda g, x: g * 3 * x ** 2, saves="input")
SlipCube = mg.pointwise("TestingSlipCube", lambda x: x ** 3, lambda g, x: g * 3.03 * x ** 2,
                        saves="input")


@gradient_test(Mul, arrays=2)
def test_a_correct_function_passes(x, y):
    """The decorated body runs after the properties, on the same drawn tensors."""
    np.testing.assert_array_equal(Mul.apply(x, y).data, x.data * y.data)


@gradient_test(Cube, low=-1.0, high=1.0)
def test_a_correct_pointwise_op_passes(x):
    assert x.dtype == np.float64


@gradient_test(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)),
               shapes=[st.tuples(st.integers(1, 3), st.just(3))])
def test_a_whole_module_passes(x):
    assert x.shape[-1] == 3


@gradient_test(lambda x, axis: x.softmax(axis), inputs=reduction(int_axis=True))
def test_a_function_of_tensors_with_drawn_kwargs_passes(x, axis):
    assert isinstance(axis, int)


@pytest.mark.parametrize("op", [WrongMul, SlipCube], ids=["forgotten-factor", "off-by-1%"])
def test_a_wrong_backward_fails(op):
    test = gradient_test(op, arrays=2 if op is WrongMul else 1, max_examples=10,
                         properties=["gradcheck"])(lambda *ts: None)
    with pytest.raises(mg.GradcheckError):
        test()


def test_a_module_with_a_wrong_parameter_gradient_fails():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(mg.ones(3))

        def forward(self, x):
            return WrongMul.apply(self.w, x)        # wrong for w, right for x

    test = gradient_test(Scaled(), shapes=[(2, 3)], max_examples=5,
                         properties=["gradcheck"])(lambda x: None)
    with pytest.raises(mg.GradcheckError, match="input 1"):
        test()


class Leaky(mg.Function):
    """Correct gradient, but each backward leaves a running total in a global: the
    second backward returns twice as much (a stateful backward)."""
    calls = [0]

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        Leaky.calls[0] += 1
        return 2 * g * Leaky.calls[0]


def test_the_accumulation_property_catches_a_stateful_backward():
    with pytest.raises(AssertionError, match="accumulate"):
        Leaky.calls[0] = 0
        PROPERTIES["accumulates"](Leaky.apply, Inputs([np.ones(3)]), np.random.default_rng(0))


class Squared(mg.Function):
    """x * |x| whose backward ignores the incoming gradient's scale (returns sign(g))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return 2 * np.abs(x) * np.sign(g)


def test_the_linearity_property_catches_a_backward_ignoring_the_cotangent_scale():
    with pytest.raises(AssertionError, match="grad"):
        PROPERTIES["linear"](Squared.apply, Inputs([np.array([0.5, 1.0])]),
                             np.random.default_rng(1))


def test_the_shape_property_catches_a_missing_gradient():
    class Bad(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return None

    with pytest.raises(AssertionError, match="no gradient"):
        PROPERTIES["grad-shape"](Bad.apply, Inputs([np.ones(2)]), np.random.default_rng(0))


def test_unknown_property_and_bad_op_are_refused():
    with pytest.raises(ValueError, match="unknown properties"):
        gradient_test(Mul, properties=["gradcheck", "nope"])
    with pytest.raises(TypeError, match="shapes"):
        gradient_test(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="inputs="):
        gradient_test(Mul, inputs=elementwise(2), low=0.1)
    with pytest.raises(TypeError, match="Function subclass"):
        gradient_test(42)(lambda: None)()


def test_gradcheck_module_checks_parameters():
    lin = nn.Linear(3, 2).double()
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert gradcheck_module(lin, x)
    fn = module_function(lin, 1)
    out = fn(x, mg.zeros(2, 3, dtype=mg.float64), mg.ones(2, dtype=mg.float64))
    np.testing.assert_array_equal(out.data, np.ones((4, 2)))     # the given parameters used
    assert lin.weight.data.any()                                 # and the module's restored


@settings(max_examples=30)
@given(st.data())
def test_strategies_keep_their_promises(data):
    avoid = (0.5,)
    x = data.draw(arrays((4, 3), low=-1, high=1, away_from_zero=0.2, avoid=avoid))
    assert x.dtype == np.float64 and x.shape == (4, 3)
    assert (np.abs(x) >= 0.2).all() and (np.abs(x - 0.5) >= 0.05 - 1e-12).all()
    d = data.draw(arrays((12,), distinct=True))
    gaps = np.diff(np.sort(d))
    assert (gaps > 0.2).all()
    a_shape, b_shape = data.draw(broadcastable_shapes(2))
    np.broadcast_shapes(a_shape, b_shape)
    ax = data.draw(axes(3))
    assert ax is None or isinstance(ax, (int, tuple))
    t = data.draw(tensors((2,)))
    assert t.requires_grad and t.dtype == np.float64
    inp = data.draw(elementwise(3, distinct=True))
    flat = np.concatenate([a.ravel() for a in inp.arrays])
    assert len(np.unique(flat)) == flat.size


def test_without_hypothesis_the_import_says_what_to_install():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "try:\n    import minigrad.testing\nexcept ImportError as e:\n    print(e)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert "pip install 'minigrad[test]'" in out.stdout, out.stdout + out.stderr


def test_import_minigrad_does_not_import_hypothesis():
    code = "import sys, minigrad; from minigrad import nn; print('hypothesis' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
