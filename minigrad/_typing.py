"""Type aliases shared by minigrad's annotations.

Imported only under ``typing.TYPE_CHECKING`` (with ``from __future__ import
annotations`` in the importing module), so annotations cost nothing at run time:
``import minigrad`` never loads this module or ``numpy.typing``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Union

from numpy.typing import ArrayLike, DTypeLike, NDArray

from .tensor import Tensor

#: an ndarray of any dtype (``.data``, ``.grad``, what ``backward`` returns)
Array = NDArray[Any]
#: what ops and factories accept: a Tensor, an ndarray, a Python number or nested list
TensorLike = Union[Tensor, ArrayLike]
#: an array's shape
Shape = tuple[int, ...]
#: the axes a reduction runs over: one, several, or (None) all
Axis = Union[int, tuple[int, ...], list[int], None]
#: an optimizer's parameter group: ``{"params": [Tensor, ...], "lr": ..., ...}``
ParamGroup = dict[str, Any]
#: what an optimizer is built over: tensors, or parameter groups
Params = Union[Iterable[Tensor], Iterable[ParamGroup]]

__all__ = ["Array", "ArrayLike", "Axis", "DTypeLike", "ParamGroup", "Params", "Shape",
           "TensorLike"]
