"""Every ```python block of docs/testing.md runs as written, each on its own (as
tests/test_docs_extending.py does for docs/extending.md), and the page keeps its
sections and figures."""
from pathlib import Path

import pytest

from test_docs_extending import _blocks

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
BLOCKS = _blocks(DOC)


def test_the_page_has_its_sections_and_no_placeholder():
    text = DOC.read_text()
    assert text.startswith("# Testing gradients with minigrad.testing\n")
    for section in ("## One declaration per op", "## Random programs", "## Long runs",
                    "## Mutation check", "## Figures"):
        assert f"\n{section}" in text, section
    assert "RESULT_" not in text
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"line-{n}" for n, _ in BLOCKS])
def test_block_runs(line, source):
    code = compile("\n" * (line - 1) + source, str(DOC), "exec")
    exec(code, {"__name__": "docs_testing"})
