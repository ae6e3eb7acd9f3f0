"""Datasets, samplers and the ``DataLoader``, with ``torch.utils.data``'s names.

The path of a batch, file by file: ``dataset`` (sample ``i`` by index) ->
``sampler`` (which indices, in what order, in what batches; ``distributed``
splits them over ranks) -> ``collate`` (a list of samples -> one batch of
Tensors) -> ``dataloader`` (the loop tying them together). ``split`` cuts a
dataset into random disjoint subsets.

>>> import minigrad as mg
>>> from minigrad.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(mg.randn(10, 3), mg.arange(10))
>>> x, y = next(iter(DataLoader(ds, batch_size=4)))
>>> x.shape, y.shape
((4, 3), (4,))
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset
from .distributed import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .split import random_split

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
           "IterableDataset",            "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
           "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
           "random_split"]
