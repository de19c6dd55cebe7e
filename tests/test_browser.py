"""The website as readers see it: every built page opened in headless Chromium, in both themes,
at a laptop's width (1280 px) and a phone's (390 px), and printed.

`-W` catches what Sphinx can see; this catches what only a browser shows. Each page of
`_build/html` (build it with `make book`) is loaded from a loopback server with the network cut
off, MathJax answered from the pinned npm copy in tests/browser/. A page is loaded once and then
brought to each view as a reader would (VIEW_ORDER): opened at phone width in the dark theme (the
reader's stored choice), switched to light with its own theme button, widened to a laptop's width,
switched back to dark, and printed; each view is measured, and a screenshot of each (its first
screen; the whole page with BROWSER_SCREENSHOTS=full) is written to `_build/screenshots/`.
The pages are loaded up front by two browsers at once (`page_report`), heaviest first; the tests
then only judge the reports. Loading a chapter costs Chromium seconds of CPU (MathJax typesets a
few hundred expressions), hence one load per page rather than one per view.

Needs Debian's Chromium at /usr/bin/chromium (`.ci/run` installs it). Without it the group is
skipped on a reader's machine and fails in CI (CI=true), where it must run.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import subprocess
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import sync_playwright

from tests.browser.site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    THEMES,
    WIDTHS,
    LayoutReport,
    PageReport,
    SetupError,
    SiteInspector,
    contrast_ratio,
    ensure_mathjax,
    ids_in,
    relative_luminance,
    serve,
)
from tests.conftest import unavailable as _unavailable
from tests.notebooks import ROOT, toc_pages

pytestmark = pytest.mark.browser

SITE_DIR = ROOT / "_build" / "html"
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
# Sphinx's generated pages are read too: readers reach them from every page's header.
# The edition whose pages are checked: the English one at the site's root (`make test`), or the
# Chinese one under zh/ (BROWSER_EDITION=zh, `make test-zh`).
EDITION = os.environ.get("BROWSER_EDITION", "")
PREFIX = f"{EDITION}/" if EDITION else ""
PAGES = [f"{PREFIX}{page}.html" for page in toc_pages()] + [
    f"{PREFIX}genindex.html",
    f"{PREFIX}search.html",
]
# WCAG AA for body text.
MIN_TEXT_CONTRAST = 4.5
# Docutils writes the image's path as its alt text when the source gives none.
PATH_LIKE_ALT = re.compile(r"\S+\.(png|jpe?g|gif|svg|webp|pdf)", re.IGNORECASE)
# Browsers loading pages at once: each page renders in its own Chromium process.
BROWSER_WORKERS = int(os.environ.get("BROWSER_WORKERS", "2"))
# The chapters' code is formatted to this many columns (`make lint`), and at 1280 px it must fit.
CODE_COLUMNS = 76
# Pages printed (laid out for A4) and checked: the chapters, where the code and equations are.
PRINTED = [page for page in PAGES if page.startswith(f"{PREFIX}chapters/")]
# The stable label of a statement is shown next to it (_ext/citable.py); these boxes must have one.
LABELLED_BOXES = re.compile(
    r"\b(theorem|proposition|lemma|corollary|definition|algorithm|conjecture|exercise)\b"
)


@pytest.fixture(scope="session")
def mathjax_dir() -> Path:
    try:
        return ensure_mathjax()
    except SetupError as error:
        _unavailable(str(error))


# The order in which a page is brought to each view: opened on a phone in the dark theme (the
# reader's stored choice), switched to light with the page's theme button, the window widened to
# a laptop's, and switched back to dark. Opening a page afresh at each width gives the same layout
# reports as resizing it, for every page of this book (checked when this was written, in both
# directions); `test_resizing_lays_out_as_a_fresh_load` keeps checking it on the chapter whose
# figures are redrawn by script (Plotly) when the window changes.
VIEW_ORDER = (("dark", "phone"), ("light", "phone"), ("light", "desktop"), ("dark", "desktop"))
PAPER_VIEW = ("light", "desktop")


def _report_keys(session) -> dict[str, tuple[tuple[tuple[str, str], ...], bool]]:
    """The pages the selected tests of this module read, each with the (theme, width) views they
    need in VIEW_ORDER and whether it is also laid out for paper; `-k` selecting a few tests
    loads only their pages."""
    views: dict[str, set[tuple[str, str]]] = {}
    paper: dict[str, bool] = {}
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module.__name__ != __name__ or "page" not in params:
            continue
        page = params["page"]
        printed = item.originalname == "test_printed_page_is_whole"
        views.setdefault(page, set()).add(
            PAPER_VIEW
            if printed
            else (params.get("theme", "light"), params.get("width", "desktop"))
        )
        paper[page] = paper.get(page, False) or printed
    # The heaviest pages last in the dict, which the browsers pop from: they finish together.
    size = {
        page: (SITE_DIR / page).stat().st_size if (SITE_DIR / page).is_file() else 0
        for page in views
    }
    return {
        page: (tuple(view for view in VIEW_ORDER if view in views[page]), paper[page])
        for page in sorted(views, key=size.__getitem__)
    }


def _inspect_all(origin, mathjax_dir, keys, reports, lock) -> None:
    """One worker: its own Playwright and Chromium, loading pages until `keys` is empty."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        inspector = SiteInspector(browser, origin, mathjax_dir, SCREENSHOT_DIR)
        try:
            while True:
                with lock:
                    if not keys:
                        return
                    page, (views, paper) = keys.popitem()
                try:
                    found = inspector.inspect_views(
                        page, views, paper=PAPER_VIEW if paper else None
                    )
                    for (theme, width), report in found.items():
                        reports[page, theme, width] = report
                except Exception as error:  # reported by each test that reads this page
                    for theme, width in views:
                        reports[page, theme, width] = error
        finally:
            inspector.close()
            browser.close()


@pytest.fixture(scope="session")
def site_origin():
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(f"no built site in {SITE_DIR}: run `make book` first", pytrace=False)
    with serve(SITE_DIR) as origin:
        yield origin


@pytest.fixture(scope="session")
def page_report(request, site_origin, mathjax_dir):
    """`page_report(page, theme, width)`: every page the selected tests read, loaded once up front
    by BROWSER_WORKERS browsers at once (each page is a separate Chromium renderer, so two cores
    load two pages at a time)."""
    if not CHROMIUM.is_file():
        _unavailable(
            f"no browser at {CHROMIUM}: install Debian's chromium (sudo apt-get install chromium) "
            "to run the browser tests"
        )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    keys = _report_keys(request.session)
    reports: dict[tuple[str, str, str], PageReport | Exception] = {}
    lock = threading.Lock()
    workers = [
        threading.Thread(target=_inspect_all, args=(site_origin, mathjax_dir, keys, reports, lock))
        for _ in range(min(BROWSER_WORKERS, max(len(keys), 1)))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    def report(page: str, theme: str = "light", width: str = "desktop") -> PageReport:
        found = reports.get((page, theme, width))
        if found is None:
            pytest.fail(f"{page} ({theme}, {width}) was not loaded", pytrace=False)
        if isinstance(found, Exception):
            raise found
        return found

    return report


# --- Judgements: each returns the problems a reader would meet, as readable lines. -------------


def load_problems(report: PageReport) -> list[str]:
    problems = []
    if report.status != 200:
        problems.append(f"HTTP {report.status}: not in _build/html (run `make book`)")
    problems += [f"script error: {error}" for error in report.page_errors]
    problems += [
        f"console error: {error.text}" + (f" (from {error.url})" if error.url else "")
        for error in report.console_errors
    ]
    problems += [f"local request failed: {request}" for request in report.failed_local_requests]
    problems += [
        f"request leaves the machine (an offline reader would not get it): {url}"
        for url in report.blocked_requests
    ]
    return problems


def glyph_problems(report: PageReport) -> list[str]:
    return [f"no font draws {character}" for character in report.missing_glyphs]


def math_problems(report: PageReport) -> list[str]:
    math = report.math
    problems = []
    if math.math_elements and not math.script_present:
        problems.append(f"{math.math_elements} math elements but the page does not load MathJax")
    if math.script_present and not math.loaded:
        problems.append(
            "MathJax did not typeset the page: "
            + (math.startup_error or "its script did not run (blocked, or not in the local copy?)")
        )
    if math.loaded and math.math_elements and math.typeset == 0:
        problems.append(f"MathJax typeset nothing of {math.math_elements} math elements")
    problems += [f"left as raw TeX: {tex}" for tex in math.untypeset]
    problems += [f"MathJax error: {error}" for error in math.errors]
    return problems


def figure_problems(report: PageReport) -> list[str]:
    problems = []
    for image in report.images:
        name = unquote(urlsplit(image.src).path.rsplit("/", 1)[-1]) or image.src
        if image.natural_width == 0 or image.natural_height == 0:
            problems.append(f"image does not load: {image.src}")
        alt = image.alt.strip()
        has_alt = bool(alt) and not PATH_LIKE_ALT.fullmatch(alt)
        if not has_alt and not image.caption:
            problems.append(
                f"image {name} has neither alt text nor a caption"
                + (f" (its alt is only the file path {alt!r})" if alt else "")
            )
    return problems


def link_problems(report: PageReport, origin: str, site_dir: Path) -> list[str]:
    """Links into the site that name a missing file or #fragment, and references left unresolved."""
    problems = [f"unresolved cross-reference: {xref}" for xref in report.unresolved_references]
    site = urlsplit(origin)
    page_file = site_dir / report.page
    for link in report.links:
        url = urlsplit(link.url)
        if (url.scheme, url.netloc) != (site.scheme, site.netloc):
            continue
        path = unquote(url.path).lstrip("/")
        target = site_dir / path
        if path == "" or path.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"link {link.href!r} ({link.text!r}): no such file in the site")
            continue
        fragment = unquote(url.fragment)
        if not fragment or target.suffix != ".html":
            continue
        ids = report.ids if target == page_file else ids_in(target)
        if fragment not in ids:
            problems.append(
                f"link {link.href!r} ({link.text!r}): "
                f"{target.relative_to(site_dir)} has no element id={fragment!r}"
            )
    return problems


def theme_problems(report: PageReport) -> list[str]:
    problems = []
    if report.applied_theme != report.theme:
        problems.append(f"the page shows the {report.applied_theme!r} theme, not {report.theme!r}")
    background = relative_luminance(report.background_rgb)
    if (report.theme == "dark") != (background < 0.2):
        problems.append(
            f"background rgb{report.background_rgb} (luminance {background:.2f}) "
            f"is not a {report.theme} background"
        )
    contrast = contrast_ratio(report.text_rgb, report.background_rgb)
    if contrast < MIN_TEXT_CONTRAST:
        problems.append(
            f"text rgb{report.text_rgb} on rgb{report.background_rgb}: "
            f"contrast {contrast:.1f} < {MIN_TEXT_CONTRAST}"
        )
    if report.screenshot is None or report.screenshot.stat().st_size == 0:
        problems.append("no screenshot was written")
    return problems


def layout_problems(layout: LayoutReport, width: str) -> list[str]:
    """Content a reader cannot see: clipped, widening the page, or shrunk below legibility; and,
    at the laptop width, a code block of at most CODE_COLUMNS characters that still scrolls."""
    problems = []
    if layout.page_width > layout.viewport_width + 1:
        problems.append(
            f"the page scrolls sideways: {layout.page_width} px wide in a "
            f"{layout.viewport_width}-px window; reaching past it: " + "; ".join(layout.widest)
        )
    for overflow in layout.overflows:
        if overflow.state != "scrolls":
            problems.append(
                f"{overflow.kind} {overflow.state} by {overflow.excess_px} px: {overflow.what}"
            )
        elif (
            width == "desktop"
            and overflow.kind == "code block"
            and overflow.longest <= CODE_COLUMNS
        ):
            problems.append(
                f"code block of {overflow.longest}-character lines needs scrolling at "
                f"{layout.viewport_width} px ({overflow.excess_px} px more): {overflow.what}"
            )
    problems += [f"figure too small to read: {figure}" for figure in layout.small_figures]
    return problems


def print_problems(layout: LayoutReport) -> list[str]:
    """On paper nothing scrolls: a code block or equation that does not fit is cut off."""
    problems = [
        f"printed {overflow.kind} cut off by {overflow.excess_px} px: {overflow.what}"
        for overflow in layout.overflows
        if overflow.kind in ("code block", "display equation", "inline equation", "figure")
    ]
    if layout.page_width > layout.viewport_width + 1:
        problems.append(
            f"printed page {layout.page_width} px wide for a {layout.viewport_width}-px sheet: "
            + "; ".join(layout.widest)
        )
    return problems


def citable_problems(html: str | BeautifulSoup) -> list[str]:
    """Labelled statements without their label shown as a permalink next to the number."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    problems = []
    for box in soup.select("div.admonition[id]"):
        classes = " ".join(box.get("class", []))
        if not LABELLED_BOXES.search(classes) or "solution" in classes:
            continue
        label = box["id"]
        if re.fullmatch(r"[a-z]+-\d+", label) or "/" in label:  # unlabelled: no stable label
            continue
        title = box.find(class_="admonition-title")
        badge = title.find(class_="citable-label") if title else None
        link = badge.find("a", href=f"#{label}") if badge else None
        if link is None or link.get_text(strip=True) != label:
            kind = LABELLED_BOXES.search(classes).group(1)
            problems.append(
                f"{kind} {label}: its label is not shown as a link to itself next to its number"
            )
        elif badge.find("button", attrs={"data-label": label}) is None:
            problems.append(f"{label}: no copy-link button")
    return problems


def footer_problems(html: str | BeautifulSoup, version: str) -> list[str]:
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    info = soup.select_one("footer .build-info")
    if info is None:
        return ["the footer does not say which version and commit the page was built from"]
    problems = []
    shown = info.select_one(".build-version")
    if shown is None or shown.get_text(strip=True) != version:
        problems.append(
            f"the footer shows version {shown.get_text(strip=True) if shown else None!r}, "
            f"CITATION.cff says {version!r}"
        )
    commit = info.select_one(".build-commit")
    sha = commit.get_text(strip=True) if commit else ""
    if not re.fullmatch(r"[0-9a-f]{7,40}", sha) or not _is_commit(sha):
        problems.append(f"the footer's commit {sha!r} is not a commit of this repository")
    return problems


def _is_commit(sha: str) -> bool:
    done = subprocess.run(
        ["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=ROOT, capture_output=True
    )
    return done.returncode == 0


def _fail_on(problems: list[str], page: str, theme: str) -> None:
    if problems:
        pytest.fail(f"{page} ({theme} theme):\n  " + "\n  ".join(problems), pytrace=False)


# --- The site. -------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors(page_report, page, theme, width):
    """Catches a page missing from the build, a script that throws, any console error, a local
    asset that 404s (a wrong image or stylesheet path), and any request that leaves the machine (a
    CDN script, web font or tracker an offline reader would not get)."""
    _fail_on(load_problems(page_report(page, theme, width)), page, f"{theme}, {width}")


@pytest.mark.parametrize("page", PAGES)
def test_math_typesets(page_report, page):
    """Catches TeX that MathJax cannot parse (`mjx-merror`, e.g. an unbalanced brace), macros it
    does not know (shown in red as `\\name`), math left as raw TeX, and a page whose MathJax did
    not load at all."""
    _fail_on(math_problems(page_report(page, "light")), page, "light")


@pytest.mark.parametrize("page", PAGES)
def test_every_character_has_a_glyph(page_report, page):
    """Catches text shown as boxes ("tofu"): a character of the page that no installed font
    draws (e.g. Chinese without Debian's fonts-noto-cjk)."""
    _fail_on(glyph_problems(page_report(page, "light")), page, "light")


@pytest.mark.parametrize("page", PAGES)
def test_figures_load_and_are_described(page_report, page):
    """Catches an image that does not load (zero natural size: wrong path, not copied, corrupt) and
    an image with neither alt text nor a caption (docutils' fallback alt, the file path, does not
    count)."""
    _fail_on(figure_problems(page_report(page, "light")), page, "light")


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_references_resolve(page_report, site_origin, page):
    """Catches a link to a page not in the site, a #fragment no element on the target page has
    (a renamed `{prf:ref}`/`{eq}`/section label), and a cross-reference Sphinx left unresolved."""
    report = page_report(page, "light")
    _fail_on(link_problems(report, site_origin, SITE_DIR), page, "light")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("page", PAGES)
def test_theme_renders(page_report, page, theme, width):
    """Catches a theme that is not applied (the stored choice ignored when the page opens, or the
    theme button not switching it), a background that does not follow the theme, body text with
    too little contrast against it, and a missing screenshot."""
    _fail_on(theme_problems(page_report(page, theme, width)), page, f"{theme}, {width}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("page", PAGES)
def test_page_fits(page_report, page, theme, width):
    """Catches a code block, display or inline equation, table or figure whose content is cut off
    without a scroll box (e.g. by a theorem box's `overflow: hidden`), anything that makes the page
    itself scroll sideways (a long URL, a wide table outside its scroll box), a figure shrunk
    illegibly small on a phone, and, at 1280 px, a code block whose lines fit the 76 columns the
    chapters are formatted to but which still scrolls (the column or font got narrower/larger)."""
    report = page_report(page, theme, width)
    _fail_on(layout_problems(report.layout, width), page, f"{theme}, {width}")


@pytest.mark.parametrize("page", PRINTED)
def test_printed_page_is_whole(page_report, page):
    """Catches printing (A4, Chromium's print layout) that cuts off a code line or an equation:
    on paper nothing scrolls, so code must wrap and a wide equation must shrink to the sheet."""
    report = page_report(page, "light", "desktop")
    _fail_on(print_problems(report.print_layout), page, "light, printed")


def test_resizing_lays_out_as_a_fresh_load(
    page_report, chromium, site_origin, mathjax_dir, tmp_path
):
    """Catches the shortcut VIEW_ORDER takes going wrong: the laptop-width views are reached by
    widening a page opened on a phone, so a page whose layout at 1280 px depends on the width it
    was opened at would be judged on a layout no reader sees. The chapter whose figures script
    redraws on resize (Plotly) is opened afresh at 1280 px and must measure the same."""
    page = f"{PREFIX}chapters/moves.html"
    inspector = SiteInspector(chromium, site_origin, mathjax_dir, tmp_path)
    try:
        fresh = inspector.inspect(page, "light", "desktop").layout
    finally:
        inspector.close()
    resized = page_report(page, "light", "desktop").layout
    assert resized.counts["figure"] > 0 and fresh.viewport_width == resized.viewport_width
    assert (fresh.page_width, fresh.counts, fresh.overflows, fresh.small_figures) == (
        resized.page_width,
        resized.counts,
        resized.overflows,
        resized.small_figures,
    )


def _built(page: str) -> str:
    path = SITE_DIR / page
    if not path.is_file():
        pytest.fail(f"{page} is not in {SITE_DIR}: run `make book`", pytrace=False)
    return path.read_text(encoding="utf-8")


@functools.cache
def _parsed(page: str) -> BeautifulSoup:
    """The built page, parsed once for the tests below (read-only)."""
    return BeautifulSoup(_built(page), "html.parser")


@pytest.mark.parametrize("page", PAGES)
def test_statements_show_their_label(page):
    """Catches a theorem, proposition, lemma, definition, algorithm or exercise with a `:label:`
    whose label is not shown next to its number as a permalink with a copy button (the
    _ext/citable.py extension not loaded, or sphinx-proof's markup changed under it)."""
    _fail_on(citable_problems(_parsed(page)), page, "HTML")


def test_index_lists_every_label():
    """Catches a labelled statement missing from the index page (or an index entry pointing at a
    statement that no longer exists), and an index not reachable from the landing page and the
    table of contents."""
    index = _parsed(f"{PREFIX}chapters/statements.html")
    listed = {a["href"].split("#", 1)[1] for a in index.select("table.citable-index a[href*='#']")}
    shown = set()
    for page in PAGES:
        soup = _parsed(page)
        shown |= {a["href"][1:] for a in soup.select(".citable-label a.citable-permalink")}
    assert shown, "no statement shows a label"
    assert listed == shown, (
        f"labels shown but not in the index: {sorted(shown - listed)}; "
        f"in the index but shown nowhere: {sorted(listed - shown)}"
    )
    landing = _parsed(f"{PREFIX}intro.html")
    article = {a["href"] for a in landing.select("article a[href]")}
    toc = {a["href"] for a in landing.select("nav.bd-links a[href]")}
    assert "chapters/statements.html" in article, "the landing page does not link the index"
    assert "chapters/statements.html" in toc, "the table of contents does not list the index"


@pytest.mark.parametrize("page", PAGES)
def test_footer_names_version_and_commit(page):
    """Catches a page whose footer does not name the version (as in CITATION.cff, which
    `make release` sets) and a real commit of this repository it was built from."""
    version = re.search(
        r"^version:\s*['\"]?([^'\"\s#]+)", (ROOT / "CITATION.cff").read_text(), re.MULTILINE
    )
    assert version, "CITATION.cff has no version"
    _fail_on(footer_problems(_parsed(page), version.group(1)), page, "HTML")


# --- The checks themselves: a page broken in every way they look for. ------------------------

# A 1x1 PNG.
_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5E"
    "rkJggg=="
)
_BROKEN_PAGE = r"""<!DOCTYPE html>
<html data-theme=""><head><meta charset="utf-8">
<script>document.documentElement.dataset.theme = localStorage.getItem("theme") || "";</script>
<script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script>
<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<script src="https://fonts.example.org/font.js"></script>
<style>html[data-theme="dark"] body { background: #121212; color: #222; }</style>
</head><body class="tex2jax_ignore"><article>
<button class="theme-switch-button" title="a theme button that switches nothing"></button>
<p>中文 and a private-use character: </p>
<p><span class="math notranslate nohighlight">\(\frac{1}{2\)</span></p>
<p><span class="math notranslate nohighlight">\(x^2^3\)</span></p>
<p><span class="math notranslate nohighlight">\(\undefinedmacro x\)</span></p>
<p><span class="math notranslate nohighlight">\(\hat m_t\)</span></p>
<img src="missing.png" alt="A plot of the loss">
<img src="pixel.png" alt="pixel.png">
<figure><img src="pixel.png"><figcaption>Captioned, so no alt is needed.</figcaption></figure>
<a href="#nowhere">dangling fragment</a> <a href="other.html">missing page</a> <a href="#ok">ok</a>
<a href="target.html#equation-present">(1)</a> <a href="target.html#equation-renamed">(2)</a>
<span id="ok" class="xref prf prf-ref">thm-missing</span>
<script>notDefinedAnywhere();</script>
</article></body></html>
"""


def test_checks_catch_a_broken_page(chromium, mathjax_dir, tmp_path):
    """The judgements above can fail: on a page with one of each fault, every fault is reported and
    the sound parts are not. Catches a check that has gone blind (e.g. MathJax errors no longer
    read back, or every fragment accepted)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken.html").write_text(_BROKEN_PAGE)
    (site / "pixel.png").write_bytes(_PIXEL_PNG)
    (site / "target.html").write_text('<html><body><div id="equation-present"></div></body></html>')
    with serve(site) as origin:
        inspector = SiteInspector(chromium, origin, mathjax_dir, tmp_path)
        try:
            light = inspector.inspect("broken.html", "light")
            switched = inspector.inspect_views(
                "broken.html", (("dark", "desktop"), ("light", "desktop"))
            )
            dark = switched["dark", "desktop"]
        finally:
            inspector.close()

    loads = "\n".join(load_problems(light))
    assert "notDefinedAnywhere" in loads
    assert "missing.png -> HTTP 404" in loads
    assert "request leaves the machine" in loads and "fonts.example.org" in loads
    assert "cdn.jsdelivr.net" not in loads, "the MathJax CDN must be served from the local copy"

    maths = math_problems(light)
    assert light.math.loaded and light.math.typeset == 3
    assert any(r"left as raw TeX: \(\frac{1}{2\)" in problem for problem in maths)
    assert any(r"x^2^3  ->  Double exponent" in problem for problem in maths)
    assert any(r"undefined control sequence \undefinedmacro" in problem for problem in maths)
    assert not any(r"\hat m_t" in problem for problem in maths)

    figures = figure_problems(light)
    assert any("does not load" in problem and "missing.png" in problem for problem in figures)
    assert any("pixel.png has neither alt text nor a caption" in problem for problem in figures)
    assert len(figures) == 2, figures

    links = link_problems(light, origin, site)
    assert any("#nowhere" in problem for problem in links)
    assert any("other.html" in problem for problem in links)
    assert any("thm-missing" in problem for problem in links)
    assert any("target.html has no element id='equation-renamed'" in problem for problem in links)
    assert len(links) == 4, links

    assert theme_problems(light) == []
    assert glyph_problems(light) == ["no font draws \ue001 (U+E001)"], glyph_problems(light)
    assert any("contrast" in problem for problem in theme_problems(dark))
    assert any(
        "shows the 'dark' theme, not 'light'" in problem
        for problem in theme_problems(switched["light", "desktop"])
    ), "a theme button that does not switch the theme must be caught"


# A page with one of each layout fault, and one sound instance of each kind that must pass.
_BROKEN_LAYOUT_PAGE = r"""<!DOCTYPE html>
<html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script>
<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<style>
  body { margin: 8px; font: 16px sans-serif; }
  article { width: 360px; }
  .clip { overflow: hidden; width: 200px; }
  pre { margin: 0; font: 14px monospace; }
  pre.own { overflow-x: auto; }
  pre.narrow { overflow-x: auto; width: 240px; }
</style>
</head><body class="tex2jax_ignore"><article>
<div class="clip"><pre>clipped_code = "CLIPPED" + "_" * 60</pre></div>
<pre class="own">LONG_LINE</pre>
<pre class="narrow">short = "forty characters, still scrolls"</pre>
<div class="clip"><div class="math">
  \[ \sum_{i=1}^{n} a_i b_i c_i d_i e_i f_i g_i h_i = CLIPPEDEQ \]
</div></div>
<div class="clip"><p>
  <span class="math">\(x_1 + x_2 + x_3 + x_4 + x_5 + x_6 + x_7 + x_8 + x_9\)</span>
</p></div>
<div class="clip"><table><tr>
  <td style="white-space: nowrap">CLIPPEDTABLE a cell far too wide for its box</td>
</tr></table></div>
<div style="overflow-x: auto"><table><tr>
  <td style="white-space: nowrap">a wide table in a scroll box is fine, it scrolls</td>
</tr></table></div>
<figure><img src="wide.svg" alt="a wide plot" style="width: 200px"></figure>
<p style="white-space: nowrap">WIDENS https://example.org/a/very/long/address/that/cannot/break/and/
is/longer/than/the/window/of/a/laptop/at/1280/px/because/it/goes/on/and/on/and/on/and/on/and/on/
and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on</p>
</article></body></html>
""".replace("LONG_LINE", 'scrolling = "' + "longer than the 76 columns, in its own box; " * 2 + '"')
_WIDE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="300">'
    '<rect width="800" height="300" fill="#ddd"/></svg>'
)


def test_layout_checks_catch_a_broken_page(chromium, mathjax_dir, tmp_path):
    """The layout judgements can fail: on a page with one of each fault (code, display and inline
    equations and a table cut off by `overflow: hidden`, a text line widening the page, a figure
    shrunk to 200 px, a short-lined code block that scrolls), each is reported at the width where
    it is a fault, in print a scrolling code block counts as cut off, and the sound instances (a
    long code line in its own scroll box, a wide table in a scroll box) are not reported."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "layout.html").write_text(_BROKEN_LAYOUT_PAGE)
    (site / "wide.svg").write_text(_WIDE_SVG)
    with serve(site) as origin:
        inspector = SiteInspector(chromium, origin, mathjax_dir, tmp_path)
        try:
            desktop = inspector.inspect("layout.html", "light", "desktop", paper=True)
            phone = inspector.inspect("layout.html", "light", "phone")
        finally:
            inspector.close()

    assert desktop.math.typeset == 2 and not desktop.math.errors, desktop.math
    found = layout_problems(desktop.layout, "desktop")
    text = "\n".join(found)
    assert any(p.startswith("code block clipped") and "CLIPPED" in p for p in found), text
    assert any(p.startswith("display equation clipped") and "CLIPPEDEQ" in p for p in found), text
    assert any(p.startswith("inline equation clipped") and "x_9" in p for p in found), text
    assert any(p.startswith("table clipped") and "CLIPPEDTABLE" in p for p in found), text
    assert any(p.startswith("the page scrolls sideways") and "WIDENS" in p for p in found), text
    assert any("figure too small to read: wide.svg shown 200 px" in p for p in found), text
    assert any(p.startswith("code block of 41-character lines needs scrolling") for p in found)
    assert "scrolling =" not in text and "in a scroll box is fine" not in text, text
    assert len(found) == 7, text

    on_phone = layout_problems(phone.layout, "phone")
    assert not any("41-character" in p for p in on_phone), "only the laptop width fits 76 columns"
    assert any("the page scrolls sideways" in p for p in on_phone)

    printed = "\n".join(print_problems(desktop.print_layout))
    assert "printed code block cut off" in printed and "scrolling =" in printed, printed
