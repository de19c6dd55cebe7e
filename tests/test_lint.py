"""The formatter, in `make test`: code that a reader sees fits the column, and the project's own
code is linted and formatted (`make lint` runs the same commands and the type checker).

- `adamlib/`, `tests/`, `benchmarks/`: `ruff check` and `ruff format --check`, with the settings
  of pyproject.toml (100 columns).
- The chapters' code cells: formatted by ruff at 76 columns, the width the book's code column shows
  at 1280 px (tests/test_browser.py measures that a 76-character line fits), read as Jupyter
  notebooks through jupytext exactly as `make format` writes them; no line may be longer.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from tests.notebooks import CHAPTERS_DIR, ROOT, notebook_chapters

RUFF = Path(sys.executable).with_name("ruff")
PROJECT_CODE = ("adamlib", "tests", "benchmarks")
CHAPTER_COLUMNS = 76


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUFF), *args], cwd=ROOT, capture_output=True, text=True, check=False)


def chapter_code_problems(sources: dict[str, str], workdir: Path) -> list[str]:
    """What ruff reports on the code cells of MyST notebooks {name: text}: cells it would
    reformat at 76 columns, and lines longer than 76 characters that formatting cannot break."""
    for name, text in sources.items():
        jupytext.write(jupytext.reads(text, fmt="md:myst"), workdir / f"{name}.ipynb")
    width = f"--line-length={CHAPTER_COLUMNS}"
    formatted = _ruff(
        "format",
        "--check",
        "--no-cache",
        "--isolated",
        width,
        "--output-format",
        "concise",
        str(workdir),
    )
    long_lines = _ruff(
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "E501",
        width,
        "--output-format",
        "concise",
        str(workdir),
    )
    problems = [line for line in formatted.stdout.splitlines() if "unformatted:" in line]
    problems += [line for line in long_lines.stdout.splitlines() if "E501" in line]
    if formatted.returncode not in (0, 1) or long_lines.returncode not in (0, 1):
        problems.append(f"ruff did not run: {formatted.stderr}{long_lines.stderr}")
    # Ruff skips a notebook whose kernel is not declared Python, silently: count what it read.
    read = sum(
        map(
            int,
            re.findall(
                r"(\d+) files? (?:would be reformatted|already formatted)", formatted.stdout
            ),
        )
    )
    if read != len(sources):
        problems.append(f"ruff read {read} of {len(sources)} notebooks (kernelspec language?)")
    return problems


@pytest.mark.parametrize("command", ["check", "format"])
def test_project_code_is_linted_and_formatted(command):
    """Catches code in adamlib/tests/benchmarks that ruff's lint rules reject or that is not in
    ruff's format (e.g. a hand-wrapped call, a 101-character line)."""
    args = ["check"] if command == "check" else ["format", "--check"]
    done = _ruff(*args, "--no-cache", *PROJECT_CODE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_chapter_code_fits_the_column(tmp_path):
    """Catches a chapter code cell not formatted at 76 columns or with a longer line (a long
    string or comment the formatter cannot break), which would scroll on the page."""
    sources = {name: (CHAPTERS_DIR / f"{name}.md").read_text() for name in notebook_chapters()}
    problems = chapter_code_problems(sources, tmp_path)
    assert not problems, "run `make format`, then shorten what is left:\n" + "\n".join(problems)


def test_column_check_fails_on_a_long_or_unformatted_cell(tmp_path):
    """The check above can fail: a hand-wrapped call and an unbreakable 80-character comment are
    both reported, and a formatted cell is not."""
    header = (
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n  language: python\n---\n\n"
    )
    cells = [
        "x = 1\n",
        "y = max(1,\n        2)\n",
        "z = 3  # " + "a" * 71 + "\n",
    ]
    text = header + "".join(f"```{{code-cell}} ipython3\n{cell}```\n\n" for cell in cells)
    problems = chapter_code_problems({"broken": text}, tmp_path)
    assert len(problems) == 2, problems
    assert "broken.ipynb:cell 2" in problems[0] and "unformatted" in problems[0]
    assert "broken.ipynb:cell 3" in problems[1] and "E501" in problems[1]
    no_language = text.replace("  language: python\n", "")
    (tmp_path / "unread").mkdir()
    problems = chapter_code_problems({"unread": no_language}, tmp_path / "unread")
    assert problems == ["ruff read 0 of 1 notebooks (kernelspec language?)"], problems
