"""docs/reliability.md keeps one section per guarantee (its python blocks are run by
tests/test_docs_snippets.py, as every page's are)."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"


def test_one_section_per_guarantee():
    text = DOC.read_text()
    sections = re.findall(r"^## (.+)$", text, re.M)
    for topic in ("Numerics", "Errors", "Files", "Memory", "Threads", "Randomised"):
        assert sum(s.startswith(topic) for s in sections) == 1, (topic, sections)
    assert text.count("```python") >= 4
