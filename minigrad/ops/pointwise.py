"""``pointwise``: define an elementwise op by its forward and its derivative, side by side.

Every elementwise op of minigrad (``exp``, ``+``, ``tanh``, the activations...) is
one line built with it, and users define their own ops the same way::

    Cube = mg.pointwise("Cube", lambda x: x ** 3,
                        lambda g, x: g * 3 * x ** 2,   # dL/dx from g = dL/dy
                        saves="input")
    y = Cube.apply(x)

``saves`` declares what the derivative reads, and only that is kept for
backward: ``None`` (nothing), ``"input"`` (the inputs), ``"output"`` (y: often
cheaper, as ``exp`` whose derivative is its output) or ``"both"``. Each
derivative (a vector-Jacobian product) is called as ``vjp(g, *saved, **params)``:

=========== ================================
saves        vjp arguments
=========== ================================
None         ``(g)``
"input"      ``(g, x1, ..., xn)``
"output"     ``(g, y)``
"both"       ``(g, x1, ..., xn, y)``
=========== ================================

The op is a :class:`~minigrad.function.Function` subclass, so it records on the
tape, undoes broadcasting and reports errors like every other op. Its
generated ``forward``/``backward`` only call the declared forward and vjps, with
plain positional arguments, so the mechanism adds no cost per call of its own.
"""
from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..function import Function

SAVES = (None, "input", "output", "both")
Vjp = Callable[..., np.ndarray]        # a derivative rule: (g, *saved, **params) -> dL/dx


def pointwise(name: str, forward: Callable[..., np.ndarray],
              vjp: Vjp | Sequence[Vjp | None], saves: str | None = "input",
              doc: str | None = None) -> type[Function]:
    """Make an elementwise op (a Function subclass) from its forward and derivative.

    name: the op's name: its class name and the name its nodes carry on the tape.

    forward: ``forward(*inputs, **params) -> y``, NumPy arrays in, one array out;
        inputs broadcast together (NumPy rules) and y has the broadcast shape.
        Its parameters after the inputs (e.g. ``slope`` in
        ``lambda x, slope: ...``) are the op's keyword parameters: constants,
        given as ``Op.apply(x, slope=0.1)`` and passed to forward and every vjp
        (those given to ``apply``: give a vjp the same defaults as forward).
    vjp: the derivative: one function for a one-input op, else a tuple with
        one function per input (``None`` for an input that never needs a
        gradient, e.g. a constant). Each maps the upstream gradient g (y's
        shape) and what ``saves`` kept to dL/dinput at y's shape; the tape sums
        it back to the input's shape.
    saves: what the vjps read: None, "input", "output" or "both" (see the
        module docstring for the arguments each gets).

    doc: the op's docstring (say the maths: y = ..., dy/dx = ...).

    Returns the op class; call ``Op.apply(*tensors, **params)``. Raises
    TypeError/ValueError at definition when the declaration is inconsistent
    (a vjp that cannot take the arguments ``saves`` gives it, say).
    """
    vjps = tuple(vjp) if isinstance(vjp, (tuple, list)) else (vjp,)
    _validate(name, forward, vjps, saves)
    arity = len(vjps)
    params = _param_names(name, forward, arity)
    for i, v in enumerate(vjps):
        if v is not None:
            _check_call(name, f"vjp of input {i}" if arity > 1 else "vjp", v,
                        ("g",) + _saved_names(saves, arity), params)
    fwd, bwd = _compile(name, forward, vjps, saves, bool(params))
    namespace = {
        "forward": staticmethod(fwd), "backward": staticmethod(bwd),
        "saves": saves, "vjps": vjps, "params": params,
        "__doc__": doc, "__qualname__": name,
        # the defining module (not this one), so the registry tells minigrad's
        # own ops from users'
        "__module__": sys._getframe(1).f_globals.get("__name__", "__main__"),
    }
    return type(name, (Function,), namespace)


def _compile(name: str, fn: Callable[..., np.ndarray], vjps: Sequence[Vjp | None],
             saves: str | None, has_params: bool) -> tuple[Callable[..., Any],
                                                          Callable[..., Any]]:
    """The op's ``forward(ctx, x..)`` and ``backward(ctx, g)``, written out for its arity.

    Like ``collections.namedtuple``, the two functions are generated as source
    (from counts and fixed names only), so every call inside them is a plain
    positional call: no argument tuple or loop per call, only the calls of the
    declared functions themselves. For ``Exp`` (saves "output") they read::

        def forward(ctx, x):
            y = fn(x)
            ctx.saved = (y,)
            return y

        def backward(ctx, g):
            y, = ctx.saved
            return vjp0(g, y)
    """
    xs = _saved_names("input", len(vjps))
    kept = _saved_names(saves, len(vjps))
    kw = ", **params" if has_params else ""
    args = ", ".join(("g",) + kept) + kw
    lines = [f"def forward(ctx, {', '.join(xs)}{kw}):",
             f"    y = fn({', '.join(xs)}{kw})"]
    if kept:
        lines.append(f"    ctx.saved = ({', '.join(kept)},)")
    if has_params:
        lines.append("    ctx.params = params")
    lines += ["    return y", "", "def backward(ctx, g):"]
    if kept:
        lines.append(f"    {', '.join(kept)}, = ctx.saved")
    if has_params:
        lines.append("    params = ctx.params")
    # a vjp that is ``lambda g: g`` (Add, Sub's first input) is written as ``g``: no call
    calls = [None if v is None else "g" if _is_identity(v) and not kept and not has_params
             else f"vjp{i}({args})" for i, v in enumerate(vjps)]
    if len(vjps) == 1:
        lines.append(f"    return {calls[0]}")
    else:           # a vjp only for the inputs that need a gradient
        needs = [f"need{i}" for i in range(len(vjps))]
        grads = ["None" if c is None else f"{c} if need{i} else None"
                 for i, c in enumerate(calls)]
        lines += [f"    {', '.join(needs)}, = ctx.needs_input_grad",
                  f"    return ({', '.join(grads)},)"]
    namespace: dict[str, Any] = {"fn": fn, **{f"vjp{i}": v for i, v in enumerate(vjps)}}
    exec(compile("\n".join(lines), f"<pointwise {name}>", "exec"), namespace)
    return namespace["forward"], namespace["backward"]


_IDENTITY = (lambda g: g).__code__


def _is_identity(f: Callable[..., Any]) -> bool:
    """Whether ``f`` is ``lambda g: g`` (any name): one positional parameter, returned."""
    code = getattr(f, "__code__", None)
    return (code is not None and code.co_code == _IDENTITY.co_code and code.co_argcount == 1
            and not code.co_kwonlyargcount and not code.co_flags & 0x0C  # no *args, **kw
            and not getattr(f, "__defaults__", None) and not getattr(f, "__closure__", None))


def _validate(name: str, forward: Callable[..., np.ndarray], vjps: Sequence[Vjp | None],
              saves: str | None) -> None:
    if not isinstance(name, str):
        raise TypeError(f"pointwise: name must be a string, got {type(name).__name__}")
    if not name.isidentifier():
        raise ValueError(f"pointwise: name must be an identifier, got {name!r}")
    if not callable(forward):
        raise TypeError(f"pointwise {name}: forward must be callable, got "
                        f"{type(forward).__name__}")
    if not vjps or any(v is not None and not callable(v) for v in vjps):
        raise TypeError(f"pointwise {name}: vjp must be a function or a tuple of "
                        f"functions (None for an input without gradient), got {vjps!r}")
    if all(v is None for v in vjps):
        raise ValueError(f"pointwise {name}: at least one input needs a vjp")
    if saves not in SAVES:
        raise ValueError(f"pointwise {name}: saves must be one of "
                         f"{', '.join(map(repr, SAVES))}; got {saves!r}")
    if isinstance(forward, np.ufunc) and forward.nin != len(vjps):
        raise ValueError(f"pointwise {name}: forward takes {forward.nin} inputs but "
                         f"{len(vjps)} vjps were given")


def _saved_names(saves: str | None, arity: int) -> tuple[str, ...]:
    xs = ("x",) if arity == 1 else tuple(f"x{i + 1}" for i in range(arity))
    return {None: (), "input": xs, "output": ("y",), "both": xs + ("y",)}[saves]


def _signature(f: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):             # builtins, ufuncs: nothing to check
        return None


def _param_names(name: str, forward: Callable[..., np.ndarray], arity: int) -> tuple[str, ...]:
    """Names of forward's parameters after its ``arity`` inputs (its op parameters;
    ``"**name"`` for a ``**name`` catch-all)."""
    sig = None if isinstance(forward, np.ufunc) else _signature(forward)
    if sig is None:             # a ufunc's out=, where=... are not op parameters
        return ()
    ps = list(sig.parameters.values())
    positional = [p for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < arity and not any(p.kind == p.VAR_POSITIONAL for p in ps):
        raise ValueError(f"pointwise {name}: forward takes {len(positional)} inputs but "
                         f"{arity} vjps were given")
    rest = positional[arity:] + [p for p in ps if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD)]
    return tuple("**" + p.name if p.kind == p.VAR_KEYWORD else p.name for p in rest)


def _check_call(name: str, what: str, f: Callable[..., Any], args: Sequence[str],
                params: Sequence[str]) -> None:
    """Raise TypeError now if ``f`` cannot be called as backward will call it."""
    sig = _signature(f)
    if sig is None:
        return
    try:
        sig.bind(*args, **{p: None for p in params if not p.startswith("*")})
    except TypeError as e:
        with_params = f", {', '.join(params)}" if params else ""
        raise TypeError(f"pointwise {name}: {what} is called as "
                        f"({', '.join(args)}{with_params}), which it cannot take: {e}") from None
