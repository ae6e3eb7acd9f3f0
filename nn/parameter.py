"""Parameter: a leaf Tensor that a Module registers as learnable."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.random import get_rng
from minigrad.tensor import Tensor, _as_array

if TYPE_CHECKING:
    from minigrad._typing import Array, TensorLike


class ParameterData(np.ndarray):
    """The array behind a Parameter's ``.data``: an ``np.ndarray`` (a view of the
    parameter's memory) that also has PyTorch's in-place methods, so the idioms of
    PyTorch programs that reach into ``.data`` run as written: ``p.data.add_(p.grad,
    alpha=-lr)``, ``m.bias.data.zero_()``, ``m.weight.data.normal_(0.0, 0.02)``,
    ``emb.weight.data.copy_(vectors)``. Each changes the array in place and returns it.
    As PyTorch's ``.data``, these writes are not tracked (no version bump): they are the
    escape hatch, for initialisation and hand-written updates outside the graph.
    Operands may be arrays, Tensors or numbers; random fills use minigrad's generator
    (``mg.manual_seed``).
    """

    # below ndarray's 0: an op mixing this with plain arrays (x @ W.T, g @ W) returns a
    # plain array, so the subclass stays on the parameter and costs ops almost nothing
    __array_priority__ = -1.0

    def _arg(self, other: Any) -> Any:
        return other.data if isinstance(other, Tensor) else other

    def add_(self, other: Any, *, alpha: Any = 1) -> ParameterData:
        """``self += alpha * other``."""
        o = self._arg(other)
        np.add(self, o if alpha == 1 else np.multiply(o, alpha), out=self)
        return self

    def sub_(self, other: Any, *, alpha: Any = 1) -> ParameterData:
        """``self -= alpha * other``."""
        o = self._arg(other)
        np.subtract(self, o if alpha == 1 else np.multiply(o, alpha), out=self)
        return self

    def mul_(self, other: Any) -> ParameterData:
        """``self *= other``."""
        np.multiply(self, self._arg(other), out=self)
        return self

    def div_(self, other: Any) -> ParameterData:
        """``self /= other``."""
        np.true_divide(self, self._arg(other), out=self)
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> ParameterData:  # noqa: A002
        """Clamp to ``[min, max]`` (either may be None)."""
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        np.clip(self, self._arg(min), self._arg(max), out=self)
        return self

    def zero_(self) -> ParameterData:
        """Set every element to 0."""
        self[...] = 0
        return self

    def fill_(self, value: Any) -> ParameterData:
        """Set every element to ``value`` (a number or one-element array)."""
        self[...] = self._arg(value)
        return self

    def copy_(self, src: Any) -> ParameterData:
        """Copy ``src`` (broadcast to this shape, converted to this dtype) in."""
        np.copyto(self, np.asarray(self._arg(src)), casting="unsafe")
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> ParameterData:
        """Fill with draws from N(mean, std^2)."""
        if not std >= 0:
            raise ValueError(f"normal_: expected std >= 0, got {std}")
        self[...] = get_rng().normal(mean, std, self.shape)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> ParameterData:
        """Fill with draws from U[a, b)."""
        if not a <= b:
            raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
        self[...] = get_rng().uniform(a, b, self.shape)
        return self

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))


class Parameter(Tensor):
    """A Tensor with ``requires_grad=True`` by default, registered by Modules.

    Assigning one Parameter to two modules ties them: it is one Parameter,
    its gradient is the sum over all uses, and ``parameters()`` yields it once.
    """

    __slots__ = ()

    def __init__(self, data: TensorLike, requires_grad: bool = True) -> None:
        arr = _as_array(data, where="Parameter")
        if arr.dtype.kind != "f":
            raise TypeError(f"Parameter: expected floating-point data, got dtype {arr.dtype}")
        super().__init__(arr, requires_grad=requires_grad)
        self.data = self.data.view(ParameterData)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self) -> tuple[type[Parameter], tuple[Array, bool]]:
        return (Parameter, (np.array(self.data), self.requires_grad))
