"""minigrad.utils.data: datasets, samplers, collation and the DataLoader, checked
against what each pass must contain (worked out here from the indices), not
against recorded outputs."""
import math
import os
import subprocess
import sys
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset,
                                 DistributedSampler, IterableDataset, RandomSampler, SequentialSampler,
                                 Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, default_collate, random_split)

sizes = st.integers(min_value=0, max_value=40)
batch_sizes = st.integers(min_value=1, max_value=12)


class Indexed(Dataset):
    """Sample i is i itself (so a batch says which indices it holds)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i


def indices_of(loader):
    """The dataset indices of one pass, batch by batch (samples are their index)."""
    return [b.data.tolist() for b in loader]


def test_importable_as_attribute_and_as_module():
    code = ("import minigrad as mg; import minigrad.utils.data as d; "
            "print(mg.utils.data is d, d.DataLoader.__module__)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["True", "minigrad.utils.data.dataloader"], out.stderr


def test_utils_imports_only_the_engine():
    """minigrad.utils sits on the engine: it names none of viz, nn, optim."""
    import ast
    root = os.path.join(os.path.dirname(mg.__file__), "utils")
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name)) as f:
                    tree = ast.parse(f.read())
                for node in ast.walk(tree):
                    mods = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                    for m in mods:
                        assert not {"viz", "nn", "optim"} & set(m.split(".")), (name, m)


# ---------------------------------------------------------------- batching

@given(n=st.integers(1, 40), batch_size=batch_sizes, drop_last=st.booleans())
def test_batches_have_the_right_shapes_dtypes_and_contents(n, batch_size, drop_last):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 4
    loader = DataLoader(TensorDataset(mg.tensor(x), mg.tensor(y)), batch_size=batch_size,
                        drop_last=drop_last)
    batches = list(loader)
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert [bx.shape for bx, _ in batches] == [(b, 3) for b in expected]
    assert [by.shape for _, by in batches] == [(b,) for b in expected]
    assert len(loader) == len(expected)
    assert all(bx.dtype == np.float32 and by.dtype == np.int64 for bx, by in batches)
    kept = sum(expected)
    if batches:
        np.testing.assert_array_equal(np.concatenate([bx.data for bx, _ in batches]), x[:kept])
        np.testing.assert_array_equal(np.concatenate([by.data for _, by in batches]), y[:kept])


def test_default_batch_size_is_one_and_keeps_the_sample_shape():
    ds = TensorDataset(mg.ones((3, 2, 5)))
    (xb,) = next(iter(DataLoader(ds)))
    assert xb.shape == (1, 2, 5)


@given(n=sizes, batch_size=batch_sizes, drop_last=st.booleans(), seed=st.integers(0, 2**31))
def test_shuffled_pass_reads_every_index_once(n, batch_size, drop_last, seed):
    mg.manual_seed(seed)
    loader = DataLoader(Indexed(n), batch_size=batch_size, shuffle=True, drop_last=drop_last)
    seen = [i for b in indices_of(loader) for i in b]
    if drop_last:
        assert len(seen) == n - n % batch_size
        assert len(set(seen)) == len(seen) and set(seen) <= set(range(n))
    else:
        assert sorted(seen) == list(range(n))


def test_shuffle_is_reproducible_under_manual_seed_and_differs_across_seeds():
    loader = DataLoader(Indexed(50), batch_size=7, shuffle=True)
    mg.manual_seed(3)
    first, second = indices_of(loader), indices_of(loader)
    mg.manual_seed(3)
    assert indices_of(loader) == first and indices_of(loader) == second
    assert first != second                       # a new order every epoch
    mg.manual_seed(4)
    assert indices_of(loader) != first
    flat = [i for b in first for i in b]
    assert flat != list(range(50))               # shuffled at all


def test_an_explicit_generator_is_used_instead_of_minigrads():
    def run(seed):
        loader = DataLoader(Indexed(30), batch_size=4, shuffle=True,
                            generator=np.random.default_rng(seed))
        mg.manual_seed(seed + 100)           # must not matter
        return indices_of(loader)
    assert run(1) == run(1) and run(1) != run(2)


def test_without_shuffle_the_order_is_sequential():
    assert indices_of(DataLoader(Indexed(7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_drop_last_drops_only_the_short_batch():
    assert indices_of(DataLoader(Indexed(7), batch_size=3, drop_last=True)) == \
        [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Indexed(6), batch_size=3, drop_last=True)) == 2


def test_custom_collate_fn_receives_the_list_of_samples():
    got = []

    def collate(samples):
        got.append(list(samples))
        return sum(samples)
    assert list(DataLoader(Indexed(5), batch_size=2, collate_fn=collate)) == [1, 5, 4]
    assert got == [[0, 1], [2, 3], [4]]


def test_batch_size_none_yields_converted_samples_unbatched():
    ds = [(np.full(2, i, dtype=np.float64), i) for i in range(3)]
    out = list(DataLoader(ds, batch_size=None))
    assert len(out) == 3
    assert isinstance(out[1][0], mg.Tensor) and out[1][0].shape == (2,)
    assert out[1][1] == 1 and isinstance(out[1], tuple)


def test_sampler_and_batch_sampler_choose_the_indices():
    assert indices_of(DataLoader(Indexed(10), batch_size=2, sampler=[9, 3, 5])) == \
        [[9, 3], [5]]
    loader = DataLoader(Indexed(10), batch_sampler=[[1, 2, 3], [0], [8, 8]])
    assert indices_of(loader) == [[1, 2, 3], [0], [8, 8]] and len(loader) == 3


def test_num_workers_is_accepted_and_loads_the_same_batches():
    mg.manual_seed(5)
    a = indices_of(DataLoader(Indexed(20), batch_size=3, shuffle=True))
    mg.manual_seed(5)
    b = indices_of(DataLoader(Indexed(20), batch_size=3, shuffle=True, num_workers=2,
                              pin_memory=True, persistent_workers=True, prefetch_factor=2))
    assert a == b


class Stream(IterableDataset):
    """0, 1, ..., n - 1 as a stream, of unknown length."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class SizedStream(Stream):
    def __len__(self):
        return self.n


@given(n=sizes, batch_size=batch_sizes, drop_last=st.booleans())
def test_an_iterable_dataset_is_batched_in_order(n, batch_size, drop_last):
    loader = DataLoader(SizedStream(n), batch_size=batch_size, drop_last=drop_last)
    got = indices_of(loader)
    whole = [list(range(k, min(k + batch_size, n))) for k in range(0, n, batch_size)]
    expected = [b for b in whole if len(b) == batch_size or not drop_last]
    assert got == expected and len(loader) == len(expected)


def test_an_iterable_dataset_refuses_shuffle_and_samplers_and_unknown_length():
    for kw in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        with pytest.raises(ValueError, match="IterableDataset"):
            DataLoader(Stream(3), **kw)
    loader = DataLoader(Stream(3), batch_size=None)
    assert [int(v) for v in loader] == [0, 1, 2]
    with pytest.raises(TypeError, match="__len__"):
        len(loader)


def test_a_plain_list_is_a_dataset():
    assert indices_of(DataLoader([4, 5, 6], batch_size=2)) == [[4, 5], [6]]


# ---------------------------------------------------------------- collation

def test_numbers_collate_with_pytorchs_dtypes():
    assert default_collate([1.5, 2.0]).dtype == np.float64
    ints = default_collate([1, 2, 3])
    assert ints.dtype == np.int64 and ints.data.tolist() == [1, 2, 3]
    assert default_collate([True, False]).dtype == np.bool_
    scalars = default_collate([np.float32(1), np.float32(2)])
    assert scalars.dtype == np.float32 and scalars.shape == (2,)
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_nested_tuples_lists_and_dicts_collate_recursively():
    samples = [{"x": (np.full((2, 3), i, np.float32), [i, float(i)]), "name": f"s{i}"}
               for i in range(4)]
    batch = default_collate(samples)
    assert set(batch) == {"x", "name"} and batch["name"] == ["s0", "s1", "s2", "s3"]
    images, (ints, floats) = batch["x"]
    assert images.shape == (4, 2, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(images.data[:, 0, 0], [0, 1, 2, 3])
    assert ints.dtype == np.int64 and floats.dtype == np.float64
    assert isinstance(batch["x"], list)          # a tuple sample gives a list (PyTorch)


def test_mapping_and_namedtuple_types_are_kept():
    Pair = namedtuple("Pair", "a b")
    batch = default_collate([Pair(1, 2.0), Pair(3, 4.0)])
    assert isinstance(batch, Pair) and batch.a.data.tolist() == [1, 3]
    od = default_collate([OrderedDict(k=1), OrderedDict(k=2)])
    assert isinstance(od, OrderedDict) and od["k"].data.tolist() == [1, 2]


def test_tensors_that_require_grad_are_stacked_differentiably():
    rows = [mg.tensor(np.full(3, float(i)), requires_grad=True) for i in range(2)]
    batch = default_collate(rows)
    assert batch.requires_grad and batch.shape == (2, 3)
    (batch * mg.tensor(np.array([[1.0], [2.0]]))).sum().backward()
    np.testing.assert_array_equal(rows[1].grad, np.full(3, 2.0))
    plain = default_collate([mg.zeros(3), mg.ones(3)])
    assert not plain.requires_grad and plain.data.tolist() == [[0, 0, 0], [1, 1, 1]]


@pytest.mark.parametrize("batch, error, words", [
    ([], ValueError, "non-empty"),
    ([np.zeros(2), np.zeros(3)], RuntimeError, r"\(3,\) at entry 1"),
    ([mg.zeros(2), mg.zeros((2, 1))], RuntimeError, r"\(2, 1\) at entry 1"),
    ([(1, 2), (1,)], RuntimeError, "equal size"),
    ([{"a": 1}, {"b": 1}], ValueError, "keys"),
    ([None, None], TypeError, "NoneType"),
    ([np.array(["x"]), np.array(["y"])], TypeError, "dtype"),
    ([mg.zeros(2), np.zeros(2)], TypeError, "ndarray"),
])
def test_collation_errors_say_what_is_wrong(batch, error, words):
    with pytest.raises(error, match=words):
        default_collate(batch)


# ---------------------------------------------------------------- samplers

@given(n=st.integers(1, 30), num_samples=st.integers(1, 70), seed=st.integers(0, 1000))
def test_random_sampler_without_replacement_is_a_run_of_permutations(n, num_samples, seed):
    mg.manual_seed(seed)
    drawn = list(RandomSampler(Indexed(n), num_samples=num_samples))
    assert len(drawn) == num_samples
    for start in range(0, num_samples, n):
        chunk = drawn[start:start + n]
        assert len(set(chunk)) == len(chunk) and set(chunk) <= set(range(n))


def test_random_sampler_with_replacement_repeats_and_is_seeded():
    s = RandomSampler(Indexed(5), replacement=True, num_samples=200)
    mg.manual_seed(1)
    a = list(s)
    mg.manual_seed(1)
    assert list(s) == a and len(a) == 200 == len(s)
    assert set(a) == set(range(5))           # 200 draws of 5 values: all seen, repeated


def test_sequential_subset_and_weighted_samplers():
    assert list(SequentialSampler(Indexed(4))) == [0, 1, 2, 3]
    sub = list(SubsetRandomSampler([10, 20, 30], generator=np.random.default_rng(0)))
    assert sorted(sub) == [10, 20, 30]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], num_samples=100))
    assert set(w) <= {1, 3} and w.count(3) > w.count(1)
    nr = list(WeightedRandomSampler([1, 1, 0, 1], num_samples=3, replacement=False))
    assert sorted(nr) == [0, 1, 3]


@given(n=sizes, batch_size=batch_sizes, drop_last=st.booleans())
def test_batch_sampler_groups_in_order_and_counts_itself(n, batch_size, drop_last):
    batches = list(BatchSampler(range(n), batch_size, drop_last))
    assert len(batches) == len(BatchSampler(range(n), batch_size, drop_last))
    assert [i for b in batches for i in b] == list(range(len(batches) and
                                                         sum(map(len, batches))))
    assert all(len(b) == batch_size for b in batches[:-1])
    if batches and drop_last:
        assert len(batches[-1]) == batch_size


# ---------------------------------------------------------------- datasets

def test_tensor_dataset_subset_and_concat():
    x, y = mg.randn(6, 2), mg.arange(6)
    ds = TensorDataset(x, y)
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.data, x.data[4])
    assert int(yi.item()) == 4 and len(ds) == 6
    sub = Subset(Indexed(10), [7, 2, 2])
    assert [sub[i] for i in range(len(sub))] == [7, 2, 2]
    cat = Indexed(3) + Indexed(2)
    assert isinstance(cat, ConcatDataset) and len(cat) == 5
    assert [cat[i] for i in range(5)] == [0, 1, 2, 0, 1] and cat[-1] == 1
    with pytest.raises(IndexError, match="out of range"):
        cat[5]


@pytest.mark.parametrize("make, error, words", [
    (lambda: TensorDataset(mg.zeros(3), mg.zeros(4)), ValueError, r"\[3, 4\]"),
    (lambda: TensorDataset([1, 2]), TypeError, "list"),
    (lambda: TensorDataset(mg.tensor(1.0)), ValueError, "0-d"),
    (lambda: TensorDataset(), ValueError, "at least one"),
])
def test_dataset_errors(make, error, words):
    with pytest.raises(error, match=words):
        make()


# ---------------------------------------------------------------- random_split

@given(n=st.integers(0, 50), cuts=st.lists(st.integers(0, 50), min_size=0, max_size=3),
       seed=st.integers(0, 1000))
def test_random_split_is_disjoint_covering_and_reproducible(n, cuts, seed):
    bounds = sorted(min(c, n) for c in cuts)
    lengths = [b - a for a, b in zip([0] + bounds, bounds + [n])]
    mg.manual_seed(seed)
    parts = random_split(Indexed(n), lengths)
    assert [len(p) for p in parts] == lengths
    flat = [p[i] for p in parts for i in range(len(p))]
    assert sorted(flat) == list(range(n))
    mg.manual_seed(seed)
    assert [p.indices for p in random_split(Indexed(n), lengths)] == [p.indices for p in parts]
    again = random_split(Indexed(n), lengths, generator=np.random.default_rng(seed))
    assert [p.indices for p in again] == \
        [p.indices for p in random_split(Indexed(n), lengths,
                                          generator=np.random.default_rng(seed))]


def test_random_split_fractions_hand_out_the_remainder_from_the_first():
    assert [len(p) for p in random_split(Indexed(10), [0.25, 0.25, 0.5])] == [3, 2, 5]
    assert [len(p) for p in random_split(Indexed(7), [1 / 3, 1 / 3, 1 / 3])] == [3, 2, 2]
    assert [len(p) for p in random_split(Indexed(10), [1, 9])] == [1, 9]


def test_random_split_differs_across_seeds():
    mg.manual_seed(0)
    a = random_split(Indexed(30), [15, 15])[0].indices
    mg.manual_seed(1)
    assert random_split(Indexed(30), [15, 15])[0].indices != a


@pytest.mark.parametrize("lengths, error, words", [
    ([3, 3], ValueError, "sum to the dataset's length 10"),
    ([12, -2], ValueError, "non-negative"),
    ([0.5, 0.6], ValueError, "sum to 1"),
    ([1.5, -0.5], ValueError, r"in \[0, 1\]"),
    (["5", "5"], TypeError, "str"),
    ([], TypeError, "non-empty"),
])
def test_random_split_errors(lengths, error, words):
    with pytest.raises(error, match=words):
        random_split(Indexed(10), lengths)


# ---------------------------------------------------------------- DistributedSampler

def _ranks(n, replicas, **kw):
    return [list(DistributedSampler(Indexed(n), replicas, r, **kw)) for r in range(replicas)]


@given(n=st.integers(0, 40), replicas=st.integers(1, 7), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 100), epoch=st.integers(0, 5))
def test_distributed_partition_follows_pytorch(n, replicas, shuffle, drop_last, seed, epoch):
    per_rank = []
    for r in range(replicas):
        s = DistributedSampler(Indexed(n), replicas, r, shuffle=shuffle, seed=seed,
                               drop_last=drop_last)
        s.set_epoch(epoch)
        per_rank.append(list(s))
        assert len(per_rank[-1]) == len(s)
    size = n // replicas if drop_last else math.ceil(n / replicas)
    assert all(len(p) == size for p in per_rank)
    # interleaving the ranks back gives the global order, the same on every rank
    order = [per_rank[k % replicas][k // replicas] for k in range(size * replicas)]
    if drop_last:
        assert len(set(order)) == len(order) and set(order) <= set(range(n))
    else:
        assert sorted(set(order)) == list(range(n))   # every index on some rank
        assert order[n:] == order[:len(order) - n]    # padded from the start
    if not shuffle:
        assert order[:min(n, len(order))] == list(range(min(n, len(order))))


def test_distributed_padding_example():
    assert _ranks(5, 2, shuffle=False) == [[0, 2, 4], [1, 3, 0]]
    assert _ranks(5, 2, shuffle=False, drop_last=True) == [[0, 2], [1, 3]]
    assert _ranks(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_set_epoch_changes_the_order_and_ranks_agree():
    a = DistributedSampler(Indexed(40), num_replicas=2, rank=0, seed=7)
    b = DistributedSampler(Indexed(40), num_replicas=2, rank=1, seed=7)
    e0 = (list(a), list(b))
    assert list(a) == e0[0]                        # same epoch, same order
    assert set(e0[0]).isdisjoint(e0[1]) and set(e0[0]) | set(e0[1]) == set(range(40))
    a.set_epoch(1)
    b.set_epoch(1)
    e1 = (list(a), list(b))
    assert e1 != e0 and set(e1[0]) | set(e1[1]) == set(range(40))
    mg.manual_seed(123)                             # minigrad's generator plays no part
    assert list(DistributedSampler(Indexed(40), 2, 0, seed=7)) == e0[0]
    assert list(DistributedSampler(Indexed(40), 2, 0, seed=8)) != e0[0]


def test_distributed_sampler_drives_a_dataloader():
    s = DistributedSampler(Indexed(9), num_replicas=3, rank=2, shuffle=False)
    assert indices_of(DataLoader(Indexed(9), batch_size=2, sampler=s)) == [[2, 5], [8]]


# ---------------------------------------------------------------- argument errors

@pytest.mark.parametrize("make, error, words", [
    (lambda: DataLoader(Indexed(3), batch_size=0), ValueError, "batch_size=0"),
    (lambda: DataLoader(Indexed(3), batch_size=2.0), TypeError, "batch_size.*float"),
    (lambda: DataLoader(Indexed(3), shuffle="yes"), TypeError, "shuffle.*str"),
    (lambda: DataLoader(Indexed(3), drop_last=1), TypeError, "drop_last.*int"),
    (lambda: DataLoader(Indexed(3), num_workers=-1), ValueError, "num_workers=-1"),
    (lambda: DataLoader(Indexed(3), sampler=[0], shuffle=True), ValueError,
     "mutually exclusive with shuffle"),
    (lambda: DataLoader(Indexed(3), batch_sampler=[[0]], batch_size=2), ValueError,
     "batch_sampler option is mutually exclusive"),
    (lambda: DataLoader(Indexed(3), batch_size=None, drop_last=True), ValueError,
     "drop_last"),
    (lambda: DataLoader(Indexed(3), sampler=5), TypeError, "sampler.*int"),
    (lambda: DataLoader(Indexed(3), collate_fn=3), TypeError, "collate_fn"),
    (lambda: DataLoader(Indexed(3), generator=1), TypeError, "np.random.Generator"),
    (lambda: DataLoader(Indexed(3), prefetch_factor=2), ValueError, "prefetch_factor"),
    (lambda: DataLoader(Indexed(3), persistent_workers=True), ValueError, "num_workers > 0"),
    (lambda: DataLoader(Indexed(3), timeout=-1), ValueError, "timeout"),
    (lambda: DataLoader(5), TypeError, "indexing.*int"),
    (lambda: RandomSampler(Indexed(3), replacement=0), TypeError, "replacement"),
    (lambda: RandomSampler(Indexed(3), num_samples=0), ValueError, "num_samples=0"),
    (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size=0"),
    (lambda: BatchSampler(range(3), 2, None), TypeError, "drop_last"),
    (lambda: BatchSampler(3, 2, False), TypeError, "iterable"),
    (lambda: WeightedRandomSampler([1, -1], 2), ValueError, "non-negative"),
    (lambda: WeightedRandomSampler([1, 0], 2, replacement=False), ValueError,
     "num_samples=2"),
    (lambda: DistributedSampler(Indexed(3), 2, 2), ValueError, r"\[0, 1\].*rank=2"),
    (lambda: DistributedSampler(Indexed(3), 0, 0), ValueError, "num_replicas=0"),
    (lambda: DistributedSampler(Indexed(3), 2, -1), ValueError, "rank=-1"),
    (lambda: DistributedSampler(Indexed(3), 2, 0, shuffle=1), TypeError, "shuffle"),
    (lambda: DistributedSampler(Indexed(3), 2, 0, seed=-1), ValueError, "seed=-1"),
    (lambda: DistributedSampler(Indexed(3)), RuntimeError, "pass num_replicas and rank"),
    (lambda: DistributedSampler(object(), 2, 0), TypeError, "__len__"),
    (lambda: DistributedSampler(Indexed(3), 2, 0).set_epoch(1.5), TypeError, "epoch"),
])
def test_bad_arguments_are_refused_when_built(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_dataset_without_getitem_says_so():
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        next(iter(DataLoader(type("Empty", (Dataset,), {"__len__": lambda self: 2})())))
