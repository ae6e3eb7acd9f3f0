"""The flagship char-LM demo (minigrad/demos/charlm.py): quick mode learns (validation
bpc below the unigram baseline, training loss falls), writes a checkpoint that loads
and samples from a prompt; a run interrupted and resumed from its checkpoint gives
exactly the losses of an uninterrupted run; the model's pieces behave."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import demos
from minigrad.demos._lm import CharLM, Vocab, batchify, generate, unigram_bpc

TINY = ["--max-chars", "12000", "--hidden", "24", "--embed", "12", "--batch", "8",
        "--k1", "8", "--k2", "16", "--epochs", "2", "--segment-updates", "2",
        "--dropout", "0.3", "--time-limit", "0", "--save-every", "1000", "--length", "10",
        "--no-progress"]


def test_quick_run_learns_checkpoints_and_samples(tmp_path):
    r = demos.run("charlm", ["--quick", "--out", str(tmp_path), "--length", "120"])
    assert r["best_val_bpc"] < r["unigram_bpc"] - 0.5
    assert 4.0 < r["unigram_bpc"] < 5.5
    first, last = np.mean(r["losses"][:3]), np.mean(r["losses"][-3:])
    assert last < 0.8 * first
    assert len(r["sample"]) == 120
    ckpt = mg.load(r["checkpoint"])
    assert ckpt["run"]["finished"] and ckpt["args"]["hidden"] == 128
    model = CharLM(len(ckpt["vocab"]), ckpt["args"]["embed"], ckpt["args"]["hidden"])
    model.load_state_dict(ckpt["model"])

    s = demos.run("charlm", ["--sample", r["checkpoint"], "--prompt", "def ",
                             "--length", "57", "--out", str(tmp_path)])
    assert len(s["sample"]) == 57 and set(s["sample"]) <= set(ckpt["vocab"])
    with pytest.raises(ValueError, match="prompt: characters '\\\\x00' are not in"):
        demos.run("charlm", ["--sample", r["checkpoint"], "--prompt", "\x00",
                             "--out", str(tmp_path)])


@pytest.mark.parametrize("stop_after", [3, 40])      # inside epoch 1; inside epoch 2
def test_resume_gives_the_losses_of_an_uninterrupted_run(tmp_path, stop_after):
    whole = demos.run("charlm", TINY + ["--out", str(tmp_path / "whole")])
    n = len(whole["losses"])
    assert 40 < n and len(whole["val_bpc"]) == 2
    part = demos.run("charlm", TINY + ["--out", str(tmp_path / "part"),
                                       "--stop-after", str(stop_after)])
    assert part["losses"] == whole["losses"][:stop_after] and "sample" not in part
    rest = demos.run("charlm", ["--resume", part["checkpoint"], "--no-progress", "--length", "10",
                                "--out", str(tmp_path / "part")])
    assert rest["losses"] == whole["losses"]        # exactly: the same next loss and all after
    assert rest["val_bpc"] == whole["val_bpc"]
    assert rest["sample"] == whole["sample"]


def test_gru_untied_and_a_text_file(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat. " * 400)
    r = demos.run("charlm", ["--text", str(text), "--cell", "gru", "--no-tie", "--hidden", "16",
                             "--embed", "8", "--batch", "4", "--chunk", "16", "--epochs", "2",
                             "--optim", "adamw", "--schedule", "plateau", "--time-limit", "0",
                             "--length", "30", "--out", str(tmp_path), "--no-progress"])
    assert r["best_val_bpc"] < r["unigram_bpc"]
    assert len(r["sample"]) == 30 and set(r["sample"]) <= set("the cat sat on mat.")


def test_tied_head_shares_the_embedding_parameter():
    tied, untied = CharLM(50, 16, 32), CharLM(50, 16, 32, tie=False)
    assert tied.head.weight is tied.embed.weight
    n_tied = sum(p.numel() for p in tied.parameters())
    n_untied = sum(p.numel() for p in untied.parameters())
    # untied: a (50, 32) head instead of the (32 -> 16) projection and a shared (50, 16)
    assert n_untied - n_tied == 50 * 32 - (32 * 16 + 16)
    logits, (h, c) = tied(mg.tensor(np.zeros((5, 3), dtype=np.int64)))
    assert logits.shape == (5, 3, 50) and h.shape == (2, 3, 32)
    with pytest.raises(ValueError, match="cell must be one of"):
        CharLM(5, cell="transformer")


def test_streams_baseline_and_sampling():
    ids = np.arange(41)
    x, y = batchify(ids, 4)
    assert x.shape == y.shape == (10, 4)
    assert (x[:, 1] == np.arange(10, 20)).all() and (y == x + 1).all()
    with pytest.raises(ValueError, match="too few"):
        batchify(ids[:3], 4)
    # a uniform text over 4 symbols: the unigram model needs log2(4) bits
    tr = np.tile(np.arange(4), 100)
    assert abs(unigram_bpc(tr, tr, 4) - 2.0) < 1e-9
    v = Vocab("abc")
    assert v.decode(v.encode("cab")) == "cab"
    out = generate(CharLM(3, 4, 8), v, "ab", 25, 0.5, np.random.default_rng(0))
    assert len(out) == 25 and set(out) <= set("abc")
    with pytest.raises(ValueError, match="temperature must be positive"):
        generate(CharLM(3, 4, 8), v, "a", 5, 0.0, np.random.default_rng(0))


def test_bad_arguments_are_refused_naming_the_option(tmp_path, capsys):
    for bad, message in [(["--batch", "0"], "--batch must be a positive integer, got 0"),
                         (["--val-frac", "1.5"], "--val-frac must be between 0 and 1")]:
        with pytest.raises(SystemExit):
            demos.run("charlm", bad + ["--out", str(tmp_path)])
        assert message in capsys.readouterr().err
    with pytest.raises(ValueError, match="k1 must be <= k2"):
        demos.run("charlm", ["--k1", "8", "--k2", "4", "--max-chars", "2000",
                             "--out", str(tmp_path), "--no-progress"])


def test_resume_from_the_last_segment_of_an_epoch(tmp_path):
    """Interrupted right at an epoch's end: the resumed run validates that epoch."""
    args = TINY[:]
    args[args.index("--epochs") + 1] = "1"
    whole = demos.run("charlm", args + ["--out", str(tmp_path / "w")])
    n = len(whole["losses"])
    part = demos.run("charlm", args + ["--out", str(tmp_path / "p"), "--stop-after", str(n)])
    assert part["val_bpc"] == []
    rest = demos.run("charlm", ["--resume", part["checkpoint"], "--no-progress",
                                "--length", "10", "--out", str(tmp_path / "p")])
    assert rest["losses"] == whole["losses"] and rest["val_bpc"] == whole["val_bpc"]
