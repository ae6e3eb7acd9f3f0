"""minigrad: a small, fast, honest deep-learning framework.

The path of the data, file by file: ``tensor`` (Tensor) -> ``function`` (op
base) -> ``ops/`` (forward and backward side by side) -> ``tape`` (the
reverse pass) -> ``optim`` (the update).
"""
import builtins as _builtins
import importlib.util as _ilu
import os as _os
import sys as _sys
from types import ModuleType as _ModuleType
from typing import TYPE_CHECKING as _TYPE_CHECKING


def _load_sibling(name: str) -> _ModuleType:
    """Load the repository's top-level ``name/`` folder as ``minigrad.<name>``.

    In a source checkout nn/ and optim/ live beside this folder; an install
    (editable or not) maps them to minigrad.nn / minigrad.optim. When Python
    runs from the repository root this source folder shadows an installed
    copy, so its two siblings are loaded here by path -- only these two, so
    ``minigrad.tests`` or ``minigrad.examples`` do not exist.
    """
    folder = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), name)
    spec = _ilu.spec_from_file_location(f"{__name__}.{name}",
                                        _os.path.join(folder, "__init__.py"),
                                        submodule_search_locations=[folder])
    if spec is None or spec.loader is None:       # (a .py file always has both)
        raise ImportError(f"minigrad: cannot load {folder} as {__name__}.{name}")
    module = _ilu.module_from_spec(spec)
    _sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del _sys.modules[spec.name]
        raise
    return module


def _siblings_outside() -> _builtins.bool:
    here = _os.path.dirname(_os.path.abspath(__file__))
    root = _os.path.dirname(here)
    return (not _os.path.isdir(_os.path.join(here, "nn"))
            and _os.path.isfile(_os.path.join(root, "nn", "__init__.py"))
            and _os.path.isfile(_os.path.join(root, "optim", "__init__.py")))


from . import config, hooks  # noqa: E402
from .dtypes import (bool_, float32, float64, get_default_dtype, int32, int64,  # noqa: E402
                     set_default_dtype)
from .tensor import Tensor, as_tensor, tensor  # noqa: E402
from .function import Context, Function  # noqa: E402
from .ops.pointwise import pointwise  # noqa: E402
from .tape import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .ops import (abs, add, argmax, argmin, astype, cat, clip, concatenate, div,  # noqa: E402
                  exp, expand, flatten, log, log_softmax, matmul, max, maximum, mean, min,
                  minimum, mul, neg, pow, relu, reshape, sigmoid, softmax, sqrt, squeeze,
                  stack, std, sub, sum, swapaxes, take_along_dim, tanh, transpose,
                  unsqueeze, var, where)
from .ops import (acos, asin, atan, ceil, cos, cosh, erf, exp2, expm1, floor, log1p,  # noqa: E402
                  log2, log10, round, rsqrt, sign, sin, sinh, square, tan, trunc)
from .ops import cumsum, einsum, logsumexp, norm, prod  # noqa: E402
from .ops.selection import gather, masked_fill, multinomial, sort, topk, tril, triu  # noqa: E402
from .ops.spellings import chunk, clamp, narrow, permute, split  # noqa: E402
# PyTorch's add/sub (with alpha=) and div (with rounding_mode=) replace the plain ones
from .ops.tensor_functions import (add, allclose, bmm, clone, div, index_select,  # noqa: E402
                                   is_tensor, isfinite, isinf, isnan, mm, mul, numel, sub)
from .compat import DoubleTensor, FloatTensor, LongTensor, inference_mode  # noqa: E402
from .autograd import grad  # noqa: E402
from .gradcheck import GradcheckError, gradcheck  # noqa: E402
from .factories import (arange, empty, empty_like, eye, from_numpy, full,  # noqa: E402
                        full_like, linspace, ones, ones_like, rand, rand_like, randint,
                        randn, randn_like, randperm, zeros, zeros_like)
from .device import accelerator, cuda, device, set_default_device  # noqa: E402
# PyTorch's dtype names (they shadow the builtins only inside this namespace)
from .dtypes import bool_ as bool  # noqa: E402, A004
from .dtypes import float32 as float  # noqa: E402, A004
from .dtypes import float64 as double  # noqa: E402
from .dtypes import int32 as int  # noqa: E402, A004
from .dtypes import int64 as long  # noqa: E402
from .random import manual_seed  # noqa: E402
from . import threads as _threads  # noqa: E402
from .threads import get_num_threads, set_num_threads  # noqa: E402
from .size import Size  # noqa: E402
from .serialization import SerializationError, load, save  # noqa: E402
from .anomaly import (AnomalyError, detect_anomaly, is_anomaly_check_nan_enabled,  # noqa: E402
                      is_anomaly_enabled, set_detect_anomaly)
# (a type checker reads the first branch: the packages as installed)
if _TYPE_CHECKING or not _siblings_outside():
    from . import nn, optim  # noqa: E402
else:                        # a source checkout: nn/ and optim/ beside minigrad/
    nn = _load_sibling("nn")
    optim = _load_sibling("optim")
from . import distributed, utils, viz  # noqa: E402

_threads._from_environment()   # MINIGRAD_NUM_THREADS, when set

__version__ = "0.1.0"
