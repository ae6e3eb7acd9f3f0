"""mg.set_num_threads / get_num_threads, MINIGRAD_NUM_THREADS, and the recurrent op in parts.

The op's threaded path runs the batch rows in parts side by side; every part
does exactly the arithmetic the single-threaded path does for its rows (the
same kernels, the same BLAS calls on fewer rows), so the results are compared
for equality, not to a tolerance.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import threads
from minigrad.ops.recurrent import recurrent
from minigrad.ops.recurrent import products

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def restore_threads():
    old = mg.get_num_threads()
    yield
    mg.set_num_threads(old)


def _blas_threads():
    from threadpoolctl import threadpool_info
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


# ---------------------------------------------------------------- the API
@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                        ("2", TypeError), (True, TypeError), (None, TypeError)])
def test_set_num_threads_rejects_bad_values_and_changes_nothing(bad, error, restore_threads):
    mg.set_num_threads(1)
    before = _blas_threads()
    with pytest.raises(error, match="set_num_threads: expected a positive int"):
        mg.set_num_threads(bad)
    assert mg.get_num_threads() == 1
    assert _blas_threads() == before


@pytest.mark.parametrize("n", [1, 2])
def test_set_num_threads_sets_the_blas_pool(n, restore_threads):
    mg.set_num_threads(n)
    assert mg.get_num_threads() == n
    assert _blas_threads() and all(t == n for t in _blas_threads())


def _run(code, **env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("MINIGRAD_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                         "OMP_NUM_THREADS")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full,
                          capture_output=True, text=True)


_REPORT = ("import minigrad as mg; from threadpoolctl import threadpool_info; "
           "print(mg.get_num_threads(), [i['num_threads'] for i in threadpool_info() "
           "if i['user_api'] == 'blas'][0])")


def test_environment_variable_sets_threads_at_import():
    r = _run(_REPORT, MINIGRAD_NUM_THREADS="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1"]


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_environment_variable_stops_the_import(value):
    r = _run("import minigrad", MINIGRAD_NUM_THREADS=value)
    assert r.returncode != 0
    assert "MINIGRAD_NUM_THREADS: expected a positive int" in r.stderr


def test_default_follows_the_blas_limits():
    cores = len(os.sched_getaffinity(0))
    assert _run(_REPORT).stdout.split()[0] == str(cores)
    assert _run(_REPORT, OPENBLAS_NUM_THREADS="1").stdout.split()[0] == "1"
    assert _run(_REPORT, OMP_NUM_THREADS="1").stdout.split()[0] == "1"
    # OpenBLAS reads OPENBLAS_NUM_THREADS before OMP_NUM_THREADS
    assert _run(_REPORT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="4").stdout.split()[0] == "1"


# ---------------------------------------------------------------- the size rule
def test_batch_parts_cover_the_batch_evenly(monkeypatch):
    monkeypatch.setattr(threads, "_MIN_WORK", 0)               # the shape of the parts
    for B in range(1, 40):
        for n in (1, 2, 3, 4):
            parts = threads.batch_parts(B, 512, 4, n)
            assert parts[0][0] == 0 and parts[-1][1] == B
            assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
            sizes = [b1 - b0 for b0, b1 in parts]
            assert max(sizes) - min(sizes) <= 1
            assert len(parts) == max(1, min(n, B // 2))       # never a part of one row


def test_batch_parts_keep_small_work_in_one_part(monkeypatch):
    # the default rule: no measured size gained from parts on the 2-core machine
    for G, H in ((4, 128), (4, 256), (3, 128), (3, 256), (1, 256), (4, 512)):
        assert threads.batch_parts(32, H, G, 2) == [(0, 32)]
    monkeypatch.setattr(threads, "_MIN_WORK", 500_000)          # the rule's mechanism
    assert threads.batch_parts(32, 128, 4, 2) == [(0, 16), (16, 32)]      # LSTM H=128
    assert threads.batch_parts(32, 128, 1, 2) == [(0, 32)]                # RNN H=128: too small
    assert threads.batch_parts(32, 512, 4, 1) == [(0, 32)]


def test_large_step_products_stay_whole_for_blas_threads(restore_threads, monkeypatch):
    monkeypatch.setattr(threads, "_MIN_WORK", 500_000)
    from minigrad.ops.recurrent.cells import cell_spec
    from minigrad.ops.recurrent.op import _parts
    mg.set_num_threads(2)
    assert _parts(32, 256, cell_spec("lstm")) == [(0, 16), (16, 32)]
    assert _parts(32, 1024, cell_spec("lstm")) == [(0, 32)]        # (16, 4096) @ (4096, 1024)
    old = mg.config.use_numba
    mg.config.use_numba = False
    try:
        assert _parts(32, 256, cell_spec("lstm")) == [(0, 32)]     # the NumPy path: one part
    finally:
        mg.config.use_numba = old


# ---------------------------------------------------------------- same results
def _step(cell, reverse, dtype, B, T=5, I=3, H=6, seed=0):
    """Output and every gradient of one recurrent call (all inputs need gradients)."""
    G = {"lstm": 4, "gru": 3}.get(cell, 1)
    rng = np.random.default_rng(seed)

    def t(*shape):
        return mg.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    x, h0, w_ih, w_hh, b_ih, b_hh = t(T, B, I), t(B, H), t(G * H, I), t(G * H, H), t(G * H), \
        t(G * H)
    c0 = t(B, H) if cell == "lstm" else None
    out = recurrent(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=cell, reverse=reverse)
    weight = rng.standard_normal(out.shape).astype(dtype)
    (out * mg.tensor(weight)).sum().backward()
    inputs = [x, h0, c0, w_ih, w_hh, b_ih, b_hh]
    return [out.numpy().copy()] + [np.array(a.grad) for a in inputs if a is not None]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("B, n", [(7, 2), (7, 3), (9, 4), (4, 2), (5, 3)])
def test_threaded_op_gives_the_same_results(cell, reverse, dtype, B, n, monkeypatch,
                                            restore_threads):
    monkeypatch.setattr(threads, "_MIN_WORK", 0)            # parts at this small size
    monkeypatch.setattr(products, "_MIN_TILED_WORK", 0)     # and the tiled products, too
    calls = []
    real = threads.run_parts
    monkeypatch.setattr(threads, "run_parts", lambda fn, parts: (calls.append(len(parts)),
                                                                 real(fn, parts))[1])
    mg.set_num_threads(1)
    one = _step(cell, reverse, dtype, B)
    assert set(calls) == {1}
    calls.clear()
    mg.set_num_threads(n)
    many = _step(cell, reverse, dtype, B)
    assert min(n, B // 2) in calls                          # it did run in parts
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell, B", [("lstm", 33), ("gru", 32)])
def test_threaded_op_same_results_at_a_real_size(cell, B, restore_threads, monkeypatch):
    """Parts at H = 128 (the rule's mechanism at the threshold it first had, 500k):
    other block widths of the BLAS products per part than in one part, still the same
    results."""
    monkeypatch.setattr(threads, "_MIN_WORK", 500_000)
    mg.set_num_threads(1)
    one = _step(cell, False, np.float32, B, T=4, I=65, H=128)
    mg.set_num_threads(2)
    assert len(threads.batch_parts(B, 128, 4 if cell == "lstm" else 3, 2)) == 2
    many = _step(cell, False, np.float32, B, T=4, I=65, H=128)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


def test_a_part_failing_is_reported(monkeypatch):
    def fn(b0, b1):
        if b0 > 0:
            raise RuntimeError(f"part {b0}")
    with pytest.raises(RuntimeError, match="part 2"):
        threads.run_parts(fn, [(0, 2), (2, 4)])
