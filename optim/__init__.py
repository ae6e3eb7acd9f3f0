"""minigrad.optim: optimizers, learning-rate schedules and early stopping.

Each optimizer's file reads like its paper: the update rule as pseudocode in the
docstring, one commented line of code per line of the algorithm.
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .adagrad import Adagrad
from .rmsprop import RMSprop
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .lbfgs import LBFGS
from .early_stopping import EarlyStopping
from . import lr_scheduler  # noqa: F401  (minigrad.optim.lr_scheduler)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta",
           "Adamax", "NAdam", "RAdam", "LBFGS", "EarlyStopping", "lr_scheduler"]
