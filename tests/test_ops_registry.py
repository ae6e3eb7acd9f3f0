"""minigrad.ops.registry: every op by name, minigrad's own apart from users'.

The registry walks Function's subclass tree; checked here against a scan of
the op modules' namespaces, done independently.
"""
import gc
import importlib
import pkgutil

import pytest

import minigrad as mg
from minigrad.ops import registry


def _ops_in_modules():
    """Function subclasses bound to a public name in any minigrad.ops module."""
    found = {}
    for info in pkgutil.walk_packages(mg.ops.__path__, "minigrad.ops."):
        for value in vars(importlib.import_module(info.name)).values():
            if (isinstance(value, type) and issubclass(value, mg.Function)
                    and value is not mg.Function and not value.name.startswith("_")):
                found[value.name] = value
    return found


def test_every_op_of_the_op_modules_is_registered_under_its_node_name():
    ops = registry.ops()
    assert ops == _ops_in_modules()
    assert list(ops) == sorted(ops)
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert ops[x.exp().grad_fn.name] is mg.ops.elementwise.Exp
    assert ops[(x + x).grad_fn.name] is mg.ops.elementwise.Add


def test_shared_bases_are_not_ops():
    ops = registry.ops()
    assert "Max" in ops and "Min" in ops
    assert not [name for name in ops if name.startswith("_")]


def test_user_ops_are_listed_only_on_request_and_never_shadow_builtins():
    class Exp(mg.Function):              # same name as minigrad's Exp
        pass

    class Twice(mg.Function):
        pass

    assert "Twice" not in registry.ops()
    user = registry.ops(include_user=True)
    assert user["Twice"] is Twice
    assert user["Exp"] is mg.ops.elementwise.Exp
    assert user[f"{__name__}.{Exp.__qualname__}"] is Exp


def test_two_builtin_ops_with_one_name_are_an_error():
    clash = type("Exp", (mg.Function,), {"__module__": "minigrad.ops.elsewhere"})
    try:
        with pytest.raises(RuntimeError, match="two ops named 'Exp'"):
            registry.ops()
    finally:
        del clash
        gc.collect()                     # drop it from Function's subclass list
    assert registry.ops()["Exp"] is mg.ops.elementwise.Exp
