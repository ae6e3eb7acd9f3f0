"""Gradient norms on the picture: which norm each drawn edge and leaf shows, and its colour.

Norms of edges between ops come from :func:`minigrad.viz.recording.edge_norm`
(recorded inside ``record_grad_norms``); a leaf used once falls back to the
norm of its ``.grad``. Colours follow a log scale by decade, small norms
(vanishing) blue to large ones (exploding) red.
"""
import math
from collections import Counter

from .picture import Legend
from .recording import array_norm, edge_norm

# log-scale palette, small norms (vanishing) blue -> large norms (exploding) red
PALETTE = ["#313695", "#4575b4", "#74add1", "#66bd63", "#fdae61", "#f46d43", "#d73027",
           "#a50026"]
ZERO_COLOR, NONFINITE_COLOR, UNKNOWN_COLOR = "#999999", "#ff00ff", "#bbbbbb"
NOT_RECORDED = "not recorded: run backward() in record_grad_norms()"


def fmt_norm(v):
    """A norm as label text: ``1.23e-04``, ``0``, ``nan``/``inf``, or ``?`` when unknown."""
    if v is None:
        return "?"
    if not math.isfinite(v):
        return str(v)
    return "0" if v == 0 else f"{v:.2e}"


class LogScale:
    """Colour norms by decade: [1e-3, 1e-2) is one colour, and so on, over the decades seen."""

    def __init__(self, values):
        logs = [math.log10(v) for v in values if v is not None and math.isfinite(v) and v > 0]
        if logs:
            self.lo, self.hi = math.floor(min(logs)), math.floor(max(logs)) + 1
        else:
            # no positive finite norm: no colour is ever binned, only legend() looks
            self.lo = self.hi = None  # type: ignore[assignment]

    def decade(self, v):
        return min(self.hi - 1, max(self.lo, math.floor(math.log10(v))))

    def _bin_color(self, e):
        nd = self.hi - self.lo
        if nd == 1:
            return PALETTE[len(PALETTE) // 2]
        return PALETTE[round((e - self.lo) * (len(PALETTE) - 1) / (nd - 1))]

    def color(self, v):
        if v is None:
            return UNKNOWN_COLOR
        if not math.isfinite(v):
            return NONFINITE_COLOR
        if v == 0:
            return ZERO_COLOR
        return self._bin_color(self.decade(v))

    def width(self, v):
        """Line width 1 (smallest decade seen) to 3 (largest), as text; 1 without a finite norm."""
        if v is None or not math.isfinite(v) or v == 0:
            return "1"
        frac = (math.log10(v) - self.lo) / (self.hi - self.lo)
        return f"{1 + 2 * min(1.0, max(0.0, frac)):.2f}"

    def legend(self, note=None):
        """The key: one row per decade seen, largest first, then zero, nan/inf and ``note``."""
        decades = []
        if self.lo is not None:
            decades = [(self._bin_color(e), f"1e{e} .. 1e{e + 1}")
                       for e in range(self.hi - 1, self.lo - 1, -1)]
        others = [(ZERO_COLOR, "0"), (NONFINITE_COLOR, "nan / inf")]
        if note:
            others.append((UNKNOWN_COLOR, f"? {note}"))
        return Legend("gradient norm", decades, others)


def edge_and_leaf_norms(traced, scene):
    """Norm per drawn edge (max over the traced edges it stands for) and per single leaf.

    Returns ``(edge_norms, leaf_norms, note)``: (src, dst) drawable ids -> norm
    or None, drawable id -> norm of its leaf's ``.grad``, and a legend note when
    some edge norm that should exist was not recorded.
    """
    out_edges = Counter(s for s, _, _ in traced.edges)
    per_edge = {}
    missing = False
    for s, t, i in traced.edges:
        v = edge_norm(traced.by_id[t].node, i)
        if v is None:
            src = traced.by_id[s]
            if src.kind != "op" and out_edges[s] == 1 and src.tensor.grad is not None:
                v = array_norm(src.tensor.grad)            # a leaf used once: its .grad
            elif src.tensor._rg:
                missing = True
        per_edge[(s, t, i)] = v
    edge_norms = {}
    for key, bundle in scene.edges.items():
        vals = [v for v in (per_edge[e] for e in bundle.edges) if v is not None]
        edge_norms[key] = max(vals) if vals else None
    leaf_norms = {}
    for d in scene.drawables.values():
        if (d.kind in ("param", "input") and len(d.members) == 1
                and d.members[0].tensor.grad is not None):
            leaf_norms[d.id] = array_norm(d.members[0].tensor.grad)
    return edge_norms, leaf_norms, (NOT_RECORDED if missing else None)
