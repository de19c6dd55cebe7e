"""Write each page's inline <script> once.

Sphinx 7 adds a script registered with `app.add_js_file(None, body=...)` after the builder started
twice, once with filename None and once with '' (sphinx-doc/sphinx#13402, fixed in Sphinx 8.2,
which jupyter-book 1 cannot use). sphinx-thebe registers its `const THEBE_JS_URL = ...` that way,
so every page threw "Identifier 'THEBE_JS_URL' has already been declared" in the reader's browser
(found by tests/test_browser.py).
"""

from __future__ import annotations


def _drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        key = (
            script.filename or "",
            script.priority,
            tuple(sorted(script.attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # In place: Sphinx restores this list from its own copy after each page.
    context["script_files"][:] = unique


def setup(app):
    # After every other extension has added its page scripts.
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
