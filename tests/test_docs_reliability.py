"""docs/reliability.md: one section per guarantee, and every ```python block runs as
written, each in a fresh namespace (the mechanism of test_docs_extending)."""
import re
from pathlib import Path

import pytest

from test_docs_extending import python_blocks, run_block

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
BLOCKS = python_blocks(DOC)


def test_one_section_per_guarantee():
    sections = re.findall(r"^## (.+)$", DOC.read_text(), re.M)
    for topic in ("Numerics", "Errors", "Files", "Memory", "Threads", "Randomised"):
        assert sum(s.startswith(topic) for s in sections) == 1, (topic, sections)
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"line-{n}" for n, _ in BLOCKS])
def test_block_runs(line, source):
    run_block(DOC, line, source)
