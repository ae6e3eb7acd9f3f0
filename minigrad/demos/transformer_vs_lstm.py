"""A small causal Transformer and a 2-layer LSTM on the pydoc text: bits per character against time.

Both models read the same character-level text (``minigrad.utils.text.pydoc_topics_text``,
the first 90 % for training, the rest held out), have about the same number of
parameters (the LSTM's hidden size is chosen to match the Transformer's count), see the
same random training windows of ``--context`` characters, and train with Adam for the
same time budget each. Time is the process's CPU time spent in training steps
(``time.process_time``): on an idle machine with one BLAS thread it is the wall-clock
time, and on a shared one it does not charge either model for the other jobs' load. Every few steps both are scored on the same held-out windows
(each from an empty context, so early positions are as hard for both), in bits per
character. Writes ``bpc.png`` (held-out bpc against training seconds) and
``attention.png`` (the Transformer's attention weights, per layer averaged over heads,
on a held-out sentence) into ``--out``; returns the figures.

    python -m minigrad transformer_vs_lstm [--quick] [--seconds 90] [--out DIR]
"""
from __future__ import annotations

import argparse
import math
import os
import time
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.utils.progress import progress_bar
from minigrad.utils.text import pydoc_topics_text

from ._cli import demo_parser, progress_flag, setup

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

NAME = "transformer_vs_lstm"


class CharTransformer(nn.Module):
    """Embedding -> sinusoidal positions -> causal TransformerEncoder (pre-norm) -> Linear."""

    def __init__(self, vocab: int, d_model: int, nhead: int, num_layers: int,
                 dim_feedforward: int, context: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.PositionalEncoding(d_model, dropout=dropout, max_len=context,
                                         batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab)

    def inputs(self, idx: np.ndarray) -> Tensor:
        """The encoder's input for token ids ``idx (N, T)``: embedding + positions.

        The embedding (unit variance per component) is not scaled up by sqrt(d_model):
        the positions, of the same size, stay readable."""
        return self.pos(self.embed(idx))

    def forward(self, idx: np.ndarray) -> Tensor:
        t = idx.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        return self.head(self.encoder(self.inputs(idx), mask=mask, is_causal=True))

    def attention_maps(self, idx: np.ndarray) -> list[np.ndarray]:
        """Per layer, the self-attention weights ``(T, T)`` on ``idx (1, T)``, averaged over heads."""
        mask = nn.Transformer.generate_square_subsequent_mask(idx.shape[1])
        x, maps = self.inputs(idx), []
        for layer in self.encoder.layers:
            h = layer.norm1(x)
            maps.append(layer.self_attn(h, h, h, attn_mask=mask)[1].data[0])
            x = layer(x, src_mask=mask, is_causal=True)
        return maps


class CharLSTM(nn.Module):
    """Embedding -> 2-layer LSTM -> Linear."""

    def __init__(self, vocab: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx: np.ndarray) -> Tensor:
        return self.head(self.lstm(self.embed(idx))[0])


def _count(model: nn.Module) -> int:
    return sum(p.size for p in model.parameters())


def _lstm_matching(vocab: int, embed: int, target: int) -> int:
    """The hidden size whose CharLSTM has the parameter count closest to ``target``."""
    def count(h: int) -> int:
        return vocab * embed + 4 * h * (embed + h) + 8 * h + 4 * h * 2 * h + 8 * h \
            + h * vocab + vocab
    return min(range(4, 2048), key=lambda h: abs(count(h) - target))


def _bpc(model: nn.Module, windows: np.ndarray) -> float:
    """Mean bits per character predicting ``windows[:, 1:]`` from ``windows[:, :-1]``."""
    model.eval()
    with mg.no_grad():
        logits = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               windows[:, 1:].reshape(-1))
    model.train()
    return float(loss.item()) / math.log(2)


def _train(name: str, model: nn.Module, train: np.ndarray, held_out: np.ndarray,
           args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    """Train for ``args.seconds`` of training time (at least ``args.min_steps`` steps)."""
    opt = optim.Adam(model.parameters(), lr=args.lr)
    warm = train[: args.context + 1][None]         # compile kernels outside the clock
    F.cross_entropy(model(warm[:, :-1])[0], warm[0, 1:]).backward()
    opt.zero_grad()
    times, curve = [0.0], [_bpc(model, held_out)]
    elapsed, step = 0.0, 0
    bar = progress_bar(total=None, desc=name, progress=progress_flag(args))
    while elapsed < args.seconds or step < args.min_steps:
        starts = rng.integers(0, len(train) - args.context - 1, size=args.batch)
        windows = train[starts[:, None] + np.arange(args.context + 1)]
        t0 = time.process_time()
        logits = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        elapsed += time.process_time() - t0
        step += 1
        bar.update(1)
        if step % args.eval_every == 0:
            times.append(elapsed)
            curve.append(_bpc(model, held_out))
            bar.set_postfix(bpc=f"{curve[-1]:.3f}")
    bar.close()
    if times[-1] != elapsed:
        times.append(elapsed)
        curve.append(_bpc(model, held_out))
    return {"times": times, "bpc": curve, "steps": step, "params": _count(model)}


def _plot_curves(runs: dict[str, dict[str, Any]], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, run in runs.items():
        ax.plot(run["times"], run["bpc"], marker=".", label=f"{name} ({run['params']:,} params)")
    ax.set_xlabel("training time (s, CPU time of the training steps)")
    ax.set_ylabel("held-out bits per character")
    ax.set_title("pydoc topics, character level")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_attention(maps: list[np.ndarray], sentence: str, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(maps), figsize=(5.2 * len(maps), 5.0), squeeze=False)
    labels = [c if c != " " else "␣" for c in sentence]
    for i, (ax, w) in enumerate(zip(axes[0], maps)):
        ax.imshow(w, cmap="viridis", vmin=0.0, vmax=max(float(w.max()), 1e-9))
        ax.set_xticks(range(len(labels)), labels, fontsize=6)
        ax.set_yticks(range(len(labels)), labels, fontsize=6)
        ax.set_title(f"layer {i} (mean over heads)")
        ax.set_xlabel("attended character")
        ax.set_ylabel("query character")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    ap = demo_parser(NAME, __doc__)
    ap.add_argument("--seconds", type=float, default=None,
                    help="training time per model (default 90, quick 1)")
    return ap


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train both models, write the two PNGs, return the figures (see the module docstring)."""
    args = _parser().parse_args(argv)
    quick = args.quick
    args.seconds = args.seconds if args.seconds is not None else (1.0 if quick else 90.0)
    args.context, args.batch = (32, 16) if quick else (64, 32)
    args.min_steps, args.eval_every = (20, 5) if quick else (50, 25)
    args.lr = 3e-3 if quick else 2e-3
    d_model, nhead, layers, ff = (32, 2, 1, 64) if quick else (64, 4, 2, 256)
    setup(args)

    text = pydoc_topics_text()
    chars = sorted(set(text))
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    lookup = np.zeros(int(codes.max()) + 1, dtype=np.int64)
    lookup[[ord(c) for c in chars]] = np.arange(len(chars))
    data = lookup[codes]
    split = int(0.9 * len(data))
    train, held = data[:split], data[split:]
    rng = np.random.default_rng(args.seed)
    n_eval = 16 if quick else 64
    starts = np.linspace(0, len(held) - args.context - 2, n_eval).astype(np.int64)
    held_windows = held[starts[:, None] + np.arange(args.context + 1)]

    mg.manual_seed(args.seed)
    transformer = CharTransformer(len(chars), d_model, nhead, layers, ff, args.context)
    hidden = _lstm_matching(len(chars), d_model, _count(transformer))
    lstm = CharLSTM(len(chars), d_model, hidden)
    runs = {"Transformer": _train("Transformer", transformer, train, held_windows, args,
                                  np.random.default_rng(args.seed + 1)),
            "LSTM": _train("LSTM", lstm, train, held_windows, args,
                           np.random.default_rng(args.seed + 1))}
    curves_png = os.path.join(args.out, "bpc.png")
    _plot_curves(runs, curves_png)

    sentence = "The return statement leaves the current function call."[:args.context]
    idx = lookup[[ord(c) if ord(c) < len(lookup) else ord(" ") for c in sentence]][None]
    transformer.eval()
    with mg.no_grad():
        maps = transformer.attention_maps(idx)
    attention_png = os.path.join(args.out, "attention.png")
    _plot_attention(maps, sentence, attention_png)

    t, lstm_run = runs["Transformer"], runs["LSTM"]
    winner = "Transformer" if t["bpc"][-1] < lstm_run["bpc"][-1] else "LSTM"
    result: dict[str, Any] = {
        "vocab": len(chars), "lstm_hidden": hidden, "winner": winner,
        "transformer_params": t["params"], "lstm_params": lstm_run["params"],
        "transformer_bpc_start": t["bpc"][0], "transformer_bpc": t["bpc"][-1],
        "lstm_bpc_start": lstm_run["bpc"][0], "lstm_bpc": lstm_run["bpc"][-1],
        "transformer_steps": t["steps"], "lstm_steps": lstm_run["steps"],
        "transformer_seconds": t["times"][-1], "lstm_seconds": lstm_run["times"][-1],
        "bpc_png": curves_png, "attention_png": attention_png,
    }
    print(f"{NAME}: held-out bits per character after {args.seconds:g} s of training each")
    for name, run in runs.items():
        print(f"  {name:12s} {run['params']:8,d} params  {run['steps']:5d} steps  "
              f"bpc {run['bpc'][0]:.3f} -> {run['bpc'][-1]:.3f}")
    print(f"  lower is better: {winner}; pictures in {args.out}")
    return result


if __name__ == "__main__":
    main()
