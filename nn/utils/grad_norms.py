"""Per-parameter gradient norms across training steps, and their plot.

:class:`GradNormRecorder` reads ``.grad`` after each ``backward()`` and keeps
one L2 norm per parameter and the global norm, both computed by
:func:`~minigrad.nn.utils.total_grad_norm` (so the global norm is the one
``clip_grad_norm_`` clips). :func:`plot_grad_norms` draws them with
matplotlib, an optional dependency imported only when plotting.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import TYPE_CHECKING

from minigrad.tensor import Tensor

from .clip import total_grad_norm

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from matplotlib.figure import Figure

    from ..module import Module


class GradNormRecorder:
    """Per-parameter gradient norms across training steps.

    ``params``: an ``nn.Module`` (its ``named_parameters()``), a dict
    name -> Tensor, or (name, Tensor) pairs. Call :meth:`record` after each
    ``backward()`` (before ``zero_grad()``); parameters without a gradient
    record ``nan``. ``history[name]`` is the list of L2 norms, ``steps`` the
    step numbers, ``total`` the global norm (as ``clip_grad_norm_`` computes it).

    >>> rec = nn.utils.GradNormRecorder(model)      # also mg.viz.GradNormRecorder
    >>> for step in range(100):
    ...     loss = ...; loss.backward(); rec.record(); opt.step(); opt.zero_grad()
    >>> rec.plot("grad_norms.png")
    """

    def __init__(self, params: Module | Mapping[str, Tensor] | Iterable[tuple[str, Tensor]]
                 ) -> None:
        if hasattr(params, "named_parameters"):
            items = list(params.named_parameters())
        elif hasattr(params, "items"):
            items = list(params.items())
        else:
            items = list(params)
        if not items:
            raise ValueError("GradNormRecorder: no parameters given")
        for n, p in items:
            if not isinstance(p, Tensor):
                raise TypeError(f"GradNormRecorder: '{n}' is a {type(p).__name__}, "
                                f"expected a Tensor")
        self.params = OrderedDict(items)
        self.history: OrderedDict[str, list[float]] = OrderedDict((n, []) for n in self.params)
        self.total: list[float] = []
        self.steps: list[int] = []

    def record(self, step: int | None = None) -> dict[str, float]:
        """Append the current ``.grad`` norm of every parameter; returns {name: norm}.

        ``step`` defaults to one more than the last step recorded (0 first).
        """
        step = (self.steps[-1] + 1 if self.steps else 0) if step is None else step
        now = {}
        for n, p in self.params.items():
            now[n] = total_grad_norm([p]) if p.grad is not None else float("nan")
            self.history[n].append(now[n])
        self.steps.append(step)
        self.total.append(total_grad_norm(list(self.params.values())))
        return now

    def __len__(self) -> int:
        return len(self.steps)

    def plot(self, path: str | os.PathLike[str] | None = None, logy: bool = True,
             title: str = "Gradient norm per parameter", total: bool = True) -> Figure:
        """Plot the norms over steps (matplotlib); save a PNG to ``path`` if given.

        Returns the matplotlib Figure.
        """
        return plot_grad_norms(self, path, logy=logy, title=title, total=total)


def plot_grad_norms(recorder: GradNormRecorder, path: str | os.PathLike[str] | None = None,
                    logy: bool = True, title: str = "Gradient norm per parameter",
                    total: bool = True) -> Figure:
    """Line plot of a :class:`GradNormRecorder`'s history; saves to ``path`` (PNG) if given.

    One line per parameter (and the global norm, dashed, with ``total=True``)
    against the step number, on a log axis with ``logy=True``. Returns the
    matplotlib Figure.
    """
    if not recorder.steps:
        raise ValueError("plot_grad_norms: nothing recorded yet; call record() after backward()")
    try:
        import matplotlib
        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_grad_norms needs matplotlib, an optional dependency: "
                          "`pip install matplotlib`") from None
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    cmap = plt.get_cmap("tab10" if len(recorder.history) <= 10 else "tab20")
    for i, (n, vals) in enumerate(recorder.history.items()):
        ax.plot(recorder.steps, vals, label=n, linewidth=1.2, color=cmap(i % cmap.N))
    if total:
        ax.plot(recorder.steps, recorder.total, label="total", color="black",
                linewidth=2, linestyle="--")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("L2 norm of gradient")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    if path is not None:
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(path)
        plt.close(fig)
    return fig
