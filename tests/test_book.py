"""Book-wide checks that hold for every chapter (layer 4 of STYLE.md §4, with the strict build).

Chapter-specific comparisons of glued values with closed forms and `adamlib` live in
`tests/test_chapter_<name>.py`. Each check here names the broken book it catches.
"""

from __future__ import annotations

import functools
import html
import re

import nbformat
import pytest

from tests.notebooks import (
    CHAPTERS_DIR,
    chapter_name,
    executed,
    front_matter,
    glued,
    glued_outputs,
    is_notebook,
    notebook_chapters,
    read_chapter,
    source_path,
    toc_pages,
)
from tests.prose import glue_references, stated_numbers
from tests.reader_notebooks import (
    SITE_SOURCES,
    figure_counts,
    last_build,
    problems,
    reader_notebook,
    serialise,
)

CHAPTERS = notebook_chapters()
CHAPTER_SOURCES = sorted(CHAPTERS_DIR.glob("*.md"))
COMMITTED_IPYNB = sorted(CHAPTERS_DIR.glob("*.ipynb"))


def _ids(paths):
    return [path.name for path in paths]


@pytest.mark.parametrize("source", CHAPTER_SOURCES, ids=_ids(CHAPTER_SOURCES))
def test_chapter_file_is_listed_in_toc(source):
    """Catches a chapter that exists but is silently left out of the book
    (`only_build_toc_files`)."""
    assert f"chapters/{chapter_name(source)}" in toc_pages(), (
        f"{source.name} is not in _toc.yml (uncomment or add its `- file:` line)"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executes_without_errors_or_stderr(chapter):
    """Catches a chapter whose cells raise (nbclient stops with CellExecutionError) or print
    warnings/errors to stderr, which the strict build would also reject."""
    stderr = [
        output["text"]
        for cell in executed(chapter).cells
        for output in cell.get("outputs", [])
        if output["output_type"] == "stream" and output["name"] == "stderr"
    ]
    assert not stderr, f"{chapter} writes to stderr:\n" + "\n".join(stderr)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_glued_numbers_are_plain_python_values(chapter):
    """Catches a glued NumPy/torch scalar (`np.float64(0.5)`), which the tests cannot read back
    as a number: glue `float(x)` instead."""
    unreadable = {
        name: text
        for name, bundle in glued_outputs(executed(chapter)).items()
        if isinstance(text := bundle.get("text/plain"), str)
        and text.startswith(("np.", "numpy.", "tensor(", "array("))
    }
    assert not unreadable, f"{chapter} glues values that are not plain Python: {unreadable}"


@pytest.mark.parametrize("page", toc_pages())
def test_every_glue_reference_is_defined(page):
    """Catches text that pastes a glue key no cell defines (a renamed or deleted value), here or
    in the other chapter a `doc::key` reference points to."""
    source = source_path(page)
    missing = []
    for reference in glue_references(source.read_text()):
        target = (
            (source.parent / f"{reference.document}.md").resolve() if reference.document else source
        )
        defined = is_notebook(target) and reference.key in glued(chapter_name(target))
        if not defined:
            missing.append(f"{reference.document or page}::{reference.key}")
    assert not missing, f"{page} references glue keys that no cell defines: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_numbers_in_prose_are_glued(chapter):
    """Catches a number typed into a chapter's prose instead of computed and glued, which goes
    stale when the code changes (rules: tests/prose.py)."""
    allowed = set(
        map(str, front_matter(CHAPTERS_DIR / f"{chapter}.md").get("unglued_prose_numbers", []))
    )
    typed = [
        number
        for cell in read_chapter(chapter).cells
        if cell.cell_type == "markdown"
        for number in stated_numbers(cell.source)
        if number not in allowed
    ]
    assert not typed, (
        f"{chapter} states numbers by hand: {typed}; glue them from a cell and paste with "
        "{glue:text}, or list deliberate ones under `unglued_prose_numbers` in the front matter"
    )


# The committed `chapters/<name>.ipynb` is the chapter's reader notebook
# (tests/reader_notebooks.py):
# the notebook the website's .ipynb download, Colab and Binder give. It is generated from the last
# build (`make ipynb` after `make book`), so these tests need `make book` first.


@functools.cache
def _reader(chapter: str):
    """(reader notebook as committed text, substituted references), generated once a session."""
    notebook, references = reader_notebook(chapter)
    return serialise(notebook), references


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_committed_ipynb_is_the_current_reader_notebook(chapter):
    """Catches a chapter edited without `make ipynb` (or an .ipynb edited by hand, or saved with
    outputs), which would make Colab and Binder run a different chapter, or show different
    numbers, from the website."""
    committed = CHAPTERS_DIR / f"{chapter}.ipynb"
    assert committed.exists(), f"{committed.name} is missing: run `make ipynb` and commit it"
    assert committed.read_text() == _reader(chapter)[0], (
        f"{committed.name} is not the reader notebook of the current {chapter}.md and build: "
        "run `make ipynb` and commit it"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_website_download_is_the_reader_notebook(chapter):
    """Catches a build whose ".ipynb" download button still serves the executed MyST notebook
    (raw roles, no numbers) that sphinx-book-theme copies there, not the reader notebook."""
    download = SITE_SOURCES / "chapters" / f"{chapter}.ipynb"
    assert download.exists(), f"{download} is missing: run `make book`"
    assert download.read_text() == _reader(chapter)[0], (
        f"{download} is not the reader notebook: `make book` writes it"
    )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reader_notebook_as_run_shows_every_figure_and_no_raw_myst(chapter):
    """`make test-reader` without the kernel: the committed reader notebook's code cells are the
    chapter's, so the book's execution of them is what a reader's run prints (that a fresh
    kernel prints the same is what `make test-reader` checks). With those outputs put in its
    cells, the notebook must show every figure the book glues, no raw MyST and no error
    (`problems`, whose own failures are shown in tests/test_reader_notebooks.py)."""
    reader = nbformat.read(CHAPTERS_DIR / f"{chapter}.ipynb", as_version=4)
    reader_code = [cell for cell in reader.cells if cell.cell_type == "code"]
    book_code = [cell for cell in executed(chapter).cells if cell.cell_type == "code"]
    assert [cell.source for cell in reader_code] == [cell.source for cell in book_code]
    for cell, run in zip(reader_code, book_code, strict=True):
        cell.outputs = run.outputs
    glued, shown = figure_counts(reader)
    found = problems(reader)
    assert not found, f"{chapter} as a reader runs it:\n" + "\n".join(found)
    assert glued == shown, f"{chapter}: {shown} of {glued} figures displayed"


def _page_text(chapter: str) -> str:
    page = (SITE_SOURCES.parent / "chapters" / f"{chapter}.html").read_text()
    main = page[page.index("<main") :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", main)).split())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reader_notebook_numbers_are_the_websites(chapter):
    """Catches a reader notebook whose equation, theorem, figure or exercise numbers, reference
    texts or citations are not the ones the built page shows (a numbering of its own, or stale).
    Citations are compared only when the site renders them author-year, as the notebook does."""
    _, references = _reader(chapter)
    text = _page_text(chapter)
    author_year = last_build().env.config.bibtex_reference_style == "author_year"
    compared = [  # markdown emphasis (*et al.*) is not in the page's text
        " ".join(ref.replace("*", "").split())
        for kind, ref in references
        if kind != "cite" or author_year
    ]
    assert compared, f"{chapter}: no references to compare"
    missing = sorted({ref for ref in compared if ref not in text})
    assert not missing, f"{chapter}: the reader notebook says {missing}, the website does not"


@pytest.mark.parametrize("twin", COMMITTED_IPYNB, ids=_ids(COMMITTED_IPYNB))
def test_committed_ipynb_has_a_chapter(twin):
    """Catches a committed .ipynb left behind by a renamed or removed chapter."""
    assert twin.stem in CHAPTERS, f"{twin.name} has no chapter notebook {twin.stem}.md in the toc"
