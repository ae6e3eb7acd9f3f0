"""``mg.Size``: PyTorch's ``torch.Size``, the tuple that ``x.size()`` returns.

A tuple subclass, so it compares, indexes, unpacks and hashes as the plain shape
tuple does (``x.size() == (2, 3)``); ``numel()`` is the product of its sides.
``x.shape`` stays the plain tuple of ``np.ndarray.shape``, which every op reads.
"""
from __future__ import annotations


class Size(tuple[int, ...]):
    """A tensor's shape as PyTorch's ``torch.Size`` (a tuple of ints).

    >>> mg.zeros(2, 3).size()
    mg.Size([2, 3])
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        n = 1
        for side in self:
            n *= side
        return n

    def __repr__(self) -> str:
        return f"mg.Size({list(self)!r})"
