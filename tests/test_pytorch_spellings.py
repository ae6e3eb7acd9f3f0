"""PyTorch's spellings beside NumPy's: each alias gives NumPy's (or PyTorch's documented)
values, refuses bad input with a clear error, and leaves NumPy's spelling unchanged.

Gradients of the differentiable aliases are declared in tests/test_core_grad.py.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _x(*shape):
    return mg.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape) * 0.5 - 1)


# ------------------------------------------------------------- size, dim, shapes
def test_size_is_numpys_number_and_pytorchs_method():
    x = _x(2, 3, 4)
    assert x.size == 24 and x.size * 2 == 48 and type(x.size * 2) is int
    assert x.size() == (2, 3, 4) and type(x.size()) is mg.Size
    assert isinstance(x.size(), tuple) and x.size()[1:] == (3, 4) and x.size().numel() == 24
    assert repr(x.size()) == "mg.Size([2, 3, 4])" and mg.Size([]).numel() == 1
    assert type(x.shape) is tuple                     # x.shape stays NumPy's plain tuple
    assert x.size(0) == 2 and x.size(-1) == 4
    assert x.dim() == 3 and mg.tensor(1.0).dim() == 0 and mg.tensor(1.0).size() == ()
    with pytest.raises(IndexError, match=r"size\(3\).*\[-3, 2\]"):
        x.size(3)
    with pytest.raises(TypeError, match="int dim"):
        x.size("0")


def test_view_reshape_as_permute_narrow():
    x = _x(2, 3, 4)
    np.testing.assert_array_equal(x.view(4, -1).data, x.data.reshape(4, 6))
    np.testing.assert_array_equal(x.view((6, 4)).data, x.data.reshape(6, 4))
    assert x.view_as(_x(3, 8)).shape == (3, 8) and x.reshape_as(_x(24)).shape == (24,)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, x.data.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.permute((1, 2, 0)).data, x.data.transpose(1, 2, 0))
    with pytest.raises(ValueError, match="permutation of the 3 dims"):
        x.permute(0, 0, 1)
    np.testing.assert_array_equal(x.narrow(2, 1, 2).data, x.data[:, :, 1:3])
    np.testing.assert_array_equal(x.narrow(-2, -1, 1).data, x.data[:, 2:3])
    with pytest.raises(IndexError, match="do not fit in dim 1 of size 3"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match="out of range for a 3-D"):
        x.narrow(3, 0, 1)
    assert x.contiguous() is x


def test_t_and_transpose_swap_two_dims_as_pytorch():
    m, v, c = _x(2, 3), _x(3), _x(2, 3, 4)
    np.testing.assert_array_equal(m.t().data, m.data.T)
    assert v.t() is v
    with pytest.raises(RuntimeError, match="<= 2 dimensions.*3-D"):
        c.t()
    np.testing.assert_array_equal(m.transpose(0, 1).data, m.data.T)     # PyTorch: a swap
    np.testing.assert_array_equal(c.transpose(0, 2).data, np.swapaxes(c.data, 0, 2))
    np.testing.assert_array_equal(c.transpose(-1, 1).data, np.swapaxes(c.data, -1, 1))
    np.testing.assert_array_equal(c.transpose().data, c.data.transpose())    # NumPy
    np.testing.assert_array_equal(c.transpose(1, 2, 0).data, c.data.transpose(1, 2, 0))
    np.testing.assert_array_equal(c.transpose((1, 0, 2)).data, c.data.transpose(1, 0, 2))
    np.testing.assert_array_equal(mg.transpose(m, 1, 0).data, m.data.T)
    with pytest.raises(IndexError, match="dimension 3 out of range for a 3-D"):
        c.transpose(0, 3)


def test_chunk_split_repeat():
    x = _x(5, 2)
    parts = x.chunk(2)
    assert [p.shape for p in parts] == [(3, 2), (2, 2)]
    assert [p.shape for p in x.chunk(3, dim=0)] == [(2, 2), (2, 2), (1, 2)]
    assert [p.shape for p in x.chunk(4, 1)] == [(5, 1), (5, 1)]
    np.testing.assert_array_equal(np.concatenate([p.data for p in parts]), x.data)
    assert [p.shape for p in x.split(2)] == [(2, 2), (2, 2), (1, 2)]
    got = x.split([1, 4], dim=0)
    np.testing.assert_array_equal(got[1].data, x.data[1:])
    with pytest.raises(ValueError, match=r"add up to 5, the size of dim 0"):
        x.split([1, 2])
    with pytest.raises(ValueError, match="positive"):
        x.chunk(0)
    np.testing.assert_array_equal(x.repeat(2, 3).data, np.tile(x.data, (2, 3)))
    np.testing.assert_array_equal(x.repeat(2, 1, 3).data, np.tile(x.data, (2, 1, 3)))
    with pytest.raises(ValueError, match="at least 2 sizes"):
        x.repeat(2)


def test_clamp_is_clip():
    x = _x(6)
    np.testing.assert_array_equal(x.clamp(-0.5, 0.7).data, np.clip(x.data, -0.5, 0.7))
    np.testing.assert_array_equal(x.clamp(min=0.0).data, np.maximum(x.data, 0.0))
    np.testing.assert_array_equal(mg.clamp(x, max=0.0).data, np.minimum(x.data, 0.0))
    with pytest.raises(ValueError, match="at least one of min and max"):
        x.clamp()


# ------------------------------------------------------------- dtypes and devices
def test_dtype_conversions_and_aliases():
    x = mg.tensor([1.5, -2.5, 0.0], requires_grad=True)
    assert (mg.float, mg.double, mg.long, mg.int, mg.bool) == \
        (np.float32, np.float64, np.int64, np.int32, np.bool_)
    assert x.float() is x and x.double().dtype == mg.double
    assert x.double().requires_grad                      # floating: differentiable
    for f, dt in ((x.long, np.int64), (x.int, np.int32), (x.bool, np.bool_)):
        y = f()
        assert y.dtype == dt and not y.requires_grad
        np.testing.assert_array_equal(y.data, x.data.astype(dt))
    assert x.type() == "float32" and x.type(mg.float64).dtype == np.float64
    assert x.to(mg.float64).dtype == np.float64 and x.to("cpu") is x
    assert x.to(mg.device("cpu"), mg.float64).dtype == np.float64
    assert x.to(_x(1)).dtype == np.float64 and x.to(dtype=mg.float64).dtype == np.float64
    assert x.cpu() is x
    c = x.to("cpu", copy=True)
    assert c is not x and c.requires_grad and np.array_equal(c.data, x.data)
    with pytest.raises(RuntimeError, match="'cuda'.*CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to(device="mps")


def test_devices():
    assert mg.device("cpu") == "cpu" and mg.device("cpu:0") == mg.device("cpu")
    assert str(mg.device("cpu")) == "cpu" and repr(mg.device("cpu")) == "device(type='cpu')"
    assert mg.cuda.is_available() is False and mg.accelerator.is_available() is False
    assert mg.cuda.device_count() == 0
    mg.set_default_device("cpu")
    for bad in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            mg.device(bad)
    with pytest.raises(RuntimeError, match="CPU only"):
        mg.set_default_device("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        mg.zeros(2, device="cuda")
    assert mg.zeros(2, 3, device="cpu").shape == (2, 3)


def test_module_to_takes_devices():
    layer = nn.Linear(2, 3)
    w = layer.weight
    assert layer.to("cpu") is layer and layer.to(mg.device("cpu")) is layer
    assert layer.to("cpu", mg.float64).weight is w and w.dtype == np.float64
    assert layer.to(device="cpu", dtype=mg.float32).weight.dtype == np.float32
    with pytest.raises(RuntimeError, match="CPU only"):
        layer.to("cuda")


def test_new_factories_take_the_tensors_dtype():
    x = mg.zeros(2, dtype=mg.float64)
    assert x.new_zeros(2, 3).dtype == np.float64 and x.new_zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(x.new_ones(2).data, np.ones(2))
    assert x.new_empty(4).shape == (4,)
    np.testing.assert_array_equal(x.new_full((2, 2), 7.0).data, np.full((2, 2), 7.0))
    t = x.new_tensor([1, 2], requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert x.new_zeros(3, dtype=mg.long).dtype == np.int64
    with pytest.raises(TypeError, match="int sizes"):
        x.new_zeros(2.5)


def test_module_level_factories():
    a = np.arange(6.0).reshape(2, 3)
    t = mg.from_numpy(a)
    a[0, 0] = 9.0
    assert t.data[0, 0] == 9.0 and t.dtype == np.float64          # shares memory
    with pytest.raises(TypeError, match="np.ndarray"):
        mg.from_numpy([1.0])
    np.testing.assert_allclose(mg.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    assert mg.linspace(0, 1, 5).dtype == mg.get_default_dtype()
    with pytest.raises(TypeError, match="steps"):
        mg.linspace(0, 1, 2.5)
    for like, check in ((mg.empty_like, None), (mg.full_like, 3.0),
                        (mg.rand_like, None), (mg.randn_like, None)):
        y = like(t, 3.0) if check else like(t)
        assert y.shape == (2, 3) and y.dtype == np.float64
    assert (mg.full_like(t, 3.0).data == 3.0).all()


# ------------------------------------------------------------- comparisons
def test_comparison_methods():
    a, b = _x(4), mg.tensor([0.0, -0.5, 0.5, 0.0], dtype=mg.float64)
    for name, uf in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                     ("gt", np.greater), ("le", np.less_equal), ("ge", np.greater_equal)):
        np.testing.assert_array_equal(getattr(a, name)(b).data, uf(a.data, b.data))


# ------------------------------------------------------------- dim= and keepdim=
def test_dim_keepdim_on_reductions():
    x = _x(2, 3, 4)
    for name in ("sum", "mean", "max", "min"):
        f = getattr(np, name)
        np.testing.assert_allclose(getattr(x, name)(axis=1, keepdim=True).data,
                                   f(x.data, axis=1, keepdims=True))
    np.testing.assert_allclose(x.sum(dim=(0, 2)).data, x.data.sum(axis=(0, 2)))
    np.testing.assert_allclose(x.mean(dim=[0, 1], keepdim=True).data,
                               x.data.mean(axis=(0, 1), keepdims=True))
    with pytest.raises(TypeError, match="both axis=0 and dim=1"):
        x.sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="both keepdims= and keepdim="):
        x.mean(keepdims=True, keepdim=True)
    np.testing.assert_allclose(x.softmax(dim=0).data, x.softmax(0).data)
    np.testing.assert_allclose(mg.log_softmax(x, dim=1).data, x.log_softmax(1).data)
    with pytest.raises(TypeError, match="both"):
        x.softmax(0, dim=1)
    assert x.unsqueeze(dim=1).shape == (2, 1, 3, 4)
    assert x[:, :1].squeeze(dim=1).shape == (2, 4)
    with pytest.raises(TypeError, match="position of the new axis"):
        x.unsqueeze()
    parts = [x, x]
    assert mg.cat(parts, dim=2).shape == (2, 3, 8) and mg.cat(parts).shape == (4, 3, 4)
    assert mg.concatenate(parts, dim=1).shape == (2, 6, 4)
    assert mg.stack(parts, dim=-1).shape == (2, 3, 4, 2)
    with pytest.raises(TypeError, match="both"):
        mg.cat(parts, 1, axis=2)


def test_var_std_correction():
    x = _x(3, 4)
    for name in ("var", "std"):
        f, np_f = getattr(x, name), getattr(np, name)
        np.testing.assert_allclose(f().data, np_f(x.data))                 # NumPy: ddof 0
        np.testing.assert_allclose(f(1).data, np_f(x.data, axis=1, ddof=1))   # PyTorch
        np.testing.assert_allclose(f(axis=1).data, np_f(x.data, axis=1))       # NumPy
        np.testing.assert_allclose(f(0, True).data, np_f(x.data, axis=0, ddof=1))
        np.testing.assert_allclose(f(0, False, True).data,
                                   np_f(x.data, axis=0, keepdims=True))
        np.testing.assert_allclose(f(dim=1).data, np_f(x.data, axis=1, ddof=1))  # PyTorch
        np.testing.assert_allclose(f(dim=1, correction=0).data, np_f(x.data, axis=1))
        np.testing.assert_allclose(f(correction=2).data, np_f(x.data, ddof=2))
        np.testing.assert_allclose(f(0, unbiased=True).data, np_f(x.data, axis=0, ddof=1))
        np.testing.assert_allclose(f(0, ddof=1).data, np_f(x.data, axis=0, ddof=1))
        with pytest.raises(TypeError, match="ddof and correction"):
            f(ddof=1, correction=1)


def test_max_min_with_dim_give_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 5.0], [7.0, -1.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert indices.dtype == np.int64 and not indices.requires_grad
    r = x.min(dim=0, keepdim=True)
    np.testing.assert_array_equal(r.values.data, [[1.0, -1.0, 2.0]])
    np.testing.assert_array_equal(r.indices.data, [[0, 1, 1]])
    values.sum().backward()              # PyTorch: the gradient goes to the index given
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 7.0])   # NumPy's: values only
    for f in (x.max, x.min, lambda *a, **k: mg.max(x, *a, **k)):   # by position: the pair
        by_position, by_keyword = f(1), f(dim=1)
        np.testing.assert_array_equal(by_position.values.data, by_keyword.values.data)
        np.testing.assert_array_equal(by_position.indices.data, by_keyword.indices.data)
        assert f(0, True).values.shape == (1, 3)
        assert isinstance(f(axis=1), mg.Tensor) and isinstance(f(), mg.Tensor)
    np.testing.assert_array_equal(x.max(axis=(0, 1), keepdims=True).data, [[7.0]])
    with pytest.raises(TypeError, match="one int dim"):
        x.max((0, 1))
    with pytest.raises(TypeError, match="one int dim"):
        x.max(dim=(0, 1))
    other = mg.tensor([[2.0, 0.0, 6.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(x.max(other).data, np.maximum(x.data, other.data))
    np.testing.assert_array_equal(mg.min(x, other).data, np.minimum(x.data, other.data))


def test_argmax_argmin():
    x = _x(3, 4) * mg.tensor([1.0, -1.0, 1.0, -1.0], dtype=mg.float64)
    np.testing.assert_array_equal(x.argmax().data, np.argmax(x.data))
    np.testing.assert_array_equal(x.argmax(dim=1).data, np.argmax(x.data, axis=1))
    np.testing.assert_array_equal(mg.argmin(x, 0, keepdim=True).data,
                                  np.argmin(x.data, axis=0, keepdims=True))
    assert x.argmax(1).dtype == np.int64 and not x.argmax(1).requires_grad


def test_take_along_dim():
    x = _x(2, 3)
    idx = np.array([[2, 0], [1, 1]])
    np.testing.assert_array_equal(mg.take_along_dim(x, idx, 1).data,
                                  np.take_along_axis(x.data, idx, 1))
    with pytest.raises(TypeError, match="integer indices"):
        mg.take_along_dim(x, idx * 1.0, 1)
    with pytest.raises(ValueError, match="indices have 1 dims, expected 2"):
        mg.take_along_dim(x, idx[0], 1)


# ------------------------------------------------------------- type promotion
def test_integer_tensors_take_the_floating_dtype():
    a = mg.tensor([1.5, 2.0], requires_grad=True)                # float32
    i, b = mg.tensor([2, 3]), mg.tensor([True, False])            # int64, bool
    for y in (a ** i, a + i, i * a, a - b, b / a, mg.maximum(a, i), a @ i):
        assert y.dtype == np.float32, y
    np.testing.assert_allclose((a ** i).data, np.array([1.5 ** 2, 2.0 ** 3], np.float32))
    (a ** i).sum().backward()
    np.testing.assert_allclose(a.grad, [2 * 1.5, 3 * 2.0 ** 2])
    assert (i + b).dtype == np.int64 and (a + a.double()).dtype == np.float64
    assert (a * 2).dtype == np.float32 and (i * 2.5).dtype == np.float64   # (NumPy's)
