"""In-place ops and version counters (minigrad/ops/inplace.py, minigrad/versions.py).

Rules under test (PyTorch's): every in-place op changes the tensor's own array and
bumps its version; on a leaf that requires grad it is allowed only under no_grad;
on a tensor in the graph it is recorded so gradients stay right; a backward that
needs memory changed after it was saved raises "modified by an inplace operation"
naming the op. Gradients of recorded in-place programs are checked against central
differences (mg.gradcheck, float64) over hypothesis-drawn shapes and values.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn, optim
from minigrad.ops.indexing import SetItem
from minigrad.testing import arrays, shapes

F64 = np.float64


def t(values, rg=False, dtype=F64):
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=rg)


# ------------------------------------------------------------ values, identity, versions
# name, call, NumPy reference of the new value from the old one
OPS = [
    ("add_", lambda x: x.add_(np.array([1.0, 2.0, 3.0])), lambda a: a + [1, 2, 3]),
    ("add_ alpha", lambda x: x.add_(t([1.0, 2.0, 3.0]), alpha=-0.5), lambda a: a - 0.5 * np.array([1, 2, 3])),
    ("sub_", lambda x: x.sub_(2.0), lambda a: a - 2),
    ("sub_ alpha", lambda x: x.sub_(np.ones(3), alpha=3), lambda a: a - 3),
    ("mul_", lambda x: x.mul_(t([2.0, 0.5, -1.0])), lambda a: a * [2, 0.5, -1]),
    ("div_", lambda x: x.div_(4.0), lambda a: a / 4),
    ("div_ floor", lambda x: x.div_(0.7, rounding_mode="floor"), lambda a: np.floor(a / 0.7)),
    ("div_ trunc", lambda x: x.div_(0.7, rounding_mode="trunc"), lambda a: np.trunc(a / 0.7)),
    ("pow_", lambda x: x.pow_(2), lambda a: a ** 2),
    ("clamp_", lambda x: x.clamp_(min=-0.5, max=1.0), lambda a: np.clip(a, -0.5, 1.0)),
    ("clamp_ min", lambda x: x.clamp_(0.0), lambda a: np.maximum(a, 0)),
    ("masked_fill_", lambda x: x.masked_fill_(np.array([True, False, True]), 9.0),
     lambda a: np.where([True, False, True], 9.0, a)),
    ("zero_", lambda x: x.zero_(), lambda a: np.zeros_like(a)),
    ("fill_", lambda x: x.fill_(7.5), lambda a: np.full_like(a, 7.5)),
    ("fill_ tensor", lambda x: x.fill_(t(3.0)), lambda a: np.full_like(a, 3.0)),
    ("copy_", lambda x: x.copy_(np.array([4.0, 5.0, 6.0])), lambda a: np.array([4.0, 5, 6])),
    ("copy_ broadcast", lambda x: x.copy_(t(2.0)), lambda a: np.full_like(a, 2.0)),
    ("iadd", lambda x: x.__iadd__(1.0), lambda a: a + 1),
    ("isub", lambda x: x.__isub__(t([1.0, 1.0, 1.0])), lambda a: a - 1),
    ("imul", lambda x: x.__imul__(3.0), lambda a: a * 3),
    ("itruediv", lambda x: x.__itruediv__(2.0), lambda a: a / 2),
    ("ipow", lambda x: x.__ipow__(3), lambda a: a ** 3),
]


@pytest.mark.parametrize("name,call,ref", OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("under_no_grad", [False, True])
def test_op_changes_the_tensor_itself_and_bumps_its_version(name, call, ref, under_no_grad):
    start = np.array([-1.2, 0.3, 2.5])
    x = t(start, rg=under_no_grad)          # a parameter may change only under no_grad
    array = x.data
    if under_no_grad:
        with mg.no_grad():
            out = call(x)
    else:
        out = call(x)
    assert out is x and x.data is array
    np.testing.assert_allclose(x.data, ref(start), rtol=1e-15)
    assert x._version == 1 and x.is_leaf and x.requires_grad is under_no_grad


def test_augmented_operators_keep_the_object():
    x = t([1.0, 2.0])
    y = x
    y += 1
    y *= 2
    assert y is x and x.tolist() == [4.0, 6.0] and x._version == 2


def test_normal_and_uniform_follow_manual_seed():
    def draw():
        mg.manual_seed(3)
        return mg.zeros(2000, dtype=F64).normal_(1.0, 2.0).data.copy(), \
            mg.zeros(2000, dtype=F64).uniform_(-1.0, 3.0).data.copy()
    (n1, u1), (n2, u2) = draw(), draw()
    np.testing.assert_array_equal(n1, n2)
    np.testing.assert_array_equal(u1, u2)
    assert abs(n1.mean() - 1.0) < 0.2 and abs(n1.std() - 2.0) < 0.2
    assert u1.min() >= -1.0 and u1.max() < 3.0 and abs(u1.mean() - 1.0) < 0.2


def test_setitem_writes_in_place_and_counts():
    x = mg.zeros(2, 3, dtype=F64)
    array = x.data
    x[0] = t([1.0, 2.0, 3.0])
    x[1, 1:] = 5.0
    x[np.array([1]), 0] = -1.0
    assert x.data is array and x._version == 3
    np.testing.assert_array_equal(x.data, [[1, 2, 3], [-1, 5, 5]])


def test_version_is_shared_by_views_and_detached_tensors():
    x = t([[1.0, 2.0], [3.0, 4.0]])
    d, r = x.detach(), x.reshape(4)
    d.add_(1)
    r[0] = 0.0
    assert x._version == d._version == r._version == 2
    assert x.data[0, 0] == 0 and x.data[1, 1] == 5


def test_numpy_writes_into_data_are_not_tracked():
    """The documented escape hatch: .data is the ndarray."""
    x = t([1.0, 2.0])
    x.data[0] = 10.0
    x.data += 1
    assert x._version == 0


# ------------------------------------------------------------ leaf rules
def test_leaf_that_requires_grad_refuses_in_place_in_grad_mode():
    w = t([1.0, 2.0], rg=True)
    for call in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.__iadd__(1.0),
                 lambda: w.__setitem__(0, 3.0), lambda: w.normal_()):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad .* in-place"):
            call()
    assert w.tolist() == [1.0, 2.0] and w._version == 0 and w.is_leaf


def test_manual_sgd_with_augmented_operator_under_no_grad():
    w = t([1.0, -2.0], rg=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with mg.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    assert w.requires_grad and w.is_leaf          # still the same parameter
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.5 ** 3)


def test_add_with_array_grad_and_alpha_as_optimizers_write():
    p = t([1.0, 2.0], rg=True)
    (p * 3).sum().backward()
    with mg.no_grad():
        p.add_(p.grad, alpha=-0.1)
    np.testing.assert_allclose(p.data, [0.7, 1.7])


# ------------------------------------------------------------ version checks
MESSAGE = "modified by an inplace operation"


def test_saved_input_changed_in_place_raises_naming_op_and_shape():
    x = t(np.ones((2, 3)), rg=True)
    h = x * 2
    y = h.sin()                 # Sin saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match=rf"{MESSAGE}.*\[2, 3\].*input 0 of Sin"):
        y.sum().backward()


def test_saved_output_changed_in_place_raises():
    x = t([0.5, 1.0], rg=True)
    y = x.exp()                 # Exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=f"{MESSAGE}.*output 0 of Exp"):
        y.sum().backward()


def test_optimizer_step_between_forward_and_backward_raises():
    mg.manual_seed(0)
    model = nn.Linear(3, 2).double()
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = mg.randn(4, 3, dtype=F64)
    model(x).sum().backward()
    v = model.weight._version
    opt.step()
    assert model.weight._version == v + 1
    loss = (model(x) ** 2).sum()
    opt.step()                  # between forward and backward
    with pytest.raises(RuntimeError, match=MESSAGE):
        loss.backward()


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
def test_recurrent_weight_changed_between_forward_and_backward_raises(cls):
    mg.manual_seed(1)
    rnn = cls(3, 4).double()
    out, _ = rnn(mg.randn(5, 2, 3, dtype=F64))
    with mg.no_grad():
        rnn.weight_hh_l0.mul_(0.5)
    with pytest.raises(RuntimeError, match=f"{MESSAGE}.*Recurrent"):
        out.sum().backward()


def test_lbfgs_steps_bump_versions():
    w = t([1.0, 2.0], rg=True)
    opt = optim.LBFGS([w], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = ((w - 3) ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    assert w._version >= 1


def test_change_after_backward_is_fine_and_unsaved_inputs_may_change():
    x = t([1.0, 2.0], rg=True)
    a = x * 3
    y = a + 1                   # Add saves nothing: changing a later is harmless
    a.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


# ------------------------------------------------------------ recorded in-place gradients
def test_earlier_consumers_keep_the_value_they_used():
    """z used y before y was changed in place: z's gradient goes to the old y."""
    x = t([1.0, 2.0], rg=True)
    y = x * 2
    z = y + 0.0
    y.mul_(3)                   # y = 6x now; z = 2x
    (z + y).sum().backward()
    np.testing.assert_array_equal(x.grad, [8.0, 8.0])


def test_in_place_on_plain_tensor_with_grad_operand_joins_the_graph():
    w = t([1.0, 2.0, 3.0], rg=True)
    acc = mg.zeros(3, dtype=F64)
    acc += w * w
    acc[1] = w[0] * 10
    assert acc.requires_grad and not acc.is_leaf
    acc.sum().backward()
    np.testing.assert_array_equal(w.grad, [2 + 10, 0, 6])


def _program(x, w, which):
    """A small program changing a non-leaf in place, one op at a time."""
    y = x * 1.5
    if which == "add_":
        y.add_(w, alpha=0.5)
    elif which == "sub_":
        y.sub_(w.tanh())
    elif which == "mul_":
        y.mul_(w)
    elif which == "div_":
        y.div_(w * w + 1)
    elif which == "pow_":
        y.pow_(2)
    elif which == "clamp_":
        y.clamp_(-0.5, 0.5)
    elif which == "masked_fill_":
        y.masked_fill_(x.data > 0, 0.25)
    elif which == "copy_":
        y.copy_(w.sin())
    elif which == "fill_":
        y.fill_(w.sum())
    elif which == "setitem":
        y[..., 0] = w[..., 0] * 3
    elif which == "iadd":
        y += w.exp()
    return (y * x).sum() + (y * w).sum()


RECORDED = ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "masked_fill_", "copy_",
            "fill_", "setitem", "iadd"]


@pytest.mark.parametrize("which", RECORDED)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_recorded_in_place_gradients_match_central_differences(which, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    x = mg.tensor(data.draw(arrays(shape, away_from_zero=0.1)), requires_grad=True)
    w = mg.tensor(data.draw(arrays(shape)), requires_grad=True)
    if which == "clamp_":       # keep 1.5 x off the clamp bounds (kinks)
        x.data[np.abs(np.abs(1.5 * x.data) - 0.5) < 0.05] += 0.2
    mg.gradcheck(lambda a, b: _program(a, b, which), [x, w])


def test_gradcheck_rejects_a_wrong_setitem_backward(monkeypatch):
    """The check above has teeth: SetItem passing dL/dy through where it overwrote fails."""
    def wrong(ctx, g):
        return g.copy(), g[ctx.index]
    monkeypatch.setattr(SetItem, "backward", staticmethod(wrong))
    x = t(np.linspace(-1, 1, 6).reshape(2, 3), rg=True)
    w = t(np.linspace(0.5, 1.5, 6).reshape(2, 3), rg=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda a, b: _program(a, b, "setitem"), [x, w])


def test_setitem_with_repeated_index_sends_gradient_to_the_kept_write():
    w = t([1.0, 2.0, 3.0], rg=True)
    y = mg.zeros(2, dtype=F64)
    y[np.array([0, 0, 1])] = w          # NumPy keeps the last write to 0: w[1]
    assert y.tolist() == [2.0, 3.0]
    y.sum().backward()
    np.testing.assert_array_equal(w.grad, [0.0, 1.0, 1.0])


# ------------------------------------------------------------ errors change nothing
BAD = [
    (lambda x: x.add_(np.ones((2, 3))), RuntimeError, "result has shape \\[2, 3\\].*\\[3\\]"),
    (lambda x: x.fill_(np.ones(2)), RuntimeError, "fill_: expected a number"),
    (lambda x: x.clamp_(), ValueError, "at least one of min and max"),
    (lambda x: x.div_(2.0, rounding_mode="round"), ValueError, "rounding_mode"),
    (lambda x: x.normal_(std=-1.0), ValueError, "std >= 0"),
    (lambda x: x.uniform_(2.0, 1.0), ValueError, "a <= b"),
    (lambda x: x.__setitem__(5, 1.0), IndexError, "__setitem__.*shape \\[3\\]"),
    (lambda x: x.__setitem__(slice(None), np.ones(4)), ValueError, "__setitem__"),
    (lambda x: x.masked_fill_(np.array([1, 0, 1]), 0.0), TypeError, "boolean mask"),
]


@pytest.mark.parametrize("call,exc,match", BAD)
def test_bad_input_raises_clearly_and_changes_nothing(call, exc, match):
    x = t([1.0, 2.0, 3.0])
    with pytest.raises(exc, match=match):
        call(x)
    assert x.tolist() == [1.0, 2.0, 3.0] and x._version == 0


def test_integer_tensor_refuses_a_float_result():
    x = mg.tensor(np.array([1, 2, 3]))
    with pytest.raises(RuntimeError, match="result type float64 can't be cast to .* int64"):
        x.add_(1.5)
    with pytest.raises(TypeError, match="normal_: expected a floating tensor"):
        x.normal_()
    x.add_(2)
    x.fill_(1.9)                # fill_ and copy_ convert, as PyTorch's
    assert x.tolist() == [1, 1, 1] and x._version == 2


def test_read_only_memory_is_refused():
    x = t([1.0, 2.0]).expand(3, 2)
    with pytest.raises(RuntimeError, match="read-only"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="read-only"):
        x[0] = 1.0


def test_recording_a_change_of_a_view_is_refused():
    x = t([[1.0, 2.0], [3.0, 4.0]], rg=True)
    y = x * 2
    row = y[0]
    with pytest.raises(RuntimeError, match="view of other memory"):
        row.mul_(3)
    assert y.tolist() == [[2.0, 4.0], [6.0, 8.0]] and y._version == 0


@pytest.mark.parametrize("make", [lambda a: mg.stack([a, a]), lambda a: a.sum(axis=0),
                                  lambda a: a.transpose(1, 0), lambda a: a.reshape(6)],
                         ids=["stack", "sum-axis", "transpose", "reshape"])
def test_nodes_saving_no_tuple_survive_an_in_place_change_elsewhere(make):
    """Nodes whose ctx.saved is an int, a shape or None (stack, sum over an axis,
    transpose, reshape) are checked like the others when some memory changed in place
    between forward and backward (here: a new module's initialisation)."""
    a = t(np.arange(6.0).reshape(3, 2), rg=True)
    y = make(a)
    nn.Linear(3, 3)                                   # its init changes memory in place
    (y * y).sum().backward()
    ref = t(np.arange(6.0).reshape(3, 2), rg=True)
    (make(ref) * make(ref)).sum().backward()
    np.testing.assert_array_equal(a.grad, ref.grad)


def test_a_saved_array_inside_a_nested_tuple_is_still_checked():
    from minigrad.tape import _arrays
    x, y = np.zeros(2), np.ones(3)
    assert [id(v) for v in _arrays((1, (x, None, [y]), "s"))] == [id(x), id(y)]
    assert [id(v) for v in _arrays(x)] == [id(x)] and _arrays(5) == [] and _arrays(None) == []
