"""Data-parallel training over MPI: 2 ranks on this machine against one process.

Each test compares what ``tests/distributed_programs.py`` left on every rank of
one 2-rank job (started once, with minigrad.distributed.local's loopback-only
recipe) with the same program run here in one process on the whole batch.
They need MPI (the ``distributed`` extra, which .ci/run installs) and start
MPI jobs, so they run under CI=true and are skipped elsewhere.
"""
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import distributed_programs as programs

pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true",
    reason="needs MPI (pip install '.[distributed]') and starts 2-rank mpiexec jobs on this "
           "machine: runs under CI=true, as .ci/run does")

WORLD = 2
PROGRAMS = str(Path(programs.__file__).resolve())
TIMEOUT = 600


def run_job(*args, timeout=TIMEOUT):
    from minigrad.distributed.local import local_command
    cmd, env = local_command(WORLD, [sys.executable, PROGRAMS, *args])
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each rank of one ``train`` job holds at its end: a list of WORLD dicts."""
    out = tmp_path_factory.mktemp("ddp")
    job = run_job("train", str(out))
    assert job.returncode == 0, f"the MPI job failed:\n{job.stdout}\n{job.stderr}"
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(WORLD)]


@pytest.fixture
def float64():
    mg.set_default_dtype(mg.float64)


def assert_same_as_one_process(ranks, reference, atol=1e-12):
    assert reference
    for key, want in reference.items():
        for r in range(WORLD):
            np.testing.assert_allclose(ranks[r][key], want, rtol=0, atol=atol,
                                       err_msg=f"{key} on rank {r}")
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key], err_msg=key)


@pytest.mark.parametrize("opt_name", list(programs.OPTIMIZERS))
def test_mlp_on_two_half_batches_equals_one_process_on_the_batch(ranks, float64, opt_name):
    reference = programs.train_mlp(0, 1, None, opt_name)
    assert_same_as_one_process(ranks, reference)
    # the steps moved the parameters far more than the tolerance
    start = programs.params_of(programs.mlp(programs.SEED), "mlp/" + opt_name)
    assert max(np.abs(start[k] - v).max() for k, v in reference.items()) > 1e-3


def test_lbfgs_with_the_loss_averaged_in_its_closure_equals_one_process(ranks, float64):
    reference = programs.train_lbfgs(0, 1, None)
    assert_same_as_one_process(ranks, reference)
    start = programs.params_of(programs.mlp(programs.SEED), "lbfgs")
    assert max(np.abs(start[k] - v).max() for k, v in reference.items()) > 1e-3


def test_sync_batchnorm_on_two_ranks_equals_batchnorm_on_the_batch(ranks, float64):
    reference = programs.train_sync_batchnorm(0, 1, None)
    assert "syncbn/1.running_var" in reference
    assert_same_as_one_process(ranks, reference)


@pytest.mark.parametrize("tie", [False, True], ids=["lstm_lm", "tied_weight"])
def test_lstm_lm_with_tbptt_and_clipping_equals_one_process(ranks, float64, tie):
    assert_same_as_one_process(ranks, programs.train_lm(0, 1, None, tie=tie))


def test_tied_parameter_is_one_parameter(float64):
    model = programs.CharLM(tie=True)
    assert model.head.weight is model.embed.weight
    assert len(list(model.parameters())) == 6      # 7 names, 6 distinct Parameters


def test_differently_seeded_ranks_start_from_rank_0s_parameters(ranks, float64):
    start = programs.params_of(programs.mlp(programs.SEED), "before/SGD")
    other = programs.params_of(programs.mlp(programs.SEED + 1), "before/SGD")
    assert any(not np.array_equal(other[k], v) for k, v in start.items())
    assert_same_as_one_process(ranks, start, atol=0)


def test_no_sync_accumulation_equals_the_full_batch_step(ranks, float64):
    assert_same_as_one_process(ranks, programs.train_no_sync(0, 1, None))


def test_no_sync_backward_leaves_the_local_gradient(ranks, float64):
    """Under no_sync nothing is reduced: each rank holds its own micro-batch's gradient."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(programs.STEPS, programs.B, 3)), \
        rng.normal(size=(programs.STEPS, programs.B, 2))
    for r in range(WORLD):
        model = programs.mlp(programs.SEED)
        xs, ys = programs.shard(x[0], r, WORLD), programs.shard(y[0], r, WORLD)
        half = xs.shape[0] // 2
        (mg.nn.functional.mse_loss(model(mg.tensor(xs[:half])), mg.tensor(ys[:half])) / 2).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(ranks[r][f"local/{name}"], p.grad, rtol=0, atol=1e-14)
    assert not np.array_equal(ranks[0]["local/0.weight"], ranks[1]["local/0.weight"])


def test_collectives_on_arrays_and_tensors(ranks):
    a = [np.arange(6.0).reshape(2, 3) * (r + 1) - 3 * r for r in range(WORLD)]
    want = {"sum": a[0] + a[1], "mean": (a[0] + a[1]) / 2, "max": np.maximum(*a),
            "min": np.minimum(*a)}
    wide = [np.arange(12).reshape(3, 4) * (r + 1) for r in range(WORLD)]
    for r in range(WORLD):
        for op, w in want.items():
            np.testing.assert_array_equal(ranks[r][f"array/{op}"], w, err_msg=op)
        np.testing.assert_array_equal(ranks[r]["tensor/max"], np.arange(4.0) + 10)
        strided = wide[r].copy()
        strided[:, ::2] = wide[0][:, ::2] + wide[1][:, ::2]     # only the view is reduced
        np.testing.assert_array_equal(ranks[r]["strided/sum"], strided)
        np.testing.assert_array_equal(ranks[r]["broadcast/src1"], np.ones(3))
        np.testing.assert_array_equal(ranks[r]["world"], [r, WORLD])
        # DistributedSampler's defaults come from the process group
        np.testing.assert_array_equal(ranks[r]["sampler"], np.arange(r, 10, WORLD))


LOOPBACK = ("0100007F", "00000000000000000000000001000000")   # 127.0.0.1, ::1 in /proc


def test_job_opens_no_socket_beyond_loopback(ranks):
    """Every TCP/UDP socket of each rank and of the launcher is bound to loopback."""
    for r in range(WORLD):
        bad = [s for s in ranks[r]["sockets"]
               if not s.split()[1].split(":")[0].endswith(LOOPBACK)]
        assert bad == [], f"rank {r} has sockets off loopback: {bad}"


def test_socket_listing_sees_a_socket():
    """The check above can fail: it finds a socket this process opens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        found = programs.sockets(os.getpid())
        port = f"{s.getsockname()[1]:04X}"
    assert any(f.startswith("tcp ") and f.endswith(f"0100007F:{port}") for f in found), found


def test_example_script_trains_on_two_ranks():
    from minigrad.distributed.local import local_command
    script = str(Path(__file__).resolve().parent.parent / "examples" / "distributed_charlm.py")
    cmd, env = local_command(WORLD, [sys.executable, script, "--steps", "4", "--log-every", "2",
                                     "--batch", "4", "--seq", "8", "--hidden", "16"])
    job = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert job.returncode == 0, job.stderr
    lines = [line for line in job.stdout.splitlines() if line.startswith("step ")]
    assert [line.split(":")[0] for line in lines] == ["step 2", "step 4"]   # rank 0 only
    assert all("(2 ranks," in line for line in lines)


def test_a_raising_rank_ends_the_whole_job():
    start = time.monotonic()
    job = run_job("fail", timeout=300)
    took = time.monotonic() - start
    assert job.returncode != 0
    assert "RuntimeError: deliberate failure on rank 1" in job.stderr
    assert "minigrad.distributed: rank 1 of 2 raised RuntimeError" in job.stderr
    assert "aborting the whole job" in job.stderr
    assert took < 300


def test_flagship_trains_data_parallel_on_two_ranks(tmp_path):
    """``mpiexec -n 2 python -m minigrad charlm --distributed``: rank 0 alone reports,
    checkpoints and samples; the loss falls."""
    from minigrad.distributed.local import local_command
    cmd, env = local_command(WORLD, [sys.executable, "-m", "minigrad", "charlm", "--quick",
                                     "--distributed", "--max-chars", "60000", "--batch", "8", "--lr", "0.01",
                                     "--hidden", "64", "--embed", "16", "--length", "20",
                                     "--no-progress", "--out", str(tmp_path)])
    job = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                         cwd=Path(__file__).resolve().parent.parent)
    assert job.returncode == 0, job.stderr
    out = job.stdout
    assert out.count("8 streams on each of 2 ranks") == 1, out
    assert out.count("best validation") == 1, out
    assert (tmp_path / "charlm.npz").is_file()
    best, unigram = (float(v) for v in re.search(
        r"best validation ([\d.]+) bpc against the unigram baseline ([\d.]+)", out).groups())
    assert best < unigram, out
