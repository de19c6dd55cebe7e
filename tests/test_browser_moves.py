"""The interactive figures of "How Adam moves", driven in headless Chromium, network cut off.

Each slider of each figure is moved, and the data plotly.js draws must change; the page must load
plotly.js from the site itself and send no request off the machine. Needs the built site
(`make book`) and Debian's Chromium, like tests/test_browser.py (which this file follows for
serving the site and answering MathJax from the local copy).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.browser.site import (
    MATHJAX_CDN,
    VIEWPORTS,
    SetupError,
    ensure_mathjax,
    serve,
)
from tests.conftest import unavailable
from tests.notebooks import ROOT

pytestmark = pytest.mark.browser

SITE_DIR = ROOT / "_build" / "html"
PAGE = "chapters/moves.html"
TIMEOUT_MS = 30_000

# Everything plotly.js draws, as JSON: the figure's data changes exactly when this does.
_PLOTTED = """
(widget) => JSON.stringify(widget.querySelector(".js-plotly-plot").data.map(
  trace => [Array.from(trace.x), Array.from(trace.y)]))
"""


# What dragging a range input does: a new value, then an `input` event.
_MOVE = """
(slider, value) => {
  slider.value = value;
  slider.dispatchEvent(new Event("input", { bubbles: true }));
}
"""


@pytest.fixture(scope="module")
def loaded_page(chromium):
    """The chapter's page in Chromium, with the requests it made: (page, local, blocked, errors)."""
    try:
        mathjax_dir = ensure_mathjax()
    except SetupError as error:
        unavailable(str(error))
    if not (SITE_DIR / PAGE).is_file():
        pytest.fail(f"no {PAGE} in {SITE_DIR}: run `make book` first", pytrace=False)
    local, blocked, errors = [], [], []
    with serve(SITE_DIR) as origin:
        browser = chromium
        context = browser.new_context(viewport=VIEWPORTS["desktop"], service_workers="block")
        # The theme's choice, stored as its toggle stores it (as tests/browser/site.py does):
        # without it pydata-sphinx-theme logs an error about an empty mode.
        context.add_init_script(
            'localStorage.setItem("mode", "light"); localStorage.setItem("theme", "light");'
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        def route(route) -> None:
            url = route.request.url
            if url.startswith(origin + "/"):
                local.append(urlsplit(url).path)
                route.continue_()
                return
            mathjax = MATHJAX_CDN.match(url)
            if mathjax and (mathjax_dir / mathjax["path"]).is_file():
                route.fulfill(path=mathjax_dir / mathjax["path"])
                return
            blocked.append(url)
            route.abort("blockedbyclient")

        page.route("**/*", route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{origin}/{PAGE}", wait_until="load")
        page.wait_for_function(
            "document.querySelectorAll('.adam-widget .js-plotly-plot').length === 2"
        )
        yield page, local, blocked, errors
        context.close()


def test_page_loads_plotly_from_the_site_and_nothing_from_outside(loaded_page):
    """Catches a CDN script, a missing local plotly.js, or a script error in the widgets."""
    page, local, blocked, errors = loaded_page
    assert blocked == []
    assert any(url.endswith("/_static/plotly.min.js") for url in local)
    assert any(url.endswith("/_static/moves_widgets.js") for url in local)
    assert errors == []
    assert page.locator(".adam-widget-fallback").count() == 0


def test_every_slider_changes_the_plotted_data(loaded_page):
    """Catches a slider that is not wired to the data (or shows the same trajectory for every
    value): moving each slider by one position changes what plotly.js draws, and moving it back
    restores it; and no request leaves the machine meanwhile."""
    page, _local, blocked, errors = loaded_page
    widgets = page.locator(".adam-widget")
    moved = []
    for w in range(widgets.count()):
        widget = widgets.nth(w)
        sliders = widget.locator('input[type="range"]')
        assert sliders.count() >= 2
        for s in range(sliders.count()):
            slider = sliders.nth(s)
            start = slider.input_value()
            before = widget.evaluate(_PLOTTED)
            target = "1" if start == "0" else "0"
            slider.evaluate(_MOVE, target)
            after = widget.evaluate(_PLOTTED)
            assert after != before, f"slider {slider.get_attribute('data-key')} changed nothing"
            slider.evaluate(_MOVE, start)
            assert widget.evaluate(_PLOTTED) == before
            moved.append(slider.get_attribute("data-key"))
    assert sorted(moved) == sorted(["alpha", "beta1", "beta2", "kappa", "angle", "beta1", "beta2"])
    assert blocked == [] and errors == []


def test_initial_setting_is_the_default(loaded_page):
    """Catches a page that opens on another setting than the one the static figure and the glued
    numbers describe."""
    page, *_ = loaded_page
    for widget in page.locator(".adam-widget").all():
        data = json.loads(widget.locator('script[type="application/json"]').text_content())
        values = [s.input_value() for s in widget.locator('input[type="range"]').all()]
        assert values == [str(s["default"]) for s in data["sliders"]]


def test_only_pages_with_interactive_figures_load_plotly():
    """Catches plotly.js (about 5 MB) or the widget script leaking onto every page, as Sphinx 7's
    per-page `add_js_file` would make it."""
    if not (SITE_DIR / PAGE).is_file():
        pytest.fail(f"no {PAGE} in {SITE_DIR}: run `make book` first", pytrace=False)
    loading = sorted(
        str(page.relative_to(SITE_DIR))
        for page in SITE_DIR.rglob("*.html")
        if "plotly.min.js" in page.read_text(encoding="utf-8")
        or "moves_widgets.js" in page.read_text(encoding="utf-8")
    )
    assert loading == [PAGE, f"zh/{PAGE}"]  # the page in each edition (tests/editions.py)
    assert (SITE_DIR / "_static" / "plotly.min.js").stat().st_size > 1_000_000
