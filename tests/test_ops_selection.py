"""Reductions and selections with PyTorch's names: logsumexp, prod, cumsum, norm,
tril/triu, masked_fill, gather, sort, topk, multinomial -- values against NumPy,
PyTorch's documented conventions, and clear errors. Gradients: tests/test_core_grad.py."""
import numpy as np
import pytest

import minigrad as mg

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4, 5))


def test_logsumexp_prod_cumsum_match_numpy():
    x = mg.tensor(A)
    np.testing.assert_allclose(x.logsumexp(dim=1).data, np.log(np.exp(A).sum(axis=1)))
    np.testing.assert_allclose(mg.logsumexp(x).data, np.log(np.exp(A).sum()))
    big = mg.tensor([1000.0, 1000.0], dtype=mg.float64)
    assert big.logsumexp().item() == pytest.approx(1000 + np.log(2), rel=1e-15)
    assert mg.tensor([-np.inf, -np.inf]).logsumexp().item() == -np.inf
    np.testing.assert_allclose(x.prod((0, 2), keepdims=True).data,
                               A.prod(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(x.cumsum(dim=-1).data, np.cumsum(A, axis=-1))
    np.testing.assert_allclose(mg.cumsum(x).data, np.cumsum(A))
    with pytest.raises(TypeError, match="both"):
        x.cumsum(0, dim=1)


def test_prod_gradient_with_zeros_is_exact():
    x = mg.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0]], dtype=mg.float64, requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


def test_norm():
    x = mg.tensor(A)
    np.testing.assert_allclose(x.norm().data, np.linalg.norm(A.ravel()))
    np.testing.assert_allclose(x.norm("fro").data, np.linalg.norm(A.ravel()))
    np.testing.assert_allclose(x.norm(1, dim=2).data, np.abs(A).sum(axis=2))
    np.testing.assert_allclose(x.norm(3, dim=(0, 1), keepdim=True).data,
                               (np.abs(A) ** 3).sum(axis=(0, 1), keepdims=True) ** (1 / 3))
    np.testing.assert_allclose(mg.norm(x, float("inf"), 0).data, np.abs(A).max(axis=0))
    for bad in (0, -1, "nuc"):
        with pytest.raises(ValueError, match="positive number"):
            x.norm(bad)


def test_tril_triu():
    x = mg.tensor(A)
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(x.tril(k).data, np.tril(A, k))
        np.testing.assert_array_equal(mg.triu(x, k).data, np.triu(A, k))
    with pytest.raises(ValueError, match="at least 2 dims"):
        mg.tensor([1.0]).tril()


def test_masked_fill():
    x = mg.tensor(A, requires_grad=True)
    mask = A[0] > 0                                   # broadcasts over the first axis
    y = x.masked_fill(mask, -1e9)
    np.testing.assert_array_equal(y.data, np.where(mask, -1e9, A))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.broadcast_to(~mask, A.shape).astype(float))
    np.testing.assert_array_equal(x.masked_fill(mg.tensor(mask), 0.0).data,
                                  np.where(mask, 0.0, A))
    with pytest.raises(TypeError, match="boolean mask"):
        x.masked_fill(mask.astype(int), 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(np.ones((2, 5), bool), 0.0)


def test_gather_is_pytorchs():
    x = mg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    idx = np.array([[0, 0], [3, 1]])                 # smaller than x off dim 1
    want = np.array([[x.data[i, idx[i, j]] for j in range(2)] for i in range(2)])
    np.testing.assert_array_equal(x.gather(1, idx).data, want)
    np.testing.assert_array_equal(mg.gather(x, 0, mg.tensor([[2, 1, 0, 2]])).data,
                                  [[8.0, 5.0, 2.0, 11.0]])
    x.gather(1, idx).sum().backward()                # repeats accumulate
    assert x.grad[0, 0] == 2.0 and x.grad[1, 3] == 1.0 and x.grad.sum() == 4.0
    with pytest.raises(ValueError, match="larger than the input's"):
        x.gather(1, np.zeros((4, 1), np.int64))
    with pytest.raises(TypeError, match="integer indices"):
        x.gather(1, idx * 1.0)


def test_sort_and_topk():
    x = mg.tensor(A)
    values, indices = x.sort(dim=1)
    np.testing.assert_array_equal(values.data, np.sort(A, axis=1))
    np.testing.assert_array_equal(indices.data, np.argsort(A, axis=1, kind="stable"))
    desc = mg.sort(x, descending=True)
    np.testing.assert_array_equal(desc.values.data, -np.sort(-A, axis=-1))
    top = x.topk(2, dim=0)
    np.testing.assert_array_equal(top.values.data, -np.sort(-A, axis=0)[:2])
    np.testing.assert_array_equal(np.take_along_axis(A, top.indices.data, 0), top.values.data)
    low = mg.topk(x, 3, largest=False)
    np.testing.assert_array_equal(low.values.data, np.sort(A, axis=-1)[..., :3])
    assert low.indices.dtype == np.int64
    with pytest.raises(ValueError, match="k=6 out of range"):
        x.topk(6)


def test_multinomial_is_seeded_and_respects_weights():
    w = mg.tensor([[0.0, 1.0, 3.0, 0.0], [5.0, 0.0, 0.0, 1.0]])
    mg.manual_seed(3)
    first = w.multinomial(2)
    mg.manual_seed(3)
    assert np.array_equal(mg.multinomial(w, 2).data, first.data)
    assert first.shape == (2, 2) and first.dtype == np.int64
    assert set(first.data[0]) == {1, 2} and set(first.data[1]) == {0, 3}   # no repeats
    draws = mg.multinomial(mg.tensor([1.0, 3.0]), 4000, replacement=True).data
    assert abs(draws.mean() - 0.75) < 0.03
    with pytest.raises(ValueError, match="without replacement"):
        w.multinomial(3)
    with pytest.raises(ValueError, match="non-negative"):
        mg.multinomial(mg.tensor([1.0, -1.0]), 1)


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j->ij", [(3,), (2,)]), ("ij,ij->", [(2, 3), (2, 3)]), ("ij->ji", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 4)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)])])
def test_einsum_matches_numpy(equation, shapes):
    xs = [RNG.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(mg.einsum(equation, *map(mg.tensor, xs)).data,
                               np.einsum(equation, *xs), rtol=1e-6)


def test_einsum_refuses_what_it_does_not_support():
    m = mg.tensor(np.eye(2))
    assert mg.einsum("ii->", m).item() == 2.0          # diagonals and '...' are supported
    assert mg.einsum("...ij->...ji", m).shape == (2, 2)  # (tests/test_pytorch_functions.py)
    with pytest.raises(ValueError, match="must be distinct letters"):
        mg.einsum("ij->ii", m)
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        mg.einsum("ij,jk->ik", m)
    with pytest.raises(ValueError, match="name 3 dims, the operand has 2"):
        mg.einsum("ijk->i", m)
    with pytest.raises(TypeError, match="equation first"):
        mg.einsum(m, "ij->ji")
