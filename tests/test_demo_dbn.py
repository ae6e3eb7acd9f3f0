"""The DBN / pre-training study (minigrad.demos.dbn) in --quick mode: its figures,
table and pictures; and the agreement check on made-up results."""
import os

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the demo's data: scikit-learn's digits (test extra)")
matplotlib_image = pytest.importorskip("matplotlib.image", reason="the demo's pictures")

from minigrad.demos import dbn as demo  # noqa: E402


def test_quick_study_writes_its_table_and_pictures(tmp_path):
    out = tmp_path / "dbn"
    res = demo.main(["--quick", "--out", str(out), "--no-progress", "--seed", "3"])
    rows = res["rows"]
    assert [(r["labels"], r["method"], r["depth"]) for r in rows] == [
        (lab, m, d) for lab in ("10%", "100%") for m in ("random", "dbn", "sda") for d in (1, 2)]
    for r in rows:
        assert len(r["errors"]) == 2 and all(0 <= e <= 1 for e in r["errors"])
        assert r["error_mean"] == pytest.approx(np.mean(r["errors"]))
    lines = res["table"].strip().splitlines()
    assert len(lines) == 2 + 6 and lines[0].count("hidden") == 2
    assert all(line.count("+-") == 2 for line in lines[2:])
    assert (out / "results.md").read_text().endswith(res["table"])
    for name, path in res["files"].items():
        assert os.path.dirname(path) == str(out)
        img = matplotlib_image.imread(path)
        assert img.ndim == 3 and min(img.shape[:2]) > 100, name
        assert img[..., :3].std() > 0.05, f"{name} is blank"
    assert res["seconds"] > 0 and set(res["agreement"]) >= {
        "advantage_slope_dbn_10%", "advantage_slope_sda_100%", "random_error_slope_10%"}


def test_agreement_reads_the_trends_off_the_means():
    rows = []
    for lab in ("10%", "100%"):
        for m, errs in (("random", [0.1, 0.2, 0.4]), ("dbn", [0.1, 0.1, 0.1]),
                        ("sda", [0.05, 0.2, 0.5])):
            rows += [dict(labels=lab, method=m, depth=d + 1, error_mean=e, error_std=0.0)
                     for d, e in enumerate(errs)]
    got = demo.agreement(rows, 3)
    assert got["advantage_dbn_10%"] == pytest.approx([0.0, 0.1, 0.3])
    assert got["advantage_slope_dbn_10%"] == pytest.approx(0.15)
    assert got["advantage_slope_sda_100%"] == pytest.approx(-0.075)
    assert got["random_error_slope_100%"] == pytest.approx(0.15)
    table = demo.markdown_table(rows, 3)
    assert "| 10% | DBN pre-training | 10.0 +- 0.0 | 10.0 +- 0.0 | 10.0 +- 0.0 |" in table


def test_out_directory_defaults_outside_the_package():
    args = demo._parse(["--quick"])
    assert os.path.normpath(args.out) == os.path.join("minigrad-out", "dbn")
    assert (args.seeds, args.max_depth) == (2, 2)
    full = demo._parse([])
    assert full.seeds >= 3 and full.max_depth == 4
