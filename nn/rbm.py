"""Restricted Boltzmann machines, trained by contrastive divergence through autograd.

An RBM is an undirected model of visible units ``v`` (N, n_visible) and hidden units
``h`` (N, n_hidden) with weight ``W`` (n_hidden, n_visible) and energy::

    Bernoulli visible:   E(v, h) = -v.b_v - h.b_h - h W v            v in {0, 1}^n_v
    Gaussian visible:    E(v, h) = |v - b_v|^2 / 2 - h.b_h - h W v   v real, unit variance

``p(v, h) = exp(-E) / Z``. Summing out the (binary) hidden units gives the free energy
``F(v) = -log sum_h exp(-E(v, h))``::

    F(v) = -v.b_v - sum_j softplus(b_h + W v)_j          (Bernoulli)
    F(v) = |v - b_v|^2 / 2 - sum_j softplus(b_h + W v)_j  (Gaussian)

and ``-log p(v) = F(v) + log Z``, so ``d(-log p(v))/dtheta = dF(v)/dtheta -
E_model[dF/dtheta]``. Contrastive divergence (Hinton, 2002) replaces the model
expectation by the free energy of a sample at the end of a short Gibbs chain started
at the data (CD-k), or at chains kept from the previous update (persistent CD,
Tieleman, 2008). :meth:`RBM.cd_loss` returns ``mean F(v) - mean F(v_chain)`` with the
chain end detached, whose autograd gradient is exactly that estimate: any minigrad
optimizer, schedule, weight decay or clipping then trains an RBM unchanged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad as mg
from minigrad.ops.rbm import FreeEnergy, free_energy_parts, sigmoid
from minigrad.random import get_rng

from .module import Module
from .parameter import Parameter

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    from minigrad._typing import TensorLike
    from minigrad.tensor import Tensor

    VisibleKind = Literal["bernoulli", "gaussian"]

#: the largest layer ``log_partition`` enumerates (2**24 states)
MAX_ENUMERATED_UNITS = 24
#: states evaluated at once while enumerating (bounds the memory of ``log_partition``)
_CHUNK = 1 << 14

Array = np.ndarray[Any, Any]


def _softplus(z: Array) -> Array:
    return np.logaddexp(0.0, z)


def binary_states(n: int, start: int, stop: int, dtype: Any) -> Array:
    """Rows ``start .. stop-1`` of the table of all ``2**n`` binary vectors (bit i of
    the row number is unit i): ``(stop - start, n)``."""
    return ((np.arange(start, stop)[:, None] >> np.arange(n)) & 1).astype(dtype)


def enumerate_logsumexp(n: int, fn: Callable[[Array], Array], dtype: Any) -> float:
    """``log sum_s exp(fn(s))`` over all binary ``s`` in ``{0, 1}^n``, evaluated in chunks
    of states (``fn`` maps a (M, n) batch of states to (M,) log-weights)."""
    total = -np.inf
    for start in range(0, 1 << n, _CHUNK):
        vals = fn(binary_states(n, start, min(1 << n, start + _CHUNK), dtype))
        total = float(np.logaddexp(total, np.logaddexp.reduce(vals)))
    return total


def _who(what: str) -> str:
    """The name errors give: ``RBM.<method>``, or ``what`` when already qualified."""
    return what if "." in what else f"RBM.{what}"


class RBM(Module):
    """Restricted Boltzmann machine with binary hidden units.

    Args:
        n_visible, n_hidden: layer sizes.
        visible: ``'bernoulli'`` (inputs in [0, 1], read as probabilities of binary
            units) or ``'gaussian'`` (real-valued inputs, unit variance: standardise them).
    Parameters: ``weight (n_hidden, n_visible)``, ``visible_bias (n_visible,)``,
    ``hidden_bias (n_hidden,)``. Init: weight ~ N(0, 0.01^2) (Hinton's practical guide,
    scikit-learn's ``BernoulliRBM``), biases zero.
    Calling the module gives the hidden probabilities (features), as ``hidden_probs``.

    >>> rbm = nn.RBM(6, 3)
    >>> loss = rbm.cd_loss(mg.rand(8, 6), k=1)     # loss.backward(); opt.step()
    """

    def __init__(self, n_visible: int, n_hidden: int, visible: VisibleKind = "bernoulli") -> None:
        super().__init__()
        if not (isinstance(n_visible, (int, np.integer)) and isinstance(n_hidden, (int, np.integer))
                and n_visible > 0 and n_hidden > 0):
            raise ValueError(f"RBM: n_visible and n_hidden must be positive integers, got "
                             f"n_visible={n_visible!r}, n_hidden={n_hidden!r}")
        if visible not in ("bernoulli", "gaussian"):
            raise ValueError(f"RBM: visible must be 'bernoulli' or 'gaussian', got {visible!r}")
        self.n_visible, self.n_hidden, self.visible = int(n_visible), int(n_hidden), visible
        dt = mg.get_default_dtype()
        self.weight = Parameter(get_rng().normal(0.0, 0.01, (self.n_hidden, self.n_visible)
                                                 ).astype(dt))
        self.visible_bias = Parameter(np.zeros(self.n_visible, dt))
        self.hidden_bias = Parameter(np.zeros(self.n_hidden, dt))
        #: persistent chains of ``cd_loss(persistent=True)``: visible (rows, n_visible) and
        #: hidden (rows, n_hidden) states, or None
        self.chain: Array | None = None
        self.chain_hidden: Array | None = None

    # -- input checks ------------------------------------------------------------------
    def _visible_array(self, v: TensorLike, what: str) -> Array:
        """``v`` as a (N, n_visible) array in the parameters' dtype, checked; errors name
        ``RBM.<what>`` (or ``what`` itself when it is qualified, e.g. ``DBN.pretrain``)."""
        who = _who(what)
        a = np.asarray(v.data if isinstance(v, mg.Tensor) else v)
        if a.ndim != 2 or a.shape[1] != self.n_visible:
            raise ValueError(f"{who}: expected visible data of shape (N, {self.n_visible}), "
                             f"got {a.shape}")
        if not np.issubdtype(a.dtype, np.number) and a.dtype != np.bool_:
            raise TypeError(f"{who}: expected numeric visible data, got dtype {a.dtype}")
        a = a.astype(self.weight.dtype, copy=False)
        if a.size:
            lo, hi = a.min(), a.max()           # NaN and infinities show in these two
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise ValueError(f"{who}: visible data contains NaN or infinity")
            if self.visible == "bernoulli" and (lo < 0 or hi > 1):
                raise ValueError(f"{who}: Bernoulli visible units take values in [0, 1], got "
                                 f"values in [{lo:g}, {hi:g}] (scale the data, or use "
                                 f"visible='gaussian')")
        return a

    def _hidden_array(self, h: TensorLike, what: str) -> Array:
        a = np.asarray(h.data if isinstance(h, mg.Tensor) else h).astype(self.weight.dtype,
                                                                           copy=False)
        if a.ndim != 2 or a.shape[1] != self.n_hidden:
            raise ValueError(f"RBM.{what}: expected hidden states of shape (N, {self.n_hidden}), "
                             f"got {a.shape}")
        return a

    @staticmethod
    def _as_input(x: TensorLike, checked: Array) -> Tensor:
        """A Tensor given in the parameters' dtype is used as is (gradients flow back to
        it); anything else becomes a new constant Tensor of the checked array."""
        if isinstance(x, mg.Tensor) and x.data.dtype == checked.dtype:
            return x
        return mg.tensor(checked)

    # -- energies ------------------------------------------------------------------------
    def energy(self, v: TensorLike, h: TensorLike) -> Tensor:
        """``E(v, h)`` per row: (N, n_visible), (N, n_hidden) -> (N,) (differentiable)."""
        va = self._as_input(v, self._visible_array(v, "energy"))
        ha = self._as_input(h, self._hidden_array(h, "energy"))
        coupling = ((ha @ self.weight) * va).sum(axis=1) + (ha * self.hidden_bias).sum(axis=1)
        return self._visible_term(va) - coupling

    def _visible_term(self, v: Tensor) -> Tensor:
        """``-v.b_v`` (Bernoulli) or ``|v - b_v|^2 / 2`` (Gaussian): (N,)."""
        if self.visible == "gaussian":
            return ((v - self.visible_bias) ** 2).sum(axis=1) * 0.5
        return -(v * self.visible_bias).sum(axis=1)

    def free_energy(self, v: TensorLike) -> Tensor:
        """``F(v) = -log sum_h exp(-E(v, h))``: (N, n_visible) -> (N,) (differentiable)."""
        va = self._as_input(v, self._visible_array(v, "free_energy"))
        return self._free_energy(va)

    def _free_energy(self, v: Tensor) -> Tensor:
        return FreeEnergy.apply(v, self.weight, self.visible_bias, self.hidden_bias,
                                gaussian=self.visible == "gaussian")

    def _free_energy_np(self, v: Array) -> Array:
        return free_energy_parts(v, self.weight.data, self.visible_bias.data,
                                 self.hidden_bias.data, self.visible == "gaussian")[0]

    # -- conditionals and sampling ----------------------------------------------------
    def hidden_probs(self, v: TensorLike) -> Tensor:
        """``p(h_j = 1 | v) = sigmoid(b_h + W v)``: (N, n_visible) -> (N, n_hidden)."""
        va = self._as_input(v, self._visible_array(v, "hidden_probs"))
        return mg.sigmoid(va @ self.weight.T + self.hidden_bias)

    def visible_probs(self, h: TensorLike) -> Tensor:
        """``p(v_i = 1 | h) = sigmoid(b_v + W^T h)`` (Bernoulli), or the mean
        ``b_v + W^T h`` of the Gaussian ``p(v | h)``: (N, n_hidden) -> (N, n_visible)."""
        ha = self._as_input(h, self._hidden_array(h, "visible_probs"))
        mean = ha @ self.weight + self.visible_bias
        return mean if self.visible == "gaussian" else mg.sigmoid(mean)

    def forward(self, v: TensorLike) -> Tensor:
        return self.hidden_probs(v)

    def _p_h(self, v: Array) -> Array:
        return sigmoid(v @ self.weight.data.T + self.hidden_bias.data)

    def _v_mean(self, h: Array) -> Array:
        mean = h @ self.weight.data + self.visible_bias.data
        return mean if self.visible == "gaussian" else sigmoid(mean)

    def _draw_h(self, v: Array) -> Array:
        p = self._p_h(v)
        return np.less(get_rng().random(p.shape), p).astype(p.dtype)

    def _draw_v(self, h: Array) -> Array:
        m = self._v_mean(h)
        if self.visible == "gaussian":
            return m + np.asarray(get_rng().standard_normal(m.shape), dtype=m.dtype)
        return np.less(get_rng().random(m.shape), m).astype(m.dtype)

    def sample_hidden(self, v: TensorLike) -> Tensor:
        """A binary sample of ``h ~ p(h | v)``: (N, n_visible) -> (N, n_hidden)."""
        return mg.tensor(self._draw_h(self._visible_array(v, "sample_hidden")))

    def sample_visible(self, h: TensorLike) -> Tensor:
        """A sample of ``v ~ p(v | h)`` (binary, or Gaussian around the mean):
        (N, n_hidden) -> (N, n_visible)."""
        return mg.tensor(self._draw_v(self._hidden_array(h, "sample_visible")))

    def _gibbs(self, v: Array, k: int) -> Array:
        for _ in range(k):
            v = self._draw_v(self._draw_h(v))
        return v

    @staticmethod
    def _check_k(k: int, what: str) -> None:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"{_who(what)}: k must be a positive integer, got {k!r}")

    def gibbs(self, v: TensorLike, k: int = 1) -> Tensor:
        """The sampled visible state after ``k`` steps ``v -> h ~ p(h|v) -> v ~ p(v|h)``
        of block Gibbs sampling started at ``v``: (N, n_visible) -> (N, n_visible)."""
        self._check_k(k, "gibbs")
        return mg.tensor(self._gibbs(self._visible_array(v, "gibbs"), int(k)))

    # -- training objective -----------------------------------------------------------
    def cd_loss(self, v: TensorLike, k: int = 1, persistent: bool = False) -> Tensor:
        """Contrastive-divergence surrogate loss: ``mean F(v) - mean F(v_k)``, a scalar.

        ``v_k`` (detached) is the sampled visible state after ``k`` Gibbs steps started
        at the data (CD-k) or, with ``persistent=True``, continuing this RBM's persistent
        chains (PCD): one per example row, created from the first batch, grown from the
        data when a larger batch comes, kept across calls. A chain's state is
        ``self.chain`` (its last visible sample, (rows, n_visible)) and
        ``self.chain_hidden`` (a hidden sample drawn from ``p(h | chain)`` at the last
        update, where the next call's first step starts, as scikit-learn's
        ``BernoulliRBM``). The gradient is the CD / PCD estimate of minus the gradient
        of the mean log-likelihood of ``v``.
        """
        self._check_k(k, "cd_loss")
        data = self._visible_array(v, "cd_loss")
        n = len(data)
        if n == 0:
            raise ValueError("RBM.cd_loss: expected at least one example, got an empty batch")
        if persistent:
            chain, hidden = self._grown_chains(data)
            neg = self._gibbs(self._draw_v(hidden[:n]), int(k) - 1)
        else:
            neg = self._gibbs(data, int(k))
        both = np.concatenate([data, neg])
        w, bv, bh = self.weight, self.visible_bias, self.hidden_bias
        parts = free_energy_parts(both, w.data, bv.data, bh.data, self.visible == "gaussian")
        if persistent:       # the chains move on: v_k, and h ~ p(h | v_k) from the same pass
            p_neg = parts[1][n:]
            chain[:n] = neg
            hidden[:n] = np.less(get_rng().random(p_neg.shape), p_neg)
            if chain is not self.chain or hidden is not self.chain_hidden:
                self.chain, self.chain_hidden = chain, hidden     # (new or grown chains)
        fe = FreeEnergy.apply(mg.as_tensor(both), w, bv, bh,
                              gaussian=self.visible == "gaussian", parts=parts)
        # +1/n for the data rows, -1/n for the chain ends
        sign = np.empty(2 * n, dtype=data.dtype)
        sign[:n], sign[n:] = 1.0 / n, -1.0 / n
        return fe @ mg.as_tensor(sign)

    def _grown_chains(self, data: Array) -> tuple[Array, Array]:
        """The persistent chains (visible, hidden), at least ``len(data)`` of them: new
        ones start at the data rows (their hidden state drawn from ``p(h | v)``)."""
        chain, hidden = self.chain, self.chain_hidden
        if (chain is None or hidden is None or chain.shape[1] != self.n_visible
                or hidden.shape[1] != self.n_hidden or chain.dtype != data.dtype):
            return data.copy(), self._draw_h(data)
        if len(chain) < len(data):
            extra = data[len(chain):]
            return np.concatenate([chain, extra]), np.concatenate([hidden, self._draw_h(extra)])
        return chain, hidden

    def reset_chain(self) -> None:
        """Forget the persistent chains (the next persistent ``cd_loss`` restarts them)."""
        self.chain = self.chain_hidden = None

    # -- monitors ------------------------------------------------------------------------
    def reconstruction_error(self, v: TensorLike) -> float:
        """Mean squared error of one deterministic up-down pass ``v -> p(h|v) -> E[v|h]``."""
        data = self._visible_array(v, "reconstruction_error")
        return float(np.mean((self._v_mean(self._p_h(data)) - data) ** 2))

    def pseudo_log_likelihood(self, v: TensorLike, all_units: bool = False) -> Array:
        """Pseudo-log-likelihood ``sum_i log p(v_i | v_-i)`` per row, (N,), Bernoulli only.

        Default: scikit-learn's ``BernoulliRBM.score_samples`` estimate, one random
        unit ``i`` per row flipped (``v_i -> 1 - v_i``, drawn from minigrad's generator):
        ``n_visible * log sigmoid(F(v_flipped) - F(v))``. ``all_units=True`` sums the
        term over every unit instead (the exact pseudo-log-likelihood, no noise).
        """
        if self.visible != "bernoulli":
            raise ValueError("RBM.pseudo_log_likelihood: defined for Bernoulli visible units; "
                             "this RBM has visible='gaussian'")
        data = self._visible_array(v, "pseudo_log_likelihood")
        fe = self._free_energy_np(data)
        rows = np.arange(len(data))
        if not all_units:
            flipped = data.copy()
            idx = get_rng().integers(0, self.n_visible, len(data))
            flipped[rows, idx] = 1 - flipped[rows, idx]
            return -self.n_visible * _softplus(fe - self._free_energy_np(flipped))
        total = np.zeros(len(data), dtype=data.dtype)
        for i in range(self.n_visible):
            flipped = data.copy()
            flipped[:, i] = 1 - flipped[:, i]
            total -= _softplus(fe - self._free_energy_np(flipped))
        return total

    def log_partition(self) -> float:
        """Exact ``log Z``, summing over the states of the smaller layer (Bernoulli) or
        of the hidden layer (Gaussian, the visible units integrated in closed form:
        ``log Z = n_v/2 log 2 pi + logsumexp_h [h.b_h + |b_v + W^T h|^2/2 - |b_v|^2/2]``).
        Raises ``ValueError`` when that layer has more than 24 units."""
        w, bv, bh = self.weight.data, self.visible_bias.data, self.hidden_bias.data
        dt = w.dtype
        if self.visible == "gaussian":
            self._check_enumerable(self.n_hidden, "hidden")
            const = 0.5 * self.n_visible * np.log(2 * np.pi) - 0.5 * float(bv @ bv)
            return const + enumerate_logsumexp(
                self.n_hidden, lambda h: h @ bh + 0.5 * ((h @ w + bv) ** 2).sum(1), dt)
        if self.n_hidden <= self.n_visible:
            self._check_enumerable(self.n_hidden, "hidden")
            return enumerate_logsumexp(
                self.n_hidden, lambda h: h @ bh + _softplus(h @ w + bv).sum(1), dt)
        self._check_enumerable(self.n_visible, "visible")
        return enumerate_logsumexp(self.n_visible, lambda v: -self._free_energy_np(v), dt)

    def _check_enumerable(self, n: int, layer: str) -> None:
        if n > MAX_ENUMERATED_UNITS:
            raise ValueError(f"RBM.log_partition: exact only when the layer summed over has at "
                             f"most {MAX_ENUMERATED_UNITS} units; the {layer} layer has {n} "
                             f"(n_visible={self.n_visible}, n_hidden={self.n_hidden})")

    def log_likelihood(self, v: TensorLike) -> Array:
        """Exact ``log p(v) = -F(v) - log Z`` per row, (N,) (a log-density for Gaussian
        visible units); the same size limit as :meth:`log_partition`."""
        data = self._visible_array(v, "log_likelihood")
        return -self._free_energy_np(data) - self.log_partition()

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, visible={self.visible!r}"
