"""``grad``: gradients of outputs with respect to chosen inputs, as arrays."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import tape
from .tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ._typing import Array, TensorLike


def grad(outputs: Tensor | Iterable[Tensor], inputs: Tensor | Iterable[Tensor],
         grad_outputs: Tensor | Array | Sequence[TensorLike | None] | None = None,
         retain_graph: bool = False) -> list[Array]:
    """d(outputs)/d(inputs) as a list of ``np.ndarray``, one per input.

    ``outputs``: a tensor or a list; ``grad_outputs``: matching arrays/tensors
    (may be omitted for one-element outputs). No ``.grad`` is touched. An input
    the outputs do not depend on gets zeros.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("grad(): every input must be a Tensor that requires grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    roots, seeds = [], []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("grad(): an output does not require grad (no input "
                               "it depends on requires grad)")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(f"grad(): grad_outputs is needed for a non-scalar "
                                   f"output of shape {out.shape}")
            g = np.ones_like(out.data)
        else:
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=out.dtype)
            if g.shape != out.shape:
                raise ValueError(f"grad(): grad_output has shape {g.shape}, expected "
                                 f"{out.shape}")
        roots.append(out)
        seeds.append(g)
    return tape.run_backward(roots, seeds, retain_graph=retain_graph, inputs=inputs)
