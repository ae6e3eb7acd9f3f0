"""minigrad.distributed and DistributedDataParallel without MPI: errors, bucket
assignment, and the reducer's timing against a stand-in communicator.

The stand-in (``FakeWorld``) plays ``size`` ranks that all hold the same data:
an all-reduce sum multiplies by ``size``, so the mean gradient equals this
process's, and every call is logged. The 2-rank MPI jobs are in test_distributed.py.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.distributed as dist
from minigrad import nn
from minigrad.distributed import local, world
from minigrad.nn.parallel import DistributedDataParallel
from minigrad.nn.parallel._reducer import assign_buckets
from minigrad.nn.parallel.sync_batchnorm import _SyncNormalize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeRequest:
    def __init__(self, log, buf, size):
        self.log, self.buf, self.size, self.done = log, buf, size, False

    def complete(self):
        if not self.done:
            self.buf *= self.size
            self.done = True
            self.log.append(("done", self.buf.size))


class FakeMPI:
    IN_PLACE, SUM, MAX, MIN = "IN_PLACE", "SUM", "MAX", "MIN"

    class Request:
        @staticmethod
        def Testall(requests):
            return all(r.done for r in requests)

        @staticmethod
        def Waitall(requests):
            for r in requests:
                r.complete()


class FakeComm:
    def __init__(self, size, log):
        self.size, self.log = size, log

    def Get_size(self):
        return self.size

    def Get_rank(self):
        return 0

    def allgather(self, obj):
        return [obj] * self.size

    def Bcast(self, buf, root=0):
        self.log.append(("bcast", buf.size))

    def Allreduce(self, inplace, buf, op):
        self.log.append(("allreduce", op))
        if op == "SUM":
            buf *= self.size

    def Iallreduce(self, inplace, buf, op):
        self.log.append(("start", buf.size))
        return FakeRequest(self.log, buf, self.size)

    def Barrier(self):
        self.log.append(("barrier",))


@pytest.fixture
def fake_world(monkeypatch):
    """A 2-rank world with identical ranks; yields the call log."""
    log = []
    monkeypatch.setattr(world, "_world", {"MPI": FakeMPI, "comm": FakeComm(2, log)})
    return log


def mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2))


# ------------------------------------------------------------- no MPI needed
def test_import_minigrad_loads_no_mpi():
    code = ("import sys, minigrad; from minigrad import nn; import minigrad.distributed; "
            "import minigrad.nn.parallel; assert 'mpi4py' not in sys.modules, 'loaded'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=300)


def test_missing_extra_raises_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    for var in ("UCX_TLS", "UCX_NET_DEVICES", *world._LAUNCHER_VARS):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[distributed\]"'):
        world.load_mpi()
    # a world of one (no launcher variables) is kept on shared memory and loopback
    assert os.environ["UCX_TLS"] == "self,sm" and os.environ["UCX_NET_DEVICES"] == "lo"


def test_a_launched_rank_keeps_its_network_settings(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    monkeypatch.setenv("PMI_RANK", "3")
    monkeypatch.delenv("UCX_TLS", raising=False)
    with pytest.raises(ImportError):
        world.load_mpi()
    assert "UCX_TLS" not in os.environ


def test_calls_before_init_say_to_call_init(monkeypatch):
    monkeypatch.setattr(world, "_world", {})
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.all_reduce(np.ones(2)), lambda: dist.broadcast(np.ones(2)),
                 lambda: DistributedDataParallel(mlp())):
        with pytest.raises(RuntimeError, match=r"call minigrad.distributed.init\(\) first"):
            call()


def test_init_process_group_is_init_with_pytorch_arguments(monkeypatch):
    calls = []
    monkeypatch.setattr(world, "init", lambda: calls.append("init"))
    for backend in (None, "mpi", "gloo"):
        dist.init_process_group(backend)
    assert calls == ["init"] * 3
    with pytest.raises(ValueError, match="backend must be 'mpi', 'gloo' or None, got 'nccl'"):
        dist.init_process_group("nccl")
    with pytest.raises(TypeError, match=r"unsupported arguments \['rank', 'world_size'\]"):
        dist.init_process_group("mpi", rank=0, world_size=2)
    assert calls == ["init"] * 3


def test_is_available_says_whether_mpi4py_is_installed():
    import importlib.util
    assert dist.is_available() == (importlib.util.find_spec("mpi4py") is not None)


def test_bad_arguments_are_refused_before_any_communication(fake_world):
    with pytest.raises(ValueError, match=r"op must be one of .*'sum'.*got 'avg'"):
        dist.all_reduce(np.ones(2), op="avg")
    with pytest.raises(TypeError, match="x must be a NumPy array or a Tensor.*got list"):
        dist.all_reduce([1.0, 2.0])
    with pytest.raises(TypeError, match="op='mean' needs a floating-point x, got dtype int64"):
        dist.all_reduce(np.arange(3), op="mean")
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="x is read-only"):
        dist.all_reduce(frozen)
    with pytest.raises(TypeError, match="x must hold numbers, got dtype <U1"):
        dist.broadcast(np.array(["a"]))
    with pytest.raises(TypeError, match="src must be an integer rank, got float"):
        dist.broadcast(np.ones(2), src=1.0)
    with pytest.raises(ValueError, match=r"src must be a rank in 0..1, got 2"):
        dist.broadcast(np.ones(2), src=2)
    assert fake_world == []


def test_collectives_reach_the_communicator_in_place(fake_world):
    x = np.arange(6.0).reshape(2, 3)
    dist.all_reduce(x, op="mean")                  # two identical ranks: the mean is x
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))
    t = mg.tensor(np.arange(4.0))
    dist.all_reduce(t)
    np.testing.assert_array_equal(t.data, 2 * np.arange(4.0))
    strided = np.arange(8.0)
    dist.all_reduce(strided[::2])                  # through a contiguous copy, written back
    np.testing.assert_array_equal(strided, [0, 1, 4, 3, 8, 5, 12, 7])
    dist.all_reduce(np.ones(2), op="max")
    dist.barrier()
    assert (dist.get_rank(), dist.get_world_size()) == (0, 2)
    assert [e[0] for e in fake_world] == ["allreduce"] * 4 + ["barrier"]
    assert fake_world[3] == ("allreduce", "MAX")


def test_ddp_rejects_bad_arguments(fake_world):
    with pytest.raises(TypeError, match="module must be an nn.Module, got function"):
        DistributedDataParallel(lambda x: x)
    for cap in (0, -1.0, True, "25"):
        with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number"):
            DistributedDataParallel(mlp(), bucket_cap_mb=cap)
    assert fake_world == []


def test_ddp_refuses_ranks_with_different_models(monkeypatch):
    class Mismatched(FakeComm):
        def allgather(self, obj):
            other = list(obj)
            other[0] = (other[0][0], (9, 9), *other[0][2:])
            return [obj, other]

    monkeypatch.setattr(world, "_world", {"MPI": FakeMPI, "comm": Mismatched(2, [])})
    with pytest.raises(ValueError, match=r"ranks \[1\] differ from rank 0.*0.weight.*\(9, 9\)"):
        DistributedDataParallel(mlp())


# ------------------------------------------------------------- buckets
def test_buckets_follow_pytorch_assignment_by_size():
    f64 = [nn.Parameter(np.zeros(n)) for n in (10, 30, 20, 40)]       # 80..320 bytes
    # reversed: 320 closes the first bucket (cap 300), 160 + 240 the next (cap 400)
    assert assign_buckets(f64, cap_bytes=400, first_cap_bytes=300) == [[3], [2, 1], [0]]
    assert assign_buckets(f64, cap_bytes=10 ** 6) == [[3, 2, 1, 0]]
    assert assign_buckets(f64, cap_bytes=1, first_cap_bytes=1) == [[3], [2], [1], [0]]
    mixed = [nn.Parameter(np.zeros(4, np.float32)), nn.Parameter(np.zeros(4)),
             nn.Parameter(np.zeros(4, np.float32))]
    assert assign_buckets(mixed, cap_bytes=10 ** 6) == [[2, 0], [1]]     # one dtype each


def test_each_bucket_starts_as_soon_as_its_gradients_are_final(fake_world):
    net = mlp()
    ddp = DistributedDataParallel(net, bucket_cap_mb=1e-9)            # one bucket per tensor
    assert len(ddp.reducer.buckets) == 6
    del fake_world[:]
    with mg.hooks.register_backward_observer(
            lambda node, g, gi: fake_world.append(("node", node.name))):
        ddp(mg.randn(5, 3)).sum().backward()
    starts = [i for i, e in enumerate(fake_world) if e[0] == "start"]
    nodes = [i for i, e in enumerate(fake_world) if e[0] == "node"]
    sizes = [fake_world[i][1] for i in starts]
    assert sizes == [2, 2 * 4, 4, 4 * 4, 4, 4 * 3]     # reverse parameter order
    # the last layer's buckets started before the first layer's backward ran
    assert starts[1] < nodes[-1]
    assert fake_world[-1][0] == "done"                 # waited for at the end of backward


def test_ddp_leaves_the_mean_gradient_and_keeps_prefixed_state_dict(fake_world):
    mg.manual_seed(0)
    net, ref = mlp(), mlp()
    ref.load_state_dict(net.state_dict())
    ddp = DistributedDataParallel(net)
    x = mg.randn(5, 3)
    ddp(x).sum().backward()
    ref(x).sum().backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-6)
    assert list(ddp.state_dict()) == [f"module.{k}" for k in net.state_dict()]
    assert list(ddp.parameters()) == list(net.parameters())
    assert ddp.module is net


def test_no_sync_and_autograd_grad_do_not_reduce(fake_world):
    ddp = DistributedDataParallel(mlp())
    del fake_world[:]
    x = mg.randn(5, 3)
    with ddp.no_sync():
        ddp(x).sum().backward()
    assert fake_world == []
    assert ddp.require_backward_grad_sync
    y = ddp(x).sum()
    mg.autograd.grad(y, list(ddp.parameters()), retain_graph=True)   # no .grad: no reduction
    assert fake_world == []
    y.backward()      # the forward armed it and autograd.grad left it armed: reduced now
    assert any(e[0] == "start" for e in fake_world)
    del fake_world[:]
    y2 = (ddp.module(x) ** 2).sum()                    # not through the wrapper: not armed
    y2.backward()
    assert fake_world == []


def test_no_sync_then_synced_backward_reduces_the_accumulated_gradient(fake_world, monkeypatch):
    """Rank-doubling stand-in: a reduced .grad is the sum over 2 ranks / 2 = the local sum."""
    net = mlp()
    ddp = DistributedDataParallel(net)
    x1, x2 = mg.randn(3, 3), mg.randn(3, 3)
    with ddp.no_sync():
        ddp(x1).sum().backward()
    ddp(x2).sum().backward()
    ref = mlp()
    ref.load_state_dict(net.state_dict())
    ref(x1).sum().backward()
    ref(x2).sum().backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-6)


def test_unused_parameter_gets_its_mean_and_buffers_are_broadcast(fake_world):
    class Partial(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(2, 2), nn.Linear(2, 2)
            self.norm = nn.BatchNorm1d(2)

        def forward(self, x):
            return self.norm(self.used(x))

    model = Partial()
    ddp = DistributedDataParallel(model)
    n_buffers = len(list(model.buffers()))
    assert n_buffers > 0
    del fake_world[:]
    ddp(mg.randn(4, 2)).sum().backward()
    assert sum(e[0] == "bcast" for e in fake_world) == n_buffers      # at the forward
    np.testing.assert_array_equal(model.unused.weight.grad, np.zeros((2, 2)))
    assert model.used.weight.grad is not None


def test_reducer_is_released_with_its_wrapper(fake_world):
    import gc
    gc.collect()
    before = (len(mg.hooks.backward_observers), len(mg.hooks.backward_pass_hooks))
    ddp = DistributedDataParallel(mlp())
    assert len(mg.hooks.backward_observers) == before[0] + 1
    del ddp
    gc.collect()
    assert (len(mg.hooks.backward_observers), len(mg.hooks.backward_pass_hooks)) == before


# ------------------------------------------------------------- SyncBatchNorm
class WrongSyncNormalize(_SyncNormalize):
    """The backward without its xhat term: gradcheck must reject it."""

    @staticmethod
    def backward(ctx, g):
        xhat, r, axes, n = ctx.saved
        return r * (g - g.mean(axis=axes, keepdims=True))


@settings(max_examples=10)
@given(shape=st.tuples(st.integers(2, 4), st.integers(1, 3), st.integers(1, 3)),
       seed=st.integers(0, 2 ** 16))
def test_sync_normalize_gradient(shape, seed):
    log = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(world, "_world", {"MPI": FakeMPI, "comm": FakeComm(2, log)})
        rng = np.random.default_rng(seed)
        x = mg.tensor(rng.normal(size=shape), requires_grad=True)
        w = mg.tensor(rng.normal(size=shape))
        assert mg.gradcheck(lambda x: _SyncNormalize.apply(x, axes=(0, 2)) * w, [x])
        with pytest.raises(mg.GradcheckError):
            mg.gradcheck(lambda x: WrongSyncNormalize.apply(x, axes=(0, 2)) * w, [x])
    assert ("allreduce", "SUM") in log


def test_sync_batchnorm_of_identical_ranks_is_batchnorm(fake_world):
    mg.set_default_dtype(mg.float64)
    sync, plain = nn.SyncBatchNorm(3, momentum=0.3), nn.BatchNorm1d(3, momentum=0.3)
    x = mg.randn(5, 3, 2, requires_grad=True)
    for layer in (sync, plain):
        layer.weight.data[...] = [0.5, 2.0, -1.0]
    y_sync = sync(x)
    del fake_world[:]
    (y_sync * mg.tensor(np.arange(30.0).reshape(5, 3, 2))).sum().backward()
    assert [e[0] for e in fake_world] == ["allreduce"]      # one in backward
    g_sync, x.grad = x.grad, None
    y_plain = plain(x)
    (y_plain * mg.tensor(np.arange(30.0).reshape(5, 3, 2))).sum().backward()
    np.testing.assert_allclose(y_sync.data, y_plain.data, atol=1e-12)
    np.testing.assert_allclose(g_sync, x.grad, atol=1e-12)
    var = x.data.var(axis=(0, 2))        # unbiased over both ranks' 2 x 10 values per channel
    np.testing.assert_allclose(sync.running_var, 0.7 + 0.3 * var * 20 / 19, atol=1e-12)
    np.testing.assert_allclose(plain.running_var, 0.7 + 0.3 * var * 10 / 9, atol=1e-12)
    np.testing.assert_allclose(sync.running_mean, plain.running_mean, atol=1e-12)
    np.testing.assert_allclose(sync.weight.grad, plain.weight.grad, atol=1e-12)
    sync.eval()
    del fake_world[:]
    shape = (1, 3, 1)
    want = ((x.data - sync.running_mean.reshape(shape)) / np.sqrt(
        sync.running_var.reshape(shape) + sync.eps)) * sync.weight.data.reshape(shape)
    np.testing.assert_allclose(sync(x).data, want, atol=1e-12)   # its running statistics
    assert fake_world == []                                 # eval: no communication


def test_sync_batchnorm_without_a_process_group_is_batchnorm(monkeypatch):
    monkeypatch.setattr(world, "_world", {})
    sync, plain = nn.SyncBatchNorm(2), nn.BatchNorm1d(2)
    x = mg.randn(4, 2)
    np.testing.assert_array_equal(sync(x).data, plain(x).data)


def test_convert_sync_batchnorm_keeps_parameters_buffers_and_mode():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, momentum=0.2),
                          nn.Sequential(nn.BatchNorm2d(3, affine=False)))
    model.eval()
    bn, bn2 = model[1], model[2][0]
    out = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model
    assert type(model[1]) is nn.SyncBatchNorm and type(model[2][0]) is nn.SyncBatchNorm
    assert model[1].weight is bn.weight and model[1].running_mean is bn.running_mean
    assert model[1].momentum == 0.2 and not model[1].training
    assert model[2][0].weight is None and model[2][0].running_var is bn2.running_var
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                        "1.running_mean", "1.running_var",
                                        "1.num_batches_tracked", "2.0.running_mean",
                                        "2.0.running_var", "2.0.num_batches_tracked"]
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4))
    assert type(single) is nn.SyncBatchNorm


# ------------------------------------------------------------- the launcher
def test_local_command_uses_the_forking_launcher_and_loopback(monkeypatch, tmp_path):
    launcher = tmp_path / "mpiexec.gforker"
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    cmd, env = local.local_command(3, ["python", "train.py"])
    assert cmd == [str(launcher), "-n", "3", "python", "train.py"]
    assert env["UCX_TLS"] == "self,sm" and env["UCX_NET_DEVICES"] == "lo"


def test_local_command_errors(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r'mpiexec.gforker.*pip install "minigrad'):
        local.local_command(2, ["python"])
    with pytest.raises(ValueError, match="nprocs must be a positive integer, got 0"):
        local.local_command(0, ["python"])
    with pytest.raises(TypeError, match="argv must be a non-empty list of strings"):
        local.local_command(2, "python train.py")
