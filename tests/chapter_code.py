"""Fail on a chapter code cell that ruff would reformat at the 76 columns the page shows, or
that has a longer line (``make lint``; ``make format`` formats them).

Each code cell is checked on its own: piping a whole notebook through ruff (jupytext --check)
also sends the Markdown cells, as comments, so that ruff flags long prose lines and asks for
blank lines between a Markdown cell and a ``def`` that jupytext drops again when it writes the
notebook back, and ``make format`` could never satisfy the check.

    .venv/bin/python -m tests.chapter_code chapters/*.md
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

COLUMNS = 76


def code_cells(path: str) -> list[str]:
    return [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]


def problems(paths: list[str]) -> list[str]:
    found = []
    with tempfile.TemporaryDirectory(prefix="chapter-cells-") as directory:
        files = {}
        for path in paths:
            for index, source in enumerate(code_cells(path)):
                for number, line in enumerate(source.splitlines(), start=1):
                    if len(line) > COLUMNS:
                        found.append(
                            f"{path}: code cell {index}, line {number} is longer than "
                            f"{COLUMNS}: {line}"
                        )
                cell = Path(directory) / f"{Path(path).stem}__cell{index:03d}.py"
                cell.write_text(source + "\n")
                files[cell.name] = f"{path}: code cell {index}"
        check = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "format",
                "--check",
                "--isolated",
                "--no-cache",
                "--line-length",
                str(COLUMNS),
                directory,
            ],
            capture_output=True,
            text=True,
        )
        for line in check.stdout.splitlines() + check.stderr.splitlines():
            for name, where in files.items():
                if name in line:
                    found.append(f"{where} is not ruff-formatted (make format)")
        if check.returncode not in (0, 1):
            found.append(check.stderr)
    return found


def main(paths: list[str]) -> int:
    found = problems(paths)
    print("\n".join(found), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
