"""Session-wide test settings: deterministic hypothesis runs, and a report of chapter executions.

Two hypothesis profiles: ``book`` (the default: derandomised, so that ``make test`` is
reproducible and fast) and ``deep``, random examples, 10 000 of each cross-checking property
(tests/helpers.py):

    HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/test_adamlib_switch_space.py
"""

from __future__ import annotations

import os

from hypothesis import settings

from tests.notebooks import EXECUTIONS

# No deadline, because the 2-core machine is shared.
settings.register_profile("book", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("deep", derandomize=False, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))


def pytest_terminal_summary(terminalreporter):
    if not EXECUTIONS:
        return
    terminalreporter.section("chapter executions")
    for execution in EXECUTIONS.values():
        source = (
            "book's execution cache" if execution.from_book_cache else "executed in this session"
        )
        terminalreporter.write_line(f"{execution.chapter}: {execution.seconds:.1f} s ({source})")
