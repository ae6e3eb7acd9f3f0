"""The minigrad steps of bench_core.py and bench_nn.py as ``cases()``, for A/B runs.

    python benchmarks/ab.py OLD_TREE NEW_TREE "$PWD/benchmarks/steps_cpu.py" --interleave

Run with a source tree as the working directory: it imports that tree's
``benchmarks/bench_core.py`` and ``benchmarks/bench_nn.py`` (their step
builders, unchanged) and that tree's ``minigrad``, so one copy of this script
measures both trees of an A/B run (as ``recurrent_cpu.py`` does for the
recurrent chunks). Cases: the tiny-MLP step written with tensor ops and with
modules, the MLP step and the CNN step.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.getcwd(), "benchmarks"))
import _common  # noqa: E402,F401  (pins BLAS to one thread; before numpy)
import bench_core as bc  # noqa: E402
import bench_nn as bn  # noqa: E402
import numpy as np  # noqa: E402


def cases():
    """{name: one training step} for ``ab.py --interleave``."""
    a = bc.init_arrays()
    rng = np.random.default_rng(0)
    mlp_x, mlp_t = bn._data(rng, (256, 784), 10, 256)
    cnn_x, cnn_t = bn._data(rng, (64, 1, 28, 28), 10, 64)
    return {"tiny step (tensor ops)": bc.minigrad_step_fn(a)[0],
            "tiny step (modules)": bc.minigrad_nn_step_fn(a)[0],
            "MLP step": bn.mlp_minigrad(mlp_x, mlp_t)[0],
            "CNN step": bn.cnn_minigrad(cnn_x, cnn_t)[0]}
