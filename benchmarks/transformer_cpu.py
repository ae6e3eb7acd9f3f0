"""A TransformerEncoderLayer training step, minigrad against PyTorch, one thread, float32.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        NUMBA_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/transformer_cpu.py

The step: ``nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512,
dropout=0.1, batch_first=True)`` in training mode on ``x (B=32, T=64, 128)`` with the
causal mask, ``loss = mean(y^2)``, ``backward()``, gradients reset. Both sides run the
same step in one process, their timing rounds alternating (``_common.bench_many``), so
load from other processes hits both alike; the ratio is minigrad / PyTorch.
``--rounds`` sets the number of alternations, ``--profile`` prints minigrad's hottest
functions instead.
"""
import _common  # noqa: F401  (pins BLAS to one thread; before numpy)
import argparse
import cProfile
import pstats

import numpy as np

import minigrad as mg
from minigrad import nn

B, T, D, H, FF = 32, 64, 128, 4, 512


def minigrad_step():
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, H, dim_feedforward=FF, dropout=0.1,
                                       batch_first=True)
    x = mg.tensor(np.random.default_rng(0).standard_normal((B, T, D)).astype(np.float32))
    mask = nn.Transformer.generate_square_subsequent_mask(T)

    def step():
        y = layer(x, src_mask=mask, is_causal=True)
        (y * y).mean().backward()
        layer.zero_grad()
    return step


def torch_step(torch):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(D, H, dim_feedforward=FF, dropout=0.1,
                                             batch_first=True)
    layer.train()
    x = torch.tensor(np.random.default_rng(0).standard_normal((B, T, D)).astype(np.float32))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T)

    def step():
        y = layer(x, src_mask=mask, is_causal=True)
        (y * y).mean().backward()
        layer.zero_grad(set_to_none=True)
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    step = minigrad_step()
    if args.profile:
        for _ in range(3):
            step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    fns = {"minigrad": step}
    torch = _common.try_torch()
    if torch is not None:
        fns["pytorch"] = torch_step(torch)
    print(_common.machine())
    best = _common.bench_many(fns, min_time=0.3, repeat=args.rounds)
    _common.report(f"TransformerEncoderLayer step (B={B}, T={T}, d_model={D}, {H} heads, "
                   f"ff={FF}, float32)", list(best.items()),
                   baseline="pytorch" if torch is not None else None)


if __name__ == "__main__":
    main()
