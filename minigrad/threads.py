"""How many threads minigrad uses: ``set_num_threads(n)`` / ``get_num_threads()``.

PyTorch's two functions, with the same meaning: the number of threads the
library may use for one op. Here that is

* the BLAS pool (OpenBLAS, NumPy's BLAS): set through threadpoolctl, the
  maintained library for exactly this (it finds the BLAS NumPy loaded and
  calls its ``set_num_threads``); the large matrix products (a recurrent
  layer's weight gradients, a Linear layer's products) use it;
* the recurrent op's own worker threads: with n > 1 it runs the batch rows of
  a sequence in up to n parts at once (:func:`batch_parts`; the rows of a
  recurrent layer are independent through time, so the parts share no state
  and the results are the same as in one part).

The Numba gate kernels are serial (``nogil``: the op's threads run them side
by side), so Numba's own thread pool is not used and not touched.

The default is what NumPy's BLAS uses: the CPU cores this process may run on,
unless ``OPENBLAS_NUM_THREADS`` (or ``GOTO_NUM_THREADS``, ``OMP_NUM_THREADS``,
in OpenBLAS's order) says fewer. ``MINIGRAD_NUM_THREADS=n`` in the environment
sets it at import, as ``set_num_threads(n)`` would (a bad value stops the import
with an error naming the variable).
"""
import numbers
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional, Sequence, Tuple

_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")

_num_threads: Optional[int] = None      # None: the default, worked out on first use
_pool: Optional[ThreadPoolExecutor] = None
_pool_size = 0
_pool_lock = threading.Lock()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):    # not on Linux
        return os.cpu_count() or 1


def default_num_threads() -> int:
    """The threads NumPy's BLAS uses by default: the cores, unless an env variable limits it."""
    for var in _BLAS_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            try:
                n = int(value.split(",")[0])
            except ValueError:
                continue                 # OpenBLAS ignores what it cannot read, too
            if n >= 1:
                return min(n, _cores())
    return _cores()


def _check(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what}: expected a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{what}: expected a positive int, got {n}")
    return int(n)


def _set_blas_threads(n: int) -> None:
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n, user_api="blas")     # persists (not used as a context)


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads: the BLAS pool and the recurrent op's parts (PyTorch's name).

    ``n`` is a positive int; anything else raises (TypeError or ValueError)
    before anything changes. Sets NumPy's BLAS to ``n`` threads for the whole
    process (through threadpoolctl).
    """
    global _num_threads
    n = _check(n, "set_num_threads")
    _set_blas_threads(n)
    _num_threads = n


def get_num_threads() -> int:
    """The number of threads minigrad uses (set_num_threads, MINIGRAD_NUM_THREADS, or the default)."""
    global _num_threads
    if _num_threads is None:
        _num_threads = default_num_threads()
    return _num_threads


# ---------------------------------------------------------------- running in parts
def batch_parts(B: int, H: int, G: int, n: int) -> List[Tuple[int, int]]:
    """The batch rows [b0, b1) of a recurrent sequence that ``n`` threads run side by side.

    As many parts as threads, but only while each part has two rows or more
    (BLAS computes a one-row product in another order: not the same result)
    and its share of a step's recurrent product, (B/parts) rows x G*H x H
    multiply-adds, is at least :data:`_MIN_WORK`; sizes as even as possible (the first parts one row
    longer). One part (no threads) otherwise.
    """
    parts = min(n, B // 2)       # a part of one row would be a matrix-vector product,
    while parts > 1 and (B // parts) * G * H * H < _MIN_WORK:
        parts -= 1
    parts = max(parts, 1)
    size, extra = divmod(B, parts)
    bounds, b0 = [], 0
    for k in range(parts):
        b1 = b0 + size + (k < extra)
        bounds.append((b0, b1))
        b0 = b1
    return bounds


#: Least per-step work of a part (multiply-adds of its share of the recurrent
#: product) for splitting to pay. The first estimate came from CPU times (the
#: critical path: process CPU time less the shorter part's thread CPU time,
#: B = 32, T = 35, float32, the bench_recurrent chunk; ms, 1 part -> 2): 786k
#: (GRU H = 128) 8.07 -> 6.55, 1.05M (LSTM H = 128) 11.15 -> 8.98, 4.2M (LSTM
#: H = 256) 28.4 -> 21.8. Wall-clock on the idle 2-core machine, 12 interleaved
#: rounds in one process, BLAS at 2 threads on both sides, the chunk with parts
#: against the same chunk with BLAS's threads alone (1 thread = 1.00): LSTM
#: H = 128 0.89 against 0.81, LSTM H = 256 0.91 against 0.86, GRU H = 128 1.01
#: against 0.94 (an earlier run: parts 1.05-1.14x the BLAS-only time). The CPU
#: times miss what the parts wait for: each step hands the GIL over twice, and a
#: woken thread starts late on this virtual machine. At H = 512 (16.8M per part)
#: the flagship-size LM's 2-thread step (benchmarks/lm_cpu.py, tied) took 461 ms
#: with parts against 444 ms without. So parts are taken only from 32M
#: multiply-adds per part -- more than any size whose per-step products still fit
#: the small-matrix kernel (``products.in_small_blocks``), i.e. not at all on
#: this machine. Reproduce with ``benchmarks/threads_cpu.py --wall``; lower it on
#: a machine where that shows the parts winning.
_MIN_WORK = 32_000_000


def run_parts(fn: Callable[[int, int], None], parts: Sequence[Tuple[int, int]]) -> None:
    """``fn(b0, b1)`` for every part, the first in this thread and the others in the pool,
    side by side; returns when all are done (the first exception raised is re-raised)."""
    if len(parts) == 1:
        fn(*parts[0])
        return
    pool = _executor(len(parts) - 1)
    futures = [pool.submit(fn, *p) for p in parts[1:]]
    try:
        fn(*parts[0])
    finally:
        errors = [f.exception() for f in futures]     # waits for every part
    for e in errors:
        if e is not None:
            raise e


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            old, _pool, _pool_size = _pool, ThreadPoolExecutor(
                workers, thread_name_prefix="minigrad"), workers
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def _from_environment() -> None:
    value = os.environ.get("MINIGRAD_NUM_THREADS", "").strip()
    if not value:
        return
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"MINIGRAD_NUM_THREADS: expected a positive int, got {value!r}") from None
    set_num_threads(_check(n, "MINIGRAD_NUM_THREADS"))
