"""One pre-training interface for both families: StackedAutoencoder.pretrain and
DBN.pretrain share argument names, defaults, history format, the progress bar
(layer, epoch, loss) and classifier(n), through one loop (greedy_pretrain)."""
import inspect

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn.pretraining import greedy_pretrain

SHARED = ["make_optimizer", "epochs", "batch_size", "progress"]
FAMILIES = {"autoencoder": nn.StackedAutoencoder, "dbn": nn.DBN}


def _data():
    rng = np.random.default_rng(0)
    return (rng.random((90, 10)) < 0.3).astype(np.float32)


def test_both_pretrain_methods_share_argument_names_and_defaults():
    sigs = [inspect.signature(cls.pretrain).parameters for cls in FAMILIES.values()]
    for name in SHARED:
        assert sigs[0][name].default == sigs[1][name].default, name
    assert list(sigs[0])[:5] == list(sigs[1])[:5] == ["self", "x"] + SHARED[:3]


@pytest.mark.parametrize("family", FAMILIES)
def test_history_format_progress_bar_and_classifier(family, capsys):
    model = FAMILIES[family]([10, 6, 4])
    hist = model.pretrain(_data(), make_optimizer=lambda p: optim.SGD(p, lr=0.05), epochs=3,
                          batch_size=16, progress=True)
    assert isinstance(hist, list) and len(hist) == 2
    assert all(isinstance(c, list) and len(c) == 3 and all(isinstance(v, float) for v in c)
               for c in hist)
    err = capsys.readouterr().err
    who = "StackedAutoencoder" if family == "autoencoder" else "DBN"
    for layer in (1, 2):
        assert f"{who}.pretrain layer {layer}/2" in err
    assert "3/3" in err and "epoch" in err
    assert f"loss={hist[1][-1]:.4f}" in err
    model.pretrain(_data(), lambda p: optim.SGD(p, lr=0.05), epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    out = model.classifier(7)(mg.tensor(_data()))
    assert out.shape == (90, 7)


def test_the_loop_trains_layers_in_order_on_encoded_data():
    layers = [nn.Linear(3, 2), nn.Linear(2, 1)]
    calls = []

    def step(layer, batch):
        calls.append((layers.index(layer), batch.shape[1], len(batch)))
        loss = (layer(mg.tensor(batch)) ** 2).mean()
        return loss, loss.item()

    def encode(layer, d):
        assert not mg.is_grad_enabled()
        return layer(mg.tensor(d)).data

    hist = greedy_pretrain(layers, np.ones((10, 3), np.float32),
                           lambda p: optim.SGD(p, lr=0.1), epochs=2, batch_size=4,
                           progress=False, step=step, encode=encode, who="test")
    assert [c[:2] for c in calls] == [(0, 3)] * 6 + [(1, 2)] * 6
    assert [c[2] for c in calls[:3]] == [4, 4, 2]
    assert len(hist) == 2 and hist[0][1] < hist[0][0]
    with pytest.raises(ValueError, match="test: batch_size must be a positive integer, got 0"):
        greedy_pretrain(layers, np.ones((10, 3)), lambda p: optim.SGD(p, lr=0.1), epochs=1,
                        batch_size=0, progress=False, step=step, encode=encode, who="test")


def test_stacked_autoencoder_pretrain_rejects_bad_data():
    stack = nn.StackedAutoencoder([10, 4])
    with pytest.raises(ValueError, match=r"StackedAutoencoder.pretrain: expected data of "
                                         r"shape \(N, 10\)"):
        stack.pretrain(np.zeros((5, 9)), lambda p: optim.SGD(p, lr=0.1), progress=False)
    with pytest.raises(ValueError, match="noise must be in"):
        stack.pretrain(np.zeros((5, 10)), lambda p: optim.SGD(p, lr=0.1), noise=1.5,
                       progress=False)
