"""The Chinese edition (`_build/html/zh/`, built by `make book`): complete, and the same book.

- Every English string of every page and figure has a translation that carries the English's
  roles, maths, code, link targets and footnotes unchanged (`tests/translation.py`); a string
  added to an English page fails here until it is translated.
- Every Chinese page shows the numbers of its English page: the same glued values, equation
  numbers, theorem/figure/table numbers and element ids; nothing of the English prose is left.
- Every page links to the same page in the other edition, and says which language it is in.
The browser checks of the Chinese pages (both themes and widths, glyphs, MathJax) are in
`tests/browser_zh.py` (`make test-zh`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests import translation
from tests.editions import SITE_DIR, SUBDIR
from tests.notebooks import ROOT, glued, notebook_chapters, toc_pages

PAGES = [f"{page}.html" for page in toc_pages()]
CATALOGUES = translation.pages() if translation.POT_DIR.is_dir() else []


@cache
def _soup(path: Path) -> BeautifulSoup:
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book`", pytrace=False)
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(page: str, edition: str) -> BeautifulSoup:
    root = SITE_DIR / SUBDIR if edition == "zh" else SITE_DIR
    found = _soup(root / page).select_one("article")
    assert found is not None, f"{page} ({edition}) has no <article>"
    return found


def numbers_of(page: str, edition: str) -> dict[str, object]:
    """What must be equal in both editions: the pasted glue values (as a multiset: a translation
    may reorder a sentence), and, in order, the equation numbers, the numbers of theorems,
    figures and tables, and the ids of the elements links point to."""
    body = article(page, edition)
    captions = [
        re.sub(r"[^\d.]", "", span.get_text()).strip(".") for span in body.select(".caption-number")
    ]
    return {
        "glued": Counter(
            span.get_text().strip() for span in body.select(".pasted-text, .pasted-inline")
        ),
        "equations": [span.get_text().strip("#") for span in body.select(".eqno")],
        "numbers": captions,
        "ids": sorted(element["id"] for element in body.select("[id]")),
    }


def test_there_are_catalogues():
    """Catches a build that extracted no strings (`make book` runs the gettext builder)."""
    assert len(CATALOGUES) >= len(PAGES), (
        f"{len(CATALOGUES)} catalogue templates in {translation.POT_DIR}: run `make book`"
    )
    assert translation.FIGURES in CATALOGUES


@pytest.mark.parametrize("page", CATALOGUES)
def test_every_string_is_translated(page):
    """Catches an English string without its translation (added to a page after the
    translation, or left empty or fuzzy), a translation that dropped or changed a glue role,
    an equation reference, maths, code, a link target or a footnote, and one left in English."""
    problems = translation.problems(page)
    assert not problems, "\n".join(problems[:20]) + (
        "\nrun `make pot`, then translate (tests/translation.py)" if problems else ""
    )


def test_translation_check_fails_on_each_kind_of_breakage():
    """The check above can fail: each broken translation of one English sentence is reported,
    and a good one is not."""
    english = (
        "The step is {glue:text}`bias_ratio:.3f` times $\\alpha$ by {eq}`eq-adam` "
        "(see `adamlib.reference` and [the paper](https://arxiv.org/abs/1412.6980)).[^note]"
    )
    good = (
        "由 {eq}`eq-adam`，步长是 $\\alpha$ 的 {glue:text}`bias_ratio:.3f` 倍"
        "（见 `adamlib.reference` 与[论文](https://arxiv.org/abs/1412.6980)）。[^note]"
    )
    assert translation.entry_problems(english, good) == []
    broken = {
        "": "not translated",
        good.replace("bias_ratio:.3f", "bias_ratio:.2f"): "role differs",
        good.replace("{eq}`eq-adam`", "式 (1)"): "role differs",
        good.replace("$\\alpha$", "$a$"): "maths differs",
        good.replace("`adamlib.reference`", "参考实现"): "code differs",
        good.replace("1412.6980", "1412.6981"): "link differs",
        good.replace("[^note]", ""): "footnote differs",
        english: "left in English",
    }
    for translated, expected in broken.items():
        found = translation.entry_problems(english, translated)
        assert any(expected in problem for problem in found), (translated, found)


@pytest.mark.parametrize("page", PAGES)
def test_chinese_page_has_the_english_numbers(page):
    """Catches a Chinese page that pastes other values, numbers equations, theorems or figures
    differently, or loses an element a link points to (a label dropped by a translation)."""
    english, chinese = numbers_of(page, "en"), numbers_of(page, "zh")
    for kind in english:
        assert chinese[kind] == english[kind], f"{page}: the {kind} differ"


@pytest.mark.parametrize("page", PAGES)
def test_chinese_page_is_in_chinese(page):
    """Catches an untranslated page (a catalogue that was not found or not compiled): the
    article's prose outside code, maths and outputs is mostly Chinese, and the page says so."""
    page_soup = _soup(SITE_DIR / SUBDIR / page)
    assert page_soup.html.get("lang") == "zh-CN"
    # Not prose: code, maths, outputs, labels, the bibliography's references (cited in their own
    # language) and generated tables (the execution statistics).
    body = article(page, "zh")
    skipped = (
        "pre, code, script, .math, mjx-container, .cell_output, .citable-label, .citation, table"
    )
    computed = {id(element) for element in body.select(skipped)}
    text = " ".join(
        piece
        for piece in body.find_all(string=True)
        if not any(id(parent) in computed for parent in piece.parents)
    )
    hanzi = len(re.findall(r"[\u4e00-\u9fff]", text))
    english_words = len(re.findall(r"\b[a-z]{4,}\b", text))
    assert hanzi > 5 * english_words, f"{page}: {hanzi} hanzi, {english_words} English words"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("edition", ["en", "zh"])
def test_switcher_links_to_the_same_page(page, edition):
    """Catches a missing switcher or one that lands elsewhere than the same page in the other
    edition."""
    root = SITE_DIR / SUBDIR if edition == "zh" else SITE_DIR
    switch = _soup(root / page).select("nav.edition-switch a[href]")
    assert len(switch) == 1, f"{page} ({edition}) has {len(switch)} edition links"
    target = (root / page).parent / switch[0]["href"]
    other = SITE_DIR / page if edition == "zh" else SITE_DIR / SUBDIR / page
    assert target.resolve() == other.resolve(), f"{page} ({edition}) links to {target}"


@pytest.mark.parametrize("chapter", notebook_chapters())
def test_every_figure_has_a_chinese_copy_with_translated_words(chapter):
    """Catches a figure glued without its Chinese copy (the Chinese page would show the English
    figure) and a figure word missing from the figures' catalogue."""
    values = glued(chapter)
    figures = [name.removesuffix(".words") for name in values if name.endswith(".words")]
    table = {}
    for message in translation._read(translation.LOCALE_DIR / f"{translation.FIGURES}.po"):
        if message.id and message.string and not message.fuzzy:
            table[message.id] = message.string
    for figure in figures:
        assert f"{figure}.zh_CN" in values, f"{chapter}: {figure} has no Chinese copy"
        missing = [words for words in values[f"{figure}.words"] if words not in table]
        assert not missing, f"{chapter}: {figure}'s words {missing} are not translated"


def test_search_finds_chinese_words():
    """Catches a Chinese search index without Chinese words (Sphinx indexes only Latin words of
    Chinese text unless jieba is installed to segment it)."""
    index = (SITE_DIR / SUBDIR / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index[index.index("(") + 1 : index.rindex(")")])["terms"]
    for word in ("偏差", "动量", "权重", "衰减", "学习"):
        assert word in terms, f"the Chinese search index has no entry for {word}"


def test_index_brackets_each_title_once():
    """Catches the index of statements wrapping a translated title, already in full-width
    brackets, in a second pair: "命题 1.1 （（对角缩放））"."""
    index = article("chapters/statements.html", "zh")
    cells = [cell.get_text(" ", strip=True) for cell in index.select("table.citable-index td")]
    assert cells, "the Chinese index has no table"
    doubled = [cell for cell in cells if re.search(r"[(（]\s*[(（]", cell)]
    assert not doubled, doubled[:5]
