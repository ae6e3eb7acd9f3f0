"""mg.as_tensor: one conversion helper, with NumPy 2's copy rule."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.tensor import tensor_arg


def test_default_shares_memory_with_arrays_and_returns_tensors_as_is():
    a = np.zeros(3, np.float32)
    t = mg.as_tensor(a)
    assert np.shares_memory(t.data, a) and not t.requires_grad
    x = mg.ones(2, requires_grad=True)
    assert mg.as_tensor(x) is x and mg.as_tensor(x, dtype=np.float32) is x


def test_default_converts_lists_and_dtypes():
    t = mg.as_tensor([1.0, 2.0])
    assert t.dtype == mg.get_default_dtype()
    a = np.zeros(2, np.float32)
    t64 = mg.as_tensor(a, dtype=np.float64)
    assert t64.dtype == np.float64 and not np.shares_memory(t64.data, a)


def test_dtype_change_of_a_tensor_keeps_its_history():
    x = mg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = mg.as_tensor(x, dtype=np.float64)
    assert y.grad_fn is not None
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert x.grad.dtype == np.float32


def test_copy_true_always_copies_and_drops_history():
    a = np.zeros(3)
    t = mg.as_tensor(a, copy=True)
    assert not np.shares_memory(t.data, a)
    x = mg.ones(2, requires_grad=True) * 2.0
    c = mg.as_tensor(x, copy=True)
    assert c.grad_fn is None and not c.requires_grad and not np.shares_memory(c.data, x.data)


def test_copy_false_refuses_to_copy():
    a = np.zeros(2, np.float32)
    assert np.shares_memory(mg.as_tensor(a, copy=False).data, a)
    with pytest.raises(ValueError, match="float32 to float64 needs a copy"):
        mg.as_tensor(a, dtype=np.float64, copy=False)
    with pytest.raises(ValueError, match="a list must be copied"):
        mg.as_tensor([1.0], copy=False)
    with pytest.raises(ValueError, match="needs a copy"):
        mg.as_tensor(mg.tensor(a), dtype=np.float64, copy=False)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="copy must be None, True or False, got 'yes'"):
        mg.as_tensor([1.0], copy="yes")
    with pytest.raises(TypeError, match="as_tensor"):
        mg.as_tensor(None)


def test_tensor_arg_names_the_caller_and_the_argument():
    with pytest.raises(TypeError, match="linear: expected input to be a Tensor or an array, got list"):
        tensor_arg([1.0], "linear")
    assert tensor_arg([1.0], "f", arrays_only=False).shape == (1,)
    with pytest.raises(TypeError, match="f: expected x to be a Tensor or an array"):
        tensor_arg("abc", "f", "x", arrays_only=False)


def test_tensor_constructor_converts_arrays_to_a_given_dtype():
    """Tensor(array, dtype=...) converts (NumPy 2's copy=False would have refused)."""
    t = mg.Tensor(np.zeros(3), dtype=np.float32)
    assert t.dtype == np.float32
