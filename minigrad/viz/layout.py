"""Layout: a traced graph and the drawing options in, one :class:`~minigrad.viz.picture.Picture` out.

The steps, each in its own module: :mod:`~minigrad.viz.scene` makes the
drawables (folding repeated module calls when asked), :mod:`~minigrad.viz.folding`
merges identical siblings and caps the size, :mod:`~minigrad.viz.norms`
picks the gradient norms and colours; here they are put in order and the
result is written down as boxes in module frames, arrows, a note and a legend.
"""
from collections import Counter
from dataclasses import dataclass
from typing import Optional

from . import folding
from .norms import LogScale, edge_and_leaf_norms, fmt_norm
from .picture import Arrow, Box, Frame, Picture
from .scene import Traced, build_scene, frame_label


@dataclass(frozen=True)
class DrawOptions:
    """What :func:`minigrad.viz.draw_graph` was asked to show (see its docstring)."""
    show_shapes: bool = True
    show_grad_norms: bool = False
    max_nodes: Optional[int] = 300
    collapse_repeats: bool = False
    rankdir: str = "TB"

    def __post_init__(self):
        if self.max_nodes is not None and self.max_nodes < 1:
            raise ValueError(f"draw_graph: max_nodes must be >= 1 or None, "
                             f"got {self.max_nodes}")


def layout(nodes, edges, *, roots, model=None, options=DrawOptions()):
    """The picture of a traced graph.

    ``nodes``, ``edges``: as :func:`minigrad.viz.trace` returns them;
    ``roots``: the output Tensors (drawn with a double border); ``model``: an
    ``nn.Module`` whose modules name the frames of ops recorded under
    ``trace_modules``; ``options``: a :class:`DrawOptions`.
    """
    traced = Traced(nodes, edges, roots, model)
    groups = (folding.repeated_calls(traced)
              if options.collapse_repeats and traced.scopes else None)
    scene = build_scene(traced, groups, options.show_shapes)
    if options.collapse_repeats:
        folding.merge_siblings(scene)
    for nid in traced.root_ids:
        scene.drawables[scene.rep[nid]].output = True
    left_out = folding.cap(scene, sorted({scene.rep[r] for r in traced.root_ids}),
                           options.max_nodes)
    edge_norms, leaf_norms, note = {}, {}, None
    if options.show_grad_norms:
        edge_norms, leaf_norms, note = edge_and_leaf_norms(traced, scene)
    scale = LogScale(list(edge_norms.values()) + list(leaf_norms.values()))
    picture = Picture(
        frame=_frames(scene, traced.module_names, leaf_norms=leaf_norms, scale=scale),
        arrows=_arrows(scene, edge_norms=edge_norms, scale=scale,
                       show_grad_norms=options.show_grad_norms),
        legend=scale.legend(note) if options.show_grad_norms else None,
        rankdir=options.rankdir)
    if left_out:
        picture.note, picture.note_arrows = _left_out_note(scene, left_out, options.max_nodes)
    return picture


def _frames(scene, module_names, *, leaf_norms, scale):
    """The outermost :class:`Frame`, with a nested frame per module on the drawables' paths."""
    root = Frame(None)
    by_module: dict[tuple[int, ...], Frame] = {}     # path of module ids -> Frame
    for d in scene.drawables.values():
        frame = root
        key: tuple[int, ...] = ()
        for m in d.path:
            key += (id(m),)
            sub = by_module.get(key)
            if sub is None:
                sub = by_module[key] = Frame(frame_label(m, module_names))
                frame.frames.append(sub)
            frame = sub
        frame.boxes.append(_box(d, leaf_norms.get(d.id), scale))
    return root


def _box(d, leaf_norm, scale):
    label = f"output: {d.label}" if d.output else d.label
    color = None
    if leaf_norm is not None:
        label = f"{label}\ngrad {fmt_norm(leaf_norm)}"
        color = scale.color(leaf_norm)
    return Box(d.id, d.kind, label, output=d.output, color=color)


def _arrows(scene, *, edge_norms, scale, show_grad_norms):
    """One arrow per bundle of edges between kept drawables: ``xN``, norm, colour, dashes."""
    arrows = []
    for (s, t), bundle in scene.edges.items():
        if s not in scene.drawables or t not in scene.drawables:
            continue
        src = scene.drawables[s]
        arrow = Arrow(s, t, style="dashed" if src.kind == "detached" else None)
        label = [f"x{bundle.count}"] if bundle.count > 1 else []
        if show_grad_norms and src.members[0].tensor._rg:   # no gradient flows out of
            v = edge_norms.get((s, t))                       # the others
            label.append(("max " if bundle.count > 1 else "") + fmt_norm(v))
            arrow.color, arrow.width = scale.color(v), scale.width(v)
        arrow.label = " ".join(label) or None
        arrows.append(arrow)
    return arrows


def _left_out_note(scene, left_out, max_nodes):
    """The note saying how many drawables (and which ops) ``max_nodes`` left out, and its arrows."""
    ops = Counter(n.name for d in left_out for n in d.members if n.kind == "op")
    leaves = sum(1 for d in left_out for n in d.members if n.kind != "op")
    what = ", ".join(f"{k} x{v}" for k, v in sorted(ops.items(), key=lambda kv: -kv[1]))
    note = Box("left_out", "note", f"{len(left_out)} more nodes not shown "
                                   f"(max_nodes={max_nodes})\nops: {what or 'none'}; "
                                   f"leaves: {leaves}")
    cut = {d.id for d in left_out}
    arrows = [Arrow("left_out", t, style="dotted")
              for (s, t) in scene.edges if s in cut and t in scene.drawables]
    return note, arrows
