"""All parameters as one flat vector and back, as ``torch.nn.utils``'s
``parameters_to_vector`` / ``vector_to_parameters`` (for optimisers and
analyses that treat the model as one point in R^n)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import minigrad as mg
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterable


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined in order: a 1-D tensor of their total size,
    differentiable (the gradient is split back into each parameter's shape)."""
    params = _tensors("parameters_to_vector", parameters)
    if not params:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    return mg.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in order (each
    slice reshaped to its parameter). A data copy with no history, as PyTorch's (which
    sets ``.data``); the length must equal the parameters' total size."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    params = _tensors("vector_to_parameters", parameters)
    total = sum(p.data.size for p in params)
    if vec.ndim != 1 or vec.data.size != total:
        raise ValueError(f"vector_to_parameters: expected a 1-D vec of {total} elements "
                         f"(the parameters' total size), got shape {vec.shape}")
    start = 0
    for p in params:
        n = p.data.size
        np.copyto(p.data, vec.data[start:start + n].reshape(p.shape), casting="same_kind")
        start += n


def _tensors(who: str, parameters: Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: expected Tensors (e.g. model.parameters()), item {i} "
                            f"is a {type(p).__name__}")
    return params
