"""Recurrent cells and layers: RNN, LSTM, GRU (PyTorch's names, shapes, gate order).

A cell does one time step and is composed of core ops, so it is the readable
reference. A layer runs each (layer, direction) over the whole sequence as ONE
node on the tape (:class:`minigrad.ops.recurrent.Recurrent`, fused Numba gate
kernels or the plain NumPy path, see ``mg.config.use_numba``). One layer
mechanism (stacking, directions, ``batch_first``, inter-layer dropout) serves
all three cell types. A first layer fed straight by an ``Embedding`` lookup runs
the fused lookup (:func:`_embedding_lookup`: the input projection as a lookup in
a (V, G*H) table; not with a Dropout between the Embedding and the layer).

Equations (x input, h previous hidden state, W_* and b_* the parameters,
sigma the logistic function, * elementwise):

RNN    h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                (or relu)
LSTM   i, f, g, o = sigma, sigma, tanh, sigma of the four H-row blocks of
                    W_ih x + b_ih + W_hh h + b_hh
       c' = f * c + i * g,   h' = o * tanh(c')
GRU    r = sigma(W_ir x + b_ir + W_hr h + b_hr)
       z = sigma(W_iz x + b_iz + W_hz h + b_hz)
       n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
       h' = (1 - z) * n + z * h

Weights are ``weight_ih (G*H, I)``, ``weight_hh (G*H, H)``, biases ``(G*H,)``
with G = 1, 4, 3, all initialised uniform in (-1/sqrt(H), 1/sqrt(H)), so a
PyTorch ``state_dict``'s arrays load unchanged.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple

import numpy as np

import minigrad as mg
from minigrad.ops.indexing import recorded_lookup
from minigrad.ops.recurrent import cell_spec, recurrent
from minigrad.random import get_rng
from minigrad.tensor import tensor_arg

from . import functional as F
from .module import Module
from .parameter import Parameter

if TYPE_CHECKING:
    from minigrad._typing import TensorOrArray
    from minigrad.tensor import Tensor

    _Weights = Tuple[Parameter, Parameter, Optional[Parameter], Optional[Parameter]]


def _uniform(shape: Tuple[int, ...], H: int) -> Parameter:
    k = 1.0 / math.sqrt(H)
    return Parameter(get_rng().uniform(-k, k, shape).astype(mg.get_default_dtype()))


def _shape_str(names: Sequence[str], values: Sequence[Optional[int]]) -> str:
    return "(" + ", ".join(f"{n}={v}" if v is not None else n
                           for n, v in zip(names, values)) + ")"


class _Mode:
    """Which registered cell (``minigrad.ops.recurrent.cell_spec``) a cell or layer runs."""
    kind = "rnn"

    @property
    def _mode(self) -> str:
        return self.kind


class _RNNMode(_Mode):
    """The Elman RNN's cell follows its ``nonlinearity`` ('rnn_tanh' or 'rnn_relu')."""
    nonlinearity = "tanh"    # the default until __init__ sets the instance's

    @property
    def _mode(self) -> str:
        return f"rnn_{self.nonlinearity}"


# ===================================================================== cells
class _CellBase(_Mode, Module):
    bias_ih: Optional[Parameter]
    bias_hh: Optional[Parameter]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        F.check_count(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        G, H = cell_spec(self._mode).gates, hidden_size
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = _uniform((G * H, input_size), H)
        self.weight_hh = _uniform((G * H, H), H)
        if bias:
            self.bias_ih = _uniform((G * H,), H)
            self.bias_hh = _uniform((G * H,), H)
        else:
            self.bias_ih = self.bias_hh = None

    def _check(self, x: TensorOrArray, h: Optional[TensorOrArray],
               hname: str = "h") -> Tuple[Tensor, Tensor]:
        name = type(self).__name__
        x = tensor_arg(x, name, "input")
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (batch, input_size="
                             f"{self.input_size}), got {x.shape}")
        B, H = x.shape[0], self.hidden_size
        if h is None:
            return x, mg.zeros(B, H, dtype=self.weight_hh.dtype)
        h = tensor_arg(h, name, hname)
        if h.shape != (B, H):
            raise ValueError(f"{name}: expected {hname} of shape (batch={B}, hidden_size="
                             f"{H}), got {h.shape}")
        return x, h

    def _projections(self, x: Tensor, h: Tensor) -> Tuple[Tensor, Tensor]:
        """(W_ih x + b_ih, W_hh h + b_hh), each (B, G*H)."""
        gi = x @ self.weight_ih.T
        gh = h @ self.weight_hh.T
        if self.bias_ih is not None and self.bias_hh is not None:
            gi = gi + self.bias_ih
            gh = gh + self.bias_hh
        return gi, gh

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"


class RNNCell(_RNNMode, _CellBase):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (``nonlinearity='relu'``: relu).

    x (B, I), h (B, H) or None (zeros) -> h' (B, H).

    >>> cell = nn.RNNCell(3, 5)
    >>> cell(mg.randn(2, 3)).shape
    (2, 5)
    """
    kind = "rnn"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', "
                             f"got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, x: TensorOrArray, h: Optional[TensorOrArray] = None) -> Tensor:
        x, h = self._check(x, h)
        gi, gh = self._projections(x, h)
        a = gi + gh
        return a.relu() if self.nonlinearity == "relu" else a.tanh()


class LSTMCell(_CellBase):
    """One LSTM step, gates ``i, f, g, o``: ``c' = f*c + i*g``, ``h' = o*tanh(c')``.

    x (B, I), state (h, c) each (B, H), or None (zeros) -> (h', c').

    >>> cell = nn.LSTMCell(3, 5)
    >>> h, c = cell(mg.randn(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """
    kind = "lstm"

    def forward(self, x: TensorOrArray,
                state: Optional[Sequence[Optional[TensorOrArray]]] = None
                ) -> Tuple[Tensor, Tensor]:
        if state is None:
            state = (None, None)
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError("LSTMCell: expected the state as a tuple (h, c)")
        x, h = self._check(x, state[0], "h")
        _, c = self._check(x, state[1], "c")
        gi, gh = self._projections(x, h)
        a = gi + gh
        H = self.hidden_size
        i = a[:, :H].sigmoid()
        f = a[:, H:2 * H].sigmoid()
        g = a[:, 2 * H:3 * H].tanh()
        o = a[:, 3 * H:].sigmoid()
        c2 = f * c + i * g
        return o * c2.tanh(), c2


class GRUCell(_CellBase):
    """One GRU step, gates ``r, z, n``: ``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``,
    ``h' = (1 - z)*n + z*h``.

    x (B, I), h (B, H) or None (zeros) -> h' (B, H).

    >>> cell = nn.GRUCell(3, 5)
    >>> cell(mg.randn(2, 3)).shape
    (2, 5)
    """
    kind = "gru"

    def forward(self, x: TensorOrArray, h: Optional[TensorOrArray] = None) -> Tensor:
        x, h = self._check(x, h)
        gi, gh = self._projections(x, h)
        H = self.hidden_size
        r = (gi[:, :H] + gh[:, :H]).sigmoid()
        z = (gi[:, H:2 * H] + gh[:, H:2 * H]).sigmoid()
        n = (gi[:, 2 * H:] + r * gh[:, 2 * H:]).tanh()
        return (1 - z) * n + z * h


# ===================================================================== layers
def _embedding_lookup(x: Tensor, batch_first: bool) -> Optional[Tuple[Tensor, Any]]:
    """(E, index (T, B)) when the layer's input x is a recorded lookup ``E[index]``
    (``nn.Embedding`` / ``F.embedding`` / ``E[int_array]``) that the fused input
    projection should run on, else None (then x is used as given).

    The size rule: fuse when the table has at most half as many rows as the call
    has tokens, 2*V <= T*B. The fused op computes a (V, G*H) table and scatters
    into it; the unfused one multiplies all T*B inputs and the Embedding's
    backward scatters the (T*B, I) gradient. Measured, one LSTM layer forward +
    backward with its lookup, T*B = 35*32 = 1120, float32, 1 thread, CPU ms on a
    machine loaded by other jobs (fused / unfused)::

        V            65     280     560    1120    2240    8000
        I=64  H=128  0.76   0.77    1.00    1.10    1.29    3.05
        I=256 H=256  0.61   0.67    0.80    1.04    1.48    3.93

    The lookup is recognised only when it is the layer's direct input (the
    first layer only): with a Dropout (PyTorch's word-LM style, as in
    ``minigrad/demos/_lm.py``) or any other op in between, x is no longer a
    lookup and the layer runs unfused. The rows of E the lookup used are
    compared with E's current rows (O(V*I + T*B)), so an E changed in place
    after the lookup is never read in its place. A lookup whose own gradient is
    asked for (a hook on it, ``retain_grad()``) is not fused: the fused op's
    gradient goes to E directly, past the looked-up tensor.
    """
    if x._hooks or x._retain:     # x's own gradient is asked for: it must flow through x
        return None
    found = recorded_lookup(x)
    if found is None:
        return None
    E, index = found
    if (E is None or E.ndim != 2 or not isinstance(index, np.ndarray)
            or index.dtype.kind not in "iu" or index.shape != x.shape[:2]
            or 2 * E.shape[0] > index.size or (index.size and index.min() < 0)):
        return None
    rows = index.reshape(-1)
    pos = np.empty(E.shape[0], np.int64)
    pos[rows] = np.arange(rows.size)                  # one position per used row
    used = np.zeros(E.shape[0], bool)
    used[rows] = True
    X = x.data.reshape(rows.size, -1)
    if not np.array_equal(X[pos[used]], E.data[used]):
        return None
    return E, (index.T if batch_first else index)


class _RecurrentLayer(_Mode, Module):
    """The layer mechanism shared by RNN, LSTM and GRU (see the module docstring).

    Input (T, B, I), or (B, T, I) with ``batch_first``. Output (T, B, D*H)
    (or (B, T, D*H)), D = 2 if ``bidirectional`` else 1: the last layer's h_t,
    both directions concatenated on the feature axis. Hidden state h_n (and
    c_n) of shape (num_layers * D, B, H), ordered layer by layer, forward
    direction first. ``dropout`` is applied to every layer's output except the
    last, in training mode.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        F.check_count(name, input_size=input_size, hidden_size=hidden_size,
                      num_layers=num_layers)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        G, H, D = cell_spec(self._mode).gates, hidden_size, 2 if bidirectional else 1
        for k in range(num_layers):
            for d in range(D):
                sfx = f"_l{k}" + ("_reverse" if d else "")
                n_in = input_size if k == 0 else H * D
                setattr(self, "weight_ih" + sfx, _uniform((G * H, n_in), H))
                setattr(self, "weight_hh" + sfx, _uniform((G * H, H), H))
                if bias:
                    setattr(self, "bias_ih" + sfx, _uniform((G * H,), H))
                    setattr(self, "bias_hh" + sfx, _uniform((G * H,), H))

    def _weights(self, k: int, d: int) -> _Weights:
        sfx = f"_l{k}" + ("_reverse" if d else "")
        p = self._parameters
        w_ih, w_hh = p["weight_ih" + sfx], p["weight_hh" + sfx]
        assert w_ih is not None and w_hh is not None        # registered in __init__
        return w_ih, w_hh, p.get("bias_ih" + sfx), p.get("bias_hh" + sfx)

    def _check_input(self, x: TensorOrArray) -> Tensor:
        name = type(self).__name__
        x = tensor_arg(x, name, "input")
        dims = ("batch", "seq_len") if self.batch_first else ("seq_len", "batch")
        if x.ndim != 3:
            raise ValueError(f"{name}: expected a 3-D input of shape "
                             + _shape_str(dims + ("input_size",), (None, None, self.input_size))
                             + f" (batch_first={self.batch_first}), got shape {x.shape}")
        if x.shape[2] != self.input_size:
            raise ValueError(f"{name}: expected input feature size input_size="
                             f"{self.input_size}, got {x.shape[2]} (input shape {x.shape})")
        if 0 in x.shape[:2]:
            raise ValueError(f"{name}: expected a non-empty sequence and batch, got input "
                             f"shape {x.shape}")
        return x

    def _check_state(self, h: TensorOrArray, what: str, B: int) -> Tensor:
        name = type(self).__name__
        h = tensor_arg(h, name, what)
        D = 2 if self.bidirectional else 1
        want = (self.num_layers * D, B, self.hidden_size)
        if h.shape != want:
            raise ValueError(f"{name}: expected {what} of shape "
                             + _shape_str(("num_layers*num_directions", "batch",
                                           "hidden_size"), want)
                             + f", got {h.shape}")
        return h

    def _run(self, x: TensorOrArray, h0: Optional[TensorOrArray],
             c0: Optional[TensorOrArray]) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """Shared forward: returns (output, h_n, c_n or None)."""
        x = self._check_input(x)
        lookup = _embedding_lookup(x, self.batch_first)
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        T, B = x.shape[0], x.shape[1]
        if h0 is not None:
            h0 = self._check_state(h0, "h0", B)
        if c0 is not None:
            c0 = self._check_state(c0, "c0", B)
        spec = cell_spec(self._mode)
        D = 2 if self.bidirectional else 1
        hn, cn = [], []
        inp = x
        for k in range(self.num_layers):
            outs = []
            for d in range(D):
                j = k * D + d
                table, index = lookup if k == 0 and lookup is not None else (inp, None)
                y = recurrent(table, None if h0 is None else h0[j],
                              None if c0 is None else c0[j], *self._weights(k, d),
                              cell=spec.name, reverse=bool(d), index=index)
                if spec.states == 2:                  # y = [h_1..h_T, c_n]
                    cn.append(y[T])
                    y = y[:T]
                outs.append(y)
                hn.append(y[0] if d else y[T - 1])    # the last step processed
            inp = outs[0] if D == 1 else mg.concatenate(outs, axis=2)
            if self.dropout and self.training and k < self.num_layers - 1:
                keep = get_rng().random(inp.shape) >= self.dropout
                inp = inp * (keep / (1.0 - self.dropout)).astype(inp.dtype)
        out = inp.transpose(1, 0, 2) if self.batch_first else inp
        return out, mg.stack(hn, axis=0), (mg.stack(cn, axis=0) if cn else None)

    def flatten_parameters(self) -> None:
        """Nothing to do, and present so PyTorch programs run: PyTorch packs the weights
        into one cuDNN buffer here; minigrad's fused kernel reads them where they are."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNMode, _RecurrentLayer):
    """Multi-layer Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    ``rnn(x, h0=None) -> (output, h_n)``; x (T, B, I) (or (B, T, I) with
    ``batch_first``), h0 and h_n (num_layers * D, B, H), output (T, B, D*H).
    ``nonlinearity='relu'`` uses relu instead of tanh.

    >>> rnn = nn.RNN(3, 5, num_layers=2)
    >>> out, h = rnn(mg.randn(7, 2, 3))
    >>> out.shape, h.shape
    ((7, 2, 5), (2, 2, 5))
    """
    kind = "rnn"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.nonlinearity = nonlinearity

    def forward(self, x: TensorOrArray,
                h0: Optional[TensorOrArray] = None) -> Tuple[Tensor, Tensor]:
        out, hn, _ = self._run(x, h0, None)
        return out, hn


class GRU(_RecurrentLayer):
    """Multi-layer GRU (gates r, z, n as :class:`GRUCell`).

    ``gru(x, h0=None) -> (output, h_n)`` with the shapes of :class:`RNN`.

    >>> gru = nn.GRU(3, 5, bidirectional=True)
    >>> out, h = gru(mg.randn(7, 2, 3))
    >>> out.shape, h.shape
    ((7, 2, 10), (2, 2, 5))
    """
    kind = "gru"

    def forward(self, x: TensorOrArray,
                h0: Optional[TensorOrArray] = None) -> Tuple[Tensor, Tensor]:
        out, hn, _ = self._run(x, h0, None)
        return out, hn


class LSTM(_RecurrentLayer):
    """Multi-layer LSTM (gates i, f, g, o as :class:`LSTMCell`).

    ``lstm(x, (h0, c0)=None) -> (output, (h_n, c_n))``; h0, c0, h_n, c_n are
    (num_layers * D, B, H), output (T, B, D*H) (batch_first: (B, T, D*H)).

    >>> lstm = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    >>> out, (h, c) = lstm(mg.randn(2, 7, 3))
    >>> out.shape, h.shape, c.shape
    ((2, 7, 5), (2, 2, 5), (2, 2, 5))
    """
    kind = "lstm"

    def forward(self, x: TensorOrArray,
                hx: Optional[Sequence[TensorOrArray]] = None
                ) -> Tuple[Tensor, Tuple[Tensor, Optional[Tensor]]]:
        if hx is None:
            h0 = c0 = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            h0, c0 = hx
        else:
            raise ValueError("LSTM: expected the initial state as a tuple (h0, c0) of "
                             "tensors of shape (num_layers*num_directions, batch, "
                             f"hidden_size={self.hidden_size}), got {type(hx).__name__}")
        out, hn, cn = self._run(x, h0, c0)
        return out, (hn, cn)
