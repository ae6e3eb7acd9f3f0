"""Every ```python block of README.md and of every docs/*.md page runs, so the docs
cannot rot (the rule is stated at the top of docs/index.md).

A page's blocks run in order in one namespace, as a reader pasting them one after
another into one Python session would (a page listed in SELF_CONTAINED promises more,
that each block runs on its own, and has each run in a fresh namespace), in a fresh temporary working directory (a block
that writes a file writes it there). A block opened with ```python no-run is skipped: it
is for snippets that are deliberately illustrative (they name objects the page cannot
build in seconds); the escape must stay rare, fewer such blocks than runnable ones on
every page. Other fences (```text, ```bash, plain ```) are not Python and are not run.
New pages are picked up by the glob: nothing to register.

A failing block is reported by its page and line: the code is compiled with the page's
path as file name and padded so that tracebacks give the markdown file's line numbers.
"""
import gc
import re
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# an opening fence ```python with optional words after it, its body, the closing fence
_BLOCK = re.compile(r"^```python([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)


def pages() -> list[Path]:
    """README.md and every docs/*.md page (sorted, so ids are stable)."""
    return [ROOT / "README.md"] + sorted(DOCS.glob("*.md"))


def blocks(page: Path) -> list[tuple[int, str, bool]]:
    """(first line of the code, code, runs) for every ```python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for m in _BLOCK.finditer(text):
        flags = m.group(1).split()
        unknown = [f for f in flags if f != "no-run"]
        if unknown:
            raise ValueError(f"{page.name}: ```python block at line "
                             f"{text.count(chr(10), 0, m.start()) + 1}: expected no flag or "
                             f"'no-run', got {unknown}")
        found.append((text.count("\n", 0, m.start(2)) + 1, m.group(2), "no-run" not in flags))
    return found


class SnippetError(AssertionError):
    """A block of a page raised: the message names the page, the line and the error."""


# pages that promise every block can be pasted on its own: each runs in a fresh namespace
SELF_CONTAINED = {"extending.md"}


def run_page(page: Path) -> dict:
    """Run the page's runnable blocks in order in one namespace (a fresh one per block
    for the pages in SELF_CONTAINED); return the last namespace."""
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for line, source, runs in blocks(page):
        if page.name in SELF_CONTAINED:
            namespace = {"__name__": f"docs_{page.stem}"}
        if runs:
            code = compile("\n" * (line - 1) + source, str(page), "exec")
            try:
                exec(code, namespace)
            except Exception as err:
                # the frames inside the page and below it, not the whole page as context
                frames = traceback.extract_tb(err.__traceback__)[1:]
                where = next((f.lineno for f in frames if f.filename == str(page)), line)
                raise SnippetError(
                    f"{page.name} line {where} (block from line {line}) raised "
                    f"{type(err).__name__}: {err}\n"
                    + "".join(traceback.format_list(frames))) from None
    return namespace


PAGES = pages()
# pages whose namespace a test below reads, kept after their run; every other page's is
# dropped at once, so what it defined (ops, hooks) does not outlive its test
KEPT = {"tbptt.md"}
_RAN: dict[Path, dict] = {}


def ran(page: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The namespace of ``page`` after its blocks ran in ``folder`` (once per session
    for the pages in KEPT)."""
    if page in _RAN:
        return _RAN[page]
    monkeypatch.chdir(folder)         # conftest restores the seed and default dtype
    try:
        namespace = run_page(page)
    finally:
        monkeypatch.undo()
    if page.name in KEPT:
        _RAN[page] = namespace
    return namespace


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_python_block_of_the_page_runs(page, tmp_path, monkeypatch):
    _RAN.pop(page, None)
    namespace = ran(page, tmp_path, monkeypatch)
    if page.name not in KEPT:
        namespace.clear()
    gc.collect()                      # ops the page defined leave minigrad's registry


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_no_run_stays_the_exception(page):
    found = blocks(page)
    skipped = sum(not runs for _, _, runs in found)
    assert skipped == 0 or skipped < len(found) - skipped, (
        f"{page.name}: {skipped} no-run blocks against {len(found) - skipped} runnable")


def test_the_extractor_sees_blocks_flags_and_line_numbers(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("# t\n\n```python\nx = 1\n```\n\n```text\nnot python\n```\n\n"
                    "```python no-run\nraise SystemExit\n```\n\n```python\ny = x + 1\n```\n")
    assert blocks(page) == [(4, "x = 1\n", True), (12, "raise SystemExit\n", False),
                            (16, "y = x + 1\n", True)]
    assert run_page(page)["y"] == 2
    page.write_text("```python\nz = 1\n\n1 / 0\n```\n")
    with pytest.raises(SnippetError, match=r"p\.md line 4 \(block from line 2\) raised "
                                          r"ZeroDivisionError"):
        run_page(page)
    page.write_text("```python norun\nz = 1\n```\n")
    with pytest.raises(ValueError, match="norun"):
        blocks(page)


# Pages other branches are writing, linked from the index already; a link to one of them
# may dangle until it lands (drop a name once its page is merged).
FORTHCOMING: set[str] = set()


def test_every_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]*)?\)", index))
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.name != "index.md"
               and p.name not in linked]
    assert missing == [], f"docs/index.md does not link {missing}"
    dangling = sorted(name for name in linked - FORTHCOMING if not (DOCS / name).exists())
    assert dangling == [], f"docs/index.md links pages that do not exist: {dangling}"


def _svg_labels(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_autograd_picture_is_the_one_its_page_draws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_page(DOCS / "autograd.md")
    monkeypatch.undo()
    drawn = _svg_labels((tmp_path / "autograd_graph.svg").read_text())
    committed = _svg_labels((DOCS / "images" / "autograd_graph.svg").read_text())
    assert "w" in drawn and "output: Mean" in drawn
    assert drawn == committed, "regenerate docs/images/autograd_graph.svg (docs/autograd.md)"


def test_the_tbptt_page_prints_the_k3_table(tmp_path, monkeypatch):
    """The rows the page's hooks collected through nn.utils.TBPTT are those of TBPTT(1, K):
    at step t the gradient of J_t reaches h_t, ..., h_max(1, t-K+1), nothing older; the
    reset before step 3 keeps every gradient inside its document."""
    page = ran(DOCS / "tbptt.md", tmp_path, monkeypatch)
    K, T = page["K"], page["T"]
    assert K == 3 and page["words"] == ["Deep", "Learning", "is", "Powerful", "!"]
    window = lambda t, first=1: list(range(t, max(first, t - K + 1) - 1, -1))
    assert [list(row) for row in page["per_step"]] == [window(t) for t in range(1, T + 1)]
    assert [list(row) for row in page["two_documents"]] == (
        [window(t) for t in (1, 2)] + [window(t, first=3) for t in (3, 4, 5)])
    assert [list(row) for row in page["chunked"]] == [window(3), window(5)]
    assert all(n > 0 for row in page["per_step"] for n in row.values())


def test_a_self_contained_page_runs_each_block_alone(tmp_path, monkeypatch):
    page = tmp_path / "extending.md"
    page.write_text("```python\nx = 1\n```\n\n```python\nprint(x)\n```\n")
    with pytest.raises(SnippetError, match="line 6 .* NameError"):
        run_page(page)
