"""DOT emission: a :class:`~minigrad.viz.picture.Picture` as a ``graphviz.Digraph``.

All Graphviz styling lives here (shapes, fills, the HTML-like legend table);
the picture says what to draw, this says how it looks in DOT. ``graphviz`` is
imported when a graph is emitted, which keeps ``import minigrad`` fast.
"""
STYLE = {
    "op": dict(shape="box", style="rounded,filled", fillcolor="#e8e8e8"),
    "param": dict(shape="ellipse", style="filled", fillcolor="#cfe2f3"),
    "input": dict(shape="ellipse", style="filled", fillcolor="#fff2cc"),
    "const": dict(shape="ellipse", style="filled", fillcolor="#f3f3f3"),
    "detached": dict(shape="ellipse", style="dashed,filled", fillcolor="#f4cccc",
                     color="#cc0000", fontcolor="#990000", penwidth="2"),
    "group": dict(shape="box3d", style="filled", fillcolor="#d9d2e9"),
    "note": dict(shape="note", style="filled", fillcolor="#fce5cd"),
}
OUTPUT_STYLE = dict(peripheries="2", fillcolor="#d9ead3")
FRAME_STYLE = dict(style="rounded,dashed", color="#666666", fontname="Helvetica")
NORM_BORDER_WIDTH = "3"          # a leaf coloured by its gradient norm


def _text(label):
    """Label text in DOT: a line break is the escape ``\\n``."""
    return label.replace("\n", "\\n")


def _add_box(g, box):
    attrs = dict(STYLE[box.kind])
    if box.output:
        attrs.update(OUTPUT_STYLE)
    if box.color is not None:
        attrs["color"] = box.color
        attrs["penwidth"] = NORM_BORDER_WIDTH
    g.node(box.id, _text(box.label), **attrs)


def _add_arrow(g, arrow):
    attrs = {}
    if arrow.color is not None:
        attrs["color"] = arrow.color
    if arrow.width is not None:
        attrs["penwidth"] = arrow.width
    if arrow.style is not None:
        attrs["style"] = arrow.style
    if arrow.label is not None:
        attrs["label"] = _text(arrow.label)
    g.edge(arrow.src, arrow.dst, **attrs)


def _add_frame(g, frame, counter):
    """The frame's boxes, then one ``cluster_<k>`` subgraph per nested frame (k in preorder)."""
    for box in frame.boxes:
        _add_box(g, box)
    for sub in frame.frames:
        name = f"cluster_{counter[0]}"
        counter[0] += 1
        with g.subgraph(name=name) as c:
            c.attr(label=_text(sub.label), **FRAME_STYLE)
            _add_frame(c, sub, counter)


def _legend_table(legend):
    """An HTML-like Graphviz table: the title, a colour swatch and meaning per row."""
    rows = [f'<TR><TD COLSPAN="2"><B>{legend.title}</B></TD></TR>']
    rows += [f'<TR><TD BGCOLOR="{c}" WIDTH="24"> </TD><TD ALIGN="LEFT">{text}</TD></TR>'
             for c, text in legend.decades]
    rows += [f'<TR><TD BGCOLOR="{c}"> </TD><TD ALIGN="LEFT">{text}</TD></TR>'
             for c, text in legend.others]
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            + "".join(rows) + "</TABLE>>")


def to_dot(picture):
    """The ``graphviz.Digraph`` drawing ``picture``: frames and boxes, arrows, note, legend."""
    import graphviz
    g = graphviz.Digraph("minigrad",
                         graph_attr=dict(rankdir=picture.rankdir, fontname="Helvetica"),
                         node_attr=dict(fontname="Helvetica", fontsize="11"),
                         edge_attr=dict(fontname="Helvetica", fontsize="9"))
    _add_frame(g, picture.frame, [0])
    for arrow in picture.arrows:
        _add_arrow(g, arrow)
    if picture.note is not None:
        _add_box(g, picture.note)
        for arrow in picture.note_arrows:
            _add_arrow(g, arrow)
    if picture.legend is not None:
        g.node("legend", _legend_table(picture.legend), shape="plaintext")
    return g
