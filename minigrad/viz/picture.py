"""The picture description: what :func:`minigrad.viz.layout.layout` decides and an emitter draws.

Plain data, no Graphviz: boxes (one per drawn node) nested in frames (one
per module call path), arrows between boxes, an optional note saying what
``max_nodes`` left out, and an optional gradient-norm legend. Labels are
final text, lines separated by ``"\\n"``; colours are ``"#rrggbb"`` strings.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple


@dataclass
class Box:
    """One drawn node.

    ``kind`` picks its style: ``"op"``, ``"param"``, ``"input"``, ``"const"``,
    ``"detached"``, ``"group"`` (repeated module calls folded into one) or
    ``"note"``. ``output``: one of the graph's outputs. ``color``: the border
    colour given by a leaf's gradient norm, if shown.
    """
    id: str
    kind: str
    label: str
    output: bool = False
    color: Optional[str] = None


@dataclass
class Frame:
    """A module frame (a cluster): the boxes directly inside and the frames nested in it.

    The outermost frame has ``label`` None and holds what no module encloses.
    """
    label: Optional[str]
    boxes: List[Box] = field(default_factory=list)
    frames: List["Frame"] = field(default_factory=list)


@dataclass
class Arrow:
    """An edge from box ``src`` to box ``dst``, the way data flows.

    ``style``: ``"dashed"`` out of a tensor cut from the graph, ``"dotted"``
    from the left-out note; ``color``/``width`` come from the gradient norm
    (``width`` 1 to 3, as text).
    """
    src: str
    dst: str
    label: Optional[str] = None
    color: Optional[str] = None
    width: Optional[str] = None
    style: Optional[str] = None


@dataclass
class Legend:
    """The gradient-norm key: ``(colour, meaning)`` rows, one per decade (largest first), then the rest."""
    title: str
    decades: List[Tuple[str, str]]
    others: List[Tuple[str, str]]


@dataclass
class Picture:
    """Everything to draw: the outermost frame, the arrows, the left-out note and its arrows, the legend."""
    frame: Frame
    arrows: List[Arrow]
    note: Optional[Box] = None
    note_arrows: List[Arrow] = field(default_factory=list)
    legend: Optional[Legend] = None
    rankdir: str = "TB"
