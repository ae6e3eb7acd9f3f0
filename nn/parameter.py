"""Parameter: a leaf Tensor that a Module registers as learnable."""
import numpy as np

from minigrad.tensor import Tensor, _as_array


class Parameter(Tensor):
    """A Tensor with ``requires_grad=True`` by default, registered by Modules.

    Assigning one Parameter to two modules ties them: it is one Parameter,
    its gradient is the sum over all uses, and ``parameters()`` yields it once.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        arr = _as_array(data, where="Parameter")
        if arr.dtype.kind != "f":
            raise TypeError(f"Parameter: expected floating-point data, got dtype {arr.dtype}")
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self):
        return (Parameter, (np.array(self.data), self.requires_grad))
