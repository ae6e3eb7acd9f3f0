"""Parameter: a leaf Tensor that a Module registers as learnable."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minigrad.tensor import Tensor, _as_array

if TYPE_CHECKING:
    from minigrad._typing import Array, TensorLike


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

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self) -> tuple[type[Parameter], tuple[Array, bool]]:
        return (Parameter, (np.array(self.data), self.requires_grad))
