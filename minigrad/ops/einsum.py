"""``einsum``: products and sums named by subscripts, ``np.einsum``'s forward.

The gradient of operand k is itself an einsum: the upstream gradient with the
other operands, summed onto operand k's subscripts, then broadcast over any
letter only operand k has (summed away in the forward). Supported: explicit
(``'ij,jk->ik'``) and implicit (``'ij,jk'``) equations with one letter per axis
of each operand -- matrix, batched and outer products, contractions, sums.
Repeated letters within one operand (diagonals, ``'ii->'``) and ``...`` are refused.
"""
from typing import Any

import numpy as np

from ..function import Function


def parse(equation, ndims):
    """``(input subscripts, output subscripts)`` of ``equation``, checked against the
    operands' numbers of dims; ValueError naming what is wrong."""
    eq = equation.replace(" ", "")
    if "." in eq:
        raise ValueError(f"einsum: '...' is not supported (equation {equation!r})")
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
        if len(set(spec)) != len(spec):
            raise ValueError(f"einsum: repeated subscripts within one operand ({spec!r}) "
                             f"are not supported")
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
            kept = "".join(c for c in spec if c in seen)
            operands = [g] + [xs[i] for i in range(len(xs)) if i != k]
            gk = np.einsum(f"{','.join([out] + others)}->{kept}", *operands)
            gk = gk.reshape([x.shape[a] if c in seen else 1 for a, c in enumerate(spec)])
            grads.append(np.broadcast_to(gk, x.shape))
        return tuple(grads) if len(grads) > 1 else grads[0]
