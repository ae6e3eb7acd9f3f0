"""Every ```python block of docs/extending.md runs as written, each on its own.

Blocks are executed in a fresh namespace (so each must import what it uses), as a
reader pasting one into a session would; a failing block is reported by its line.
"""
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(doc=DOC):
    """(first line, source) of every ```python block of ``doc``."""
    text = doc.read_text()
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


BLOCKS = _blocks()


def test_the_file_has_its_intro_and_runnable_blocks():
    text = DOC.read_text()
    assert text.startswith("# Extending minigrad\n")
    assert "\n## Defining an op\n" in text
    assert len(BLOCKS) >= 4, f"expected the op section's snippets, found {len(BLOCKS)}"


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"line-{n}" for n, _ in BLOCKS])
def test_block_runs(line, source):
    # padded so that tracebacks give the line numbers of the markdown file
    code = compile("\n" * (line - 1) + source, str(DOC), "exec")
    exec(code, {"__name__": "docs_extending"})
