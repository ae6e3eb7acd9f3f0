"""The recurrent op's matrix products, in blocks sized for OpenBLAS's small-matrix kernel.

OpenBLAS (the BLAS of NumPy's wheels; on this AVX-512 machine its SkylakeX
kernels) computes a product of at most ``_SMALL_MNK`` = 1e6 multiply-adds with
a small-matrix kernel that reads the operands in place, while a larger one
packs the whole weight matrix on every call. So the per-step products (the
recurrent product h_{t-1} W_hh^T forward, dG_t W_hh backward) are split into
column blocks (:func:`_block_width`, a rule on the sizes only), each block a
separate BLAS call of one broadcast ``np.matmul`` writing into column slices
of the plain row-major result (:func:`step_product`); the products over the
whole sequence (input projection, dx) in tiles of one step's rows by such
column blocks (:func:`tiled_dot`).
"""
import functools

import numpy as np

from ... import threads
from .workspace import workspace

_SMALL_MNK = 100 ** 3      # OpenBLAS's small-matrix kernel takes products up to M*N*K = 1e6
_MIN_BLOCK = 16            # narrower column blocks were slower


def _block_width(M, K, N):
    """Column block width for the per-step product (M, K) @ (K, N), M = batch.

    The widest divisor n of N with M*n*K <= 1e6 and n >= 16, or N (one
    product) when there is none. Measured, B = 32, float32, per step (us, one
    product -> blocks): forward (B, H) @ (H, 4H) at H = 256: 207 -> 148
    (n = 64), H = 384: 446 -> 334, H = 512: 847 -> 591 (n = 32); backward
    (B, 4H) @ (4H, H) at H = 128: 50 -> 38 (n = 32), H = 256: 197 -> 157
    (n = 16), H = 384: 446 -> 347; narrower blocks than 16 were slower
    (H = 512 backward, n = 8: 1001 vs 778).
    """
    return _widest_block(M, K, N, _SMALL_MNK, _MIN_BLOCK)


@functools.lru_cache(maxsize=256)
def _widest_block(M, K, N, limit, least):
    best = N
    for n in range(least, N + 1):
        if N % n == 0 and M * n * K <= limit:
            best = n
    return best


def in_small_blocks(M, H, GH):
    """Whether both per-step products of M batch rows, (M, H) @ (H, GH) forward and
    (M, GH) @ (GH, H) backward, run in blocks for the small-matrix kernel (which is
    single-threaded). A larger one is better left whole to BLAS's threads than
    split into batch parts: (32, 4096) @ (4096, 1024) (H = 1024) took 2.3 ms whole with
    2 BLAS threads, 3.5 ms as two 16-row parts side by side (6.4 ms with 1 BLAS thread).
    """
    return all(M * _block_width(M, K, N) * K <= _SMALL_MNK for K, N in ((H, GH), (GH, H)))


def step_product(b, M, out):
    """``prod(a)`` writing ``out = a @ b`` for a (M, K), b (K, N), out (M, N) C-contiguous.

    In column blocks of :func:`_block_width`: b is packed once (from the
    workspace) as (N/n, K, n) blocks and each call is one broadcast
    ``np.matmul`` into out's column slices. With one block, a C-contiguous b
    is used in place (backward's W_hh) and any other (forward's W_hh^T view)
    is packed contiguous first.
    """
    K, N = b.shape
    n = _block_width(M, K, N)
    if n == N and b.flags.c_contiguous:
        return lambda a: np.dot(a, b, out=out)
    packed = workspace.empty((N // n, K, n), b.dtype)
    np.copyto(packed, b.reshape(K, N // n, n).transpose(1, 0, 2))
    if n == N:
        whole = packed[0]
        return lambda a: np.dot(a, whole, out=out)
    out_blocks = out.reshape(M, N // n, n).transpose(1, 0, 2)
    return lambda a: np.matmul(a, packed, out=out_blocks)


def tiled_dot(a, bT, rows, out):
    """out = a @ bT.T for a (M, K), bT (N, K): in tiles of ``rows`` rows (one
    time step) by the columns of :func:`_block_width`, one broadcast
    ``np.matmul``, when such a tile is small enough for the small-matrix kernel
    (and M is a multiple of ``rows``); otherwise as one product. Measured, B =
    32, T = 35, float32, the input projection (us, one product -> tiles):
    I = 65, H = 128: 844 -> 705; H = 256: 1973 -> 1409; I = H = 256: 6220 ->
    5913; I = H = 512: 26887 -> 24127.
    """
    M, K = a.shape
    N = bT.shape[0]
    n = _block_width(rows, K, N)
    if M % rows or rows * n * K > _SMALL_MNK:
        return np.dot(a, bT.T, out=out)
    w = workspace.empty((N // n, K, n), bT.dtype)
    np.copyto(w, bT.reshape(N // n, n, K).transpose(0, 2, 1))
    a_tiles = a.reshape(M // rows, 1, rows, K)
    out_tiles = out.reshape(M // rows, rows, N // n, n).transpose(0, 2, 1, 3)
    parts = _step_parts(M // rows, M * K * N)

    def product(s0, s1):                    # the tiles of steps s0..s1
        np.matmul(a_tiles[s0:s1], w, out=out_tiles[s0:s1])
    threads.run_parts(product, parts)
    return out


def _step_parts(steps, work):
    """The steps [s0, s1) of a tiled product that the threads compute side by side:
    up to ``threads.get_num_threads()`` even parts when the product has at least
    ``_MIN_TILED_WORK`` multiply-adds, else one. Each tile is the same small
    product either way, so the result is the same. Measured (float32, B = 32,
    T = 35, I = 65, the input projection (T*B, 65) @ (65, 4H), 1 -> 2 threads,
    best of 200 wall-clock, on a machine loaded by other jobs, ms): 9.3M
    multiply-adds 0.176 -> 0.196; 18.6M 0.348 -> 0.325; 37M 0.684 -> 0.507;
    75M 1.404 -> 1.051.
    """
    n = min(threads.get_num_threads(), steps)
    if n < 2 or work < _MIN_TILED_WORK:
        return [(0, steps)]
    return [(steps * k // n, steps * (k + 1) // n) for k in range(n)]


_MIN_TILED_WORK = 16_000_000
