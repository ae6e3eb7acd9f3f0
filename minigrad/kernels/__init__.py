"""Numba kernels for the recurrent layers (imported lazily: Numba only loads on first use).

``steps(cell)`` returns the (forward, backward) per-step gate kernels used by
:class:`minigrad.ops.recurrent.Recurrent` for ``cell`` in
``'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru'``.
"""


def steps(cell):
    # placeholder until the fused kernels land: the NumPy step functions
    from ..ops.recurrent import _numpy_steps
    return _numpy_steps(cell)
