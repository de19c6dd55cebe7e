"""Interactive figures without a kernel and without a CDN: plotly.js served by the site itself.

A chapter's interactive figure is a cell output `<div class="adam-widget">` holding its data as
JSON (computed when the book is built); `_static/moves_widgets.js` draws it with plotly.js. This
extension copies `plotly.min.js` from the pinned `plotly` Python package (requirements.txt) into
the site's `_static/`, and adds both scripts to the pages that hold such a figure, and only to
them (plotly.js is about 5 MB).
"""

from __future__ import annotations

import shutil
from pathlib import Path

MARKER = 'class="adam-widget"'


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _add_scripts(app, pagename, templatename, context, doctree) -> None:
    # Called from html-page-context, add_js_file adds the script to this page only.
    if MARKER in context.get("body", ""):
        app.add_js_file("plotly.min.js")
        app.add_js_file("moves_widgets.js")


def _copy_plotly(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        shutil.copyfile(plotly_js(), Path(app.outdir) / "_static" / "plotly.min.js")


def setup(app):
    app.connect("html-page-context", _add_scripts)
    app.connect("build-finished", _copy_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
