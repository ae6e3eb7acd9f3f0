"""Clear errors for bad input: each mistake has its own test and a message that
says what was expected and what was given."""
import numpy as np
import pytest

import minigrad as mg


@pytest.mark.parametrize("make, op", [
    (lambda a, b: a + b, "Add"),
    (lambda a, b: a * b, "Mul"),
    (lambda a, b: mg.maximum(a, b), "Maximum"),
])
def test_shape_mismatch_names_op_and_both_shapes(make, op):
    a, b = mg.ones(2, 3), mg.ones(4)
    with pytest.raises(ValueError) as err:
        make(a, b)
    msg = str(err.value)
    assert op in msg and "(2, 3)" in msg and "(4,)" in msg


def test_matmul_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(ValueError) as err:
        mg.ones(2, 3) @ mg.ones(4, 5)
    msg = str(err.value)
    assert "MatMul" in msg and "(2, 3)" in msg and "(4, 5)" in msg


def test_concatenate_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="Concatenate"):
        mg.concatenate([mg.ones(2, 3), mg.ones(2, 4)], axis=0)


@pytest.mark.parametrize("bad", [np.array([object(), object()]), ["a", "b"], None,
                                 {"x": 1.0}, "text"])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="numeric"):
        mg.tensor(bad)


def test_object_array_operand_is_a_type_error():
    with pytest.raises(TypeError, match="Add"):
        mg.ones(3) + np.array([1.0, 2.0, 3.0], dtype=object)


def test_string_operand_is_a_type_error():
    with pytest.raises(TypeError, match="Mul"):
        mg.ones(3) * "x"


def test_backward_on_non_scalar_without_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar.*shape \(2,\)"):
        (x * 2).backward()


def test_backward_on_tensor_not_requiring_grad():
    x = mg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_backward_grad_of_wrong_shape():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_second_backward_through_freed_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2, 3], requires_grad=True),
    lambda: mg.tensor(np.array([1, 2], dtype=np.int32)).requires_grad_(),
    lambda: mg.arange(5, requires_grad=True),
    lambda: mg.zeros(3, dtype=np.int64, requires_grad=True),
])
def test_integer_tensor_cannot_require_grad(make):
    with pytest.raises(TypeError, match="floating") as err:
        make()
    assert isinstance(err.value, RuntimeError)     # as PyTorch reports it too


def test_requires_grad_cannot_be_turned_off_on_non_leaf():
    y = mg.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False


def test_item_on_many_elements():
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        mg.ones(2).item()


def test_squeeze_of_non_unit_axis():
    with pytest.raises(ValueError, match="size 3"):
        mg.ones(2, 3).squeeze(1)


def test_load_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        mg.load(path)


def test_save_refuses_non_numeric(tmp_path):
    with pytest.raises(TypeError, match="numeric"):
        mg.save({"a": np.array(["x"])}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match=r"obj\['a'\], a set"):
        mg.save({"a": {1, 2}}, tmp_path / "b.npz")
