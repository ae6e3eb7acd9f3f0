"""Every ```python block of docs/dbn.md runs as written, each on its own (as in
test_docs_extending.py, whose block pattern this reuses)."""
from pathlib import Path

import pytest

from test_docs_extending import _BLOCK

DOC = Path(__file__).resolve().parents[1] / "docs" / "dbn.md"
TEXT = DOC.read_text()
BLOCKS = [(TEXT.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(TEXT)]


def test_the_page_has_its_sections_and_blocks():
    assert TEXT.startswith("# Restricted Boltzmann machines and deep belief networks\n")
    for section in ("## The RBM", "## The deep belief network", "## One pre-training interface",
                    "## Against scikit-learn's BernoulliRBM", "## The study"):
        assert f"\n{section}" in TEXT
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"line-{n}" for n, _ in BLOCKS])
def test_block_runs(line, source):
    exec(compile("\n" * (line - 1) + source, str(DOC), "exec"), {"__name__": "docs_dbn"})
