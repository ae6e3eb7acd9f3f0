"""Pictures of the computation graph and of gradients during training.

The graph is read from the tape alone: every recorded node knows its op's name
and its parents, and that structure survives ``backward()`` (only the saved
arrays are freed), so a graph can be drawn before or after the reverse pass.
:func:`draw_graph` is three steps, one module each: :func:`trace` walks the
tape into plain nodes and edges (``tracing``), ``layout.layout`` decides what
the picture shows as one plain description (``picture.Picture``), and
``dot.to_dot`` writes it as a ``graphviz.Digraph`` (DOT), which
:func:`render` turns into SVG or PNG (``rendering``). What the tape does not
keep (module calls, cut points, gradient norms) is recorded, on request, by
``recording``.

What the picture shows
----------------------
- one box per op (its name, output shape and dtype), one oval per leaf: a
  parameter's name (from ``params`` or ``model``), ``input``, or ``const`` (a
  0-d tensor that does not require grad); the output has a double border;
- tensors cut from the graph, by ``.detach()`` or computed from
  grad-requiring tensors under ``no_grad()``, are leaves drawn red and dashed
  with the label ``detached``: the truncation points of TBPTT (inside
  :class:`trace_modules`, values computed from a cut tensor without history,
  such as the slice ``h0[k]`` a recurrent layer takes, are marked too);
- ``show_grad_norms=True``: the norm of the gradient that flowed along every
  edge, as a label and a colour on a log scale with a legend. Norms of edges
  between ops are recorded during the reverse pass, so run it inside
  :class:`record_grad_norms`; leaves' norms come from their ``.grad``;
- module clusters: ops run inside a module's ``__call__`` are boxed by module,
  named from ``model``. Which module produced an op is recorded only inside
  :class:`trace_modules`, so run the forward inside it;
- ``collapse_repeats=True`` folds repeated calls of a module with identical
  op sequences (an unrolled cell loop) into one node ``xN``, and identical
  sibling ops into one; ``max_nodes`` keeps the nodes nearest the output and
  says what it left out.

Example::

    with mg.viz.trace_modules():
        loss = loss_fn(net(x), y)
    with mg.viz.record_grad_norms():
        loss.backward()
    g = mg.viz.draw_graph(loss, model=net, show_grad_norms=True)
    mg.viz.render(g, "graph.svg")

Across training, :class:`GradNormRecorder` (from ``minigrad.nn.utils``) keeps
per-parameter gradient norms after each backward and plots them (matplotlib,
optional).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Optional, Sequence, Tuple, Union

from minigrad.nn.utils.grad_norms import GradNormRecorder, plot_grad_norms
from minigrad.tensor import Tensor

from .dot import to_dot
from .layout import DrawOptions, layout
from .recording import cut_reason, edge_norm, record_grad_norms, trace_modules
from .rendering import INSTALL_HINT, GraphvizNotFoundError, render
from .tracing import Node, as_roots, trace

if TYPE_CHECKING:
    import graphviz

    from minigrad.nn.module import Module

__all__ = ["trace", "draw_graph", "render", "record_grad_norms", "edge_norm",
           "trace_modules", "GradNormRecorder", "plot_grad_norms", "GraphvizNotFoundError"]

Params = Union[Mapping[str, Tensor], Sequence[Tuple[str, Tensor]]]


def draw_graph(root: Union[Tensor, Sequence[Tensor]], params: Optional[Params] = None,
               show_shapes: bool = True, show_grad_norms: bool = False,
               model: Optional[Module] = None,
               max_nodes: Optional[int] = 300, collapse_repeats: bool = False,
               rankdir: str = "TB") -> "graphviz.Digraph":
    """The graph that produced ``root`` as a ``graphviz.Digraph``.

    Args:
        root: the output Tensor (or a list of outputs), e.g. the loss.
        params: dict name -> Tensor (e.g. ``dict(model.named_parameters())``)
            naming leaves; unnamed leaves read ``input``/``const``/``detached``.
        show_shapes: put each tensor's shape and dtype under its name.
        show_grad_norms: label and colour edges and leaves by gradient norm
            (log scale, with a legend); see :class:`record_grad_norms`. An
            edge standing for several (``xN``) shows the largest of their norms.
        model: an ``nn.Module``; names its parameters and, for ops recorded
            under :class:`trace_modules`, draws a cluster per module.
        max_nodes: keep at most this many nodes, those nearest the output; a
            note node says how many (and which ops) were left out.
        collapse_repeats: fold repeated module calls with identical op
            sequences into one node ``xN`` (needs :class:`trace_modules`) and
            identical sibling ops into one node.
        rankdir: Graphviz layout direction (``"TB"`` top-down, ``"LR"``).

    Edges point the way data flows: from inputs and parameters to the output.
    """
    options = DrawOptions(show_shapes=show_shapes, show_grad_norms=show_grad_norms,
                          max_nodes=max_nodes, collapse_repeats=collapse_repeats,
                          rankdir=rankdir)
    nodes, edges = trace(root, params=params, model=model)
    picture = layout(nodes, edges, roots=as_roots(root, "draw_graph"), model=model,
                     options=options)
    return to_dot(picture)
