"""Text every Python installation ships: the standard library's pydoc topics
(``pydoc_data/topics.py``, about 465,000 characters of English prose with code),
used by the character-level language-model demos so they need no download."""
from __future__ import annotations

__all__ = ["pydoc_topics_text"]


def pydoc_topics_text() -> str:
    """The pydoc help topics joined in sorted key order, separated by blank lines
    (deterministic across runs of the same Python version)."""
    try:
        from pydoc_data.topics import topics
    except ImportError as exc:  # pragma: no cover - stripped Python builds
        raise RuntimeError("pydoc_topics_text: this Python has no pydoc_data "
                           "package; pass a text file instead") from exc
    return "\n\n".join(topics[key] for key in sorted(topics))
