"""The strong-Wolfe line search that :class:`optim.LBFGS` uses with
``line_search_fn='strong_wolfe'``: PyTorch's port of minFunc / torch7's
``lswolfe.lua`` (bracketing, then zooming by cubic interpolation; Nocedal &
Wright, 2006, "Numerical Optimization", Algorithms 3.5 and 3.6).

Along a direction ``d`` from ``x`` the search looks for a step ``t`` with, for
``phi(t) = f(x + t d)``::

    phi(t) <= phi(0) + c1 t phi'(0)          (sufficient decrease, Armijo)
    |phi'(t)| <= -c2 phi'(0)                 (curvature, strong form)

Vectors are flat 1-D arrays (all parameters concatenated); the objective is a
callable ``obj(x, t, d) -> (loss, flat_grad)`` that evaluates at ``x + t d`` and
leaves the parameters at ``x``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from minigrad._typing import Array

    Objective = Callable[[list[Array], float, Array], tuple[float, Array]]


def cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                      bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes
    ``g1``, ``g2``, clipped to ``bounds`` (default: between the two points); the
    midpoint of the bounds when the cubic has no minimum::

        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
        d2 = sqrt(d1^2 - g1 g2)
        t  = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)     (x1 <= x2)
    """
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def strong_wolfe(obj: Objective, x: list[Array], t: float, d: Array, f: float, g: Array,
                 gtd: float, c1: float = 1e-4, c2: float = 0.9,
                 tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[float, Array, float, int]:
    """Search along ``d`` from the point ``x`` (loss ``f``, gradient ``g``, slope
    ``gtd = g.d < 0``) starting with step ``t``; at most ``max_ls`` evaluations
    beyond the first.

    Returns ``(loss, flat_grad, t, evaluations)`` at the accepted step: one that
    satisfies both conditions above, or, when the evaluations run out or the
    bracket shrinks below ``tolerance_change`` (times ``max |d|``), the best
    point found.
    """
    d_norm = float(np.abs(d).max())
    g = g.copy()
    f_new, g_new = obj(x, t, d)
    evals = 1
    gtd_new = float(np.dot(g_new, d))
    # ---- bracketing: find an interval that contains an acceptable step
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[Array] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]       # too far: bracketed
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:                               # both conditions hold
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:                                            # slope turned: bracketed
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # still descending: extrapolate, between 1.01 t and 10 t
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                              bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = float(np.dot(g_new, d))
        ls_iter += 1
    if ls_iter == max_ls:                                           # out of evaluations
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
        # (as in PyTorch the zoom below is then skipped: ls_iter == max_ls)
    # ---- zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                              bracket[1], bracket_f[1], bracket_gtd[1])
        # a point too close to an end of the bracket makes too little progress:
        # the second time (or at an end exactly), move it 10% of the width inside
        b_lo, b_hi = min(bracket), max(bracket)
        eps = 0.1 * (b_hi - b_lo)
        if min(b_hi - t, t - b_lo) < eps:
            if insuf_progress or t >= b_hi or t <= b_lo:
                t = b_hi - eps if abs(t - b_hi) < abs(t - b_lo) else b_lo + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj(x, t, d)
        evals += 1
        gtd_new = float(np.dot(g_new, d))
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            # not a sufficient decrease, or no better than the low end: new high end
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True                                         # both conditions hold
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                # the minimum lies between t and the low end: the old low becomes high
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new                 # t becomes the low end
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


__all__ = ["cubic_interpolate", "strong_wolfe"]
