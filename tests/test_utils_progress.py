"""minigrad.utils.progress (the one switch for progress bars) and
minigrad.utils.text (the shipped corpus)."""
import io
import sys

import pytest

from minigrad.utils.progress import progress_bar, progress_enabled
from minigrad.utils.text import pydoc_topics_text


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


@pytest.mark.parametrize("tty", [True, False])
def test_auto_follows_whether_stderr_is_a_terminal(monkeypatch, tty):
    monkeypatch.setattr(sys, "stderr", _Stream(tty))
    assert progress_enabled(None) is tty
    assert progress_enabled(True) is True
    assert progress_enabled(False) is False


def test_disabled_bar_writes_nothing_and_still_iterates():
    out = io.StringIO()
    bar = progress_bar(range(5), progress=False, file=out)
    assert list(bar) == list(range(5))
    bar.set_postfix(loss=1.0)
    bar.close()
    assert out.getvalue() == ""


def test_enabled_bar_writes_description_and_count():
    out = io.StringIO()
    items = list(progress_bar(range(3), progress=True, desc="layer 1", file=out))
    assert items == [0, 1, 2]
    assert "layer 1" in out.getvalue() and "3/3" in out.getvalue()


def test_bad_progress_argument_names_what_was_given():
    with pytest.raises(TypeError, match="progress: expected True, False or None, got 'yes'"):
        progress_enabled("yes")


def test_pydoc_text_is_deterministic_english():
    text = pydoc_topics_text()
    assert text == pydoc_topics_text()
    assert len(text) > 100_000 and " the " in text
