"""Book-wide checks that hold for every chapter (layer 4 of STYLE.md §4, with the strict build).

Chapter-specific comparisons of glued values with closed forms and `adamlib` live in
`tests/test_chapter_<name>.py`. Each check here names the broken book it catches.
"""

from __future__ import annotations

import json

import jupytext
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

CHAPTERS = notebook_chapters()
CHAPTER_SOURCES = sorted(CHAPTERS_DIR.glob("*.md"))
NOTEBOOK_SOURCES = [path for path in CHAPTER_SOURCES if is_notebook(path)]
COMMITTED_IPYNB = sorted(CHAPTERS_DIR.glob("*.ipynb"))


def _ids(paths):
    return [path.name for path in paths]


@pytest.mark.parametrize("source", CHAPTER_SOURCES, ids=_ids(CHAPTER_SOURCES))
def test_chapter_file_is_listed_in_toc(source):
    """Catches a chapter that exists but is silently left out of the book (`only_build_toc_files`)."""
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
        target = (source.parent / f"{reference.document}.md").resolve() if reference.document else source
        defined = is_notebook(target) and reference.key in glued(chapter_name(target))
        if not defined:
            missing.append(f"{reference.document or page}::{reference.key}")
    assert not missing, f"{page} references glue keys that no cell defines: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_numbers_in_prose_are_glued(chapter):
    """Catches a number typed into a chapter's prose instead of computed and glued, which goes
    stale when the code changes (rules: tests/prose.py)."""
    allowed = set(map(str, front_matter(CHAPTERS_DIR / f"{chapter}.md").get("unglued_prose_numbers", [])))
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


def _comparable(notebook: nbformat.NotebookNode) -> dict:
    return {
        "kernelspec": notebook.metadata.get("kernelspec"),
        "cells": [(c.cell_type, c.source, dict(c.metadata)) for c in notebook.cells],
    }


@pytest.mark.parametrize("source", NOTEBOOK_SOURCES, ids=_ids(NOTEBOOK_SOURCES))
def test_paired_ipynb_matches_markdown(source):
    """Catches a chapter edited in .md without regenerating its .ipynb twin (or the reverse),
    which would make Colab and Binder run a different chapter from the website."""
    twin = source.with_suffix(".ipynb")
    assert twin.exists(), f"{twin.name} is missing: run `make ipynb` and commit it"
    expected = nbformat.reads(jupytext.writes(jupytext.read(source), fmt="ipynb"), as_version=4)
    assert _comparable(nbformat.read(twin, as_version=4)) == _comparable(expected), (
        f"{twin.name} is out of sync with {source.name}: run `make ipynb` and commit it"
    )


@pytest.mark.parametrize("twin", COMMITTED_IPYNB, ids=_ids(COMMITTED_IPYNB))
def test_committed_ipynb_is_output_free_twin(twin):
    """Catches a committed .ipynb that carries outputs or execution counts (saved after running
    it), or that has no .md notebook it was generated from."""
    assert twin.with_suffix(".md").exists(), f"{twin.name} has no {twin.stem}.md source"
    cells = json.loads(twin.read_text())["cells"]
    dirty = [
        index
        for index, cell in enumerate(cells)
        if cell.get("outputs") or cell.get("execution_count") is not None
    ]
    assert not dirty, f"{twin.name} carries outputs in cells {dirty}: run `make ipynb`"
