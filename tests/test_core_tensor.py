"""Tensors themselves: construction and dtypes, factories, seeding, save/load,
numerically stable forms, and the small accessors."""
import warnings

import numpy as np
import pytest

import minigrad as mg


# -------------------------------------------------------------------- dtypes
def test_default_dtype_is_float32():
    assert mg.get_default_dtype() == mg.float32 == np.float32
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3.5).dtype == np.float32
    assert mg.zeros(2).dtype == np.float32 and mg.randn(2).dtype == np.float32


def test_numpy_arrays_keep_their_dtype():
    assert mg.tensor(np.ones(2, np.float64)).dtype == np.float64
    assert mg.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert mg.tensor(np.arange(3)).dtype == np.int64
    assert mg.tensor(np.array([True, False])).dtype == np.bool_
    assert mg.tensor([1, 2]).dtype.kind == "i"          # integer lists stay integer


def test_float64_survives_ops_and_gradients():
    x = mg.tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = ((x * 2).exp() / 3).sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


@pytest.mark.parametrize("op", [lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: x + 1,
                                lambda x: 1 - x, lambda x: x / 3, lambda x: 3.0 / x,
                                lambda x: x ** 2, lambda x: 2.0 ** x,
                                lambda x: mg.maximum(x, 0.5), lambda x: mg.where(x > 0, x, 0.0),
                                lambda x: x.clip(0.0, 1.0)])
def test_python_scalars_do_not_upcast_float32(op):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_set_default_dtype():
    mg.set_default_dtype(mg.float64)
    assert mg.get_default_dtype() == np.float64
    assert mg.tensor([1.0]).dtype == np.float64
    assert mg.ones(2).dtype == np.float64 and mg.rand(2).dtype == np.float64
    assert mg.arange(0.0, 1.0, 0.5).dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        mg.set_default_dtype(np.int32)


def test_tensor_copies_its_input():
    a = np.ones(3)
    t = mg.tensor(a)
    a[0] = 5
    assert t.data[0] == 1


def test_astype_is_differentiable_and_casts_the_gradient_back():
    x = mg.tensor([1.0, 2.0], requires_grad=True)          # float32
    y = x.astype(mg.float64) * np.array([1e-3, 2.0])
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [1e-3, 2.0], rtol=1e-6)


# ----------------------------------------------------------------- factories
@pytest.mark.parametrize("make, shape, fill", [
    (lambda **k: mg.zeros(2, 3, **k), (2, 3), 0.0),
    (lambda **k: mg.zeros((2, 3), **k), (2, 3), 0.0),
    (lambda **k: mg.ones(4, **k), (4,), 1.0),
    (lambda **k: mg.full((2, 2), 7.5, **k), (2, 2), 7.5),
    (lambda **k: mg.zeros_like(mg.ones(3, 1), **k), (3, 1), 0.0),
    (lambda **k: mg.ones_like(np.zeros((1, 2)), **k), (1, 2), 1.0),
])
def test_filled_factories(make, shape, fill):
    t = make()
    assert t.shape == shape and np.all(t.data == fill) and not t.requires_grad
    t = make(dtype=mg.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf


def test_empty_eye_arange():
    assert mg.empty(2, 5).shape == (2, 5)
    np.testing.assert_array_equal(mg.eye(3).data, np.eye(3))
    assert mg.eye(2, 3).shape == (2, 3)
    np.testing.assert_array_equal(mg.arange(4).data, [0, 1, 2, 3])
    assert mg.arange(4).dtype == np.int64
    np.testing.assert_allclose(mg.arange(1.0, 2.0, 0.25).data, [1, 1.25, 1.5, 1.75])
    assert mg.arange(1.0, 2.0, 0.25).dtype == np.float32


def test_random_factories():
    n = mg.randn(2000, dtype=mg.float64)
    u = mg.rand(2000)
    assert abs(n.data.mean()) < 0.1 and 0.9 < n.data.std() < 1.1
    assert u.data.min() >= 0 and u.data.max() < 1 and abs(u.data.mean() - 0.5) < 0.05
    assert mg.randn(2, 3, requires_grad=True).requires_grad


def test_manual_seed_makes_draws_reproducible():
    gen = mg.manual_seed(123)          # returns the generator, as PyTorch's does
    assert isinstance(gen, np.random.Generator)
    np.testing.assert_array_equal(gen.random(2), np.random.default_rng(123).random(2))
    mg.manual_seed(123)
    a = (mg.randn(5).data, mg.rand(3).data)
    mg.manual_seed(123)
    b = (mg.randn(5).data, mg.rand(3).data)
    mg.manual_seed(124)
    c = mg.randn(5).data
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c)


# -------------------------------------------------------------- save / load
def test_save_load_round_trip(tmp_path):
    state = {"layer.weight": mg.randn(3, 4), "layer.bias": np.arange(4, dtype=np.float64),
             "steps": np.array(7), "mask": np.array([True, False])}
    path = tmp_path / "model.npz"
    mg.save(state, path)
    back = mg.load(path)
    assert list(back) == list(state)
    for k, v in state.items():
        want = v.data if isinstance(v, mg.Tensor) else v
        assert back[k].dtype == want.dtype
        np.testing.assert_array_equal(back[k], want)


def test_save_writes_exactly_the_given_path(tmp_path):
    path = tmp_path / "checkpoint.weights"
    mg.save({"w": np.ones(2)}, path)
    assert path.exists() and not (tmp_path / "checkpoint.weights.npz").exists()
    np.testing.assert_array_equal(mg.load(str(path))["w"], np.ones(2))


def test_saved_file_is_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "s.npz"
    mg.save({"w": np.ones(2)}, path)
    with np.load(path, allow_pickle=False) as f:
        assert f.files == ["w"]


# ------------------------------------------------------- numerical stability
def test_log_of_zero_is_minus_inf_with_a_warning():
    x = mg.tensor([0.0, 1.0])
    with pytest.warns(RuntimeWarning):
        y = x.log()
    assert y.data[0] == -np.inf and y.data[1] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_at_extremes(dtype):
    x = mg.tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no overflow warning either
        y = x.sigmoid()
        y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(y.data[[0, 2, 4]], [0.0, 0.5, 1.0], atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_are_stable_at_extremes(dtype):
    data = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]], dtype)
    x = mg.tensor(data, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = x.softmax(axis=1)
        lp = x.log_softmax(axis=1)
        (p.sum() + lp[:, 0].sum()).backward()
    assert np.all(np.isfinite(p.data)) and np.all(np.isfinite(lp.data))
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(p.data.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(lp.data[0], [0.0, -1000.0, -2000.0], rtol=1e-6)
    e = np.exp(1.0)
    np.testing.assert_allclose(p.data[1], [1 / (2 + e), 1 / (2 + e), e / (2 + e)], rtol=1e-5)


# ------------------------------------------------------------------ basics
def test_accessors():
    x = mg.tensor([[1.0, 2.0, 3.0]])
    assert x.shape == (1, 3) and x.ndim == 2 and x.numel() == 3 and len(x) == 1
    assert x.T.shape == (3, 1)
    assert +x is x
    assert isinstance(x.numpy(), np.ndarray) and x.numpy() is x.data
    assert mg.tensor([2.5]).item() == 2.5 and isinstance(mg.tensor([2.5]).item(), float)
    assert x.grad is None and x.grad_fn is None and x.is_leaf
    assert "tensor(" in repr(x)


def test_comparisons_give_boolean_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for m in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2, 2 < x):
        assert isinstance(m, mg.Tensor) and m.dtype == np.bool_ and not m.requires_grad
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])


def test_requires_grad_flag_and_leafness():
    x = mg.tensor([1.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name == "Mul"
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


def test_numpy_arrays_on_the_left_defer_to_tensors():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, mg.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_iteration_yields_differentiable_rows():
    x = mg.tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    (rows[0] * 2 + rows[2]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="0-d"):
        iter(mg.tensor(1.0))
