"""The tape: grad mode, and the reverse pass over recorded nodes.

Every differentiable op called while grad mode is on records a node (a
:class:`minigrad.function.Context`) on its output tensor's ``grad_fn``: the op,
the arrays it saved for backward and its parent tensors. The tape is therefore
the graph reachable from an output through ``grad_fn.parents``. ``backward``
orders that graph topologically (iteratively, so a chain of 100,000 ops needs
no recursion), walks it once in reverse, and accumulates gradients.
"""
import threading

import numpy as np

class _State(threading.local):
    enabled = True      # each thread starts with grad mode on


_state = _State()

# Optional observer called as observer(node, out_grad, parent_grads) during a
# reverse pass (used by minigrad.viz to record the gradient that flowed along
# every edge). None means no cost at all.
observers = []


def is_grad_enabled():
    """True when ops record nodes on the tape (per thread)."""
    return _state.enabled


def set_grad_enabled(mode):
    _state.enabled = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it after."""
    mode = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _state.enabled = self.mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        import functools
        cls = type(self)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with cls():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Record nothing: ops inside produce tensors without history.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False, no node recorded
    """
    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""
    mode = True


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting (done once, here)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        grad = grad.reshape(shape)
    return grad


def toposort(roots):
    """Tensors reachable from ``roots`` through recorded nodes, inputs before outputs.

    Iterative depth-first post-order, so depth is limited by memory only.
    Only tensors that require grad are visited.
    """
    order = []
    visited = set()
    stack = [(r, False) for r in roots]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        fn = t.grad_fn
        if fn is not None:
            for p in fn.parents:
                if p is not None and p._rg and id(p) not in visited:
                    stack.append((p, False))
    return order


def run_backward(roots, root_grads, retain_graph=False, inputs=None):
    """The reverse pass.

    roots: tensors to differentiate; root_grads: one ndarray per root (dL/droot).
    With ``inputs`` None, gradients are accumulated into ``.grad`` of leaves
    (and of tensors that called ``retain_grad()``). With ``inputs`` a list of
    tensors, their gradients are returned instead and no ``.grad`` is touched.
    Unless ``retain_graph``, every node walked releases its saved arrays.
    """
    order = toposort(roots)
    grads = {}
    for r, g in zip(roots, root_grads):
        k = id(r)
        grads[k] = grads[k] + g if k in grads else g
    wanted = None if inputs is None else {id(t): None for t in inputs}
    obs = observers
    for t in reversed(order):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        if t._hooks:
            for hook in t._hooks:
                new = hook(g)
                if new is not None:
                    g = np.asarray(new)
        fn = t.grad_fn
        if wanted is not None:
            if id(t) in wanted:
                wanted[id(t)] = g
        elif fn is None or t._retain:
            t.grad = g.copy() if t.grad is None else t.grad + g
        if fn is None:
            continue
        if fn.freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (node "
                f"'{fn.name}'): its saved arrays were freed after the first "
                f"backward. Pass retain_graph=True to the first backward() "
                f"if you need to backward through the graph again.")
        in_grads = fn.fn.backward(fn, g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        parents = fn.parents
        if len(in_grads) != len(parents):
            raise RuntimeError(
                f"{fn.name}.backward returned {len(in_grads)} gradients for "
                f"{len(parents)} inputs")
        if obs:
            for o in obs:
                o(fn, g, in_grads)
        for p, pg in zip(parents, in_grads):
            if p is None or pg is None or not p._rg:
                continue
            pd = p.data
            if type(pg) is not np.ndarray:
                pg = np.asarray(pg)
            if pg.shape != pd.shape:
                pg = unbroadcast(pg, pd.shape)
            if pg.dtype != pd.dtype:
                pg = pg.astype(pd.dtype)
            k = id(p)
            if k in grads:
                grads[k] = grads[k] + pg
            else:
                grads[k] = pg
        if not retain_graph:
            fn.release()
    if wanted is not None:
        return [wanted[id(t)] if wanted[id(t)] is not None else np.zeros_like(t.data)
                for t in inputs]
    return None
