"""Run-time switches.

``use_numba``: run the recurrent layers, ``conv2d``, ``max_pool2d`` and the gathers'
scatter-add (``Embedding``'s backward) on Numba kernels (default), or on the plain
NumPy paths, which give the same results (the NumPy paths are the references the
tests compare the kernels with). Read at call time. Set ``MINIGRAD_NUMBA=0`` in the
environment, or assign ``minigrad.config.use_numba = False``; with it off, Numba is
never imported.
"""
import os

use_numba = os.environ.get("MINIGRAD_NUMBA", "1").strip().lower() not in ("0", "false", "no", "off")
