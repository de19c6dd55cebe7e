"""The built book served on loopback and read in headless Chromium, as a reader's browser sees it.

`SiteInspector.inspect(page, theme)` loads one page of `_build/html` in Debian's Chromium (driven by
Playwright, never a downloaded browser), with every request that leaves 127.0.0.1 aborted and the
MathJax CDN answered from the pinned npm copy in this folder, at a laptop's or a phone's width. It
returns a `PageReport`: what the console said, what MathJax typeset, which images loaded, every
link and element id, the theme that was applied, and where each code block, equation, table and
figure ended up (and, on request, where they end up on paper); it also writes a screenshot (the
first screen, or the full page with BROWSER_SCREENSHOTS=full). The judgements live in
tests/test_browser.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

BROWSER_DIR = Path(__file__).resolve().parent
MATHJAX_DIR = BROWSER_DIR / "node_modules" / "mathjax"
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking switches Chromium keeps calling home at start-up, which this machine's
# closed network refuses; --no-sandbox because the tests run as root in CI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The script jupyter-book 1 (sphinx.ext.mathjax) puts on every page with math. A page asking for
# another MathJax (another major version, another CDN) is not answered and fails the tests loudly.
MATHJAX_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@3/(?P<path>[^?#]*)")
MATHJAX_MAJOR = "3"
THEMES = ("light", "dark")
# A laptop (the column shows the 76-character code lines the chapters are formatted to) and a
# phone (an iPhone 12-15's CSS width).
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
WIDTHS = tuple(VIEWPORTS)
# A4 paper (210 mm) less Chromium's default 10-mm print margins, in CSS px at 96 per inch.
PRINT_VIEWPORT = {"width": round((210 - 2 * 10) / 25.4 * 96), "height": 1100}
PAGE_TIMEOUT_MS = 30_000


class SetupError(RuntimeError):
    """Something the browser tests need is missing from this machine; the message says what."""


def ensure_mathjax() -> Path:
    """The pinned MathJax, installed with `npm ci` from tests/browser/package-lock.json if missing.

    The lock serialises pytest-xdist workers, so only one of them runs npm.
    """
    with open(BROWSER_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (MATHJAX_DIR / "package.json").is_file():
            npm = shutil.which("npm")
            if npm is None:
                raise SetupError(
                    "npm is needed to install the local MathJax copy (Debian: apt-get install npm)"
                )
            subprocess.run(
                [npm, "ci", "--prefix", str(BROWSER_DIR), "--no-audit", "--no-fund"],
                check=True,
                capture_output=True,
                text=True,
            )
    version = json.loads((MATHJAX_DIR / "package.json").read_text())["version"]
    if version.split(".")[0] != MATHJAX_MAJOR:
        raise SetupError(
            f"tests/browser pins MathJax {version}; the book loads MathJax {MATHJAX_MAJOR}"
        )
    return MATHJAX_DIR


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are judged by the tests; an access log would only bury their output."""


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 at a free port, in a thread; yields the origin URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class ConsoleError:
    text: str
    url: str


@dataclass(frozen=True)
class Image:
    src: str
    alt: str
    natural_width: int
    natural_height: int
    caption: str


@dataclass(frozen=True)
class Link:
    href: str  # as written in the page
    url: str  # resolved against the page's URL
    text: str


@dataclass(frozen=True)
class MathReport:
    script_present: bool  # the page asks for MathJax
    loaded: bool  # ...and MathJax started
    startup_error: str
    math_elements: int  # Sphinx's `.math` spans and divs (inline and display TeX)
    typeset: int  # expressions MathJax typeset
    untypeset: list[str]  # `.math` elements left as raw TeX
    errors: list[str]  # TeX source and MathJax's message, for each expression in error


@dataclass(frozen=True)
class Overflow:
    kind: str  # "code block", "display equation", "inline equation", "table", "figure"
    what: str  # the start of its text, or the image's file name
    state: str  # "scrolls" (inside its own scroll box), "clipped", or "widens the page"
    excess_px: int  # how much of it lies outside the box that shows it
    longest: int = 0  # a code block's longest line, in characters


@dataclass(frozen=True)
class LayoutReport:
    viewport_width: int
    page_width: int  # the document's scroll width: > viewport_width when the page scrolls sideways
    widest: list[str]  # the elements reaching furthest past the viewport, when the page scrolls
    counts: dict[str, int]  # elements of each kind on the page (rendered ones)
    overflows: list[Overflow]  # every element whose content does not fit the box it is shown in
    small_figures: list[str]  # figure images shrunk below the legible width (phone only)


@dataclass
class PageReport:
    page: str
    theme: str
    status: int
    width: str = "desktop"
    console_errors: list[ConsoleError] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_local_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    math: MathReport | None = None
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    unresolved_references: list[str] = field(default_factory=list)
    missing_glyphs: list[str] = field(default_factory=list)  # characters no font can draw
    ids: set[str] = field(default_factory=set)
    applied_theme: str = ""
    background_rgb: tuple[int, int, int] = (0, 0, 0)
    text_rgb: tuple[int, int, int] = (0, 0, 0)
    screenshot: Path | None = None
    layout: LayoutReport | None = None
    print_layout: LayoutReport | None = None  # the same page laid out for paper, when asked


# Runs in the page after MathJax (inside _INSPECT_JS, with every <details> opened): where each code
# block, display equation, table and figure image ends up. Its content's horizontal extent is
# walked up through its ancestors: the first one that does not let it overflow visibly (overflow-x
# other than `visible`) and is narrower than the content either scrolls it (`auto`/`scroll`: the
# reader can reach it) or clips it (`hidden`/`clip`: silently cut off); content that no ancestor
# holds and that reaches past the viewport widens the page itself.
_LAYOUT_JS = r"""
(minFigurePx) => {
  const viewport = document.documentElement.clientWidth;
  const rendered = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const snippet = el => (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 70);
  const texOf = new Map();
  if (window.MathJax && MathJax.startup && MathJax.startup.document) {
    for (const item of MathJax.startup.document.math) {
      if (item.typesetRoot) texOf.set(item.typesetRoot, item.math.trim().replace(/\s+/g, " "));
    }
  }
  const equationName = el => {
    const holder = el.closest("[id^='equation-']");
    const tex = (texOf.get(el) || snippet(el)).slice(0, 70);
    return holder ? `${holder.id.replace(/^equation-/, "")}: ${tex}` : tex;
  };
  const fileName = img => decodeURIComponent((img.currentSrc || img.src).split("/").pop());
  // [left, right] of the content in viewport coordinates, and where the walk starts.
  const kinds = [
    ["code block", "article pre", el => {
      const r = el.getBoundingClientRect(), left = r.left + el.clientLeft - el.scrollLeft;
      return [left, left + el.scrollWidth, el];
    }, snippet],
    ["display equation", 'article mjx-container[display="true"]', el => {
      const r = (el.querySelector("mjx-math") || el).getBoundingClientRect();
      return [r.left, r.right, el];
    }, equationName],
    ["inline equation", 'article mjx-container:not([display="true"])', el => {
      const r = (el.querySelector("mjx-math") || el).getBoundingClientRect();
      return [r.left, r.right, el];
    }, equationName],
    ["table", "article table", el => {
      const r = el.getBoundingClientRect();
      return [r.left, r.right, el.parentElement];
    }, snippet],
    ["figure", "article img", el => {
      const r = el.getBoundingClientRect();
      return [r.left, r.right, el.parentElement];
    }, fileName],
  ];
  const place = (left, right, start) => {
    for (let box = start; box && box !== document.documentElement; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow === "visible") continue;
      const r = box.getBoundingClientRect();
      const inner = r.left + box.clientLeft, innerRight = inner + box.clientWidth;
      const excess = Math.max(right - innerRight, inner - left);
      if (excess > 1) {
        return [overflow === "auto" || overflow === "scroll" ? "scrolls" : "clipped", excess];
      }
    }
    const excess = Math.max(right - viewport, -left);
    return excess > 1 ? ["widens the page", excess] : null;
  };
  const counts = {}, overflows = [];
  for (const [kind, selector, extent, describe] of kinds) {
    const elements = [...document.querySelectorAll(selector)].filter(rendered);
    counts[kind] = elements.length;
    for (const el of elements) {
      const [left, right, start] = extent(el);
      const found = place(left, right, start);
      if (found) overflows.push({
        kind, what: describe(el), state: found[0], excess_px: Math.round(found[1]),
        longest: kind === "code block"
          ? Math.max(...el.textContent.split("\n").map(line => [...line].length)) : 0,
      });
    }
  }
  // When the page scrolls sideways: the innermost elements whose box or content (a line that
  // cannot break) reaches past the viewport, outside any scroll box or fixed layer.
  const widest = [];
  if (document.documentElement.scrollWidth > viewport + 1) {
    const free = el => {
      for (let a = el; a && a !== document.body; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (style.position === "fixed") return false;
        if (a !== el && style.overflowX !== "visible") return false;
      }
      return true;
    };
    const reach = el => {
      const r = el.getBoundingClientRect();
      return r.left + Math.max(r.width, el.scrollWidth);
    };
    const past = [...document.body.querySelectorAll("*")]
      .filter(el => rendered(el) && reach(el) > viewport + 1 && free(el));
    const inner = past.filter(el => !past.some(other => other !== el && el.contains(other)));
    for (const el of inner.slice(0, 5)) {
      const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : "")
        + (el.classList.length ? "." + [...el.classList].join(".") : "");
      widest.push(`${name} (right edge at ${Math.round(reach(el))} px): ${snippet(el)}`);
    }
  }
  // Figure images shown narrower than both their own width and the legible minimum.
  const small_figures = [
    ...document.querySelectorAll("article figure img, article .cell_output img"),
  ].filter(rendered)
    .filter(img => img.getBoundingClientRect().width + 1 < Math.min(img.naturalWidth, minFigurePx))
    .map(img => `${fileName(img)} shown ${Math.round(img.getBoundingClientRect().width)} px wide`
                + ` (its own width ${img.naturalWidth} px)`);
  return {viewport_width: viewport, page_width: document.documentElement.scrollWidth, widest,
          counts, overflows, small_figures};
}
"""


# Runs in the page once it has loaded. Lazy images load only near the viewport, so every image is
# switched to eager loading and decoded before its size is read. MathJax's own parse of each
# expression is read back as MathML: `merror` marks a TeX error, and a red `mtext` holding a
# backslash name is MathJax's rendering of an undefined macro (the `noundefined` extension).
_INSPECT_JS = r"""
async ([timeoutMs, minFigurePx]) => {
  // Playwright's evaluate has no timeout of its own: a promise that never settles would hang.
  const within = (promise, what) => Promise.race([promise, new Promise((_, reject) => setTimeout(
    () => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs))]);

  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await within(Promise.all(images.map(img => img.decode().catch(() => null))), "image loading")
    .catch(() => null);  // an image still loading is then reported as not loaded

  const mathElements = [...document.querySelectorAll(".math")];
  const math = {
    script_present: !!document.querySelector('script[src*="mathjax" i]'),
    loaded: false, startup_error: "", math_elements: mathElements.length, typeset: 0,
    untypeset: [], errors: [],
  };
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try {
      await within(MathJax.startup.promise, "MathJax typesetting");
      math.loaded = true;
    } catch (error) {
      math.startup_error = String(error);
    }
    if (math.loaded) {
      for (const item of MathJax.startup.document.math) {
        math.typeset += 1;
        const mml = MathJax.startup.toMML(item.root);
        const texError = mml.match(/<merror[^>]*data-mjx-error="([^"]*)"/)
                         || (mml.includes("<merror") && [null, "error"]);
        const undefinedMacro = mml.match(/<mtext[^>]*mathcolor="red"[^>]*>(\\[^<]*)<\/mtext>/);
        if (texError) math.errors.push(`${item.math.trim()}  ->  ${texError[1]}`);
        else if (undefinedMacro) math.errors.push(
          `${item.math.trim()}  ->  undefined control sequence ${undefinedMacro[1]}`);
      }
    }
  }
  math.untypeset = mathElements.filter(el => !el.querySelector("mjx-container"))
                               .map(el => el.textContent.trim().slice(0, 120));

  // What a reader can open (folded code cells, solutions, dropdowns) is measured opened.
  document.querySelectorAll("details").forEach(details => { details.open = true; });
  const layout = LAYOUT_FUNCTION;

  return {
    math,
    ...THEME_FUNCTION(layout, minFigurePx),
    images: images.map(img => {
      const figure = img.closest("figure");
      const caption = figure && figure.querySelector("figcaption");
      return {src: img.currentSrc || img.src, alt: img.getAttribute("alt") || "",
              natural_width: img.naturalWidth, natural_height: img.naturalHeight,
              caption: caption ? caption.textContent.trim() : ""};
    }),
    links: [...document.querySelectorAll("a[href]")].map(a => ({
      href: a.getAttribute("href"), url: a.href, text: a.textContent.trim().slice(0, 80)})),
    // Sphinx renders a reference it could not resolve as its bare `xref` text, with no link.
    missing_glyphs: MISSING_GLYPHS,
    unresolved_references: [...document.querySelectorAll(".xref")].filter(el => !el.closest("a"))
      .map(el => `${el.textContent.trim()} (${el.className.replace(/ docutils.*$/, "")})`),
    ids: [...document.querySelectorAll("[id]")].map(el => el.id),
  };
}
"""


# What depends on the theme: the theme in force, the colours of the text and of what is behind
# it, and the layout (measured again: a theme's stylesheet can change widths and fonts).
_THEMED_JS = r"""
(layout, minFigurePx) => {
  const rgb = color => (color.match(/\d+(\.\d+)?/g) || [0, 0, 0]).slice(0, 3).map(Number);
  const article = document.querySelector("article") || document.body;
  // The colour behind the text: the nearest ancestor that paints one, else the white canvas.
  const backgroundOf = element => {
    for (; element; element = element.parentElement) {
      const color = getComputedStyle(element).backgroundColor;
      if (color !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(color)) return color;
    }
    return "rgb(255, 255, 255)";
  };
  return {
    layout: layout(minFigurePx),
    applied_theme: document.documentElement.dataset.theme || "",
    background_rgb: rgb(backgroundOf(article)),
    text_rgb: rgb(getComputedStyle(article).color),
  };
}
"""

# The characters of the page's text (outside maths, which MathJax draws in its own fonts) that no
# installed font can draw, so the reader sees a box ("tofu"): each character beyond ASCII is drawn
# on a canvas in the font of the element it is in, with the browser's font fallback, and compared
# with the drawing of a private-use character that no font has.
_MISSING_GLYPHS_JS = r"""
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 40;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (character, font) => {
    ctx.font = font;
    ctx.clearRect(0, 0, 40, 40);
    ctx.fillText(character, 4, 30);
    return ctx.getImageData(0, 0, 40, 40).data.join(",");
  };
  const seen = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest("mjx-container, script, style, noscript, .math")) continue;
    for (const character of node.data) {
      if (character.codePointAt(0) > 0x7e && !seen.has(character) && character.trim()) {
        seen.set(character, parent);
      }
    }
  }
  const missing = [];
  for (const [character, parent] of seen) {
    const style = getComputedStyle(parent);
    const font = `24px ${style.fontFamily}`;
    if (draw(character, font) === draw("\uE000", font)) {
      missing.push(`${character} (U+${character.codePointAt(0).toString(16).toUpperCase()})`);
    }
  }
  return missing;
}
"""


# Brings a loaded page (its window perhaps just resized) to a theme the way a reader does, by
# pressing the theme button (pydata-sphinx-theme cycles auto -> dark -> light, or auto -> light ->
# dark), at most three presses; then, once resize handlers have run and two frames later (the new
# styles applied), measures what _THEMED_JS measures.
_SWITCH_THEME_JS = r"""
async ([theme, minFigurePx, resized]) => {
  const button = document.querySelector(".theme-switch-button");
  for (let press = 0; button && press < 3; press++) {
    if (document.documentElement.dataset.theme === theme) break;
    button.click();
  }
  // Resize handlers run debounced (Plotly redraws 100 ms after the last resize event).
  if (resized) await new Promise(done => setTimeout(done, RESIZE_SETTLE_MS));
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const layout = LAYOUT_FUNCTION;
  return (THEME_FUNCTION)(layout, minFigurePx);
}
"""

_SWITCH_THEME_JS = _SWITCH_THEME_JS.replace("RESIZE_SETTLE_MS", "300")
_INSPECT_JS = _INSPECT_JS.replace("THEME_FUNCTION", "(" + _THEMED_JS.strip() + ")")
_SWITCH_THEME_JS = _SWITCH_THEME_JS.replace("THEME_FUNCTION", _THEMED_JS.strip())
_INSPECT_JS = _INSPECT_JS.replace("LAYOUT_FUNCTION", _LAYOUT_JS.strip())
_INSPECT_JS = _INSPECT_JS.replace("MISSING_GLYPHS", "(" + _MISSING_GLYPHS_JS.strip() + ")()")
_SWITCH_THEME_JS = _SWITCH_THEME_JS.replace("LAYOUT_FUNCTION", _LAYOUT_JS.strip())
# The narrowest a figure image may be shown (CSS px) unless it is narrower itself: a 7.5-inch
# two-panel figure with 9-pt text shown 560 px wide keeps its text at 7 pt (9.3 px).
MIN_FIGURE_PX = 560


def _theme_script(theme: str) -> str:
    # pydata-sphinx-theme reads the reader's choice from localStorage before the first paint
    # ("mode" is the choice, "theme" the theme in force), exactly as its toggle stores it.
    return f'localStorage.setItem("mode", "{theme}"); localStorage.setItem("theme", "{theme}");'


class SiteInspector:
    """Browser contexts of `browser` (one per theme and width, made when first needed) loading
    pages of the site served at `origin`."""

    def __init__(self, browser, origin: str, mathjax_dir: Path, screenshot_dir: Path):
        self.origin = origin
        self.mathjax_dir = mathjax_dir
        self.screenshot_dir = screenshot_dir
        self.browser = browser
        self.contexts = {}

    def _context(self, theme: str, width: str):
        if (theme, width) not in self.contexts:
            context = self.browser.new_context(
                viewport=VIEWPORTS[width], color_scheme=theme, service_workers="block"
            )
            context.add_init_script(_theme_script(theme))
            self.contexts[theme, width] = context
        return self.contexts[theme, width]

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()

    def _route(self, report: PageReport, route) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/"):
            route.continue_()
            return
        mathjax = MATHJAX_CDN.match(url)
        if mathjax:
            local = self.mathjax_dir / mathjax["path"]
            if local.is_file():
                route.fulfill(path=local)
            else:
                report.failed_local_requests.append(f"{url} (not in the local MathJax copy)")
                route.fulfill(status=404, body="")
            return
        report.blocked_requests.append(url)
        route.abort("blockedbyclient")

    def inspect(
        self, page_path: str, theme: str, width: str = "desktop", *, paper: bool = False
    ) -> PageReport:
        """Load `page_path` (relative to the site root) in `theme` at `width` (a key of
        VIEWPORTS); report what a reader gets. With `paper`, the page is then also laid out as
        Chromium prints it (print media on A4) and measured again (`print_layout`)."""
        view = (theme, width)
        return self.inspect_views(page_path, (view,), paper=view if paper else None)[view]

    def inspect_views(
        self,
        page_path: str,
        views: tuple[tuple[str, str], ...],
        *,
        paper: str | None = None,
    ) -> dict[tuple[str, str], PageReport]:
        """Load `page_path` once, at the width and with the reader's stored theme of the first of
        `views` ((theme, width) pairs), then bring the page to each further view as a reader
        would: the window resized to the view's width, the theme switched with the page's own
        theme button. One report per view. Everything that does not depend on the view (console,
        requests, MathJax, images, links) is read from the one load and shared by the reports; the
        theme applied, the colours, the layout and the screenshot are measured in each. With
        `paper` (a view), the page is last brought to that view and laid out for print (A4,
        print media), and the view's report gets the `print_layout`."""
        theme, width = views[0]
        page = self._context(theme, width).new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        report = PageReport(page=page_path, theme=theme, status=0, width=width)
        page.route("**/*", functools.partial(self._route, report))

        def on_console(message) -> None:
            if message.type == "error":
                report.console_errors.append(
                    ConsoleError(message.text, message.location.get("url", ""))
                )

        def on_response(response) -> None:
            if response.status >= 400 and response.url.startswith(self.origin):
                report.failed_local_requests.append(f"{response.url} -> HTTP {response.status}")

        def on_request_failed(request) -> None:
            if request.url.startswith(self.origin):
                report.failed_local_requests.append(f"{request.url} -> {request.failure}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: report.page_errors.append(str(error)))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        name = page_path.removesuffix(".html").replace("/", "__")
        # A full-page screenshot of a long chapter takes seconds, and every judgement is made
        # from measurements: screenshots show the first screen unless asked for more.
        full = os.environ.get("BROWSER_SCREENSHOTS") == "full"
        reports = {}
        try:
            response = page.goto(f"{self.origin}/{page_path}", wait_until="load")
            report.status = response.status if response else 0
            found = page.evaluate(_INSPECT_JS, [PAGE_TIMEOUT_MS, MIN_FIGURE_PX])
            report.math = MathReport(**found["math"])
            report.images = [Image(**image) for image in found["images"]]
            report.links = [Link(**link) for link in found["links"]]
            report.unresolved_references = found["unresolved_references"]
            report.missing_glyphs = found["missing_glyphs"]
            report.ids = set(found["ids"])
            for index, (theme, width) in enumerate(views):
                if index:
                    resized = width != views[index - 1][1]
                    if resized:
                        page.set_viewport_size(VIEWPORTS[width])
                    found = page.evaluate(_SWITCH_THEME_JS, [theme, MIN_FIGURE_PX, resized])
                view = dataclasses.replace(report, theme=theme, width=width) if index else report
                view.applied_theme = found["applied_theme"]
                view.background_rgb = tuple(int(c) for c in found["background_rgb"])
                view.text_rgb = tuple(int(c) for c in found["text_rgb"])
                view.layout = _layout_report(found["layout"])
                view.screenshot = self.screenshot_dir / f"{name}-{theme}-{width}.png"
                page.screenshot(path=view.screenshot, full_page=full)
                reports[theme, width] = view
            if paper:
                page.set_viewport_size(VIEWPORTS[paper[1]])
                page.evaluate(_SWITCH_THEME_JS, [paper[0], MIN_FIGURE_PX, paper != views[-1]])
                page.emulate_media(media="print")
                page.set_viewport_size(PRINT_VIEWPORT)
                found = page.evaluate(_LAYOUT_JS, MIN_FIGURE_PX)
                reports[paper].print_layout = _layout_report(found)
        finally:
            page.close()
        return reports


def _layout_report(found: dict) -> LayoutReport:
    overflows = [Overflow(**overflow) for overflow in found.pop("overflows")]
    return LayoutReport(overflows=overflows, **found)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@functools.cache
def ids_in(html_file: Path) -> frozenset[str]:
    """Element ids of a built page as served (a link's #fragment must name one of them)."""
    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    return frozenset(element["id"] for element in soup.find_all(id=True))
