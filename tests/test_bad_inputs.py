"""A bad-input sweep: each wrong argument raises TypeError or ValueError whose message
names the function, the argument, what was expected and what was given (never a
ZeroDivisionError, AttributeError or NumPy's own wording)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.optim import lr_scheduler as sched

X4 = mg.randn(1, 2, 5, 5)
W = mg.randn(3, 2, 3, 3)
Z = mg.randn(4, 3)

# (call, exception, the words the message must hold: who, the argument, expected, given)
SWEEP = {
    # convolution and pooling settings
    "Conv2d stride 0": (lambda: nn.Conv2d(2, 3, 3, stride=0), ValueError,
                        ["Conv2d", "stride", "positive", "got 0"]),
    "Conv2d stride -1": (lambda: nn.Conv2d(2, 3, 3, stride=(1, -1)), ValueError,
                         ["Conv2d", "stride", "positive", "got (1, -1)"]),
    "Conv2d kernel 0": (lambda: nn.Conv2d(2, 3, 0), ValueError,
                        ["Conv2d", "kernel_size", "positive", "got 0"]),
    "Conv2d kernel -3": (lambda: nn.Conv2d(2, 3, -3), ValueError,
                         ["Conv2d", "kernel_size", "got -3"]),
    "Conv2d padding -1": (lambda: nn.Conv2d(2, 3, 3, padding=-1), ValueError,
                          ["Conv2d", "padding", "non-negative", "got -1"]),
    "Conv2d kernel 1.5": (lambda: nn.Conv2d(2, 3, 1.5), TypeError,
                          ["Conv2d", "kernel_size", "int or a pair of ints", "got 1.5"]),
    "Conv2d kernel triple": (lambda: nn.Conv2d(2, 3, (3, 3, 3)), TypeError,
                             ["Conv2d", "kernel_size", "pair", "got (3, 3, 3)"]),
    "Conv2d in_channels 0": (lambda: nn.Conv2d(0, 3, 3), ValueError,
                             ["Conv2d", "in_channels", "positive int", "got 0"]),
    "Conv2d out_channels 2.0": (lambda: nn.Conv2d(2, 2.0, 3), TypeError,
                                ["Conv2d", "out_channels", "positive int", "float 2.0"]),
    "F.conv2d stride 0": (lambda: F.conv2d(X4, W, stride=0), ValueError,
                          ["conv2d", "stride", "positive", "got 0"]),
    "F.conv2d padding -2": (lambda: F.conv2d(X4, W, padding=-2), ValueError,
                            ["conv2d", "padding", "non-negative", "got -2"]),
    "MaxPool2d kernel 0": (lambda: nn.MaxPool2d(0), ValueError,
                           ["MaxPool2d", "kernel_size", "positive", "got 0"]),
    "MaxPool2d stride 0": (lambda: nn.MaxPool2d(2, stride=0), ValueError,
                           ["MaxPool2d", "stride", "positive", "got 0"]),
    "AvgPool2d padding -1": (lambda: nn.AvgPool2d(2, padding=-1), ValueError,
                             ["AvgPool2d", "padding", "non-negative", "got -1"]),
    "AvgPool2d stride -2": (lambda: nn.AvgPool2d(2, stride=-2), ValueError,
                            ["AvgPool2d", "stride", "got -2"]),
    "F.max_pool2d stride 0": (lambda: F.max_pool2d(X4, 2, stride=0), ValueError,
                              ["max_pool2d", "stride", "positive", "got 0"]),
    "F.avg_pool2d kernel 0": (lambda: F.avg_pool2d(X4, 0), ValueError,
                              ["avg_pool2d", "kernel_size", "positive", "got 0"]),
    # class targets
    "cross_entropy float targets": (
        lambda: F.cross_entropy(Z, mg.tensor([0.0, 1.0, 2.0, 1.0])), TypeError,
        ["cross_entropy", "target", "integer dtype (int64)", "got a float32 target"]),
    "cross_entropy float64 array targets": (
        lambda: F.cross_entropy(Z, np.array([0.0, 1.0, 2.0, 1.0])), TypeError,
        ["cross_entropy", "int64", "got a float64 target of shape (4,)"]),
    "nll_loss float targets": (
        lambda: F.nll_loss(Z, mg.tensor([0.0, 1.0, 2.0, 1.0])), TypeError,
        ["nll_loss", "target", "integer dtype (int64)", "float32"]),
    "CrossEntropyLoss None target": (lambda: nn.CrossEntropyLoss()(Z, None), TypeError,
                                     ["cross_entropy", "target", "int64", "NoneType"]),
    "cross_entropy bool targets": (
        lambda: F.cross_entropy(Z, np.array([True, False, True, False])), TypeError,
        ["cross_entropy", "integer dtype", "got a bool target"]),
    # making tensors
    "mg.tensor(None)": (lambda: mg.tensor(None), TypeError,
                        ["tensor()", "data", "number", "got None"]),
    "mg.tensor(str)": (lambda: mg.tensor("abc"), TypeError, ["tensor()", "got str"]),
    "mg.tensor(mixed list)": (lambda: mg.tensor([1.0, "a"]), TypeError,
                              ["tensor()", "got list", "dtype <U"]),
    "mg.as_tensor(None)": (lambda: mg.as_tensor(None), TypeError,
                           ["as_tensor()", "got None"]),
    "mg.zeros(2.5)": (lambda: mg.zeros(2.5), TypeError,
                      ["zeros", "size", "non-negative ints", "got (2.5,)"]),
    "mg.ones(-1)": (lambda: mg.ones(2, -1), ValueError,
                    ["ones", "size", "non-negative ints", "got (2, -1)"]),
    "mg.randn('a')": (lambda: mg.randn("a"), TypeError, ["randn", "size", "got ('a',)"]),
    "mg.arange step 0": (lambda: mg.arange(0, 5, 0), ValueError,
                         ["arange", "step", "nonzero", "got 0"]),
    # layer sizes
    "Linear(0, 3)": (lambda: nn.Linear(0, 3), ValueError,
                     ["Linear", "in_features", "positive int", "got 0"]),
    "Linear(2.5, 3)": (lambda: nn.Linear(2.5, 3), TypeError,
                       ["Linear", "in_features", "positive int", "float 2.5"]),
    "BatchNorm1d(0)": (lambda: nn.BatchNorm1d(0), ValueError,
                       ["BatchNorm1d", "num_features", "positive int", "got 0"]),
    "GroupNorm(0, 4)": (lambda: nn.GroupNorm(0, 4), ValueError,
                        ["GroupNorm", "num_groups", "positive int", "got 0"]),
    "InstanceNorm2d(-1)": (lambda: nn.InstanceNorm2d(-1), ValueError,
                           ["InstanceNorm2d", "num_features", "got -1"]),
    "Embedding(3, 2.5)": (lambda: nn.Embedding(3, 2.5), TypeError,
                          ["Embedding", "embedding_dim", "positive int", "float 2.5"]),
    "Embedding(-1, 2)": (lambda: nn.Embedding(-1, 2), ValueError,
                         ["Embedding", "num_embeddings", "non-negative int", "-1"]),
    "LayerNorm(2.5)": (lambda: nn.LayerNorm(2.5), TypeError,
                       ["LayerNorm", "normalized_shape", "int or a non-empty tuple", "2.5"]),
    "LayerNorm((2, -1))": (lambda: nn.LayerNorm((2, -1)), ValueError,
                           ["LayerNorm", "normalized_shape[1]", "positive int", "got -1"]),
    "Dropout('a')": (lambda: nn.Dropout("a"), TypeError,
                     ["Dropout", "p", "number between 0 and 1", "got str 'a'"]),
    # inputs that are not tensors
    "Linear(None)": (lambda: nn.Linear(3, 2)(None), TypeError,
                     ["Linear", "input", "Tensor or an array", "got NoneType"]),
    "Conv2d('x')": (lambda: nn.Conv2d(2, 3, 3)("x"), TypeError,
                    ["Conv2d", "input", "Tensor or an array", "got str"]),
    "BatchNorm1d(list)": (lambda: nn.BatchNorm1d(3)([[1.0, 2.0, 3.0]]), TypeError,
                          ["BatchNorm1d", "input", "got list"]),
    "LayerNorm(None)": (lambda: nn.LayerNorm(3)(None), TypeError, ["LayerNorm", "NoneType"]),
    "GroupNorm(None)": (lambda: nn.GroupNorm(1, 3)(None), TypeError, ["GroupNorm", "NoneType"]),
    "MaxPool2d(None)": (lambda: nn.MaxPool2d(2)(None), TypeError, ["MaxPool2d", "NoneType"]),
    "ReLU(None)": (lambda: nn.ReLU()(None), TypeError, ["ReLU", "input", "NoneType"]),
    "Softmax(str)": (lambda: nn.Softmax(1)("x"), TypeError, ["Softmax", "input", "str"]),
    "Flatten(None)": (lambda: nn.Flatten()(None), TypeError, ["Flatten", "NoneType"]),
    "TiedAutoencoder(None)": (lambda: nn.TiedAutoencoder(3, 2)(None), TypeError,
                              ["TiedAutoencoder.encode", "NoneType"]),
    "StackedAutoencoder wrong features": (
        lambda: nn.StackedAutoencoder([3, 2])(mg.randn(4, 5)), ValueError,
        ["expected 3 features on axis 1, got 5"]),
    # shapes and modes
    "flatten start after end": (lambda: Z.flatten(1, 0), ValueError,
                                ["flatten", "start_dim 1", "end_dim 0", "(4, 3)"]),
    "Module.train('yes')": (lambda: nn.Linear(2, 2).train("yes"), ValueError,
                            ["Linear.train", "mode", "bool", "'yes'"]),
    "batch_norm weight of the wrong size": (
        lambda: F.batch_norm(Z, None, None, weight=mg.ones(2), training=True), ValueError,
        ["batch_norm", "weight", "(3,)", "got (2,)"]),
    "batch_norm 1-D input": (lambda: F.batch_norm(mg.randn(3), None, None, training=True),
                             ValueError, ["batch_norm", "at least 2 dimensions", "(3,)"]),
    # optimizers, schedules, seeds, files
    "ReduceLROnPlateau.step('low')": (
        lambda: sched.ReduceLROnPlateau(_sgd()).step("low"), TypeError,
        ["ReduceLROnPlateau.step", "metric", "number", "got str 'low'"]),
    "EarlyStopping.step(None)": (lambda: optim.EarlyStopping(patience=2).step(None), TypeError,
                                 ["EarlyStopping.step", "metric", "number", "NoneType"]),
    "EarlyStopping.step(model='m')": (lambda: optim.EarlyStopping(patience=2).step(1.0, "m"), TypeError,
                                      ["EarlyStopping.step", "model", "Module", "got str"]),
    "scheduler load_state_dict(None)": (
        lambda: sched.StepLR(_sgd(), 2).load_state_dict(None), TypeError,
        ["StepLR.load_state_dict", "dict", "got NoneType"]),
    "Module.load_state_dict(None)": (lambda: nn.Linear(2, 2).load_state_dict(None), TypeError,
                                     ["Linear.load_state_dict", "mapping", "got NoneType"]),
    "manual_seed('a')": (lambda: mg.manual_seed("a"), TypeError,
                         ["manual_seed", "seed", "non-negative int", "got str 'a'"]),
    "manual_seed(-1)": (lambda: mg.manual_seed(-1), ValueError,
                        ["manual_seed", "seed", "non-negative int", "got int -1"]),
    "F.dropout p='a'": (lambda: F.dropout(Z, "a"), TypeError,
                        ["dropout", "p", "number between 0 and 1", "got str 'a'"]),
    "F.linear weight None": (lambda: F.linear(Z, None), TypeError,
                             ["linear", "weight", "Tensor or an array", "NoneType"]),
    "F.linear weight 1-D": (lambda: F.linear(Z, mg.ones(3)), ValueError,
                            ["linear", "weight", "(out_features, in_features)", "(3,)"]),
    "LSTM(2.5, 3)": (lambda: nn.LSTM(2.5, 3), TypeError,
                     ["LSTM", "input_size", "positive int", "float 2.5"]),
    "GRUCell(3, 0)": (lambda: nn.GRUCell(3, 0), ValueError,
                      ["GRUCell", "hidden_size", "positive int", "got 0"]),
    "RNN num_layers 0": (lambda: nn.RNN(3, 4, num_layers=0), ValueError,
                         ["RNN", "num_layers", "positive int", "got 0"]),
}


def _sgd():
    return optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)


def test_saving_onto_a_folder_names_it(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"save: '.*' is a folder; give the path"):
        mg.save({"a": np.ones(1)}, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", list(SWEEP))
def test_bad_input_names_argument_expected_and_given(case):
    call, exc, words = SWEEP[case]
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    missing = [w for w in words if w not in msg]
    assert missing == [], f"{case}: {msg!r} lacks {missing}"


def test_valid_settings_still_work():
    assert nn.Conv2d(2, 3, (3, 1), stride=(2, 1), padding=(1, 0))(X4).shape == (1, 3, 3, 5)
    assert nn.MaxPool2d(np.int64(2), stride=(1, 1))(X4).shape == (1, 2, 4, 4)
    assert F.cross_entropy(Z, np.array([0, 1, 2, 1], np.int32)).shape == ()
    assert F.cross_entropy(Z, mg.softmax(mg.randn(4, 3), axis=1)).shape == ()   # probabilities
    assert mg.zeros(np.int64(2), 0).shape == (2, 0)
    assert nn.Flatten()(mg.zeros(0, 3, 2)).shape == (0, 6)
    assert nn.GroupNorm(2, 4)(mg.zeros(0, 4, 3)).shape == (0, 4, 3)
    assert mg.arange(0.0, 1.0, 0.5).shape == (2,)
