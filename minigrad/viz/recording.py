"""Recording: what the tape alone does not keep, remembered while the user asks for it.

Three records, each kept in a weak dictionary so graphs still die:

- the module call path of every op recorded inside :class:`trace_modules`
  (read by :func:`module_path`), for the module clusters of a picture;
- why a tensor was cut from the graph (``"detach"`` or ``"no_grad"``, read by
  :func:`cut_reason`), for the detached leaves;
- the norm of the gradient along every edge of reverse passes run inside
  :class:`record_grad_norms` (read by :func:`edge_norm`).
"""
import weakref

import numpy as np

from minigrad import function as _function
from minigrad import tape as _tape

# tape node -> the module call path it was recorded in: a tuple of
# (module, call number) from outermost to innermost.
_SCOPES = weakref.WeakKeyDictionary()

# tape node -> (norm of dL/d(output), [norm of the gradient sent to parent i]).
_EDGE_NORMS = weakref.WeakKeyDictionary()


def array_norm(g):
    """L2 norm of an array, summed in float64 (integer arrays are cast first)."""
    g = np.asarray(g)
    if g.dtype.kind not in "fc":
        g = g.astype(np.float64)
    return float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))


def cut_reason(t):
    """Why ``t`` was cut from a graph: ``"detach"``, ``"no_grad"``, or None."""
    return getattr(t, "_cut", None)


def module_path(node):
    """The ``((module, call number), ...)`` path ``node`` (a Context) was recorded in; ``()``."""
    return _SCOPES.get(node, ())


def edge_norm(node, index):
    """Recorded norm of the gradient that ``node`` (a Context) sent to parent ``index``, or None."""
    rec = _EDGE_NORMS.get(node)
    return None if rec is None else rec[1][index]


class record_grad_norms:
    """Context manager: remember the gradient norm along every edge of reverse passes run inside.

    The norm of edge parent -> op is that of the gradient the op sent to that
    parent, summed back to the parent's shape (so for a leaf used once it is the
    norm of its ``.grad``). Costs nothing outside the ``with`` block. Read the
    norms with ``draw_graph(..., show_grad_norms=True)`` or :func:`edge_norm`.

    >>> with mg.viz.record_grad_norms():
    ...     loss.backward()
    """

    def _observe(self, node, out_grad, parent_grads):
        norms = []
        for p, g in zip(node.parents, parent_grads):
            if p is None or g is None or not p._rg:
                norms.append(None)
                continue
            g = np.asarray(g)
            if g.shape != p.data.shape:
                g = _tape.unbroadcast(g, p.data.shape)
            norms.append(array_norm(g))
        _EDGE_NORMS[node] = (array_norm(out_grad), norms)

    def __enter__(self):
        _tape.observers.append(self._observe)
        return self

    def __exit__(self, *exc):
        _tape.observers.remove(self._observe)
        return False


class trace_modules:
    """Context manager: tag every op recorded inside with the modules being called.

    While active, ``nn.Module.__call__`` pushes/pops the module and
    ``Function.apply`` tags each recorded node; outside, both cost a single
    ``None`` check. The tags outlive the block (and ``backward()``), so
    ``draw_graph(loss, model=net)`` can box ops by module afterwards.

    Inside the block, a tensor computed without history from a detached one
    (e.g. the slice ``h0[k]`` a recurrent layer takes of a detached state) is
    marked detached too, so the TBPTT cut shows where the slice enters the
    graph. (Outside, only ``detach()`` and ``no_grad`` results are marked.)

    >>> with mg.viz.trace_modules():
    ...     loss = criterion(net(x), y)
    """

    def __init__(self):
        self.path = ()
        self._stack = []
        self._calls = 0

    # called by nn.Module.__call__
    def enter(self, module):
        self._calls += 1
        self._stack.append(self.path)
        self.path = self.path + ((module, self._calls),)

    def exit(self):
        self.path = self._stack.pop()

    # called by Function.apply for every recorded node
    def tag(self, ctx):
        if self.path:
            _SCOPES[ctx] = self.path

    # called by Function.apply for every op it does not record
    @staticmethod
    def derive(t, parents):
        """Mark ``t`` as cut when it was computed from a cut tensor (e.g. ``h0[layer]``)."""
        for p in parents:
            cut = getattr(p, "_cut", None) if p is not None else None
            if cut:
                t._cut = cut
                return

    def __enter__(self):
        self._prev = _function.module_scope
        _function.module_scope = self
        return self

    def __exit__(self, *exc):
        _function.module_scope = self._prev
        return False
