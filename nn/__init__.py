"""minigrad.nn: modules, layers, losses, initialisation and the functional API."""
from .parameter import Parameter
from .module import Module, register_module_forward_hook, register_module_forward_pre_hook
from .container import Flatten, Identity, ModuleDict, ModuleList, Sequential
from .linear import Linear
from .conv import Conv2d
from .pooling import AvgPool2d, MaxPool2d
from .embedding import Embedding
from .dropout import Dropout
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm
from .activation import (ELU, GELU, SELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,
                         Softmax, Softplus, Tanh)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
from .autoencoder import StackedAutoencoder, TiedAutoencoder  # noqa: F401
from .attention import MultiheadAttention  # noqa: F401
from .positional import PositionalEncoding  # noqa: F401
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: F401
                          TransformerEncoder, TransformerEncoderLayer)
from .rbm import RBM  # noqa: F401
from .dbn import DBN  # noqa: F401
from . import functional, init, parallel, utils  # noqa: F401
from .parallel import SyncBatchNorm  # noqa: F401
