"""docs/dbn.md keeps its sections (its python blocks are run by
tests/test_docs_snippets.py, as every page's are)."""
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "dbn.md"


def test_the_page_has_its_sections_and_blocks():
    text = DOC.read_text()
    assert text.startswith("# Restricted Boltzmann machines and deep belief networks\n")
    for section in ("## The RBM", "## The deep belief network", "## One pre-training interface",
                    "## Against scikit-learn's BernoulliRBM", "## The study"):
        assert f"\n{section}" in text
    assert text.count("```python") >= 3
