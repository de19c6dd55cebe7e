"""Each chapter executed as a reader runs it: the committed `chapters/<name>.ipynb` (the notebook
the website's .ipynb download, Colab and Binder buttons give), in a fresh kernel, in `chapters/`.

It fails on what a reader would see broken: a cell error, raw MyST in rendered markdown (a
`{glue:text}` role, a `{prf:theorem}` fence, ...), or a figure cell that displays no image. A
figure cell is one that glues a figure for the book (its outputs carry a glued
`image/png` record), so the check counts exactly the figures the book numbers
(`tests.reader_notebooks.problems`); the self-test below shows that it fails on a deliberately
broken notebook.

The same run checks that a chapter is reproducible: a second execution (the reader's) prints
the same text as the book's, cell by cell, so an unseeded generator, a printed timing or an
object repr with an address fails it. Images are not compared (their bytes may differ between
matplotlib runs while the picture does not).

Executing every chapter costs about a minute of CPU, so this module is not part of `make test`
(its name does not start with `test_`, so `pytest` does not collect it by itself): `make
test-reader` runs it, after `make test` in `.ci/run`, one chapter per core (pytest-xdist).
"""

from __future__ import annotations

import nbformat
import pytest
from jupyter_cache.executors.utils import single_nb_execution

from tests.notebooks import CELL_TIMEOUT_S, CHAPTERS_DIR, executed, notebook_chapters
from tests.reader_notebooks import figure_counts, problems

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
TEXT_TYPES = ("text/plain", "text/html", "text/latex", "text/markdown")


def text_outputs(notebook: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(code cell ordinal, kind, text) for every stream and textual display output. Consecutive
    pieces of one stream are joined: the kernel splits them wherever a flush happened to fall."""
    found: list[tuple[int, str, str]] = []
    code_cells = (cell for cell in notebook.cells if cell.cell_type == "code")
    for ordinal, cell in enumerate(code_cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                if found and found[-1][:2] == (ordinal, output.name):
                    found[-1] = (ordinal, output.name, found[-1][2] + output.text)
                else:
                    found.append((ordinal, output.name, output.text))
            for mime in TEXT_TYPES:
                if mime in output.get("data", {}):
                    found.append((ordinal, mime, output.data[mime]))
    return found


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
    # A second execution prints what the book's printed (the code cells are the same).
    book, reader = text_outputs(executed(chapter)), text_outputs(notebook)
    assert [kind for _, kind, _ in reader] == [kind for _, kind, _ in book]
    for (ordinal, kind, a), (_, _, b) in zip(book, reader, strict=True):
        assert a == b, f"code cell {ordinal} ({kind}) printed different text on a second execution"


def test_reader_check_fails_on_each_kind_of_breakage():
    """The self-test of `make test-reader`: a notebook with a raw role, a raw fence, a figure
    glued but closed without display, and a raising cell must give exactly those problems, and
    a figure shown with `adamlib.book.show_figure` must pass."""
    cells = [
        nbformat.v4.new_markdown_cell("Fine prose, $x$ and `code`."),
        nbformat.v4.new_markdown_cell("The value is {glue:text}`x:.3f`."),
        nbformat.v4.new_markdown_cell("```{prf:theorem}\nRaw.\n```"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "from myst_nb import glue\nfrom adamlib.book import show_figure"
        ),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\nax.plot([0, 1])\n"
            "glue('fig-hidden', fig, display=False)\nplt.close(fig)"
        ),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\nax.plot([1, 0])\nshow_figure('fig-shown', fig)"
        ),
        nbformat.v4.new_code_cell("1 / 0"),
    ]
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    found = problems(execute_as_reader(notebook))
    assert [message.split(":")[0] for message in found] == ["cell 1", "cell 2", "cell 4", "cell 6"]
    assert "{glue:text}`" in found[0] and "```{" in found[1]
    assert "glues 1 figure(s) but displays 0" in found[2] and "ZeroDivisionError" in found[3]
