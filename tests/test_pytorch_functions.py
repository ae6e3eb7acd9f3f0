"""More of PyTorch's tensor functions (minigrad/ops/tensor_functions.py, compat.py,
factories.randint/randperm, einsum's ``...`` and diagonals, norm at zero): values
against NumPy or a hand computation, errors that name the argument.

Gradients of the differentiable ones are declared in tests/test_core_grad.py; the
tests here that patch a backward show those checks reject a wrong one.
"""
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops.pnorm import Norm


def _x(*shape):
    return mg.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape) * 0.5 - 1)


# ------------------------------------------------------------- products
def test_mm_and_bmm_are_checked_matrix_products():
    a, b = _x(2, 3), _x(3, 4)
    np.testing.assert_allclose(mg.mm(a, b).data, a.data @ b.data)
    p, q = _x(5, 2, 3), _x(5, 3, 4)
    np.testing.assert_allclose(mg.bmm(p, q).data, p.data @ q.data)
    with pytest.raises(RuntimeError, match=r"mm: expected .* got shapes \(2, 3\) and \(2, 3\)"):
        mg.mm(a, a)
    with pytest.raises(RuntimeError, match="mm: expected"):
        mg.mm(p, b)                              # no broadcasting, as torch.mm
    with pytest.raises(RuntimeError, match=r"bmm: .* \(5, 2, 3\) and \(3, 4\)"):
        mg.bmm(p, b)


# ------------------------------------------------------------- selection and copies
def test_index_select_picks_along_dim_and_accumulates_repeats():
    x = mg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x.index_select(1, mg.tensor([3, 0, 3]))
    np.testing.assert_array_equal(y.data, x.data[:, [3, 0, 3]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 0, 2]] * 3)
    np.testing.assert_array_equal(mg.index_select(x, 0, np.array([2])).data, x.data[[2]])
    with pytest.raises(TypeError, match="1-D integer index"):
        x.index_select(0, [0.5])
    with pytest.raises(IndexError, match="out of range for dim 1 of size 4"):
        x.index_select(1, [4])
    with pytest.raises(IndexError, match="dim 2 out of range"):
        x.index_select(2, [0])


def test_expand_as_and_clone():
    x = mg.tensor([[1.0], [2.0]], requires_grad=True)
    assert x.expand_as(mg.zeros(2, 3)).shape == (2, 3)
    c = x.clone()
    assert c.grad_fn.name == "Clone" and not np.shares_memory(c.data, x.data)
    np.testing.assert_array_equal(c.data, x.data)
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0], [3.0]])
    plain = mg.clone(mg.ones(2))
    assert not plain.requires_grad and plain.grad_fn is None


def test_device_is_the_cpu():
    x = mg.ones(2)
    assert x.device == mg.device("cpu") and x.device == "cpu" and str(x.device) == "cpu"
    assert mg.zeros(1, device=x.device).device.type == "cpu"


# ------------------------------------------------------------- arithmetic methods
def test_add_sub_mul_div_methods_as_pytorch():
    a, b = _x(2, 3), _x(3) + 2
    np.testing.assert_allclose(a.add(b).data, a.data + b.data)
    np.testing.assert_allclose(a.add(b, alpha=-2).data, a.data - 2 * b.data)
    np.testing.assert_allclose(mg.add(a, 1.5, alpha=2).data, a.data + 3.0)
    np.testing.assert_allclose(a.sub(b, alpha=0.5).data, a.data - 0.5 * b.data)
    np.testing.assert_allclose(mg.sub(a, b).data, a.data - b.data)
    np.testing.assert_allclose(a.mul(b).data, a.data * b.data)
    np.testing.assert_allclose(mg.div(a, b).data, a.data / b.data)
    assert (a + b).grad_fn is None and mg.Tensor.__add__ is not mg.Tensor.add


def test_div_rounding_modes_and_their_zero_gradient():
    a = mg.tensor([3.5, -2.5, 7.0], dtype=mg.float64, requires_grad=True)
    b = mg.tensor([2.0, 2.0, -2.0], dtype=mg.float64, requires_grad=True)
    np.testing.assert_array_equal(a.div(b, rounding_mode="floor").data, [1.0, -2.0, -4.0])
    t = a.div(b, rounding_mode="trunc")
    np.testing.assert_array_equal(t.data, [1.0, -1.0, -3.0])
    (t.sum() + a.div(b, rounding_mode="floor").sum()).backward()
    np.testing.assert_array_equal(a.grad, 0.0)           # PyTorch: zero, not 1/b
    np.testing.assert_array_equal(b.grad, 0.0)
    i, j = mg.tensor([7, -7]), mg.tensor([2, 2])
    assert i.div(j, rounding_mode="floor").tolist() == [3, -4]
    trunc = i.div(j, rounding_mode="trunc")
    assert trunc.tolist() == [3, -3] and trunc.dtype == np.int64
    with pytest.raises(ValueError, match="rounding_mode None, 'trunc' or 'floor', got 'round'"):
        a.div(b, rounding_mode="round")


# ------------------------------------------------------------- predicates and counts
def test_isnan_isinf_isfinite_allclose_numel_is_tensor():
    x = mg.tensor([1.0, np.nan, np.inf, -np.inf])
    assert mg.isnan(x).tolist() == [False, True, False, False]
    assert x.isinf().tolist() == [False, False, True, True]
    assert mg.isfinite(x).tolist() == [True, False, False, False]
    assert x.isnan().dtype == np.bool_
    a = _x(2, 3)
    assert mg.allclose(a, a + 1e-9) and not mg.allclose(a, a + 1e-3)
    assert a.allclose(a.data) and mg.allclose(x, x, equal_nan=True) and not mg.allclose(x, x)
    assert mg.numel(a) == 6 and mg.numel(mg.tensor(1.0)) == 1
    assert mg.is_tensor(a) and mg.is_tensor(mg.nn.Parameter(a.data))
    assert not mg.is_tensor(a.data) and not mg.is_tensor(1.0)


# ------------------------------------------------------------- random draws
def test_randint_forms_follow_manual_seed():
    mg.manual_seed(5)
    a = mg.randint(10, (3, 4))
    b = mg.randint(3, 6, (1000,))
    c = mg.randint(0, 2, size=(2,), dtype=mg.int32)
    mg.manual_seed(5)
    np.testing.assert_array_equal(mg.randint(10, (3, 4)).data, a.data)
    assert a.dtype == np.int64 and a.shape == (3, 4) and 0 <= a.data.min() <= a.data.max() < 10
    assert set(b.tolist()) == {3, 4, 5}                    # [low, high), every value drawn
    assert c.dtype == np.int32 and c.shape == (2,)
    with pytest.raises(TypeError, match="expected a size"):
        mg.randint(10)
    with pytest.raises(TypeError, match=r"randint\(high, size\)"):
        mg.randint(1, 2, 3, (4,))
    with pytest.raises(ValueError, match="low < high, got low=5, high=5"):
        mg.randint(5, 5, (2,))


def test_randperm_is_a_seeded_permutation():
    mg.manual_seed(1)
    p = mg.randperm(20)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(20))
    mg.manual_seed(1)
    np.testing.assert_array_equal(mg.randperm(20).data, p.data)
    assert mg.randperm(0).shape == (0,)
    assert mg.randperm(4, dtype=mg.float32).dtype == np.float32
    with pytest.raises(ValueError, match="non-negative int n, got -1"):
        mg.randperm(-1)


# ------------------------------------------------------------- inference_mode, legacy types
def test_inference_mode_is_no_grad_as_context_and_decorator():
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode():
        assert not (x * 2).requires_grad and not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    with mg.inference_mode(False):
        assert (x * 2).requires_grad

    @mg.inference_mode()
    def called():
        return x * 2

    @mg.inference_mode
    def bare():
        """Its docstring."""
        return x * 2

    assert not called().requires_grad and not bare().requires_grad
    assert bare.__doc__ == "Its docstring." and mg.is_grad_enabled()


def test_legacy_typed_constructors():
    assert mg.FloatTensor(2, 3).shape == (2, 3) and mg.FloatTensor(2, 3).dtype == np.float32
    assert mg.LongTensor([1, 2]).dtype == np.int64 and mg.LongTensor([1, 2]).tolist() == [1, 2]
    d = mg.DoubleTensor([[1.5]])
    assert d.dtype == np.float64 and d.tolist() == [[1.5]]
    assert mg.LongTensor().shape == (0,)                  # as torch.LongTensor()
    with pytest.raises(TypeError, match="FloatTensor: expected sizes"):
        mg.FloatTensor([1.0], [2.0])


# ------------------------------------------------------------- view(dtype)
def test_view_dtype_reinterprets_the_bytes():
    x = mg.tensor([1.0, -2.0], dtype=mg.float32)
    bits = x.view(mg.int32)
    np.testing.assert_array_equal(bits.data, x.data.view(np.int32))
    assert np.shares_memory(bits.data, x.data) and bits.grad_fn is None
    assert mg.tensor(np.zeros((2, 4), np.float32)).view(mg.float64).shape == (2, 2)
    assert x.view(mg.float32) is x
    assert x.view(2, 1).shape == (2, 1) and x.view((1, 2)).shape == (1, 2)
    with pytest.raises(RuntimeError, match=r"view\(float64\): cannot reinterpret"):
        mg.tensor(np.zeros(3, np.float32)).view(mg.float64)


# ------------------------------------------------------------- einsum
@settings(max_examples=30, deadline=None)
@given(st.sampled_from([
    ("ii->", [(3, 3)]), ("ii->i", [(4, 4)]), ("iij->ji", [(2, 2, 3)]), ("ii", [(3, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]), ("...ii->...i", [(2, 3, 3)]),
    ("i...,i...", [(2, 3), (2, 1)]), ("bii,bj->bij", [(2, 3, 3), (2, 2)]),
    ("...,...", [(2, 3), (3,)]), ("ij...->...", [(2, 3, 4)]), ("...", [(2, 3)]),
]), st.integers(0, 2 ** 16))
def test_einsum_ellipsis_and_repeated_letters_match_numpy(case, seed):
    equation, shapes = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    got = mg.einsum(equation, *[mg.tensor(a) for a in arrays])
    expected = np.einsum(equation, *arrays)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)
    ts = [mg.tensor(a, requires_grad=True) for a in arrays]
    assert mg.gradcheck(lambda *t: mg.einsum(equation, *t), ts)


def test_einsum_trace_gradient_is_the_identity():
    x = mg.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    mg.einsum("ii", x).backward()
    np.testing.assert_array_equal(x.grad, np.eye(3))


def test_einsum_ellipsis_errors():
    with pytest.raises(ValueError, match="do not broadcast"):
        mg.einsum("...i,...i", _x(2, 3), _x(4, 3))
    with pytest.raises(ValueError, match="malformed"):
        mg.einsum("....i", _x(2, 3))
    with pytest.raises(ValueError, match="name 3 dims, the operand has 2"):
        mg.einsum("...ijk", _x(2, 3))


def test_gradcheck_rejects_a_wrong_diagonal_backward(monkeypatch):
    """The diagonal scatter is what the einsum Cases check: moved off the diagonal,
    gradcheck fails."""
    module = importlib.import_module("minigrad.ops.einsum")
    right = module._diagonal
    monkeypatch.setattr(module, "_diagonal", lambda *args: tuple(
        np.roll(i, 1) if k == 0 else i for k, i in enumerate(right(*args))))
    x = mg.tensor(np.arange(9.0).reshape(3, 3) / 4, requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: mg.einsum("ii->i", t), [x])


# ------------------------------------------------------------- norm at zero
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, "fro"])
def test_norm_gradient_at_zero_is_zero_as_pytorch(p):
    x = mg.zeros(2, 3, dtype=mg.float64, requires_grad=True)
    x.norm(p).backward()
    np.testing.assert_array_equal(x.grad, 0.0)              # not NaN
    rows = mg.tensor([[0.0, 0.0], [3.0, -4.0]], requires_grad=True)
    rows.norm(p, dim=1).sum().backward()
    assert np.all(np.isfinite(rows.grad)) and np.all(rows.grad[0] == 0)
    if p in (2, "fro"):
        np.testing.assert_allclose(rows.grad[1], [0.6, -0.8], rtol=1e-6)


def test_gradcheck_rejects_a_wrong_norm_backward(monkeypatch):
    right = Norm.backward
    monkeypatch.setattr(Norm, "backward", staticmethod(lambda ctx, g: 1.01 * right(ctx, g)))
    x = mg.tensor([[0.5, -1.5], [2.0, 1.0]], dtype=mg.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: t.norm(3, dim=1), [x])
