"""Function: the base of every differentiable op, built-in or user-defined.

An op is a subclass with two static methods that live side by side::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):            # np.ndarray in, np.ndarray out
            y = np.exp(x)
            ctx.save_for_backward(y)    # save only what backward needs
            return y

        @staticmethod
        def backward(ctx, grad):        # dL/dy -> dL/dx, one per input
            (y,) = ctx.saved
            return grad * y

    y = Exp.apply(x)                    # Tensors in, a Tensor out

``apply`` unwraps tensors to arrays (anything else, e.g. a Python scalar, is
passed through as a constant), runs ``forward``, and, when grad mode is on and
an input requires grad, records the context as the output's ``grad_fn`` node.
``backward`` returns one gradient per input (a bare array for one input, a
tuple for several, ``None`` where no gradient is needed); gradients of
broadcast inputs are summed back to the input's shape by the tape, not the op.
"""
import numpy as np

from . import tape
from .tensor import Tensor


class Context:
    """A node on the tape: the op, its parents and what forward saved.

    ``ctx.needs_input_grad[i]`` tells backward whether input i needs a gradient.
    Other attributes may be set freely in forward (e.g. ``ctx.shape``).
    """

    fn = None
    parents = ()
    needs_input_grad = ()
    saved = ()
    freed = False

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def name(self):
        return self.fn.name if self.fn is not None else "?"

    def release(self):
        """Drop saved arrays (after a backward without retain_graph)."""
        keep = {"fn": self.fn, "parents": self.parents,
                "needs_input_grad": self.needs_input_grad}
        self.__dict__.clear()
        self.__dict__.update(keep)
        self.freed = True

    def __repr__(self):
        return f"<{self.name} node>"


class Function:
    """Base class of ops; see the module docstring. ``name`` defaults to the class name."""

    name = "Function"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **kwargs):
        arrays = []
        parents = []
        requires = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                parents.append(x)
                if x._rg:
                    requires = True
            else:
                arrays.append(x)
                parents.append(None)
        ctx = Context()
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except ValueError as e:
            shapes = " and ".join(str(np.shape(a)) for a in arrays
                                  if isinstance(a, np.ndarray))
            raise ValueError(f"{cls.name}: incompatible shapes {shapes}: {e}") from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        t = Tensor.__new__(Tensor)
        t.data = out
        t.grad = None
        t._retain = False
        t._hooks = None
        if requires and tape._state.enabled:
            if out.dtype.kind != "f":
                raise TypeError(
                    f"{cls.name}: produced a {out.dtype} output from inputs that "
                    f"require grad; differentiable ops must return floating arrays")
            ctx.fn = cls
            ctx.parents = tuple(parents)
            ctx.needs_input_grad = tuple(p is not None and p._rg for p in parents)
            t._rg = True
            t.grad_fn = ctx
        else:
            t._rg = False
            t.grad_fn = None
        return t
