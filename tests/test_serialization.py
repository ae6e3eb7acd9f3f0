"""mg.save / mg.load round trips: whole checkpoints through paths and file objects
(training resumes identically), random nested structures, and the version-0
layout of flat state dicts (including a file written by earlier minigrad)."""
import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import nn, optim

DATA = Path(__file__).parent / "data"


def assert_same(got, want, where="obj"):
    """Equal structure with equal types: tuples stay tuples, Tensors Tensors with
    their dtype and requires_grad, arrays with dtype and shape, scalars their type."""
    assert type(got) is type(want), f"{where}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, mg.Tensor):
        assert got.requires_grad == want.requires_grad, where
        assert got.grad_fn is None, where
        assert_same(got.data, want.data, where + ".data")
    elif isinstance(want, (np.ndarray, np.generic)):
        assert got.dtype == want.dtype and got.shape == want.shape, where
        np.testing.assert_array_equal(got, want, err_msg=where)
    elif isinstance(want, dict):
        assert list(got) == list(want), where
        assert [type(k) for k in got] == [type(k) for k in want], where
        for k in want:
            assert_same(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got), where
    else:
        assert got == want and repr(got) == repr(want), where   # (repr: -0.0 vs 0.0)


def through(obj, how, tmp_path):
    """Save then load ``obj`` by path (str or Path) or through an io.BytesIO."""
    if how == "bytesio":
        buf = io.BytesIO()
        mg.save(obj, buf)
        buf.seek(0)
        return mg.load(buf)
    path = tmp_path / "ckpt.npz"
    mg.save(obj, str(path) if how == "str" else path)
    return mg.load(path)


# --------------------------------------------------------------- checkpoints
def _setup(seed):
    mg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.99))
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _train(model, opt, sched, x, y, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.item()))
    return losses


@pytest.mark.parametrize("how", ["str", "path", "bytesio"])
def test_checkpoint_round_trips_and_training_resumes_identically(how, tmp_path):
    x, y = mg.randn(8, 3), mg.randn(8, 1)
    model, opt, sched = _setup(0)
    _train(model, opt, sched, x, y, 3)
    ckpt = {"model": model.state_dict(), "optim": opt.state_dict(),
            "sched": sched.state_dict(), "epoch": 3, "note": "x", "none": None}
    back = through(ckpt, how, tmp_path)
    assert_same(back, {**ckpt, "model": dict(ckpt["model"])})
    assert list(back["optim"]["state"]) == [0, 1, 2, 3]          # int keys stay ints
    assert back["optim"]["param_groups"][0]["betas"] == (0.8, 0.99)

    want = _train(model, opt, sched, x, y, 4)
    fresh, fresh_opt, fresh_sched = _setup(1)                     # other initial weights
    fresh.load_state_dict(back["model"])
    fresh_opt.load_state_dict(back["optim"])
    fresh_sched.load_state_dict(back["sched"])
    assert _train(fresh, fresh_opt, fresh_sched, x, y, 4) == want
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("how", ["path", "bytesio"])
def test_bare_arrays_tensors_and_scalars(how, tmp_path):
    for obj in [np.arange(6, dtype=np.int16).reshape(2, 3), np.array(2.5),
                mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True),
                mg.tensor([3, 4]), np.float32(1.5), np.bool_(True), 7, 2.0, True,
                None, "text", [], (), {}, (np.ones(1),), [[], ((),)]]:
        assert_same(through(obj, how, tmp_path), obj)


def test_parameters_and_non_leaves_load_as_leaf_tensors():
    w = nn.Linear(2, 2).weight
    out = w * 2
    buf = io.BytesIO()
    mg.save({"param": w, "out": out}, buf)
    buf.seek(0)
    back = mg.load(buf)
    assert type(back["param"]) is mg.Tensor and back["param"].requires_grad
    assert back["out"].grad_fn is None and back["out"].requires_grad
    np.testing.assert_array_equal(back["out"].data, out.data)


# ------------------------------------------------------------- random trees
_dtypes = st.sampled_from([np.bool_, np.int8, np.int32, np.int64, np.uint16,
                           np.float16, np.float32, np.float64])
_arrays = _dtypes.flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3,
                                                                  min_side=0, max_side=3)))
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), _arrays,
    _arrays.map(lambda a: a[()] if a.ndim == 0 else a),          # NumPy scalars too
    st.tuples(hnp.arrays(np.float32, (2,), elements=st.floats(-9, 9, width=32)),
              st.booleans()).map(lambda p: mg.tensor(p[0], requires_grad=p[1])))
_keys = st.one_of(st.text(max_size=4), st.integers(-3, 3))
_trees = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(_keys, inner, max_size=3)), max_leaves=12)


@given(_trees)
def test_random_nested_structures_round_trip(obj):
    buf = io.BytesIO()
    mg.save(obj, buf)
    buf.seek(0)
    assert_same(mg.load(buf), obj)


# ------------------------------------------------------------------ layouts
def test_flat_state_dict_keeps_the_version_0_layout(tmp_path):
    state = {"a.weight": np.ones((2, 2), np.float32), "b": np.arange(3)}
    path = tmp_path / "sd.npz"
    mg.save(state, path)
    with np.load(path, allow_pickle=False) as f:
        assert f.files == ["a.weight", "b"]
    assert_same(mg.load(path), state)


def test_nested_file_is_npz_with_a_json_member(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"w": mg.ones(2), "n": 1}, path)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["__minigrad__", "arr_0"]
        np.testing.assert_array_equal(f["arr_0"], np.ones(2, np.float32))
        assert b'"version": 1' in f["__minigrad__"].tobytes()


def test_a_key_named_like_the_structure_member_still_round_trips():
    state = {"__minigrad__": np.ones(2), "x": np.zeros(1)}
    buf = io.BytesIO()
    mg.save(state, buf)
    buf.seek(0)
    assert_same(mg.load(buf), state)


def test_file_written_by_earlier_minigrad_loads():
    # tests/data/old_format_state_dict.npz: written by the pre-nesting mg.save from
    # {"layer.weight": float32 arange(6) (2, 3), "layer.bias": Tensor float64
    #  [0.5, -1.5], "steps": int64 7, "mask": [True, False]}
    back = mg.load(DATA / "old_format_state_dict.npz")
    assert_same(back, {"layer.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                       "layer.bias": np.array([0.5, -1.5]),
                       "steps": np.array(7, dtype=np.int64),
                       "mask": np.array([True, False])})


def test_plain_numpy_npz_loads_as_a_dict(tmp_path):
    path = tmp_path / "np.npz"
    np.savez(path, np.arange(2), w=np.eye(2))
    back = mg.load(path)
    with np.load(path) as f:
        assert list(back) == f.files
    assert_same(dict(sorted(back.items())), {"arr_0": np.arange(2), "w": np.eye(2)})
    np.savez_compressed(path, w=np.zeros(1000))
    assert_same(mg.load(path), {"w": np.zeros(1000)})


def test_open_binary_files_and_offsets(tmp_path):
    path = tmp_path / "f.bin"
    with open(path, "wb") as fh:
        fh.write(b"header")
        mg.save([1, (2.0, "3")], fh)
    with open(path, "rb") as fh:
        assert fh.read(6) == b"header"
        assert_same(mg.load(fh), [1, (2.0, "3")])
