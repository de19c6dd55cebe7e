"""Each chapter executed as a reader runs it: the committed `chapters/<name>.ipynb` (the notebook
the website's .ipynb download, Colab and Binder buttons give), in a fresh kernel, in `chapters/`.

It fails on what a reader would see broken: a cell error, raw MyST in rendered markdown (a
`{glue:text}` role, a `{prf:theorem}` fence, ...), or a figure cell that displays no image. A
figure cell is one that glues a figure for the book (its outputs carry a glued
`image/png` record), so the check counts exactly the figures the book numbers
(`tests.reader_notebooks.problems`; `tests/test_reader_notebooks.py` shows that it fails on a
deliberately broken notebook).

Executing every chapter costs about a minute of CPU, so this module is not part of `make test`
(its name does not start with `test_`, so `pytest` does not collect it by itself): `make
test-reader` runs it, after `make test` in `.ci/run`, one chapter per core (pytest-xdist).
"""

from __future__ import annotations

import nbformat
import pytest
from jupyter_cache.executors.utils import single_nb_execution

from tests.notebooks import CELL_TIMEOUT_S, CHAPTERS_DIR, notebook_chapters
from tests.reader_notebooks import figure_counts, problems


def execute_as_reader(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run all cells in a fresh kernel in `chapters/`, keeping going after an error so that
    every problem is reported (errors are outputs that `problems` reports)."""
    result = single_nb_execution(
        notebook, cwd=str(CHAPTERS_DIR), timeout=CELL_TIMEOUT_S, allow_errors=True
    )
    if result.err is not None:  # a timeout or a dead kernel, not a cell error
        raise result.err
    return notebook


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_chapter_runs_for_a_reader(chapter):
    """Catches a chapter that, opened in Jupyter/Colab and run top to bottom, raises, shows raw
    MyST markup, or glues a figure for the book without displaying it in its cell."""
    path = CHAPTERS_DIR / f"{chapter}.ipynb"
    notebook = execute_as_reader(nbformat.read(path, as_version=4))
    glued, shown = figure_counts(notebook)
    found = problems(notebook)
    assert not found, (
        f"{path.name} as a reader runs it ({shown} of {glued} figures displayed):\n"
        + "\n".join(found)
    )
