"""Folding big graphs: repeated module calls into one node, identical siblings into one, and a cap.

- :func:`repeated_calls` finds calls of one module with identical op
  sequences (an unrolled cell loop), which :func:`~minigrad.viz.scene.build_scene`
  draws as one ``xN`` group;
- :func:`merge_siblings` folds ops (and unnamed inputs) with the same label,
  parents and children into one drawable;
- :func:`cap` keeps the drawables nearest the output.
"""
from collections import Counter, OrderedDict, deque
from typing import Any, NamedTuple

from .scene import Bundle


class CallGroup(NamedTuple):
    """The repeated call a node belongs to: the ``module``, this ``call``'s number,
    the ``ops`` of one call as ``(name, shape, dtype)`` and how many ``calls`` repeat them."""
    module: object
    call: int
    ops: tuple
    calls: int


def repeated_calls(traced):
    """node id -> :class:`CallGroup`, for op nodes inside the outermost repeated module call.

    Two calls repeat each other when they are calls of the same module with
    the same sequence of (op name, shape, dtype). The ``model`` itself never
    groups (its frames are not in ``traced.scopes``).
    """
    # (module id, call no) -> [node]
    calls: OrderedDict[tuple[int, int], list[Any]] = OrderedDict()
    for nd in traced.nodes:
        for frame in traced.scopes.get(nd.id, ()):
            calls.setdefault((id(frame[0]), frame[1]), []).append(nd)
    sig_count: Counter[Any] = Counter()
    call_sig = {}
    for key, members in calls.items():
        sig = (key[0], tuple((m.name, m.shape, m.dtype) for m in members))
        call_sig[key] = sig
        sig_count[sig] += 1
    groups = {}
    for nd in traced.nodes:
        for module, call in traced.scopes.get(nd.id, ()):
            sig = call_sig[(id(module), call)]
            if sig_count[sig] > 1:
                groups[nd.id] = CallGroup(module, call, sig[1], sig_count[sig])
                break
    return groups


def merge_siblings(scene):
    """Fold ops (and unnamed inputs) with the same label, path, parents and children into one (xN).

    Edits ``scene`` in place. Parameters and detached leaves are never merged:
    each one is a distinct tensor the reader needs to see (e.g. the carried h
    and c of an LSTM).
    """
    parents: dict[str, set[str]] = {}
    children: dict[str, set[str]] = {}
    for (s, t) in scene.edges:
        children.setdefault(s, set()).add(t)
        parents.setdefault(t, set()).add(s)
    buckets: OrderedDict[Any, list[Any]] = OrderedDict()
    for d in scene.drawables.values():
        if d.kind not in ("op", "input", "const"):
            continue
        key = (d.label, d.path, frozenset(parents.get(d.id, ())),
               frozenset(children.get(d.id, ())))
        buckets.setdefault(key, []).append(d)
    alias = {}
    for ds in buckets.values():
        if len(ds) < 2:
            continue
        head = ds[0]
        for d in ds[1:]:
            head.members.extend(d.members)
            head.count += d.count
            alias[d.id] = head.id
        head.label = (head.label.replace("\n", f" x{len(ds)}\n", 1) if "\n" in head.label
                      else f"{head.label} x{len(ds)}")
    if not alias:
        return
    scene.rep = {k: alias.get(v, v) for k, v in scene.rep.items()}
    scene.drawables = {k: v for k, v in scene.drawables.items() if k not in alias}
    merged: OrderedDict[tuple[str, str], Bundle] = OrderedDict()
    for (s, t), bundle in scene.edges.items():
        merged.setdefault((alias.get(s, s), alias.get(t, t)), Bundle()).edges.extend(bundle.edges)
    scene.edges = merged


def cap(scene, root_ids, max_nodes):
    """Keep the ``max_nodes`` drawables nearest the outputs (breadth-first from them).

    ``root_ids``: the drawables holding an output, in order. Edits
    ``scene.drawables`` in place and returns the drawables left out.
    """
    if max_nodes is None or len(scene.drawables) <= max_nodes:
        return []
    parents_of: dict[str, list[str]] = {}
    for (s, t) in scene.edges:
        parents_of.setdefault(t, []).append(s)
    keep: set[str] = set()
    queue = deque(root_ids)
    while queue and len(keep) < max_nodes:
        d = queue.popleft()
        if d not in keep:
            keep.add(d)
            queue.extend(parents_of.get(d, ()))
    left_out = [d for k, d in scene.drawables.items() if k not in keep]
    scene.drawables = {k: v for k, v in scene.drawables.items() if k in keep}
    return left_out
