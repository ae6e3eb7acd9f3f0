"""One recurrent layer direction over a whole sequence as ONE node on the tape.

``Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=..., reverse=...)``
runs an RNN (``'rnn_tanh'``, ``'rnn_relu'``), LSTM (``'lstm'``) or GRU
(``'gru'``) over ``x`` of shape (T, B, I) and returns the outputs h_t as one
array of shape (T, B, H); for the LSTM it returns (T + 1, B, H) with c_n packed
as row ``T``. h_n is the output at the last step processed (row T-1, or row 0
when reversed). The layer takes these apart with cheap indexing ops; a part no
loss depends on costs nothing in backward.

Files, one job each:

* :mod:`.cells`: :class:`CellSpec`, what a cell type is (gates, states, saved
  work, whether the input-side gate gradient is separate, its NumPy steps and
  its kernels), and the registry (:func:`cell_spec`, ``CELL_SPECS``);
* :mod:`.numpy_steps`: the NumPy step functions and their binders;
* :mod:`.products`: the blocked matrix products and their block-size rule;
* :mod:`.workspace`: the pool recycling the big per-sequence buffers;
* :mod:`.op`: the :class:`Recurrent` op and :func:`recurrent`.

The Numba kernels are in :mod:`minigrad.kernels` (one file per cell type).

Gate layout is PyTorch's (G gates of H columns each: LSTM ``i, f, g, o``, GRU
``r, z, n``, RNN one). Internally every per-sequence array is batch-major,
(T*B, features), time step t in rows ``[t*B, (t+1)*B)``: each step's data is
one contiguous block (the gate kernels run long unit-stride loops over it)
and all steps stack into one matrix for the products over the whole sequence:

forward
    XP = X W_ih^T                          all steps in one broadcast product, (T*B, G*H)
                                           (fused lookup, ``index=``: rows of the table
                                           E W_ih^T, and backward scatters dG into it)
    for each step (in time order, or reversed for ``reverse=True``):
        R = h_prev W_hh^T                  (B, G*H), NumPy/BLAS, in column blocks
        gate step(XP[t], R, bias)          one fused elementwise pass
backward (mirror image)
    for each step, last first:
        gate step'  -> dG_t                (B, G*H), a block of dGh (T*B, G*H)
        dRec = dG_t W_hh                   gradient flowing to h_{t-1}, in column blocks
    [dW_ih | dW_hh | db] = dG^T [X | Hprev | 1]   one product over all steps
                                           (GRU: dW_ih, db_ih from dGi, a second product)
    dx = dG W_ih                           (only when x needs a gradient)

Threads (:mod:`minigrad.threads`): with ``mg.set_num_threads(n)``, n > 1, the
two per-step loops run in up to n parts of the batch rows side by side (each
part its own loop over all steps, with its own R, dRec and dS; the rows of a
recurrent layer do not interact), when the size rule of
:func:`minigrad.threads.batch_parts` says the step is large enough and the
parts' step products still fit the small-matrix kernel's blocks
(:func:`.products.in_small_blocks`); the tiled input projection and dx are
split over the steps, and the products over all steps use BLAS's threads.
Every part computes exactly what one part would for its rows: the results do
not depend on n.

Legend of the letters (shapes as the op allocates them; kernels see them flat):

=========  =====================  ==============================================
T, B, I    sizes                  time steps, batch, input features
H, G       sizes                  hidden units, gate blocks (``spec.gates``)
nS, nW     sizes                  states (``spec.states``: h, or h and c), blocks
                                  of H columns of saved work (``spec.work``)
X          (T*B, I)               the input, all steps stacked
XP         (T*B, G*H)             the input projection X W_ih^T (+ b_ih)
R          (B, G*H)               one step's recurrent product h_prev W_hh^T
bias       (2, G*H)               rows b_ih, b_hh (zeros when absent)
S          (nS, (T+1)*B, H)       the states; forward in time block 0 holds h0
                                  and block t+1 holds h_t; reversed, block T
                                  holds h0 and block t holds h_t
Wk         (T*B, nW*H)            per-step work saved for backward (activations,
                                  LSTM tanh(c), GRU W_hn h + b_hn); None if nW = 0
dOut       (T*B, H)               dL/dh_t from above (the op's output gradient)
dS         (nS, B, H)             backward: gradient w.r.t. the newest state
                                  (without the product through W_hh), overwritten
                                  with the one w.r.t. the previous state
dRec       (B, H)                 dG_{t+1} W_hh, the recurrent part of dL/dh_t
dGh        (T*B, G*H)             dL/d(W_hh h + b_hh), all steps
dGi        (T*B, G*H)             dL/d(W_ih x + b_ih) when it differs
                                  (``spec.separate_input_grad``), else None
row        int                    first row of step t in the (T*B, .) arrays
prow, nrow int                    first row of the previous / new state in S
=========  =====================  ==============================================

The gate steps come from :mod:`minigrad.kernels` (Numba, ``config.use_numba``)
or from :mod:`.numpy_steps`; both are reached through binders with one
interface (``spec.binders(use_numba)``), which prepare a sequence's arrays
once and return a per-step call::

    forward_binder(XP, R, bias, S, Wk)               -> step(row, prow, nrow)
    backward_binder(dOut, S, Wk, dS, dRec, dGh, dGi) -> step(row, prow, nrow)

Adding a cell type: write its NumPy step functions in :mod:`.numpy_steps`,
its kernels as ``forward``/``backward`` in a new ``minigrad/kernels/<name>.py``
(each taking, by name, only the arrays it uses, then ``row, prow, nrow``), and
register a :class:`CellSpec` in :mod:`.cells`; a layer passes its name.
"""
from .cells import CELL_SPECS, CELLS, CellSpec, cell_spec  # noqa: F401
from .numpy_steps import _numpy_steps  # noqa: F401
from .op import Recurrent, recurrent  # noqa: F401
