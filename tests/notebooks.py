"""The book's chapters as executed notebooks, and the values they glue into their text.

Chapter tests use `glued(chapter)` to read back every value a chapter inserted into its prose with
`myst_nb.glue` and compare it with closed forms derived in the test or with `adamlib` numerics:

    from tests.notebooks import glued
    g = glued("bias_correction")
    assert g["first_step_ratio"] == pytest.approx(...)

Each chapter is executed at most once per test session. When `make book` has run and its
execution cache is fresh for the current `adamlib` and pins (see `tests/execution_cache.py`), the
book's executed outputs are reused; otherwise the chapter is executed here, in `chapters/` and
with the book's per-cell timeout, by the same jupyter-cache executor the build uses. This module
reads and executes notebooks; it does not judge them (that is `tests/test_book.py`).

Run as a script (`make book` does), it empties the book's cache if stale, then executes the
chapters the cache lacks, several at a time, and stores them in it as myst-nb would, so that the
Sphinx build, which executes one chapter at a time, finds them executed.
"""

from __future__ import annotations

import argparse
import ast
import functools
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

from tests import execution_cache

ROOT = execution_cache.ROOT
CHAPTERS_DIR = ROOT / "chapters"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CELL_TIMEOUT_S = CONFIG["execute"]["timeout"]


@dataclass(frozen=True)
class Execution:
    """How a chapter's outputs were obtained in this session."""

    chapter: str
    seconds: float
    from_book_cache: bool


# Filled by `executed`, read by the terminal summary in tests/conftest.py.
EXECUTIONS: dict[str, Execution] = {}


def _toc_files(entries: list[dict]) -> list[str]:
    files = []
    for entry in entries:
        if "file" in entry:
            files.append(entry["file"])
        for key in ("parts", "chapters", "sections"):
            files += _toc_files(entry.get(key) or [])
    return files


def toc_pages() -> list[str]:
    """Every page of the book in reading order, as paths without suffix (`chapters/adamw`)."""
    return [TOC["root"]] + _toc_files([TOC])


def source_path(page: str) -> Path:
    return ROOT / f"{page}.md"


def front_matter(path: Path) -> dict:
    """The YAML front matter of a MyST page ({} when it has none)."""
    text = path.read_text()
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4 : text.index("\n---", 3)]) or {}


def is_notebook(path: Path) -> bool:
    """A MyST page is a notebook when its front matter names a kernel."""
    return "kernelspec" in front_matter(path)


def chapter_name(path: Path) -> str:
    return path.relative_to(CHAPTERS_DIR).with_suffix("").as_posix()


def notebook_chapters() -> list[str]:
    """The chapters of the toc that are notebooks, in reading order (`bias_correction`, ...)."""
    return [
        chapter_name(source_path(page))
        for page in toc_pages()
        if page.startswith("chapters/") and is_notebook(source_path(page))
    ]


def read_chapter(chapter: str) -> nbformat.NotebookNode:
    """The chapter's MyST notebook as read by jupytext, without outputs."""
    return jupytext.read(CHAPTERS_DIR / f"{chapter}.md")


def _execute(notebook: nbformat.NotebookNode) -> float:
    """Execute in place as the build does; raise the first cell error; return the seconds taken."""
    result = single_nb_execution(
        notebook, cwd=str(CHAPTERS_DIR), timeout=CELL_TIMEOUT_S, allow_errors=False
    )
    if result.err is not None:
        raise result.err
    return result.time


def _from_book_cache(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    if not execution_cache.is_fresh():
        return None
    try:
        _, merged = get_cache(execution_cache.CACHE_DIR).merge_match_into_notebook(notebook)
    except KeyError:  # no cached execution of these code cells
        return None
    return merged


@functools.cache
def executed(chapter: str) -> nbformat.NotebookNode:
    """The chapter with its outputs; raises nbclient's CellExecutionError if a cell fails."""
    start = time.perf_counter()
    notebook = read_chapter(chapter)
    cached = _from_book_cache(notebook)
    if cached is None:
        _execute(notebook)
    else:
        notebook = cached
    EXECUTIONS[chapter] = Execution(chapter, time.perf_counter() - start, cached is not None)
    return notebook


def _execute_chapter(chapter: str) -> tuple[nbformat.NotebookNode, float | Exception]:
    notebook = read_chapter(chapter)
    try:
        return notebook, _execute(notebook)
    except (
        Exception
    ) as error:  # reported by the caller; the build re-runs it and shows the traceback
        return notebook, error


def fill_book_cache(jobs: int) -> None:
    """Execute the toc's chapters that the book's (fresh) cache lacks, `jobs` at a time, and cache
    them as myst-nb would. A chapter that fails is left out: the build executes it again and
    reports the error with its traceback."""
    cache = get_cache(execution_cache.CACHE_DIR)
    missing = []
    for chapter in notebook_chapters():
        try:
            cache.match_cache_notebook(read_chapter(chapter))
        except KeyError:
            missing.append(chapter)
    if not missing:
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for chapter, (notebook, outcome) in zip(missing, pool.map(_execute_chapter, missing)):
            if isinstance(outcome, Exception):
                print(f"{chapter}: failed ({type(outcome).__name__}); the build will show why")
                continue
            uri = str(CHAPTERS_DIR / f"{chapter}.md")
            bundle = CacheBundleIn(notebook, uri, data={"execution_seconds": outcome})
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
            print(f"{chapter}: executed in {outcome:.1f} s")


def literal_or_text(text: str | None) -> object:
    """A Python literal parsed from `text` when it is one (numbers, strings, containers), else
    `text`."""
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def glued_outputs(notebook: nbformat.NotebookNode) -> dict[str, dict]:
    """Every glue output of an executed notebook: name -> its mime bundle (prefix removed)."""
    outputs = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if output.get("output_type") != "display_data" or not scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            outputs[scrap["name"]] = {
                mime.removeprefix(prefix): data for mime, data in output["data"].items()
            }
    return outputs


def glued(chapter: str) -> dict[str, object]:
    """Every value the chapter glued: name -> Python literal parsed from its text/plain, else the
    text.

    Plain Python numbers, strings, tuples, lists and dicts come back as such; anything else
    (a SymPy expression, a figure) as its `text/plain` string, or None if it has none.
    """
    return {
        name: literal_or_text(bundle.get("text/plain"))
        for name, bundle in glued_outputs(executed(chapter)).items()
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Execute the chapters the book's cache lacks.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    if execution_cache.invalidate_if_stale():
        print(f"execution cache emptied: {' or '.join(execution_cache.CHAPTER_INPUTS)} changed")
    fill_book_cache(parser.parse_args().jobs)
