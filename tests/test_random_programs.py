"""Random programs (minigrad.testing.programs): DAGs of 1-30 registered ops over
broadcastable float64 inputs, with detach, no_grad, gradient-scaling hooks and
retain_grad sprinkled in, every gradient checked against central differences
(mg.gradcheck) and two retain_graph backwards checked to accumulate.

CI draws PROGRAMS programs (100; ~20 s); ``HYPOTHESIS_PROFILE=stress`` draws 10,000
(docs/testing.md has the run time). The search is shown to have teeth: a planted
wrong backward and a planted broadcasting slip are each caught within a bounded
number of programs.
"""
import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import tape
from minigrad.ops import registry
from minigrad.testing.programs import (EXCLUDED, MODES, Program, Step, builders,
                                       check_program, programs, unsupported_ops)

PROGRAMS = max(settings.default.max_examples, 100)


@settings(max_examples=PROGRAMS)
@given(prog=programs(), seed=st.integers(0, 2**16))
def test_random_programs_have_correct_gradients(prog, seed):
    check_program(prog, seed=seed)


def test_every_registered_op_has_a_builder_or_a_reason():
    """A new op joins random programs (elementwise ops automatically) or is listed,
    with a reason, in EXCLUDED."""
    assert unsupported_ops() == sorted(EXCLUDED)
    assert not set(EXCLUDED) - set(registry.ops()), "EXCLUDED names an op that is gone"


def _collect(n, **kw):
    """The steps of n drawn programs (no checks run)."""
    steps = []

    @settings(max_examples=n, phases=[Phase.generate], database=None)
    @given(prog=programs(**kw))
    def collect(prog):
        steps.extend(prog.steps)
    collect()
    return steps


@pytest.mark.parametrize("name", sorted(builders()))
def test_every_op_can_take_part(name):
    """Each op's builder applies to the values programs make (not always skipped)."""
    assert any(s.op == name for s in _collect(5, ops=[name, "Add"], max_ops=4))


def test_programs_mix_modes_reuse_values_and_reach_thirty_steps():
    steps = _collect(40)
    assert {s.mode for s in steps} == set(MODES)
    assert {s.scale for s in steps if s.mode == "hook"} == {0.5, 2.0, -1.5}
    assert len(_collect(1, min_ops=30)) >= 20       # (a step that does not fit is skipped)
    reads = [i for s in steps for i in s.args]
    assert len(reads) > len(set(reads)), "no value was read twice"


def _first_failure(n, ops=None):
    """The first program (of at most n, no shrinking) whose check fails, or None.
    ops: the op set programs draw from (default: all)."""
    found = []

    @settings(max_examples=n, phases=[Phase.generate], database=None, derandomize=True,
              deadline=None)
    @given(prog=programs(ops=ops))
    def search(prog):
        try:
            check_program(prog)
        except (AssertionError, RuntimeError) as e:
            found.append((prog, e))
            raise
    try:
        search()
    except Exception:           # hypothesis re-raises the failure (or an ExceptionGroup)
        if not found:
            raise
    return found[0] if found else None


# besides the planted op, a few others to build programs with (Mul is in every squash)
COMMON = ["Add", "Mul", "Tanh", "Reshape", "Sum", "GetItem", "Expand"]


@pytest.mark.parametrize("name", ["Mul", "LogSumExp", "Conv2d", "Std", "CumSum", "Where"])
def test_a_planted_wrong_backward_is_caught(monkeypatch, name):
    """The op's gradient for its first input 2% too large: some program must notice.
    Mul with every op; a rarer op among COMMON ones, so the budget reaches it."""
    op = registry.ops()[name]
    right = op.backward

    def wrong(ctx, g):
        out = right(ctx, g)
        if not isinstance(out, (tuple, list)):
            return out * 1.02
        out = list(out)
        k = next(i for i, o in enumerate(out) if o is not None)
        out[k] = out[k] * 1.02
        return tuple(out)
    monkeypatch.setattr(op, "backward", staticmethod(wrong))
    failure = _first_failure(100, None if name == "Mul" else sorted({name, *COMMON}))
    assert failure is not None, f"no program noticed a wrong {name} backward"
    prog, err = failure
    assert isinstance(err, mg.GradcheckError), err


def test_a_backward_that_differs_on_a_retained_graph_is_caught(monkeypatch):
    """Mul's backward right the first time but 2% off when the same (retained) node is
    run again: gradcheck cannot see it, the two retain_graph backwards must."""
    mul = registry.ops()["Mul"]
    right = mul.backward

    def drifting(ctx, g):
        ga, gb = right(ctx, g)
        ctx.planted_calls = getattr(ctx, "planted_calls", 0) + 1
        return (ga * 1.02, gb) if ctx.planted_calls > 1 else (ga, gb)
    monkeypatch.setattr(mul, "backward", staticmethod(drifting))
    failure = _first_failure(100, COMMON)
    assert failure is not None, "no program noticed a backward drifting on a retained graph"
    prog, err = failure
    assert "retain_graph" in str(err), err


def test_a_planted_broadcasting_slip_is_caught(monkeypatch):
    """The engine keeps the first slice of a broadcast size-1 axis instead of summing it."""
    right = tape.unbroadcast

    def slipped(grad, shape):
        extra = grad.ndim - len(shape)
        if extra > 0:
            grad = grad.sum(axis=tuple(range(extra)))
        index = tuple(slice(0, 1) if n == 1 else slice(None) for n in shape)
        return right(grad[index], shape)
    monkeypatch.setattr(tape, "unbroadcast", slipped)
    failure = _first_failure(100, COMMON)
    assert failure is not None, "no program noticed the broadcasting slip"


def test_cut_and_hooked_values_count_as_constants_and_scaled_gradients():
    """The forward-side counterparts check_program relies on, on a hand-built program:
    y = x * detach(s(x)) with a hook doubling y's gradient, so dy/dx = 2 s(x)."""
    x0 = np.array([0.3, -0.7])
    prog = Program([x0], [Step("Mul", (0, 0), {}, "plain"),      # v1 = x * x (unused below)
                          Step("Sigmoid", (0,), {}, "detach"),   # v2 = const
                          Step("Mul", (0, 2), {}, "hook", 2.0)])  # v3 = x * v2, grad x2
    check_program(prog)
    x = mg.tensor(x0, requires_grad=True)
    outs = prog.run(x)
    assert len(outs) == 2
    outs[1].sum().backward()
    s = 1 / (1 + np.exp(-(0.3 + 1.5 * np.tanh(x0))))      # sigmoid, input squashed (WIDE)
    np.testing.assert_allclose(x.grad, 2 * s)
