"""The flagship: a character-level LSTM language model trained with truncated BPTT on Python's own docs.

Run:  python -m minigrad charlm                 (about 3 minutes; --quick: seconds)
      python -m minigrad charlm --sample minigrad-out/charlm/charlm.npz --prompt "def "

Text: the standard library's pydoc topics (``pydoc_data/topics.py``, 465,000
characters of English with code, shipped with every Python), or ``--text FILE``.
The last ``--val-frac`` of it is held out. The model: Embedding -> 2-layer LSTM
(``--cell gru|rnn``) with dropout -> a head tied to the embedding (``--no-tie``).
Training reads ``--batch`` contiguous streams with ``nn.utils.TBPTT``: an update
every ``k1`` steps backpropagated through the last ``k2`` (``--chunk`` sets both),
gradient clipping, Adam or AdamW, a cosine (or plateau) learning-rate schedule,
validation bits per character (bpc) after every epoch against the unigram
baseline, early stopping, and a checkpoint (model, optimizer, scheduler, RNG
state, early stopping, position in the stream and the carried hidden state,
saved with ``mg.save``) every ``--save-every`` segments, from which ``--resume``
continues exactly as if never interrupted. At the end it samples text with a
temperature; ``--sample CKPT`` samples from a checkpoint after ``--prompt``.

``--distributed`` trains data-parallel over MPI (``pip install "minigrad[distributed]"``,
then ``mpiexec -n N python -m minigrad charlm --distributed``; on one machine see
docs/distributed.md for the loopback-only launcher): the text is cut into
``N x --batch`` streams, each rank trains its ``--batch`` of them through
``nn.parallel.DistributedDataParallel`` (its hidden state stays local), so every
update is the one a single process makes with ``N x --batch`` streams. Rank 0
prints, draws the progress bar, writes the checkpoint and samples; the time limit
is agreed between ranks (the slowest decides) so all stop at the same segment.

The stream is fed to TBPTT in segments of ``--segment-updates`` updates (the
unit of the progress bar, the schedule and checkpoints); with ``k1 < k2`` the
first windows of a segment reach back only to the segment's start.
"""
from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.demos._cli import demo_parser, parse, progress_flag, setup
from minigrad.demos._lm import LN2, CharLM, Vocab, batchify, evaluate_bpc, generate, \
    lm_loss, unigram_bpc
from minigrad.random import get_rng
from minigrad.utils.progress import progress_bar
from minigrad.utils.text import pydoc_topics_text

CHECKPOINT = "charlm.npz"
# --quick: a small model on the first 120,000 characters, one epoch, no time limit
QUICK = dict(max_chars=120_000, hidden=128, embed=48, batch=32, chunk=32, epochs=1,
             length=200, time_limit=0.0, save_every=10)
# the arguments that define a run: stored in the checkpoint, restored by --resume
RUN_ARGS = ("text", "max_chars", "val_frac", "embed", "hidden", "layers", "cell", "dropout",
            "tie", "batch", "chunk", "k1", "k2", "clip", "optim", "lr", "weight_decay",
            "schedule", "epochs", "patience", "segment_updates", "seed", "time_limit")


def parser() -> argparse.ArgumentParser:
    """The demo's arguments (``python -m minigrad charlm --help``)."""
    p = demo_parser("charlm", __doc__)
    a = p.add_argument
    a("--text", metavar="FILE", default=None, help="train on this text file "
      "(default: Python's pydoc topics)")
    a("--max-chars", type=int, default=0, help="use only the first N characters (0: all)")
    a("--val-frac", type=float, default=0.1, help="held-out fraction, from the end")
    a("--embed", type=int, default=64, help="embedding size")
    a("--hidden", type=int, default=192, help="hidden units per layer")
    a("--layers", type=int, default=2)
    a("--cell", choices=("lstm", "gru", "rnn"), default="lstm")
    a("--dropout", type=float, default=0.1)
    a("--tie", action=argparse.BooleanOptionalAction, default=True,
      help="tie the head's weight to the embedding")
    a("--batch", type=int, default=64, help="parallel streams")
    a("--chunk", type=int, default=64, help="TBPTT length: k1 = k2 = CHUNK")
    a("--k1", type=int, default=None, help="update every k1 steps (default: --chunk)")
    a("--k2", type=int, default=None, help="backpropagate through k2 >= k1 steps "
      "(default: --chunk)")
    a("--clip", type=float, default=1.0, help="clip_grad_norm_ threshold")
    a("--optim", choices=("adam", "adamw"), default="adam")
    a("--lr", type=float, default=3e-3)
    a("--weight-decay", type=float, default=0.0)
    a("--schedule", choices=("cosine", "plateau", "none"), default="cosine",
      help="cosine: to lr/10 over the planned segments; plateau: halve when the "
           "validation bpc stops falling")
    a("--epochs", type=int, default=4)
    a("--patience", type=int, default=2, help="early stopping: epochs without improvement")
    a("--time-limit", type=float, default=140.0, help="stop training after this many "
      "seconds, at a segment's end (0: no limit)")
    a("--segment-updates", type=int, default=4, help="updates per TBPTT.run call")
    a("--save-every", type=int, default=20, help="checkpoint every N segments "
      "(and after every epoch)")
    a("--stop-after", type=int, default=0, help="stop (with a checkpoint) after N "
      "segments in all, as if interrupted (0: never)")
    a("--resume", metavar="CKPT", default=None, help="continue the run saved in CKPT "
      "(its settings are used; --out, --no-progress, --stop-after, --threads and "
      "the sampling options are yours)")
    a("--sample", metavar="CKPT", default=None, help="only sample from CKPT's model")
    a("--prompt", default="", help="text to start sampling from (default: a line break)")
    a("--length", type=int, default=400, help="characters to sample")
    a("--temperature", type=float, default=0.8, help="sampling temperature")
    a("--distributed", action="store_true", help="data-parallel over MPI (launch with "
      "mpiexec -n N): each rank trains --batch of the N x --batch streams")
    return p


class _Alone:
    """The one-process stand-in for ``minigrad.distributed`` (rank 0 of 1)."""
    rank, world = 0, 1

    @staticmethod
    def agree(flag: bool) -> bool:
        return flag


class _Ranks:
    """The ranks of an MPI job, for the demo's few collective decisions."""

    def __init__(self) -> None:
        import minigrad.distributed as dist
        dist.init()
        self.dist = dist
        self.rank, self.world = dist.get_rank(), dist.get_world_size()

    def agree(self, flag: bool) -> bool:
        """True on every rank if it is True on any (e.g. one rank is over time)."""
        v = np.array([1.0 if flag else 0.0])
        self.dist.all_reduce(v, op="max")
        return bool(v[0])


def load_text(args: argparse.Namespace) -> str:
    """The training text: ``--text`` or the pydoc topics, cut to ``--max-chars``."""
    if args.text is None:
        text = pydoc_topics_text()
    else:
        with open(args.text, encoding="utf-8") as fh:
            text = fh.read()
    return text[:args.max_chars] if args.max_chars > 0 else text


def build(args: argparse.Namespace, vocab_size: int) -> tuple[CharLM, Any, Any]:
    """The model, its optimizer and its scheduler for these arguments."""
    model = CharLM(vocab_size, args.embed, args.hidden, args.layers, args.cell,
                   args.dropout, args.tie)
    make = optim.AdamW if args.optim == "adamw" else optim.Adam
    opt = make(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched: Any = None
    if args.schedule == "cosine":
        sched = optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(1, args.epochs * args.segments_per_epoch), eta_min=args.lr / 10)
    elif args.schedule == "plateau":
        sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    return model, opt, sched


POSITIVE = ("embed", "hidden", "layers", "batch", "chunk", "k1", "k2", "epochs", "patience",
            "segment_updates", "save_every")
_STOPPER_FIELDS = ("best", "best_epoch", "num_bad_epochs", "epoch", "stopped", "best_state")


def save_checkpoint(path: str, args: argparse.Namespace, vocab: Vocab, model: CharLM,
                    opt: Any, sched: Any, stopper: optim.EarlyStopping,
                    run: dict[str, Any], state: Any) -> None:
    """Everything needed to continue exactly: settings, vocabulary, model, optimizer,
    scheduler, early stopping, minigrad's RNG, the position and the carried state."""
    mg.save({"args": {k: getattr(args, k) for k in RUN_ARGS}, "vocab": vocab.chars,
             "model": model.state_dict(), "optim": opt.state_dict(),
             "sched": None if sched is None else sched.state_dict(),
             "stopper": {k: getattr(stopper, k, None) for k in _STOPPER_FIELDS},
             "rng": get_rng().bit_generator.state, "run": run, "state": state}, path)


def sample_only(args: argparse.Namespace) -> dict[str, Any]:
    """``--sample CKPT``: print ``--length`` characters after ``--prompt``."""
    ckpt = mg.load(args.sample)
    run_args = argparse.Namespace(**ckpt["args"], segments_per_epoch=1)
    vocab = Vocab(ckpt["vocab"])
    model, _, _ = build(run_args, len(vocab))
    model.load_state_dict(ckpt["model"])
    text = generate(model, vocab, args.prompt, args.length, args.temperature,
                    np.random.default_rng(args.seed))
    print(args.prompt + text)
    return {"sample": text, "prompt": args.prompt}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train (or ``--sample``); returns the unigram and best validation bpc, the
    per-segment training losses (nats), tokens/s, the checkpoint's path and the sample."""
    p = parser()
    args = parse(p, argv, quick=QUICK)
    for name in POSITIVE:
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
    if not 0 < args.val_frac < 1:
        p.error(f"--val-frac must be between 0 and 1, got {args.val_frac}")
    if args.sample:
        setup(args)
        return sample_only(args)
    if args.distributed and args.resume:
        p.error("--resume with --distributed is not supported (a checkpoint holds rank "
                "0's hidden state only); resume in one process")
    ranks: Any = _Ranks() if args.distributed else _Alone()
    lead = ranks.rank == 0
    ckpt = mg.load(args.resume) if args.resume else None
    if ckpt is not None:
        for k, v in ckpt["args"].items():
            setattr(args, k, v)
    args.k1 = args.k1 or args.chunk
    args.k2 = args.k2 or max(args.chunk, args.k1)
    setup(args)

    text = load_text(args)
    vocab = Vocab(text)
    if ckpt is not None and ckpt["vocab"] != vocab.chars:
        raise ValueError(f"--resume {args.resume}: the text's characters differ from "
                         f"the checkpoint's vocabulary")
    ids = vocab.encode(text)
    n_val = max(3, int(len(ids) * args.val_frac))
    train_ids, val_ids = ids[:-n_val], ids[-n_val:]
    x, y = batchify(train_ids, args.batch * ranks.world)
    mine = slice(ranks.rank * args.batch, (ranks.rank + 1) * args.batch)
    x, y = np.ascontiguousarray(x[:, mine]), np.ascontiguousarray(y[:, mine])
    vx, vy = batchify(val_ids, min(args.batch, (n_val - 1) // 2))
    seg = args.k1 * args.segment_updates                 # steps per TBPTT.run call
    args.segments_per_epoch = math.ceil(len(x) / seg)
    model, opt, sched = build(args, len(vocab))
    stopper = optim.EarlyStopping(patience=args.patience)
    trained: nn.Module = model
    if args.distributed:                # rank 0's parameters everywhere, mean gradients
        trained = nn.parallel.DistributedDataParallel(model)
        mg.manual_seed(args.seed + ranks.rank)           # each rank its own dropout masks
    trainer = nn.utils.TBPTT(trained, lm_loss, opt, k1=args.k1, k2=args.k2,
                             clip_norm=args.clip)
    base = unigram_bpc(train_ids, val_ids, len(vocab))
    n_params = sum(p.numel() for p in model.parameters())
    say = print if lead else _quiet
    say(f"text: {len(text):,} characters, {len(vocab)} distinct; {len(train_ids):,} train "
          f"/ {n_val:,} validation; unigram baseline {base:.3f} bpc")
    say(f"model: Embedding({len(vocab)}, {args.embed}) -> {args.layers}-layer "
          f"{args.cell.upper()}({args.hidden}) -> head ({'tied' if args.tie else 'untied'}); "
          f"{n_params:,} parameters; TBPTT k1={args.k1} k2={args.k2}, {args.batch} streams"
        + (f" on each of {ranks.world} ranks" if args.distributed else ""))

    run: dict[str, Any] = {"epoch": 0, "segment": 0, "done": 0, "losses": [],
                           "val_bpc": [], "epoch_loss": 0.0, "epoch_steps": 0}
    state: Any = None
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optim"])
        if sched is not None:
            sched.load_state_dict(ckpt["sched"])
        for k, v in ckpt["stopper"].items():
            setattr(stopper, k, v)
        get_rng().bit_generator.state = ckpt["rng"]
        run, state = ckpt["run"], ckpt["state"]
        print(f"resumed {args.resume}: epoch {run['epoch'] + 1}, segment {run['segment']}")
    path = os.path.join(args.out, CHECKPOINT)
    progress = progress_flag(args) if lead else False
    start_time, tokens, interrupted, over_time = time.perf_counter(), 0, False, False
    model.train()
    while run["epoch"] < args.epochs and not stopper.stopped and not interrupted:
        epoch = run["epoch"]
        bar = progress_bar(total=len(x) * args.batch, progress=progress, unit="char",
                           unit_scale=True, desc=f"epoch {epoch + 1}/{args.epochs}")
        bar.update(run["segment"] * seg * args.batch)
        while run["segment"] < args.segments_per_epoch:
            a = run["segment"] * seg
            xs, ys = x[a:a + seg], y[a:a + seg]
            t0 = time.perf_counter()
            loss, state = trainer.run(xs, ys, state, progress=False)
            dt = time.perf_counter() - t0
            if sched is not None and args.schedule == "cosine":
                sched.step()
            run["segment"] += 1
            run["done"] += 1
            run["losses"].append(loss)
            run["epoch_loss"] += loss * len(xs)
            run["epoch_steps"] += len(xs)
            tokens += xs.size * ranks.world
            bar.update(xs.size)
            bar.set_postfix(loss=f"{loss:.3f}", bpc=f"{loss / LN2:.3f}",
                            tok_s=f"{xs.size / dt:,.0f}")
            over_time = ranks.agree(args.time_limit > 0 and
                                    time.perf_counter() - start_time > args.time_limit)
            interrupted = args.stop_after > 0 and run["done"] >= args.stop_after
            if lead and (interrupted or over_time or run["done"] % args.save_every == 0):
                save_checkpoint(path, args, vocab, model, opt, sched, stopper, run, state)
            if interrupted or over_time:
                break
        bar.close()
        if interrupted:
            break
        val = evaluate_bpc(model, vx, vy)
        train_bpc = run["epoch_loss"] / max(1, run["epoch_steps"]) / LN2
        run["val_bpc"].append(val)
        say(f"epoch {epoch + 1}: train {train_bpc:.3f} bpc, validation {val:.3f} bpc "
              f"(unigram {base:.3f}), lr {opt.param_groups[0]['lr']:.2e}, "
              f"{time.perf_counter() - start_time:.0f} s")
        if sched is not None and args.schedule == "plateau":
            sched.step(val)
        stopper.step(val, model)
        run.update(epoch=epoch + 1, segment=0, epoch_loss=0.0, epoch_steps=0)
        state = None                                     # the next epoch starts afresh
        if over_time:
            say(f"time limit of {args.time_limit:.0f} s reached")
            break
        if lead:
            save_checkpoint(path, args, vocab, model, opt, sched, stopper, run, state)
    seconds = time.perf_counter() - start_time
    result: dict[str, Any] = {"unigram_bpc": base, "losses": list(run["losses"]),
                              "val_bpc": list(run["val_bpc"]), "checkpoint": path,
                              "seconds": seconds, "tokens_per_s": tokens / max(seconds, 1e-9)}
    if interrupted:
        say(f"stopped after {run['done']} segments; continue with --resume {path}")
        return result
    if stopper.best_state is not None:
        stopper.restore(model)                           # the best epoch's weights
    run["finished"] = True
    result.update(ranks=ranks.world)
    if not lead:
        return result
    save_checkpoint(path, args, vocab, model, opt, sched, stopper, run, None)
    best = min(run["val_bpc"]) if run["val_bpc"] else float("nan")
    print(f"best validation {best:.3f} bpc against the unigram baseline {base:.3f}, "
          f"{tokens / seconds:,.0f} characters/s, {seconds:.0f} s; checkpoint {path}")
    sample = generate(model, vocab, args.prompt, args.length, args.temperature,
                      np.random.default_rng(args.seed))
    print(f"sample (temperature {args.temperature}):\n{args.prompt}{sample}")
    result.update(best_val_bpc=best, sample=sample)
    return result


def _quiet(*args: Any, **kwargs: Any) -> None:
    """``print`` on ranks other than 0."""


if __name__ == "__main__":
    main()
