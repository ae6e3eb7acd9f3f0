"""Type aliases shared by minigrad's annotations.

Imported only under ``typing.TYPE_CHECKING`` (with ``from __future__ import
annotations`` in the importing module), so annotations cost nothing at run time:
``import minigrad`` never loads this module or ``numpy.typing``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import EllipsisType
from typing import Any, Literal, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .tensor import Tensor

#: an ndarray of any dtype (``.data``, ``.grad``, what ``backward`` returns)
Array = NDArray[Any]
#: what ops and factories accept: a Tensor, an ndarray, a Python number or nested list
TensorLike = Union[Tensor, ArrayLike]
#: what nn.functional takes: a Tensor, or an ndarray used as a constant
TensorOrArray = Union[Tensor, NDArray[Any], np.generic]
#: what indexes a tensor: ints, slices, None, Ellipsis, int/bool arrays or tensors,
#: or a tuple of these (NumPy's basic and advanced indexing)
Index = Union[None, slice, EllipsisType, Tensor, ArrayLike, tuple[Any, ...]]
#: an array's shape
Shape = tuple[int, ...]
#: a size given once for both spatial axes, or as a pair (kernel sizes, strides, padding)
IntOrPair = Union[int, Sequence[int]]
#: how a loss reduces over its elements
Reduction = Literal["mean", "sum", "none"]
#: the axes a reduction runs over: one, several, or (None) all
Axis = Union[int, tuple[int, ...], list[int], None]
#: a recurrent state: a Tensor, a nested tuple/list of them (an LSTM's ``(h, c)``),
#: or None (the zero state)
State = Union[Tensor, tuple["State", ...], list["State"], None]
#: an optimizer's parameter group: ``{"params": [Tensor, ...], "lr": ..., ...}``
ParamGroup = dict[str, Any]
#: what an optimizer is built over: tensors, or parameter groups
Params = Union[Iterable[Tensor], Iterable[ParamGroup]]

__all__ = ["Array", "ArrayLike", "Axis", "DTypeLike", "Index", "IntOrPair", "ParamGroup",
           "Params", "Reduction", "Shape", "State", "TensorLike", "TensorOrArray"]
