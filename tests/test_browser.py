"""The website as readers see it: every built page opened in headless Chromium, in both themes.

`-W` catches what Sphinx can see; this catches what only a browser shows. Each page of
`_build/html` (build it with `make book`) is loaded from a loopback server with the network cut
off, MathJax answered from the pinned npm copy in tests/browser/, once in the light and once in the
dark theme, and a full-page screenshot of each is written to `_build/screenshots/` for review.

Needs Debian's Chromium at /usr/bin/chromium (`.ci/run` installs it). Without it the group is
skipped on a reader's machine and fails in CI (CI=true), where it must run.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    THEMES,
    PageReport,
    SetupError,
    SiteInspector,
    contrast_ratio,
    ensure_mathjax,
    ids_in,
    relative_luminance,
    serve,
)
from tests.notebooks import ROOT, toc_pages

pytestmark = pytest.mark.browser

SITE_DIR = ROOT / "_build" / "html"
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
# Sphinx's generated pages are read too: readers reach them from every page's header.
PAGES = [f"{page}.html" for page in toc_pages()] + ["genindex.html", "search.html"]
# WCAG AA for body text.
MIN_TEXT_CONTRAST = 4.5
# Docutils writes the image's path as its alt text when the source gives none.
PATH_LIKE_ALT = re.compile(r"\S+\.(png|jpe?g|gif|svg|webp|pdf)", re.IGNORECASE)


def _unavailable(reason: str) -> None:
    """Skip on a reader's machine; in CI the browser group must run, so fail there instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.is_file():
        _unavailable(
            f"no browser at {CHROMIUM}: install Debian's chromium (sudo apt-get install chromium) "
            "to run the browser tests"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def mathjax_dir() -> Path:
    try:
        return ensure_mathjax()
    except SetupError as error:
        _unavailable(str(error))


@pytest.fixture(scope="session")
def site_inspector(chromium, mathjax_dir):
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(f"no built site in {SITE_DIR}: run `make book` first", pytrace=False)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    with serve(SITE_DIR) as origin:
        inspector = SiteInspector(chromium, origin, mathjax_dir, SCREENSHOT_DIR)
        yield inspector
        inspector.close()


@pytest.fixture(scope="session")
def page_report(site_inspector):
    """`page_report(page, theme)`: each page loads once per theme, however many tests read it."""
    reports: dict[tuple[str, str], PageReport | Exception] = {}

    def report(page: str, theme: str) -> PageReport:
        key = (page, theme)
        if key not in reports:
            try:
                reports[key] = site_inspector.inspect(page, theme)
            except Exception as error:  # a page that times out should not be loaded again per test
                reports[key] = error
        if isinstance(reports[key], Exception):
            raise reports[key]
        return reports[key]

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


def _fail_on(problems: list[str], page: str, theme: str) -> None:
    if problems:
        pytest.fail(f"{page} ({theme} theme):\n  " + "\n  ".join(problems), pytrace=False)


# --- The site. -------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors(page_report, page, theme):
    """Catches a page missing from the build, a script that throws, any console error, a local
    asset that 404s (a wrong image or stylesheet path), and any request that leaves the machine (a
    CDN script, web font or tracker an offline reader would not get)."""
    _fail_on(load_problems(page_report(page, theme)), page, theme)


@pytest.mark.parametrize("page", PAGES)
def test_math_typesets(page_report, page):
    """Catches TeX that MathJax cannot parse (`mjx-merror`, e.g. an unbalanced brace), macros it
    does not know (shown in red as `\\name`), math left as raw TeX, and a page whose MathJax did
    not load at all."""
    _fail_on(math_problems(page_report(page, "light")), page, "light")


@pytest.mark.parametrize("page", PAGES)
def test_figures_load_and_are_described(page_report, page):
    """Catches an image that does not load (zero natural size: wrong path, not copied, corrupt) and
    an image with neither alt text nor a caption (docutils' fallback alt, the file path, does not
    count)."""
    _fail_on(figure_problems(page_report(page, "light")), page, "light")


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_references_resolve(page_report, site_inspector, page):
    """Catches a link to a page not in the site, a #fragment no element on the target page has
    (a renamed `{prf:ref}`/`{eq}`/section label), and a cross-reference Sphinx left unresolved."""
    report = page_report(page, "light")
    _fail_on(link_problems(report, site_inspector.origin, SITE_DIR), page, "light")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("page", PAGES)
def test_theme_renders(page_report, page, theme):
    """Catches a theme that is not applied (the toggle's stored choice ignored), a background that
    does not follow the theme, body text with too little contrast against it, and a missing
    screenshot."""
    _fail_on(theme_problems(page_report(page, theme)), page, theme)


# --- The checks themselves: a page broken in every way they look for. ------------------------

# A 1x1 PNG.
_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5E"
    "rkJggg=="
)
_BROKEN_PAGE = r"""<!DOCTYPE html>
<html data-theme=""><head>
<script>document.documentElement.dataset.theme = localStorage.getItem("theme") || "";</script>
<script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script>
<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<script src="https://fonts.example.org/font.js"></script>
<style>html[data-theme="dark"] body { background: #121212; color: #222; }</style>
</head><body class="tex2jax_ignore"><article>
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
            dark = inspector.inspect("broken.html", "dark")
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
    assert any("contrast" in problem for problem in theme_problems(dark))
