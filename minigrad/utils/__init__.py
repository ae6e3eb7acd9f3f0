"""Utilities above the engine that PyTorch keeps in ``torch.utils``: ``data``
(datasets, samplers, ``DataLoader``)."""
from . import data

__all__ = ["data"]
