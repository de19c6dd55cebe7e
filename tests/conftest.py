"""Session-wide test settings: deterministic hypothesis runs, and a report of chapter executions."""

from __future__ import annotations

from hypothesis import settings

from tests.notebooks import EXECUTIONS

# Derandomized so that a run is reproducible; no deadline, because the 2-core machine is shared.
settings.register_profile("book", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("book")


def pytest_terminal_summary(terminalreporter):
    if not EXECUTIONS:
        return
    terminalreporter.section("chapter executions")
    for execution in EXECUTIONS.values():
        source = "book's execution cache" if execution.from_book_cache else "executed in this session"
        terminalreporter.write_line(f"{execution.chapter}: {execution.seconds:.1f} s ({source})")
