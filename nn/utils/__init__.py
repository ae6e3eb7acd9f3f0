"""minigrad.nn.utils: recurrent state, gradient clipping, truncated BPTT, gradient flow.

- ``state``: :func:`detach_state`, :func:`reset_state`
- ``clip``: :func:`clip_grad_norm_`, :func:`clip_grad_value_`, :func:`total_grad_norm`
- ``tbptt``: :func:`tbptt_chunks`, :func:`tbptt_windows`, :class:`TBPTT`
- ``diagnostics``: :func:`grad_norms_per_step`, :func:`state_grad_norms`,
  :func:`gradient_by_lag`, :func:`unroll`
- ``grad_norms``: :class:`GradNormRecorder`, :func:`plot_grad_norms` (norms across training)
- ``vector``: :func:`parameters_to_vector`, :func:`vector_to_parameters`
"""
from .clip import clip_grad_norm_, clip_grad_value_, total_grad_norm
from .diagnostics import gradient_by_lag, grad_norms_per_step, state_grad_norms, unroll
from .grad_norms import GradNormRecorder, plot_grad_norms
from .state import detach_state, reset_state
from .tbptt import TBPTT, tbptt_chunks, tbptt_windows
from .vector import parameters_to_vector, vector_to_parameters

__all__ = ["detach_state", "reset_state", "clip_grad_norm_", "clip_grad_value_",
           "total_grad_norm", "tbptt_chunks", "tbptt_windows", "TBPTT",
           "grad_norms_per_step", "state_grad_norms", "gradient_by_lag", "unroll",
           "GradNormRecorder", "plot_grad_norms", "parameters_to_vector",
           "vector_to_parameters"]
