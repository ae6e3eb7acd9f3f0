"""The demos `python -m minigrad NAME` runs: the command lists them and refuses an
unknown name; each runs in --quick mode and its outputs are checked (pictures that
open and are not blank, losses that fell, figures in range)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from minigrad import demos

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWNED = ["adding", "charlm", "graph", "optimizers", "pretrain", "spirals"]


def _cli(*args, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if cwd != ROOT:                       # import this source tree, not an installed copy
        env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "minigrad", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_picture(path):
    """A PNG that opens and is not one flat colour."""
    import matplotlib.image as mpimg
    assert os.path.getsize(path) > 1000, path
    img = mpimg.imread(path)
    assert img.ndim == 3 and min(img.shape[:2]) >= 50, img.shape
    assert img[..., :3].std() > 0.02, f"{path} is blank"


def test_cli_lists_every_demo_with_its_description():
    out = _cli()
    assert out.returncode == 0, out.stderr
    listed = {line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ")}
    assert set(OWNED) <= listed
    assert listed == set(demos.available())
    for name in demos.available():
        assert demos.describe(name) and demos.describe(name) in out.stdout
    assert _cli("--help").stdout == out.stdout


def test_cli_refuses_an_unknown_demo_naming_the_known_ones():
    out = _cli("no_such_demo")
    assert out.returncode == 2
    assert "unknown demo 'no_such_demo'" in out.stderr and "spirals" in out.stderr
    with pytest.raises(ValueError, match="unknown demo 'nope': expected one of .*charlm"):
        demos.run("nope", [])


def test_demo_help_shows_the_common_options():
    out = _cli("spirals", "--help")
    assert out.returncode == 0, out.stderr
    for opt in ("--quick", "--out", "--seed", "--no-progress", "--epochs"):
        assert opt in out.stdout
    assert "python -m minigrad spirals" in out.stdout


def test_private_modules_are_not_demos():
    assert all(not n.startswith("_") for n in demos.available())
    assert "_cli" not in demos.available()


def test_spirals_learns(tmp_path):
    r = demos.run("spirals", ["--quick", "--out", str(tmp_path), "--no-progress"])
    assert r["final_loss"] < 0.6 * r["first_loss"]
    assert r["test_accuracy"] > 0.6          # chance is 1/3


def test_spirals_default_out_folder_is_under_the_current_directory(tmp_path):
    out = _cli("spirals", "--quick", "--epochs", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "minigrad-out" / "spirals").is_dir()


def test_pretrain_reconstruction_falls_and_classifies(tmp_path):
    r = demos.run("pretrain", ["--quick", "--out", str(tmp_path), "--no-progress"])
    for first, last in r["reconstruction"]:
        assert last < first
    assert r["accuracy_pretrained"] > 0.3 and r["accuracy_random"] > 0.3   # chance 0.1


def test_optimizers_all_descend_and_plot(tmp_path):
    r = demos.run("optimizers", ["--quick", "--out", str(tmp_path), "--no-progress"])
    for name in ("GD", "Momentum", "Adam", "AdamW", "Adadelta"):
        assert r[name]["rosenbrock_final"] < r[name]["rosenbrock_first"], name
        assert r[name]["final_loss"] < r[name]["first_loss"], name
    assert_picture(r["plot"])


def test_adding_trains_three_models_and_plots(tmp_path):
    r = demos.run("adding", ["--quick", "--out", str(tmp_path), "--no-progress"])
    for name in ("tanh RNN", "LSTM", "GRU"):
        assert np.isfinite(r[name]["test_mse"]) and r[name]["test_mse"] < 0.5
        assert 0 < r[name]["grad_ratio"] < 10
    assert any(r[n]["final_loss"] < r[n]["first_loss"] for n in ("LSTM", "GRU"))
    assert_picture(r["plot"])


def test_graph_draws_the_pictures(tmp_path):
    import shutil
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("Graphviz's `dot` is not installed (always run under CI=true)")
    r = demos.run("graph", ["--quick", "--out", str(tmp_path), "--no-progress"])
    assert r["final_loss"] < r["first_loss"]
    names = {os.path.basename(p) for p in r["written"]}
    assert {"mlp_graph.png", "lstm_tbptt_graph.svg", "grad_norms.png"} <= names
    for p in r["written"]:
        if p.endswith(".png"):
            assert_picture(p)


def test_readme_opens_with_the_two_commands_ci_runs():
    """The README's first fenced block: install + the flagship in quick mode, then the
    tests; .ci/run extracts exactly that block (checked by running its extraction)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    assert text.startswith("```")
    block = text.split("```")[1].strip().splitlines()
    assert len(block) == 2
    assert block[0].startswith("pip install ") and "python -m minigrad charlm --quick" in block[0]
    assert "python -m pytest" in block[1]
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as fh:
        ci = fh.read()
    extract = next(line for line in ci.splitlines() if line.startswith("readme_block="))
    assert "awk" in extract
    out = subprocess.run(["bash", "-c", extract.split("=", 1)[1].strip("$()\\ ")
                          + " | grep -v '^[[:space:]]*$'"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.splitlines() == block
