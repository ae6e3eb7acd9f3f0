"""``einsum``: products and sums named by subscripts, ``np.einsum``'s forward.

The gradient of operand k is itself an einsum: the upstream gradient with the
other operands, summed onto operand k's distinct subscripts, then broadcast over
any letter only operand k has (summed away in the forward). A letter repeated
within operand k (``'ii->i'``, a diagonal; ``'ii->'``, a trace) reads only the
diagonal, so its gradient is that einsum written onto the diagonal of zeros.
Supported: explicit (``'ij,jk->ik'``) and implicit (``'ij,jk'``) equations --
matrix, batched and outer products, contractions, sums, diagonals, traces.
``...`` is rewritten into letters by :func:`expand_ellipsis` before the op
runs (broadcast size-1 axes squeezed away by a differentiable reshape).
"""
from typing import Any

import numpy as np

from ..function import Function


def parse(equation, ndims):
    """``(input subscripts, output subscripts)`` of ``equation``, checked against the
    operands' numbers of dims; ValueError naming what is wrong."""
    eq = equation.replace(" ", "")
    if "." in eq:
        raise ValueError(f"einsum: '...' must be expanded first (equation {equation!r})")
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise ValueError(f"einsum: equation {equation!r} names {len(ins)} operands, "
                         f"got {len(ndims)}")
    for spec, nd in zip(ins, ndims):
        if not spec.isalpha() and spec:
            raise ValueError(f"einsum: subscripts must be letters, got {spec!r}")
        if len(spec) != nd:
            raise ValueError(f"einsum: subscripts {spec!r} name {len(spec)} dims, the "
                             f"operand has {nd}")
    letters = "".join(ins)
    if not arrow:
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    elif set(out) - set(letters) or len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscripts {out!r} must be distinct letters of "
                         f"the inputs")
    return ins, out


class Einsum(Function):
    """``np.einsum(equation, *operands)``; see the module docstring for the gradient."""

    @staticmethod
    def forward(ctx, *xs, equation):
        ins, out = parse(equation, [x.ndim for x in xs])
        ctx.saved = (xs, ins, out)
        return np.einsum(f"{','.join(ins)}->{out}", *xs)

    @staticmethod
    def backward(ctx, g):
        xs, ins, out = ctx.saved
        grads: list[Any] = []
        for k, (x, spec) in enumerate(zip(xs, ins)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [s for i, s in enumerate(ins) if i != k]
            seen = set(out).union(*others)
            distinct = "".join(dict.fromkeys(spec))
            sides = [x.shape[spec.index(c)] for c in distinct]
            kept = "".join(c for c in distinct if c in seen)
            operands = [g] + [xs[i] for i in range(len(xs)) if i != k]
            gk = np.einsum(f"{','.join([out] + others)}->{kept}", *operands)
            gk = gk.reshape([n if c in seen else 1 for c, n in zip(distinct, sides)])
            gk = np.broadcast_to(gk, sides)
            if len(distinct) < len(spec):           # a repeated letter: onto the diagonal
                full = np.zeros(x.shape, dtype=gk.dtype)
                full[_diagonal(spec, distinct, sides)] = gk
                gk = full
            grads.append(gk)
        return tuple(grads) if len(grads) > 1 else grads[0]


def _diagonal(spec, distinct, sides):
    """The index that picks, from an array with subscripts ``spec``, the elements
    where equal letters have equal positions, laid out over ``distinct``'s axes."""
    n = len(distinct)
    return tuple(np.arange(sides[distinct.index(c)]).reshape(
        [-1 if j == distinct.index(c) else 1 for j in range(n)]) for c in spec)


def expand_ellipsis(equation, shapes):
    """``equation`` with each ``...`` replaced by letters it does not use, and, per
    operand, the shape to reshape it to first (None: as it is) -- broadcast size-1
    axes under ``...`` are squeezed out and their letter dropped, as NumPy and
    PyTorch broadcast them. An implicit output lists the ``...`` axes first."""
    eq = equation.replace(" ", "")
    if "..." not in eq:
        return equation, [None] * len(shapes)
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} names {len(ins)} operands, "
                         f"got {len(shapes)}")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in eq]
    ranks = []
    for spec, shape in zip(ins, shapes):
        if spec.count("...") > 1 or spec.replace("...", "").count(".") or (
                "..." not in spec and "." in spec):
            raise ValueError(f"einsum: malformed '...' in {spec!r} (equation {equation!r})")
        named = len(spec.replace("...", ""))
        rank = len(shape) - named if "..." in spec else 0
        if rank < 0:
            raise ValueError(f"einsum: subscripts {spec!r} name {named} dims, the operand "
                             f"has {len(shape)}")
        ranks.append(rank)
    width = max(ranks)
    letters = "".join(free[:width])
    sides = [1] * width
    for spec, shape, rank in zip(ins, shapes, ranks):
        start = spec.find("...")
        for j in range(rank):
            n = shape[start + j]
            at = width - rank + j
            if n != 1 and sides[at] not in (1, n):
                raise ValueError(f"einsum: '...' axes of shapes {list(shapes)} do not "
                                 f"broadcast")
            sides[at] = max(sides[at], n)
    new_ins: list[str] = []
    reshapes: list[Any] = []
    for spec, shape, rank in zip(ins, shapes, ranks):
        if "..." not in spec:
            new_ins.append(spec)
            reshapes.append(None)
            continue
        start = spec.find("...")
        mine = letters[width - rank:]
        keep = [j for j in range(rank) if not (shape[start + j] == 1 and sides[width - rank + j] > 1)]
        new_ins.append(spec[:start] + "".join(mine[j] for j in keep) + spec[start + 3:])
        if len(keep) == rank:
            reshapes.append(None)
        else:
            reshapes.append(shape[:start] + tuple(shape[start + j] for j in keep)
                            + shape[start + rank:])
    if arrow:
        if out.count("...") > 1:
            raise ValueError(f"einsum: malformed '...' in the output of {equation!r}")
        out = out.replace("...", letters)
    else:
        rest = "".join(ins).replace("...", "")
        out = letters + "".join(sorted(c for c in set(rest) if rest.count(c) == 1))
    return f"{','.join(new_ins)}->{out}", reshapes
