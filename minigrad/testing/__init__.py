"""minigrad.testing: property-test gradients the way minigrad tests its own ops.

Needs hypothesis, a test-time dependency: ``pip install 'minigrad[test]'``.

* :func:`gradient_test` -- a decorator that turns one declaration into a
  hypothesis test of an op's, a custom ``Function``'s or a whole module's
  gradients against central differences (``mg.gradcheck``, float64), plus the
  other :data:`PROPERTIES` (gradient shape, accumulation, linearity, two paths);
* :func:`gradcheck_module` -- ``mg.gradcheck`` with respect to a module's
  inputs and parameters;
* strategies: ``shapes``, ``broadcastable_shapes``, ``arrays`` / ``tensors``
  (values kept off kinks and poles), ``axes``, and :class:`Inputs` strategies for
  each kind of op (``elementwise``, ``reduction``, ``matmul_operands``,
  ``joined``, ``indexed``, ``reshapes``, ``permutations``, ``squeezable``,
  ``unsqueezable``, ``expandable``, ``where_operands``, ``mlp_operands``,
  ``with_kwargs``);
* :func:`programs` / :func:`check_program` (``minigrad.testing.programs``) --
  random differentiable programs (DAGs of registered ops, with detach, no_grad,
  hooks and retain_grad) and their gradient check.

See docs/testing.md.

>>> import minigrad as mg
>>> from minigrad.testing import gradient_test
>>> class Square(mg.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved
...         return 2 * x * g
>>> gradient_test(Square, arrays=1, max_examples=3)(lambda x: None)()
"""
try:
    import hypothesis  # noqa: F401
except ImportError as e:        # pragma: no cover - exercised in a subprocess
    raise ImportError("minigrad.testing needs hypothesis, a test-time dependency: "
                      "pip install 'minigrad[test]' (or pip install hypothesis)") from e

from .factory import gradcheck_module, gradient_test, module_function
from .programs import Program, check_program, programs
from .properties import PROPERTIES
from .strategies import (Inputs, arrays, axes, broadcastable_shapes, elementwise, expandable,
                         indexed, joined, matmul_operands, mlp_operands, permutations,
                         reduction, reshapes, shapes, squeezable, tensors, unsqueezable,
                         where_operands, with_kwargs)

__all__ = ["PROPERTIES", "Inputs", "Program", "check_program", "programs", "arrays", "axes", "broadcastable_shapes", "elementwise",
           "expandable", "gradcheck_module", "gradient_test", "indexed", "joined",
           "matmul_operands", "mlp_operands", "module_function", "permutations",
           "reduction", "reshapes", "shapes", "squeezable", "tensors", "unsqueezable",
           "where_operands", "with_kwargs"]
