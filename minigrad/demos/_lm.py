"""The pieces of a character-level language model, for the demos that train one:
the vocabulary, the streams TBPTT reads, the unigram baseline, the model
(Embedding -> RNN/GRU/LSTM -> tied or untied head), evaluation in bits per
character, and sampling with a temperature."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.tensor import Tensor

__all__ = ["Vocab", "batchify", "unigram_bpc", "CharLM", "lm_loss", "evaluate_bpc",
           "generate"]

LN2 = math.log(2.0)
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class Vocab:
    """The characters of a text, sorted; ``encode`` maps a string to int64 ids."""

    def __init__(self, chars: str) -> None:
        self.chars = "".join(sorted(set(chars)))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        """Ids ``(len(text),)`` int64; ``ValueError`` naming characters not in the vocabulary."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"{what}: characters {''.join(unknown)!r} are not in the "
                             f"model's vocabulary of {len(self)} characters")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: np.ndarray) -> str:
        """The string of ids ``(n,)``."""
        return "".join(self.chars[i] for i in ids)


def batchify(ids: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``ids`` into ``batch`` contiguous streams: inputs ``x`` and next-character
    targets ``y``, both ``(L, batch)`` with ``L = (len(ids) - 1) // batch``
    (stream ``b`` is ``ids[b L : (b + 1) L]``, so TBPTT carries its state along it)."""
    L = (len(ids) - 1) // batch
    if L < 1:
        raise ValueError(f"batchify: {len(ids)} characters are too few for {batch} streams")
    x = ids[:L * batch].reshape(batch, L).T
    y = ids[1:L * batch + 1].reshape(batch, L).T
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def unigram_bpc(train: np.ndarray, val: np.ndarray, vocab_size: int) -> float:
    """Bits per character of ``val`` under the training text's character frequencies
    (add-one smoothed): what a model that ignores context achieves."""
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    logp = np.log2(counts / counts.sum())
    return float(-logp[val].mean())


class CharLM(nn.Module):
    """Embedding -> dropout -> ``layers``-layer RNN/GRU/LSTM (dropout between layers)
    -> dropout -> head over the vocabulary: ``model(tokens (T, B), state) ->
    (logits (T, B, V), state)``.

    ``tie=True`` makes the head's weight the embedding's (one Parameter used twice,
    Press & Wolf 2017); when ``hidden != embed`` a Linear(hidden, embed) projects
    the RNN's output to the embedding size first.
    """

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256, layers: int = 2,
                 cell: str = "lstm", dropout: float = 0.1, tie: bool = True) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"CharLM: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = CELLS[cell](embed, hidden, num_layers=layers,
                               dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Linear(hidden, embed) if tie and hidden != embed else None
        self.head = nn.Linear(embed if tie else hidden, vocab_size)
        if tie:
            self.head.weight = self.embed.weight

    def forward(self, tokens: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out, state = self.rnn(self.drop(self.embed(tokens)), state)
        out = self.drop(out)
        if self.proj is not None:
            out = self.proj(out)
        return self.head(out), state


def lm_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy (nats) of logits ``(T, B, V)`` against targets ``(T, B)``."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def evaluate_bpc(model: CharLM, x: np.ndarray, y: np.ndarray, chunk: int = 256) -> float:
    """Bits per character of the streams ``x, y`` ``(L, B)``, read in order with the
    state carried along (eval mode, no graph)."""
    was_training = model.training
    model.eval()
    total, state = 0.0, None
    with mg.no_grad():
        for start in range(0, len(x), chunk):
            xc, yc = x[start:start + chunk], y[start:start + chunk]
            logits, state = model(mg.tensor(xc), state)
            total += lm_loss(logits, mg.tensor(yc)).item() * len(xc)
    model.train(was_training)
    return total / len(x) / LN2


def generate(model: CharLM, vocab: Vocab, prompt: str, length: int, temperature: float,
             rng: np.random.Generator) -> str:
    """``length`` characters drawn after ``prompt``, each from
    ``softmax(logits / temperature)`` (lower: more conservative); prompt excluded
    (an empty prompt starts at a line break)."""
    if not temperature > 0:
        raise ValueError(f"generate: temperature must be positive, got {temperature}")
    if length < 0:
        raise ValueError(f"generate: length must be >= 0, got {length}")
    if not prompt:                       # start at a line break, or any character
        prompt = "\n" if "\n" in vocab.index else vocab.chars[0]
    ids = vocab.encode(prompt, "prompt")
    was_training = model.training
    model.eval()
    out: list[int] = []
    with mg.no_grad():
        logits, state = model(mg.tensor(ids[:, None]))
        last = logits.data[-1, 0]
        for _ in range(length):
            z = last.astype(np.float64) / temperature
            p = np.exp(z - z.max())
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            out.append(nxt)
            logits, state = model(mg.tensor(np.array([[nxt]])), state)
            last = logits.data[-1, 0]
    model.train(was_training)
    return vocab.decode(np.array(out, dtype=np.int64))
