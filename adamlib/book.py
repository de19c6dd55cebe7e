"""The book's bookkeeping in one place: glued values and figures that also show in Jupyter.

The chapters of "Adam, derived and executed" insert computed values into their prose with
MyST-NB's `glue`. This module keeps those calls out of the reader's way and makes a chapter work
the same outside the book:

- `glue_all({...})` glues several values in one call (from a cell hidden in the book);
- `show_figure(name, fig)` glues a figure (as SVG for the website, PDF for the printed book)
  for the book's numbered `{glue:figure}` and also displays it in the cell, so running the
  chapter in JupyterLab, Colab or Binder shows every figure inline. In the book the cell carries
  the `remove-output` tag, so the figure appears once, in its numbered place.
- For each translation of the book (`locale/<language>/LC_MESSAGES/figures.po` beside this
  package, present in the repository), `show_figure` also glues a copy of the figure with its
  words translated, under `<name>.<language>` (the Chinese edition pastes it: `_ext/edition.py`),
  and the figure's English words under `<name>.words`, which the tests check are all translated.
  The figure is drawn once: only its text is swapped for the copy.

It must not compute anything the book reports: it only hands values to MyST-NB and IPython.
"""

from __future__ import annotations

import functools
import glob
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["figure_translations", "figure_words", "glue_all", "show_figure"]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# Words a reader reads: a run of two letters outside mathtext ($...$).
_WORD = re.compile(r"[A-Za-z]{2,}")
_MATHTEXT = re.compile(r"\$[^$]*\$")
# Simplified Chinese glyphs (Debian's fonts-noto-cjk), after the figure's own font.
CJK_FAMILIES = {"zh_CN": "Noto Sans CJK SC"}
CJK_FILES = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def glue_all(values: Mapping[str, Any]) -> None:
    """Glue every ``name: value`` pair of `values` without displaying it.

    Parameters
    ----------
    values
        Names (the keys used by ``{glue:text}`` etc. in the prose) and the values to insert.
    """
    from myst_nb import glue

    for name, value in values.items():
        glue(name, value, display=False)


@functools.cache
def figure_translations() -> dict[str, dict[str, str]]:
    """{language: {English words: translation}} from the repository's figure catalogues; empty
    where there are none (adamlib installed without the repository, e.g. in Colab)."""
    found: dict[str, dict[str, str]] = {}
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/figures.po")):
        from babel.messages.pofile import read_po

        with po.open("rb") as handle:
            catalog = read_po(handle)
        found[po.parent.parent.name] = {
            message.id: message.string
            for message in catalog
            if message.id and message.string and not message.fuzzy
        }
    return found


def figure_words(fig: Any) -> list[Any]:
    """The figure's text objects that hold words (titles, labels, legends, annotations); tick
    labels and other numbers or pure mathtext are left out."""
    from matplotlib.text import Text

    texts = {id(text): text for text in fig.findobj(Text)}
    return [
        text
        for text in texts.values()
        if text.get_visible() and _WORD.search(_MATHTEXT.sub(" ", text.get_text()))
    ]


def _font_family(language: str) -> str | None:
    """The family that has `language`'s glyphs, registered with matplotlib (its font cache
    predates fonts installed after it was built); None if the font is not installed."""
    from matplotlib import font_manager

    family = CJK_FAMILIES.get(language)
    if family is None:
        return None
    if family not in {font.name for font in font_manager.fontManager.ttflist}:
        for path in glob.glob(CJK_FILES):
            font_manager.fontManager.addfont(path)
    return family if family in {f.name for f in font_manager.fontManager.ttflist} else None


def show_figure(name: str, fig: Any) -> None:
    """Glue a matplotlib figure under `name`, display it in this cell, and close it.

    Parameters
    ----------
    name
        The key of the book's ``{glue:figure}`` directive that places the figure.
    fig
        The matplotlib figure. It is closed afterwards, so it is displayed exactly once.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display
    from matplotlib_inline.backend_inline import set_matplotlib_formats
    from myst_nb import glue

    # Vector copies: SVG for the website and Jupyter, PDF for the printed book (MyST-NB picks
    # the first of its builder's preferred types that the output carries).
    set_matplotlib_formats("svg", "pdf")
    # A fixed salt makes the SVG's element ids, hence the pages, the same in every build.
    with plt.rc_context({"svg.hashsalt": name}):
        glue(name, fig, display=False)
        display(fig)
    texts = figure_words(fig)
    glue(f"{name}.words", sorted({text.get_text() for text in texts}), display=False)
    translations = figure_translations()
    if translations:
        originals = [(text, text.get_text(), text.get_fontfamily()) for text in texts]
        for language, table in translations.items():
            family = _font_family(language)
            for text, words, families in originals:
                translated = table.get(words, words)
                text.set_text(translated)
                if family is not None:
                    # Mathtext draws the text around $...$ in the first family alone, without
                    # fallback: there the Chinese font comes first.
                    mixed = "$" in translated
                    text.set_fontfamily([family, *families] if mixed else [*families, family])
            with plt.rc_context({"svg.hashsalt": f"{name}.{language}"}):
                glue(f"{name}.{language}", fig, display=False)
            for text, words, families in originals:
                text.set_text(words)
                text.set_fontfamily(families)
    plt.close(fig)
