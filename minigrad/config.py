"""Run-time switches.

``use_numba``: run recurrent layers on fused Numba kernels (default) or on the
plain NumPy path. Set ``MINIGRAD_NUMBA=0`` in the environment, or assign
``minigrad.config.use_numba = False``.
"""
import os

use_numba = os.environ.get("MINIGRAD_NUMBA", "1").strip().lower() not in ("0", "false", "no", "off")
