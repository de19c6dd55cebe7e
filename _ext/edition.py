"""The Chinese edition: the English pages translated by Sphinx's gettext catalogues.

The Chinese book is built from the same sources, with the same execution cache, by
`make book` (tests/editions.py writes its configuration): Sphinx reads each English page, then
replaces every paragraph, title, caption and table cell with its translation from
`locale/zh_CN/LC_MESSAGES/<page>.po`. Code, outputs, glued numbers, labels and numbering come from
the one execution, so the two editions cannot drift. This extension makes three things work that
Sphinx and MyST-NB do not do by themselves:

- **Glue in translated text.** Sphinx parses a translation as a separate small document; MyST-NB
  parses it as plain MyST (it recognises the `<translated>` source), where `{glue:text}` finds no
  glue data, because the notebook's renderer lives on the page's own document only while the page
  is parsed. The page's renderer is kept for the page's translations (`_parse`).
- **Footnotes in translated text**, which MyST would otherwise read as plain text (`_parse`).
- **What is computed is not translated.** Display maths and everything inside a cell's output
  (SymPy's results, printed tables) are marked untranslatable, so they are neither extracted into
  the catalogues nor replaced.
- **A switcher on every page** to the same page in the other edition (English at the site's root,
  Chinese under `zh/`), and `<link rel="alternate" hreflang>` for search engines.
- **Figures in the page's language.** `adamlib.book.show_figure` glues each figure a second time,
  under `<key>.<language>`, with its text translated from `locale/<language>/figures.json`; a
  page built in that language pastes that copy (`_retrieve`).
"""

from __future__ import annotations

import re

from docutils import nodes
from myst_nb import sphinx_ as mystnb_sphinx
from myst_nb.ext.glue import directives as glue_directives
from myst_nb.ext.glue import roles as glue_roles
from myst_nb.ext.glue import utils as glue_utils
from sphinx.transforms import SphinxTransform

_RENDERER = "edition_nb_renderer"
_FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_original_parse = mystnb_sphinx.Parser.parse
_original_retrieve = glue_utils.retrieve_glue_data


class _KeepRenderer(dict):
    """A document's attributes that remember the notebook renderer MyST-NB sets on them."""

    def __init__(self, env, attributes: dict):
        super().__init__(attributes)
        self.env = env

    def __setitem__(self, key, value):
        if key == "nb_renderer":
            self.env.temp_data[_RENDERER] = value
        super().__setitem__(key, value)


def _parse(self, inputstring: str, document: nodes.document) -> None:
    env = document.settings.env
    if document.current_source.endswith("<translated>"):
        renderer = env.temp_data.get(_RENDERER)
        if renderer is not None:
            document["nb_renderer"] = renderer
        # MyST reads `[^label]` as a footnote reference only if the label is defined in the same
        # document: define each referenced label after the translation. Sphinx keeps only the
        # translated paragraph (the first node), whose reference it then links to the page's
        # own footnote.
        labels = dict.fromkeys(_FOOTNOTE_REFERENCE.findall(inputstring))
        inputstring += "".join(f"\n\n[^{label}]: ." for label in labels)
        try:
            return _original_parse(self, inputstring, document)
        finally:
            document.attributes.pop("nb_renderer", None)
    env.temp_data.pop(_RENDERER, None)
    document.attributes = _KeepRenderer(env, document.attributes)
    try:
        return _original_parse(self, inputstring, document)
    finally:
        document.attributes = dict(document.attributes)


def language_key(key: str, language: str) -> str:
    """The glue key of a figure's copy in `language` (written by adamlib.book.show_figure)."""
    return f"{key}.{language}"


def _retrieve(document: nodes.document, key: str):
    language = document.settings.env.config.language
    if language and language != "en":
        try:
            return _original_retrieve(document, language_key(key, language))
        except glue_utils.RetrievalError:
            pass
    return _original_retrieve(document, key)


class ComputedIsNotTranslated(SphinxTransform):
    """Display maths and cell outputs are computed or formulae, not prose: leave them out of the
    catalogues and out of the translation. Runs before Sphinx's Locale transform (priority 20)."""

    default_priority = 5

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.math_block):
            node["translatable"] = False
        for container in self.document.findall(nodes.container):
            if "cell_output" in container.get("classes", []):
                for node in container.findall(nodes.TextElement):
                    node["translatable"] = False


# The editions: (Sphinx language, folder under the site root, the language's own name, BCP 47).
EDITIONS = (("en", "", "English", "en"), ("zh_CN", "zh", "中文", "zh-CN"))


def edition_links(pagename: str, language: str) -> list[tuple[str, str, str]]:
    """(relative URL, name, BCP 47 tag) of `pagename` in every other edition, from a page of the
    `language` edition."""
    here = next(edition for edition in EDITIONS if edition[0] == language)
    up = "../" * pagename.count("/") + ("../" if here[1] else "")
    return [
        (f"{up}{folder + '/' if folder else ''}{pagename}.html", name, tag)
        for code, folder, name, tag in EDITIONS
        if code != language
    ]


def _switcher(app, pagename, templatename, context, doctree) -> None:
    language = app.config.language or "en"
    if language not in {edition[0] for edition in EDITIONS}:
        return
    links = edition_links(pagename, language)
    anchors = " ".join(
        f'<a href="{url}" hreflang="{tag}" lang="{tag}">{name}</a>' for url, name, tag in links
    )
    label = "其他语言版本" if language.startswith("zh") else "Other editions"
    switch = f'<nav class="edition-switch" aria-label="{label}">{anchors}</nav>\n'
    context["body"] = switch + context.get("body", "")
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{tag}" href="{url}">' for url, _, tag in links
    )


def setup(app):
    app.connect("html-page-context", _switcher)
    mystnb_sphinx.Parser.parse = _parse
    for module in (glue_utils, glue_roles, glue_directives):
        if hasattr(module, "retrieve_glue_data"):
            module.retrieve_glue_data = _retrieve
    app.add_transform(ComputedIsNotTranslated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
