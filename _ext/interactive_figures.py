"""Interactive figures without a kernel and without a CDN: plotly.js served by the site itself.

A chapter's interactive figure is a cell output `<div class="adam-widget">` holding its data as
JSON (computed when the book is built); `moves_widgets.js` (next to this file) draws it with
plotly.js. This extension copies that script and `plotly.min.js` from the pinned `plotly` Python
package (requirements.txt) into the site's `_static/`, and adds both to the pages that hold such
a figure, and only to them (plotly.js is about 5 MB). The widget script is kept out of the
book's `_static/` folder because Jupyter Book puts every `.js` file found there on every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MARKER = 'class="adam-widget"'
WIDGETS_JS = Path(__file__).resolve().parent / "moves_widgets.js"


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _add_scripts(app, pagename, templatename, context, doctree) -> None:
    # The scripts go at the end of the page's body, after the figures they draw. Sphinx 7's
    # `app.add_js_file` from this event would also register them for every later page.
    if MARKER in context.get("body", ""):
        context["body"] += "".join(
            f'<script src="{context["pathto"](f"_static/{name}", 1)}"></script>'
            for name in ("plotly.min.js", "moves_widgets.js")
        )


def _copy_scripts(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        shutil.copyfile(plotly_js(), static / "plotly.min.js")
        shutil.copyfile(WIDGETS_JS, static / "moves_widgets.js")


def setup(app):
    app.connect("html-page-context", _add_scripts)
    app.connect("build-finished", _copy_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
