"""minigrad: a small, fast, honest deep-learning framework.

The path of the data, file by file: ``tensor`` (Tensor) -> ``function`` (op
base) -> ``ops/`` (forward and backward side by side) -> ``tape`` (the
reverse pass) -> ``optim`` (the update).
"""
import os as _os

# nn/ and optim/ live beside this folder in a source checkout and are installed
# as minigrad.nn / minigrad.optim. When Python runs from the repository root the
# source minigrad/ shadows an installed copy; let it find its siblings then.
_here = _os.path.dirname(_os.path.abspath(__file__))
_root = _os.path.dirname(_here)
if not _os.path.isdir(_os.path.join(_here, "nn")) and \
        _os.path.isfile(_os.path.join(_root, "nn", "__init__.py")):
    __path__.append(_root)  # noqa: F821  (the package's own search path)

from . import config  # noqa: E402
from .dtypes import (bool_, float32, float64, get_default_dtype, int32, int64,  # noqa: E402
                     set_default_dtype)
from .tensor import Tensor, tensor  # noqa: E402
from .function import Context, Function  # noqa: E402
from .ops.pointwise import pointwise  # noqa: E402
from .tape import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .ops import (abs, add, astype, clip, concatenate, div, exp, expand, flatten,  # noqa: E402
                  log, log_softmax, matmul, max, maximum, mean, min, minimum, mul, neg,
                  pow, relu, reshape, sigmoid, softmax, sqrt, squeeze, stack, std, sub,
                  sum, swapaxes, tanh, transpose, unsqueeze, var, where)
from .autograd import grad  # noqa: E402
from .gradcheck import GradcheckError, gradcheck  # noqa: E402
from .factories import (arange, empty, eye, full, ones, ones_like, rand, randn,  # noqa: E402
                        zeros, zeros_like)
from .random import manual_seed  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import nn, optim  # noqa: E402
from . import viz  # noqa: E402

__version__ = "0.1.0"
