"""The engine's seams (minigrad.hooks) and nn.Module's forward hooks."""
import pathlib
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import module as nn_module

ROOT = pathlib.Path(__file__).resolve().parent.parent


def leaf(*shape):
    return mg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------ engine
def test_record_hook_sees_node_inputs_and_output_of_recorded_ops_only():
    x = leaf(3)
    seen = []
    with mg.hooks.register_record_hook(lambda node, inputs, out: seen.append((node, inputs, out))):
        y = x * 2.0
        with mg.no_grad():
            x * 3.0                      # not recorded
        mg.tensor([1.0]) + 1.0           # not recorded: nothing requires grad
    assert len(seen) == 1
    node, inputs, out = seen[0]
    assert node is y.grad_fn and out is y
    assert inputs[0] is x and inputs[1] == 2.0
    assert node.parents == (x, None)
    y2 = x * 2.0                          # after removal: not called
    assert len(seen) == 1 and y2.grad_fn is not None


def test_op_hook_sees_every_op_with_node_or_none():
    x = leaf(2)
    seen = []
    with mg.hooks.register_op_hook(lambda node, inputs, out: seen.append(node)):
        y = x.exp()
        with mg.no_grad():
            x.exp()
        mg.tensor([1.0]).exp()
    assert seen == [y.grad_fn, None, None]


def test_cut_hook_reports_detach_and_no_grad_cuts_only():
    x = leaf(2)
    seen = []
    with mg.hooks.register_cut_hook(lambda out, inputs, reason: seen.append((out, inputs, reason))):
        d = x.detach()
        with mg.no_grad():
            z = x * 2.0
            mg.tensor([1.0]) * 2.0        # no input requires grad: nothing was cut
        x * 2.0                           # recorded: not a cut
    assert [(o, r) for o, _, r in seen] == [(d, "detach"), (z, "no_grad")]
    assert seen[0][1] == (x,)
    assert seen[1][1][0] is x


def test_backward_observer_gets_each_nodes_gradients():
    x = leaf(3)
    y = (x * 2.0).sum()
    calls = []
    with mg.hooks.register_backward_observer(
            lambda node, g_out, g_in: calls.append((node.name, np.array(g_out), g_in))):
        y.backward()
    assert [c[0] for c in calls] == ["Sum", "Mul"]
    np.testing.assert_array_equal(calls[1][1], np.ones(3))     # dL/d(x*2)
    np.testing.assert_array_equal(calls[1][2][0], np.full(3, 2.0))
    assert calls[1][2][1] is None                                 # the constant's slot


def test_backward_pass_hook_brackets_each_pass_after_every_grad_is_written():
    x = leaf(3)
    events = []

    def on_pass(phase, roots, inputs):
        events.append((phase, [r is y for r in roots], inputs,
                       None if x.grad is None else x.grad.copy()))

    def observe(node, g_out, g_in):
        events.append(node.name)

    y = (x * 2.0).sum()
    with mg.hooks.register_backward_pass_hook(on_pass), \
            mg.hooks.register_backward_observer(observe):
        y.backward(retain_graph=True)
        (gx,) = mg.autograd.grad(y, [x])
    assert [e if isinstance(e, str) else e[0] for e in events] == \
        ["begin", "Sum", "Mul", "end", "begin", "Sum", "Mul", "end"]
    begin, end = events[0], events[3]
    assert begin[1] == [True] and begin[2] is None and begin[3] is None
    np.testing.assert_array_equal(end[3], np.full(3, 2.0))      # .grad already written
    assert [t is x for t in events[4][2]] == [True]              # autograd.grad's inputs
    np.testing.assert_array_equal(events[7][3], np.full(3, 2.0))  # .grad untouched by it
    assert mg.hooks.backward_pass_hooks == []


def test_backward_pass_hook_has_no_end_when_the_pass_raises():
    class Broken(mg.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    phases = []
    y = Broken.apply(leaf(2)).sum()
    with mg.hooks.register_backward_pass_hook(lambda phase, *a: phases.append(phase)):
        with pytest.raises(ValueError, match="broken backward"):
            y.backward()
    assert phases == ["begin"]


def test_handles_remove_once_and_are_idempotent():
    f = lambda *a: None                  # noqa: E731
    h1 = mg.hooks.register_record_hook(f)
    h2 = mg.hooks.register_record_hook(f)   # the same function twice: two entries
    assert mg.hooks.record_hooks.count(f) == 2
    h1.remove()
    h1.remove()
    assert mg.hooks.record_hooks.count(f) == 1
    h2.remove()
    assert f not in mg.hooks.record_hooks


def test_register_rejects_non_callables_and_changes_nothing():
    before = list(mg.hooks.cut_hooks)
    with pytest.raises(TypeError, match="expected a callable, got int"):
        mg.hooks.register_cut_hook(3)
    assert mg.hooks.cut_hooks == before


def test_hook_removing_itself_during_a_call_is_safe():
    x = leaf(2)
    calls = []

    def once(node, inputs, out):
        calls.append(node)
        handle.remove()

    handle = mg.hooks.register_record_hook(once)
    other = mg.hooks.register_record_hook(lambda *a: calls.append("other"))
    try:
        x * 2.0
        x * 2.0
    finally:
        other.remove()
    assert len(calls) == 3 and calls[1:] == ["other", "other"]


def test_engine_modules_import_no_feature():
    """Engine files (minigrad/*.py) name no viz, nn, optim or distributed import."""
    f = "viz|nn|optim|distributed"
    bad = re.compile(rf"^\s*(from\s+(\.|minigrad\.?)\s*({f})\b|import\s+minigrad\.({f})"
                     rf"|from\s+\.({f})\b|from\s+minigrad\s+import\s+.*\b({f})\b"
                     rf"|from\s+\.\s+import\s+.*\b({f})\b)", re.M)
    offenders = []
    for path in sorted((ROOT / "minigrad").glob("*.py")):
        if path.name == "__init__.py":       # the package namespace re-exports them
            continue
        if bad.search(path.read_text()):
            offenders.append(path.name)
    assert offenders == []


# ------------------------------------------------------------------ modules
class Double(nn.Module):
    def forward(self, x, scale=1.0):
        return x * 2.0 * scale


def test_forward_pre_hook_can_replace_inputs_and_wraps_non_tuples():
    m = Double()
    x = mg.tensor([1.0, 2.0])
    h = m.register_forward_pre_hook(lambda mod, args: args[0] + 1.0)   # a bare value
    np.testing.assert_allclose(m(x).data, [4.0, 6.0])
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, args: None)            # inputs kept
    np.testing.assert_allclose(m(x).data, [2.0, 4.0])
    h.remove()
    assert m._forward_pre_hooks == []


def test_forward_hook_sees_args_and_can_replace_output():
    m = Double()
    x = mg.tensor([1.0])
    seen = []
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 10.0,))
    m.register_forward_hook(lambda mod, args, out: seen.append((mod, args[0].item(), out.item())))
    m.register_forward_hook(lambda mod, args, out: out + 1.0)
    assert m(x).item() == 21.0
    assert seen == [(m, 10.0, 20.0)]        # the hook saw the pre-hook's inputs


def test_with_kwargs_hooks():
    m = Double()
    x = mg.tensor([1.0])
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}),
                                with_kwargs=True)
    got = []
    m.register_forward_hook(lambda mod, args, kwargs, out: got.append(kwargs["scale"]),
                            with_kwargs=True)
    assert m(x).item() == 6.0 and got == [3.0]
    bad = Double()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple \(args, kwargs\)"):
        bad(x)


def test_order_global_then_module_and_prepend():
    m = Double()
    order = []
    hs = [nn.register_module_forward_pre_hook(lambda mod, a: order.append("gpre")),
          nn.register_module_forward_hook(lambda mod, a, o: order.append("gpost"))]
    try:
        m.register_forward_pre_hook(lambda mod, a: order.append("pre1"))
        m.register_forward_pre_hook(lambda mod, a: order.append("pre0"), prepend=True)
        m.register_forward_hook(lambda mod, a, o: order.append("post"))
        m(mg.tensor([1.0]))
    finally:
        for h in hs:
            h.remove()
    assert order == ["gpre", "pre0", "pre1", "gpost", "post"]
    assert nn_module._global_forward_pre_hooks == [] and nn_module._global_forward_hooks == []


def test_always_call_runs_when_forward_raises():
    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("inside")

    m = Bad()
    got = []
    m.register_forward_hook(lambda mod, a, out: got.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, a, out: got.append("normal"))
    with pytest.raises(ValueError, match="inside"):
        m(mg.tensor([1.0]))
    assert got == [("always", None)]


def test_hooks_reject_non_callables():
    m = Double()
    with pytest.raises(TypeError, match="expected a callable hook, got str"):
        m.register_forward_hook("nope")
    assert m._forward_hooks == []


def test_global_hooks_see_nested_calls():
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    calls = []
    with nn.register_module_forward_pre_hook(lambda mod, a: calls.append(type(mod).__name__)):
        net(mg.tensor([[1.0, 2.0]]))
    assert calls == ["Sequential", "Linear", "Tanh"]
