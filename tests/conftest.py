"""Session-wide test settings: deterministic hypothesis runs, and a report of chapter executions.

Two hypothesis profiles: ``book`` (the default: derandomised, so that ``make test`` is
reproducible and fast) and ``deep``, random examples, 10 000 of each cross-checking property
(tests/helpers.py):

    HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/test_adamlib_switch_space.py
"""

from __future__ import annotations

import os
import sys

# `make test` runs one worker per core: each worker's torch (OpenMP) keeps to one thread, rather
# than two workers' thread pools contending for two cores (which tripled the chapters' torch
# re-runs). Set before torch is first imported; applied as well if a plugin imported it already.
os.environ.setdefault("OMP_NUM_THREADS", "1")
if "torch" in sys.modules:
    sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

import pytest
from hypothesis import settings
from playwright.sync_api import sync_playwright

from tests.browser.site import CHROMIUM, CHROMIUM_ARGS
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


def unavailable(reason: str) -> None:
    """Skip a browser test on a reader's machine; in CI the browser group must run, so fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session's browser tests (Playwright's sync API allows one
    driver per thread, so every module shares it)."""
    if not CHROMIUM.is_file():
        unavailable(
            f"no browser at {CHROMIUM}: install Debian's chromium (sudo apt-get install chromium) "
            "to run the browser tests"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def pytest_collection_modifyitems(config, items):
    """The browser modules first: under `make test` (xdist, --dist loadscope) the worker that
    loads every page starts on them at once, and the other modules fill both workers after, so
    that the two finish together."""
    first = ("tests/test_browser.py", "tests/test_browser_moves.py")
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in first)
