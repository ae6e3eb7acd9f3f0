"""minigrad.nn: modules, layers, losses, initialisation and the functional API."""
from .parameter import Parameter
from .module import Module
from .container import Flatten, Identity, ModuleList, Sequential
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
from . import functional, init, utils  # noqa: F401
