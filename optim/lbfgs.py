"""L-BFGS: limited-memory BFGS with an optional strong-Wolfe line search."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, SupportsFloat, cast

import numpy as np

from minigrad.tape import enable_grad
from minigrad.versions import bump

from .line_search import strong_wolfe
from .optimizer import Optimizer, check_lr, check_nonnegative

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from minigrad._typing import Array, ParamGroup, Params
    from minigrad.tensor import Tensor

    _Loss = TypeVar("_Loss")

LINE_SEARCHES = (None, "strong_wolfe")


class LBFGS(Optimizer):
    r"""L-BFGS (Liu & Nocedal, 1989, "On the limited memory BFGS method for large
    scale optimization"; Nocedal & Wright, 2006, "Numerical Optimization",
    Algorithm 7.4), PyTorch's version (after minFunc).

    All parameters form one flat vector :math:`x` with gradient :math:`g`. One
    ``step(closure)`` runs up to ``max_iter`` iterations of::

        g = grad f(x)                                  # closure()
        if max |g| <= tolerance_grad: stop
        if first iteration ever:  d = -g;  H0 = 1
        else:
            y = g - g_prev;  s = t_prev * d_prev
            if y.s > 1e-10:                            # keep the pair (curvature > 0)
                remember (s, y, rho = 1 / y.s), dropping the oldest past history_size
                H0 = y.s / y.y                         # scale of the initial inverse Hessian
            q = -g                                     # two-loop recursion: d = -H g
            for i = newest .. oldest:  a_i = rho_i s_i.q;  q -= a_i y_i
            r = H0 q
            for i = oldest .. newest:  b_i = rho_i y_i.r;  r += (a_i - b_i) s_i
            d = r
        t = lr * min(1, 1 / sum |g|) on the first iteration ever, else lr
        if g.d > -tolerance_change: stop               # not a descent direction
        line_search_fn None:            x += t d  (then closure() unless last iteration)
        line_search_fn 'strong_wolfe':  t = strong_wolfe(...) from t;  x += t d
        stop when max_iter iterations or max_eval evaluations are done, when
        max |g| <= tolerance_grad, when max |t d| <= tolerance_change, or when
        |f - f_prev| < tolerance_change

    The memory (``d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad,
    prev_loss``) and the counters ``func_evals, n_iter`` persist between calls
    of ``step``, in the state of the first parameter (as PyTorch keeps them),
    so ``state_dict()`` / ``load_state_dict()`` resume exactly. The flat vectors
    have the parameters' common dtype.

    Args:
        params: iterable of Tensors (one parameter group only).
        lr: step length scale (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``;
            as in PyTorch, the line search may make one evaluation beyond it).
        tolerance_grad: stop when ``max |g|`` is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss change is below this
            (default 1e-9).
        history_size: pairs ``(s, y)`` remembered (default 100).
        line_search_fn: ``None`` (fixed step ``t``) or ``'strong_wolfe'``.

    ``step(closure)`` needs a closure that zeroes the gradients, computes the loss,
    calls ``backward()`` and returns the loss; it returns the first loss computed.

    Example:
        >>> opt = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    def __init__(self, params: Params, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None and isinstance(max_iter, int):
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))
        self._params: list[Tensor] = self.param_groups[0]["params"]
        self._numel = sum(p.data.size for p in self._params)
        self._dtype = np.result_type(*(p.data.dtype for p in self._params))

    def _validate(self, h: dict[str, Any]) -> None:
        check_lr(h["lr"])
        for name in ("max_iter", "max_eval", "history_size"):
            v = h[name]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Invalid {name} value: {v!r} (expected an integer >= 1)")
        check_nonnegative("tolerance_grad", h["tolerance_grad"])
        check_nonnegative("tolerance_change", h["tolerance_change"])
        if h["line_search_fn"] not in LINE_SEARCHES:
            raise ValueError(f"Invalid line_search_fn: {h['line_search_fn']!r} "
                             f"(expected None or 'strong_wolfe')")

    def add_param_group(self, param_group: ParamGroup) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter "
                             "groups): it optimizes one flat vector of all parameters")
        super().add_param_group(param_group)

    # ------------------------------------------------- the flat vector x
    def _gather_flat_grad(self) -> Array:
        """All gradients as one new 1-D array (zeros for a parameter without one)."""
        return np.concatenate([np.zeros(p.data.size, self._dtype) if p.grad is None
                               else np.ravel(p.grad).astype(self._dtype, copy=False)
                               for p in self._params])

    def _add_grad(self, t: float, d: Array) -> None:
        """x += t d, in place on every parameter."""
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += t * d[offset:offset + n].reshape(p.data.shape)
            offset += n
        bump(*(p.data for p in self._params))

    def _clone_param(self) -> list[Array]:
        return [p.data.copy() for p in self._params]

    def _set_param(self, xs: list[Array]) -> None:
        for p, x in zip(self._params, xs):
            p.data[...] = x
        bump(*(p.data for p in self._params))

    def _evaluate(self, closure: Callable[[], _Loss]) -> float:
        with enable_grad():
            return float(cast(SupportsFloat, closure()))

    def _directional_evaluate(self, closure: Callable[[], _Loss], x: list[Array],
                              t: float, d: Array) -> tuple[float, Array]:
        """(loss, flat gradient) at x + t d; the parameters are left at x."""
        self._add_grad(t, d)
        loss = self._evaluate(closure)
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---------------------------------------------------------------- step
    def step(self, closure: Callable[[], _Loss] | None = None) -> _Loss:
        """Run up to ``max_iter`` iterations; return the loss at the starting point."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step needs a closure that re-evaluates the model: "
                            "zero the gradients, compute the loss, call backward(), "
                            f"return the loss (got {type(closure).__name__})")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        with enable_grad():
            orig_loss = closure()                               # f(x), g = grad f(x)
        loss = float(cast(SupportsFloat, orig_loss))
        self._check_grads()                    # (the state is touched only from here on)
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:                 # already optimal
            return orig_loss

        # the memory from earlier steps (all None before the first iteration ever)
        d: Any = state.get("d")
        t: Any = state.get("t")
        old_dirs: Any = state.get("old_dirs")
        old_stps: Any = state.get("old_stps")
        ro: Any = state.get("ro")
        H_diag: Any = state.get("H_diag")
        prev_flat_grad: Any = state.get("prev_flat_grad")
        prev_loss: Any = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # ---- the direction d
            if state["n_iter"] == 1:
                d = -flat_grad                                  # steepest descent
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad                  # y = g - g_prev
                s = d * t                                       # s = t_prev d_prev
                ys = float(np.dot(y, s))
                if ys > 1e-10:                                  # keep the pair
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)                         # rho = 1 / y.s
                    H_diag = ys / float(np.dot(y, y))           # H0 = y.s / y.y
                al = state.setdefault("al", [None] * history_size)
                d = self._two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, al)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss
            # ---- the step length t
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(np.dot(flat_grad, d))                   # slope along d
            if gtd > -tol_change:
                break                                           # not a descent direction
            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()
                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    lambda x, t_, d_: self._directional_evaluate(closure, x, t_, d_),
                    x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)                            # x += t d
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add_grad(t, d)                            # x += t d
                opt_cond = False
                if n_iter != max_iter:                          # re-evaluate unless last
                    loss = self._evaluate(closure)
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            # ---- stopping rules
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change:               # the step is tiny
                break
            if abs(loss - prev_loss) < tol_change:              # the loss stalls
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    @staticmethod
    def _two_loop(flat_grad: Array, old_dirs: list[Array], old_stps: list[Array],
                  ro: list[float], H_diag: float, al: list[Any]) -> Array:
        """d = -H g by the two-loop recursion over the remembered pairs (``al``:
        scratch space for the a_i, at least one slot per pair)."""
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = float(np.dot(old_stps[i], q)) * ro[i]       # a_i = rho_i s_i.q
            q -= al[i] * old_dirs[i]                            # q -= a_i y_i
        r = q * H_diag                                          # r = H0 q
        for i in range(len(old_dirs)):
            be_i = float(np.dot(old_dirs[i], r)) * ro[i]        # b_i = rho_i y_i.r
            r += (al[i] - be_i) * old_stps[i]                   # r += (a_i - b_i) s_i
        return r

    # ----------------------------------------------------------- state dict
    def _load_state_value(self, name: str, idx: int, key: str, value: Any,
                          param: Tensor) -> Any:
        """The memory holds flat vectors of all parameters (not of ``param``'s shape)."""
        def flat(v: Array) -> Array:
            if v.shape != (self._numel,):
                raise ValueError(f"{name}: state '{key}' has shape {v.shape}, expected "
                                 f"({self._numel},) (all parameters, flattened)")
            return v.astype(self._dtype)
        if isinstance(value, np.ndarray):
            return flat(value)
        if key in ("old_dirs", "old_stps") and isinstance(value, (list, tuple)):
            return [flat(np.asarray(v)) for v in value]
        return super()._load_state_value(name, idx, key, value, param)


__all__ = ["LBFGS"]
