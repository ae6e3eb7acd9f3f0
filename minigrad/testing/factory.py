"""``gradient_test``: a property test of an op's (or a module's) gradients in one line.

The op under test is a :class:`~minigrad.function.Function` subclass (called
through ``apply``), an ``nn.Module`` (its parameters are checked too, swapped for
float64 copies during each call), or any function of tensors. Each generated
example draws float64 inputs with hypothesis and runs every property of
:data:`~minigrad.testing.properties.PROPERTIES` (``mg.gradcheck`` against central
differences first), then the decorated function, which may add its own
assertions on the same inputs.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from .. import nn
from ..function import Function
from ..gradcheck import gradcheck
from ..random import manual_seed
from ..tensor import Tensor
from .properties import PROPERTIES, Fn, check_gradcheck
from .strategies import Inputs, _fill, elementwise

ShapeLike = tuple[int, ...] | st.SearchStrategy[tuple[int, ...]]


def _owned_parameters(module: nn.Module) -> list[tuple[nn.Module, str, nn.Parameter]]:
    """(owner, attribute name, Parameter) for each distinct parameter, in parameters() order."""
    owners, seen = [], set()
    for _, m in module.named_modules():
        for name, p in m._parameters.items():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                owners.append((m, name, p))
    return owners


def _call_with(module: nn.Module, params: Sequence[Tensor], *args: Any, **kwargs: Any) -> Any:
    """``module(*args, **kwargs)`` with its parameters replaced by ``params`` (same order)."""
    owners = _owned_parameters(module)
    if len(params) != len(owners):
        raise ValueError(f"expected {len(owners)} parameter tensors, got {len(params)}")
    try:
        for (m, name, _), q in zip(owners, params):
            m._parameters[name] = q      # type: ignore[assignment]  # any Tensor, for the call
        return module(*args, **kwargs)
    finally:
        for m, name, p in owners:
            m._parameters[name] = p


def module_function(module: nn.Module, n_inputs: int, seed: int | None = None) -> Fn:
    """``fn(*inputs, *params, **kw)`` calling ``module(*inputs, **kw)`` with ``params``.

    What lets ``mg.gradcheck`` (and every property) differentiate a module with
    respect to its parameters: the parameters become ordinary inputs after the
    module's own ``n_inputs``. seed: ``mg.manual_seed(seed)`` before each call
    (the same dropout mask every time).
    """
    def fn(*tensors: Tensor, **kwargs: Any) -> Any:
        if seed is not None:
            manual_seed(seed)
        return _call_with(module, tensors[n_inputs:], *tensors[:n_inputs], **kwargs)
    return fn


def gradcheck_module(module: nn.Module, *inputs: Tensor, seed: int | None = None,
                     **gradcheck_kw: Any) -> bool:
    """``mg.gradcheck`` of ``module(*inputs)`` w.r.t. the inputs and every parameter.

    inputs: tensors (those requiring grad are checked) or constants. seed: reseed
    before every call (for dropout). Returns True or raises ``mg.GradcheckError``.

    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> gradcheck_module(nn.Linear(3, 2).double(), mg.randn(4, 3, dtype=mg.float64))
    True
    """
    params = [p for _, _, p in _owned_parameters(module)]
    return gradcheck(module_function(module, len(inputs), seed), [*inputs, *params],
                     **gradcheck_kw)


def _as_function(op: object) -> Fn:
    if isinstance(op, type) and issubclass(op, Function):
        return op.apply
    if callable(op):
        return op
    raise TypeError(f"gradient_test: op must be a Function subclass, an nn.Module or a "
                    f"callable, got {type(op).__name__}")


def _strategy(arrays: int, shapes: Sequence[ShapeLike] | None,
              inputs: st.SearchStrategy[Inputs] | None, kwargs: Mapping[str, Any],
              value_kw: dict[str, Any]) -> st.SearchStrategy[Inputs]:
    """Draws Inputs from ``inputs``, or from ``shapes``, or ``arrays`` broadcastable arrays."""
    if inputs is None and shapes is not None:
        @st.composite
        def shaped(draw: st.DrawFn) -> Inputs:
            fixed = [draw(s) if isinstance(s, st.SearchStrategy) else tuple(s) for s in shapes]
            return Inputs(_fill(draw, fixed, value_kw))
        inputs = shaped()
    elif inputs is None:
        inputs = elementwise(arrays, **value_kw)
    elif value_kw:
        raise TypeError(f"gradient_test: {sorted(value_kw)} shape the drawn values; "
                        f"with inputs= give them to that strategy instead")

    @st.composite
    def with_kw(draw: st.DrawFn) -> Inputs:
        inp = draw(inputs)
        extra = {k: draw(v) if isinstance(v, st.SearchStrategy) else v
                 for k, v in kwargs.items()}
        return Inputs(inp.arrays, {**inp.kwargs, **extra})
    return with_kw()


def gradient_test(op: object, arrays: int = 1, *, shapes: Sequence[ShapeLike] | None = None,
                  inputs: st.SearchStrategy[Inputs] | None = None,
                  kwargs: Mapping[str, Any] | None = None,
                  properties: Sequence[str] = tuple(PROPERTIES), seed: int | None = None,
                  max_examples: int | None = None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, **value_kw: Any
                  ) -> Callable[[Callable[..., object]], Callable[[], None]]:
    """Decorator: a hypothesis test of ``op``'s gradients, in float64, in one declaration.

    op: a ``Function`` subclass (``op.apply`` is called), an ``nn.Module`` (cast to
        float64 in place; its parameters are checked as extra inputs), or a
        function of tensors returning a tensor (or a tuple of them).
    arrays: how many inputs, of mutually broadcastable shapes (NumPy rules).
    shapes: instead, one shape (or hypothesis strategy of shapes) per input, e.g.
        ``[(5, 3)]`` for ``nn.Linear(3, 2)``.
    inputs: instead, any strategy drawing :class:`Inputs` (``reduction()``,
        ``matmul_operands()``, ...).
    kwargs: keyword arguments for the op, each a constant or a strategy.
    properties: which of :data:`PROPERTIES` to check (all by default).
    seed: ``mg.manual_seed(seed)`` before every call of a module (dropout).
    max_examples: hypothesis examples (default: the active settings profile's).
    eps, atol, rtol: passed to ``mg.gradcheck``.
    value_kw: keep values well-conditioned (``low``, ``high``, ``away_from_zero``,
        ``avoid``, ``distinct``), see :func:`~minigrad.testing.arrays`.

    The decorated function is called after the properties pass, with the drawn
    input tensors and kwargs (``check(*tensors, **kwargs)``), for further
    assertions (e.g. forward values against NumPy); the returned test takes no
    arguments, so pytest collects it. A failing property raises
    ``mg.GradcheckError`` or ``AssertionError``; hypothesis then shrinks the
    inputs and prints the smallest failing example.

    >>> import minigrad as mg
    >>> Cube = mg.pointwise("Cube", lambda x: x ** 3, lambda g, x: g * 3 * x ** 2, saves="input")
    >>> @gradient_test(Cube, arrays=1, max_examples=5)
    ... def test_cube(x):
    ...     assert (Cube.apply(x).data == x.data ** 3).all()
    >>> test_cube()
    """
    unknown = sorted(set(properties) - set(PROPERTIES))
    if unknown:
        raise ValueError(f"gradient_test: unknown properties {unknown}; "
                         f"expected some of {list(PROPERTIES)}")
    params: list[np.ndarray] = []
    n_inputs = -1
    if isinstance(op, nn.Module):
        if shapes is None and inputs is None:
            raise TypeError("gradient_test: give the input shapes of a module, "
                            "e.g. shapes=[(4, 3)]")
        op.double()
        params = [p.data for _, _, p in _owned_parameters(op)]
        n_inputs = len(shapes) if shapes is not None else -1
    strategy = _strategy(arrays, shapes, inputs, kwargs or {}, value_kw)
    chosen = [PROPERTIES[name] for name in properties]
    gradcheck_kw = dict(eps=eps, atol=atol, rtol=rtol)

    def decorate(check: Callable[..., object]) -> Callable[[], None]:
        def test(data: st.DataObject) -> None:
            drawn = data.draw(strategy, label="inputs")
            fn = _as_function(op)
            if params:
                n = n_inputs if n_inputs >= 0 else len(drawn.arrays)
                assert isinstance(op, nn.Module)
                fn = module_function(op, n, seed)
                drawn = Inputs([*drawn.arrays, *(p.copy() for p in params)], drawn.kwargs)
            rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
            for prop in chosen:
                if prop is check_gradcheck:
                    check_gradcheck(fn, drawn, rng, **gradcheck_kw)
                else:
                    prop(fn, drawn, rng)
            user = drawn.tensors()[:len(drawn.arrays) - len(params)]
            check(*user, **drawn.kwargs)
        # hypothesis reads a lambda's source: name it as a function instead
        name = check.__name__ if check.__name__.isidentifier() else "gradient_test"
        test.__name__ = name
        test.__qualname__ = name if name != check.__name__ else check.__qualname__
        test.__module__ = check.__module__
        test.__doc__ = check.__doc__
        run = given(data=st.data())(test)
        if max_examples is not None:
            run = settings(max_examples=max_examples)(run)
        return run
    return decorate
