"""mg.pointwise, the one way elementwise ops are declared: what it keeps, what it calls,
what it rejects.

* a wrong derivative declared through it is caught by mg.gradcheck (and the right
  one passes);
* every pointwise op in the registry keeps exactly what its ``saves`` declares
  (exp its output, log its input...), and its parameters;
* parameters reach forward and the vjps; a vjp is skipped for an input that
  needs no gradient; None marks an input without gradient;
* inconsistent declarations fail at definition, naming the op.
"""
import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.ops import registry
from minigrad.testing import arrays, elementwise, shapes


def _cube(x):
    return x ** 3


Cube = mg.pointwise("Cube", _cube, lambda g, x: g * 3 * x * x, saves="input",
                    doc="y = x^3, dy/dx = 3 x^2")
WrongCube = mg.pointwise("WrongCube", _cube, lambda g, x: g * 2 * x * x, saves="input",
                         doc="y = x^3 with a wrong derivative (2 x^2)")
Scale = mg.pointwise("Scale", lambda x, k: k * x, lambda g, k: g * k, saves=None)


@given(elementwise(1, away_from_zero=0.2))
def test_gradcheck_accepts_the_right_derivative(inputs):
    assert mg.gradcheck(Cube.apply, inputs.tensors()) is True


@given(elementwise(1, away_from_zero=0.2))
def test_gradcheck_rejects_a_wrong_derivative(inputs):
    with pytest.raises(mg.GradcheckError, match="gradient of input 0"):
        mg.gradcheck(WrongCube.apply, inputs.tensors())


@given(elementwise(1))
def test_parameters_reach_forward_and_vjp(inputs):
    (x,) = inputs.tensors()
    y = Scale.apply(x, k=-2.5)
    np.testing.assert_allclose(y.data, -2.5 * x.data)
    assert y.grad_fn.params == {"k": -2.5}
    assert mg.gradcheck(lambda x: Scale.apply(x, k=-2.5), [x]) is True


# parameters for the registry's pointwise ops that have required ones
PARAMS = {"Cast": dict(dtype=np.float32), "LeakyRelu": dict(slope=0.1),
          "Elu": dict(alpha=0.7), "Softplus": dict(beta=2.0, threshold=3.0),
          "Clip": dict(lo=-0.5, hi=0.5)}
POINTWISE = {name: op for name, op in registry.ops().items() if hasattr(op, "saves")}


def test_the_elementwise_ops_and_activations_are_pointwise():
    for name in ["Neg", "Exp", "Log", "Sqrt", "Abs", "Tanh", "Sigmoid", "Relu", "Clip",
                 "Cast", "Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum",
                 "LeakyRelu", "Elu", "Selu", "Gelu", "GeluTanh", "Silu", "Softplus"]:
        assert name in POINTWISE, f"{name} is not declared with mg.pointwise"


@pytest.mark.parametrize("name", sorted(POINTWISE))
@given(shape=shapes(min_dims=1))
def test_keeps_exactly_what_it_declares(name, shape):
    op = POINTWISE[name]
    xs = [mg.tensor(np.full(shape, 0.5 + i), requires_grad=True) for i in range(len(op.vjps))]
    y = op.apply(*xs, **PARAMS.get(name, {}))
    ctx = y.grad_fn
    want = {None: [], "input": [x.data for x in xs], "output": [y.data],
            "both": [x.data for x in xs] + [y.data]}[op.saves]
    assert len(ctx.saved) == len(want)
    assert all(s is w for s, w in zip(ctx.saved, want)), f"{name} keeps other arrays"
    assert getattr(ctx, "params", {}) == PARAMS.get(name, {})


def test_exp_keeps_its_output_and_leaky_relu_only_its_input():
    x = mg.tensor(np.array([-1.0, 2.0]), requires_grad=True)
    y = x.exp()
    assert y.grad_fn.saved == (y.data,) and y.grad_fn.saved[0] is y.data
    z = mg.nn.functional.leaky_relu(x, 0.1)
    assert len(z.grad_fn.saved) == 1 and z.grad_fn.saved[0] is x.data


def test_vjp_skipped_for_an_input_that_needs_no_gradient():
    def never(g, a, b):
        raise AssertionError("vjp of b called although b needs no gradient")
    Op = mg.pointwise("MulSkip", np.multiply, (lambda g, a, b: g * b, never), saves="input")
    a = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    Op.apply(a, mg.tensor(np.array([3.0, 4.0]))).sum().backward()
    assert a.grad.tolist() == [3.0, 4.0]


@given(arrays((3,), away_from_zero=0.2))
def test_none_marks_an_input_without_gradient(v):
    Op = mg.pointwise("ScaleBy", lambda x, c: x * c, (lambda g, x, c: g * c, None),
                      saves="input")
    x = mg.tensor(v, requires_grad=True)
    c = mg.tensor(np.array([2.0, -1.0, 0.5]), requires_grad=True)
    Op.apply(x, c).sum().backward()
    np.testing.assert_allclose(x.grad, c.data)
    assert c.grad is None


def test_user_ops_are_registered_as_users():
    assert "Cube" not in registry.ops()
    user = registry.ops(include_user=True)
    assert user["Cube"] is Cube and Cube.__module__ == __name__
    assert Cube.name == "Cube" and Cube.__doc__ == "y = x^3, dy/dx = 3 x^2"


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(saves="x"), ValueError, "saves must be one of None, 'input', 'output', 'both'"),
    (dict(vjp=lambda g: g), TypeError, r"vjp is called as \(g, x\)"),
    (dict(vjp=(lambda g, x1, x2: g, lambda g, x1, x2: g)), ValueError,
     "forward takes 1 inputs but 2 vjps"),
    (dict(forward=np.add), ValueError, "forward takes 2 inputs but 1 vjps"),
    (dict(forward=np.exp, saves="output", vjp=lambda g: g), TypeError,
     r"vjp is called as \(g, y\)"),
    (dict(vjp=None), ValueError, "at least one input needs a vjp"),
    (dict(vjp="g * x"), TypeError, "vjp must be a function"),
    (dict(forward=3), TypeError, "forward must be callable"),
    (dict(name="not a name"), ValueError, "name must be an identifier"),
    (dict(name=3), TypeError, "name must be a string"),
])
def test_inconsistent_declarations_fail_at_definition(kwargs, error, message):
    spec = dict(name="Bad", forward=_cube, vjp=lambda g, x: g * 3 * x * x, saves="input")
    spec.update(kwargs)
    with pytest.raises(error, match=message):
        mg.pointwise(**spec)
