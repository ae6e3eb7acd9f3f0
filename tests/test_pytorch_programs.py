"""PyTorch-style programs in tests/pytorch_programs/ run on minigrad after only their imports change.

Each ``*.py.txt`` file is an ordinary PyTorch program (``import torch`` ...). The test
rewrites its import lines by the table ``IMPORTS`` (and nothing else), executes it in a
fresh namespace and checks that (a) the losses it records in ``losses`` fall and (b)
every list the reference returns (``losses``, and e.g. ``val_losses``, ``lrs``,
``correct``) equals, to float64 rounding (rtol 1e-9), the program's list of that name,
the reference being the same program written here in minigrad's own spelling (NumPy
names, ``axis=``, ``shape``, ``nn.utils.detach_state``, ``mg.concatenate``...) from the
same seeds. A PyTorch spelling that silently behaves differently from minigrad's own
shows as a mismatch in (b).

The manual-SGD program (``w -= lr * w.grad`` under ``no_grad``, then momentum buffers
changed with ``mul_``/``add_``) also checks that the coefficients still require grad
afterwards: with the augmented operators rebinding names instead of changing tensors,
they silently stopped doing so.
"""
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as MF
from minigrad.nn.utils import detach_state
from minigrad.utils.data import DataLoader as MGLoader, TensorDataset as MGDataset

PROGRAMS = Path(__file__).parent / "pytorch_programs"

# whole import lines, PyTorch's -> minigrad's; every other line is left as written
IMPORTS = {
    "import torch": "import minigrad as torch",
    "import torch.nn as nn": "import minigrad.nn as nn",
    "import torch.nn.functional as F": "import minigrad.nn.functional as F",
    "import torch.optim as optim": "import minigrad.optim as optim",
    "from torch import optim": "from minigrad import optim",
    "from torch.optim.lr_scheduler import StepLR": "from minigrad.optim.lr_scheduler import StepLR",
    "from torch.utils.data import DataLoader, TensorDataset":
        "from minigrad.utils.data import DataLoader, TensorDataset",
}


def run_program(name: str) -> dict:
    """Execute ``pytorch_programs/<name>.py.txt`` with its imports rewritten; its namespace."""
    lines = (PROGRAMS / f"{name}.py.txt").read_text().splitlines()
    imports = [ln for ln in lines if ln.startswith(("import torch", "from torch"))]
    unknown = [ln for ln in imports if ln not in IMPORTS]
    assert not unknown, f"import lines with no rewrite in IMPORTS: {unknown}"
    source = "\n".join(IMPORTS.get(ln, ln) for ln in lines)
    namespace: dict = {"__name__": f"pytorch_program_{name}"}
    exec(compile(source, f"{name}.py.txt", "exec"), namespace)
    return namespace


# ------------------------------------------------------------- word-level LM
class WordLM(nn.Module):
    """Embedding (T, B) -> 2-layer LSTM -> decoder tied to the embedding -> (T*B, V) log-probs."""

    def __init__(self, vocab, width, layers, dropout):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab, width)
        self.rnn = nn.LSTM(width, width, layers, dropout=dropout)
        self.decoder = nn.Linear(width, vocab)
        self.decoder.weight = self.encoder.weight
        self.width, self.layers = width, layers
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, tokens, state):
        out, state = self.rnn(self.drop(self.encoder(tokens)), state)
        logits = self.decoder(self.drop(out))
        return MF.log_softmax(logits.reshape(-1, logits.shape[-1]), axis=1), state


def _columns(tokens: np.ndarray, batch: int) -> mg.Tensor:
    """A 1-D token stream cut into ``batch`` columns: (len // batch, batch) int64."""
    tokens = tokens[: len(tokens) // batch * batch]
    return mg.tensor(tokens.reshape(batch, -1).T.copy())


def _lm_mean_loss(model, columns, bptt, width, layers) -> float:
    """Eval-mode NLL per target over every BPTT chunk of ``columns``, state carried across."""
    model.eval()
    zeros = np.zeros((layers, columns.shape[1], width))
    state, total = (mg.tensor(zeros), mg.tensor(zeros)), 0.0
    with mg.no_grad():
        for i in range(0, columns.shape[0] - 1, bptt):
            T = min(bptt, columns.shape[0] - 1 - i)
            logp, state = model(columns[i:i + T], state)
            total += T * MF.nll_loss(logp, columns[i + 1:i + 1 + T].reshape(-1)).item()
    return total / (columns.shape[0] - 1)


def word_lm_reference() -> dict:
    """word_lm.py.txt in minigrad's spelling."""
    mg.manual_seed(0)
    mg.set_default_dtype(np.float64)
    vocab, width, layers, bptt, batch = 12, 8, 2, 5, 4
    noise = (mg.rand(500).data * vocab).astype(np.int64)
    flip = mg.rand(500).data
    stream = [0]
    for k in range(499):
        stream.append(int(noise[k]) if flip[k] < 0.1 else (3 * stream[-1] + 1) % vocab)
    tokens = np.asarray(stream, dtype=np.int64)
    train, val = _columns(tokens[:400], batch), _columns(tokens[400:], 2)
    model = WordLM(vocab, width, layers, 0.2)
    opt = optim.Adam(model.parameters(), lr=0.02)
    losses, val_losses, best = [], [], None
    for _ in range(3):
        model.train()
        zeros = np.zeros((layers, batch, width))
        state = (mg.tensor(zeros), mg.tensor(zeros))
        total, n = 0.0, 0
        for i in range(0, train.shape[0] - 1, bptt):
            T = min(bptt, train.shape[0] - 1 - i)
            state = detach_state(state)
            opt.zero_grad()
            logp, state = model(train[i:i + T], state)
            loss = MF.nll_loss(logp, train[i + 1:i + 1 + T].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            opt.step()
            total += loss.item()
            n += 1
        losses.append(total / n)
        val_losses.append(_lm_mean_loss(model, val, bptt, width, layers))
        if best is None or val_losses[-1] < min(val_losses[:-1]):
            best = {k: v.copy() for k, v in model.state_dict().items()}
    model = WordLM(vocab, width, layers, 0.2)
    model.load_state_dict(best)
    return {"losses": losses, "val_losses": val_losses,
            "best_reloaded": [_lm_mean_loss(model, val, bptt, width, layers)]}


# -------------------------------------------------------------- CNN classifier
class SmallCNN(nn.Module):
    """(N, 1, 8, 8) -> conv 3x3 (4) -> conv 3x3 (8) -> 2x2 max-pool -> dropout -> 32 -> 16 -> 2 log-probs."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        x = MF.max_pool2d(MF.relu(self.conv2(MF.relu(self.conv1(x)))), 2)
        x = self.dropout1(x)
        x = MF.relu(self.fc1(x.reshape(x.shape[0], -1)))
        return MF.log_softmax(self.fc2(x), axis=1)


def cnn_classifier_reference() -> dict:
    """cnn_classifier.py.txt in minigrad's spelling."""
    mg.manual_seed(0)
    mg.set_default_dtype(np.float64)
    n = 192
    labels = (mg.rand(n).data < 0.5).astype(np.int64)
    noise = 0.3 * mg.randn(n, 1, 8, 8).data
    where = (mg.rand(n).data * 8).astype(np.int64)[:, None, None, None]
    grid = np.arange(8)
    bars = np.where(labels[:, None, None, None] == 0,
                    grid[None, None, :, None] == where, grid[None, None, None, :] == where)
    images = noise + bars
    train = MGLoader(MGDataset(mg.tensor(images[:128]), mg.tensor(labels[:128])),
                     batch_size=16, shuffle=True)
    test = MGLoader(MGDataset(mg.tensor(images[128:]), mg.tensor(labels[128:])), batch_size=32)
    model = SmallCNN()
    opt = optim.Adadelta(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7)
    out: dict = {"losses": [], "test_losses": [], "correct": [], "lrs": []}
    for _ in range(10):
        model.train()
        total = 0.0
        for x, y in train:
            opt.zero_grad()
            loss = MF.nll_loss(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * x.shape[0]
        out["lrs"].append(opt.param_groups[0]["lr"])
        sched.step()
        out["losses"].append(total / 128)
        model.eval()
        test_total, right = 0.0, 0
        with mg.no_grad():
            for x, y in test:
                logp = model(x)
                test_total += MF.nll_loss(logp, y, reduction="sum").item()
                right += int((logp.data.argmax(axis=1) == y.data).sum())
        out["test_losses"].append(test_total / 64)
        out["correct"].append(right)
    return out


# ------------------------------------------------------ LSTMCell sine with LBFGS
class SineModel(nn.Module):
    """(N, L) values -> two stacked LSTMCells (width H) -> Linear -> (N, L + future) next values."""

    def __init__(self, hidden=10):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, values, future=0):
        n = values.shape[0]
        s1 = (mg.zeros((n, self.hidden)), mg.zeros((n, self.hidden)))
        s2 = (mg.zeros((n, self.hidden)), mg.zeros((n, self.hidden)))
        outs = []
        inp = None
        for t in range(values.shape[1] + future):
            inp = values[:, t:t + 1] if t < values.shape[1] else inp
            s1 = self.lstm1(inp, s1)
            s2 = self.lstm2(s1[0], s2)
            inp = self.linear(s2[0])
            outs.append(inp)
        return mg.concatenate(outs, axis=1)


def lstmcell_sine_reference() -> dict:
    """lstmcell_sine.py.txt in minigrad's spelling."""
    np.random.seed(2)
    mg.manual_seed(0)
    mg.set_default_dtype(np.float64)
    T, L, N = 20, 30, 8
    x = np.arange(L)[None, :] + np.random.randint(-4 * T, 4 * T, N)[:, None]
    data = np.sin(x / T)
    train_x, train_y = mg.tensor(data[2:, :-1]), mg.tensor(data[2:, 1:])
    test_x, test_y = mg.tensor(data[:2, :-1]), data[:2, 1:]
    model = SineModel()
    opt = optim.LBFGS(model.parameters(), lr=0.8, max_iter=8)

    def closure():
        opt.zero_grad()
        loss = MF.mse_loss(model(train_x), train_y)
        loss.backward()
        return loss

    losses, test_losses = [], []
    for _ in range(4):
        losses.append(opt.step(closure).item())
        with mg.no_grad():
            pred = model(test_x, future=5).data[:, :-5]
        test_losses.append(float(np.mean((pred - test_y) ** 2)))
    return {"losses": losses, "test_losses": test_losses}


def manual_sgd_reference() -> dict:
    """The polynomial fit with the updates written on ``.data`` (minigrad's own style)."""
    mg.manual_seed(0)
    x = mg.linspace(-np.pi, np.pi, 2000, dtype=np.float64)
    y = x.sin()
    params = [mg.randn((), dtype=np.float64, requires_grad=True) for _ in range(4)]
    losses = []

    def loss_of(a, b, c, d):
        return (((a + b * x + c * x ** 2 + d * x ** 3) - y) ** 2).sum()
    for _ in range(300):
        loss = loss_of(*params)
        losses.append(loss.item())
        loss.backward()
        for p in params:
            p.data = p.data - 1e-6 * p.grad
            p.grad = None
    velocity = [np.zeros(()) for _ in params]
    for _ in range(100):
        loss = loss_of(*params)
        losses.append(loss.item())
        loss.backward()
        for i, p in enumerate(params):
            velocity[i] = 0.9 * velocity[i] + p.grad
            p.data = p.data - 1e-6 * velocity[i]
            p.grad = None
    return {"losses": losses, "coefficients": [p.item() for p in params],
            "still_requires_grad": [1.0] * 4}


REFERENCES = {
    "manual_sgd": manual_sgd_reference,
    "lstmcell_sine": lstmcell_sine_reference,
    "word_lm": word_lm_reference,
    "cnn_classifier": cnn_classifier_reference,
}


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    """The programs set float64 as the default dtype; put back whatever it was."""
    before = mg.get_default_dtype()
    yield
    mg.set_default_dtype(before)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_program_trains_and_matches_minigrad_spelling(name):
    got = run_program(name)
    losses = [float(v) for v in got["losses"]]
    assert len(losses) >= 2 and losses[-1] < losses[0], f"{name}: loss did not fall: {losses}"
    want = REFERENCES[name]()
    for key, values in want.items():
        np.testing.assert_allclose(np.ravel(got[key]).astype(float), values, rtol=1e-9,
                                   err_msg=f"{name}: {key!r} of the PyTorch spelling differs")


def test_every_program_has_a_reference():
    assert sorted(p.name.removesuffix(".py.txt") for p in PROGRAMS.glob("*.py.txt")) == sorted(REFERENCES)
