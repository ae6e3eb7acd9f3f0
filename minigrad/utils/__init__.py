"""Utilities above the engine: ``data`` (datasets, samplers, ``DataLoader``, as
PyTorch's ``torch.utils.data``), ``progress`` (the progress bars of long loops) and
``text`` (text that ships with Python, for the language-model demos)."""
from . import data, progress, text

__all__ = ["data", "progress", "text"]
