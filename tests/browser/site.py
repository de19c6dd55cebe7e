"""The built book served on loopback and read in headless Chromium, as a reader's browser sees it.

`SiteInspector.inspect(page, theme)` loads one page of `_build/html` in Debian's Chromium (driven by
Playwright, never a downloaded browser), with every request that leaves 127.0.0.1 aborted and the
MathJax CDN answered from the pinned npm copy in this folder. It returns a `PageReport`: what the
console said, what MathJax typeset, which images loaded, every link and element id, and the theme
that was applied; it also writes a full-page screenshot. The judgements live in
tests/test_browser.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import http.server
import json
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
VIEWPORT = {"width": 1280, "height": 900}
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


@dataclass
class PageReport:
    page: str
    theme: str
    status: int
    console_errors: list[ConsoleError] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_local_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    math: MathReport | None = None
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    unresolved_references: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    applied_theme: str = ""
    background_rgb: tuple[int, int, int] = (0, 0, 0)
    text_rgb: tuple[int, int, int] = (0, 0, 0)
    screenshot: Path | None = None


# Runs in the page once it has loaded. Lazy images load only near the viewport, so every image is
# switched to eager loading and decoded before its size is read. MathJax's own parse of each
# expression is read back as MathML: `merror` marks a TeX error, and a red `mtext` holding a
# backslash name is MathJax's rendering of an undefined macro (the `noundefined` extension).
_INSPECT_JS = r"""
async (timeoutMs) => {
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
    math,
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
    unresolved_references: [...document.querySelectorAll(".xref")].filter(el => !el.closest("a"))
      .map(el => `${el.textContent.trim()} (${el.className.replace(/ docutils.*$/, "")})`),
    ids: [...document.querySelectorAll("[id]")].map(el => el.id),
    applied_theme: document.documentElement.dataset.theme || "",
    background_rgb: rgb(backgroundOf(article)),
    text_rgb: rgb(getComputedStyle(article).color),
  };
}
"""


def _theme_script(theme: str) -> str:
    # pydata-sphinx-theme reads the reader's choice from localStorage before the first paint
    # ("mode" is the choice, "theme" the theme in force), exactly as its toggle stores it.
    return f'localStorage.setItem("mode", "{theme}"); localStorage.setItem("theme", "{theme}");'


class SiteInspector:
    """One browser context per theme in `browser`, loading pages of the site served at `origin`."""

    def __init__(self, browser, origin: str, mathjax_dir: Path, screenshot_dir: Path):
        self.origin = origin
        self.mathjax_dir = mathjax_dir
        self.screenshot_dir = screenshot_dir
        self.contexts = {}
        for theme in THEMES:
            context = browser.new_context(
                viewport=VIEWPORT, color_scheme=theme, service_workers="block"
            )
            context.add_init_script(_theme_script(theme))
            self.contexts[theme] = context

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

    def inspect(self, page_path: str, theme: str) -> PageReport:
        """Load `page_path` (relative to the site root) in `theme`; report what a reader gets."""
        page = self.contexts[theme].new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        report = PageReport(page=page_path, theme=theme, status=0)
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
        try:
            response = page.goto(f"{self.origin}/{page_path}", wait_until="load")
            report.status = response.status if response else 0
            found = page.evaluate(_INSPECT_JS, PAGE_TIMEOUT_MS)
            report.math = MathReport(**found["math"])
            report.images = [Image(**image) for image in found["images"]]
            report.links = [Link(**link) for link in found["links"]]
            report.unresolved_references = found["unresolved_references"]
            report.ids = set(found["ids"])
            report.applied_theme = found["applied_theme"]
            report.background_rgb = tuple(int(c) for c in found["background_rgb"])
            report.text_rgb = tuple(int(c) for c in found["text_rgb"])
            name = page_path.removesuffix(".html").replace("/", "__")
            report.screenshot = self.screenshot_dir / f"{name}-{theme}.png"
            page.screenshot(path=report.screenshot, full_page=True)
        finally:
            page.close()
        return report


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
