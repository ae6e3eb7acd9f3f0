"""docs/pytorch.md stays true: every name it lists as available exists, every name it
lists as missing does not (so the page is updated when one is built)."""
import re
from pathlib import Path

import minigrad as mg
import minigrad.nn.functional as F
import minigrad.utils.data as data
from minigrad import nn, optim

DOC = (Path(__file__).resolve().parent.parent / "docs" / "pytorch.md").read_text()
ROOTS = {"mg": mg, "x": mg.Tensor, "nn": nn, "F": F, "optim": optim,
         "lr_scheduler": optim.lr_scheduler, "data": data}
NAME = re.compile(r"`(mg|x|nn|F|optim|lr_scheduler|data)\.([A-Za-z_][\w.]*)`")


def _section(title):
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end != -1 else None]


def _resolves(root, dotted):
    obj = ROOTS[root]
    for part in dotted.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _names(section):
    return NAME.findall(_section(section))


def test_the_page_lists_names():
    assert len(_names("Available under PyTorch's names")) > 200
    assert len(_names("Missing (not built yet)")) >= 1      # (it shrinks as names are built)


def test_every_available_name_exists():
    absent = [f"{r}.{n}" for r, n in _names("Available under PyTorch's names")
              if not _resolves(r, n)]
    assert absent == []


def test_every_missing_name_is_still_missing():
    present = [f"{r}.{n}" for r, n in _names("Missing (not built yet)") if _resolves(r, n)]
    assert present == [], f"built now: move them to the available table: {present}"
