"""docs/testing.md keeps its sections and figures (its python blocks are run by
tests/test_docs_snippets.py, as every page's are)."""
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"


def test_the_page_has_its_sections_and_no_placeholder():
    text = DOC.read_text()
    assert text.startswith("# Testing gradients with minigrad.testing\n")
    for section in ("## One declaration per op", "## Random programs", "## Long runs",
                    "## Mutation check", "## Figures"):
        assert f"\n{section}" in text, section
    assert "RESULT_" not in text
    assert text.count("```python") >= 3
