"""The Chinese edition's catalogues: complete, and carrying every piece of markup unchanged.

`locale/zh_CN/LC_MESSAGES/<page>.po` holds one entry per paragraph, title, caption, list item
and table cell of the English page (`make book` and `make pot` extract them with Sphinx's gettext
builder into `_build/pot/_build/gettext/<page>.pot`). A translation may reorder a sentence
but must keep what is not
prose exactly: MyST roles (`{glue:text}`, `{eq}`, `{prf:ref}`, `{cite:p}`, ...) with their
content, inline maths `$...$`, inline code, and link targets; otherwise a Chinese page would
paste another number, point to another equation, or show different maths from the English one.

The figures' words are one more catalogue, `figures.po` (`figures.pot` is written from the
executed chapters by `--figures-template`, which `make book` runs); `adamlib.book.show_figure`
reads it when the chapters execute.

`problems(page)` lists, for one page, every entry that is missing, empty, fuzzy, obsolete,
left in English, or whose markup differs from the English text. Run as a script it prints
them for every page and the translation counts:

    .venv/bin/python -m tests.translation            # every page
    .venv/bin/python -m tests.translation chapters/moves
    .venv/bin/python -m tests.translation --update   # add new English strings to the .po files

Translators may work on a plain-text sheet instead of the .po file (no escaping: maths with
single backslashes, as in the page): `--sheet chapters/moves > moves.txt` writes every entry as
an `@@@ EN <n>` block, the English, an `@@@ ZH` block, the translation so far; fill the ZH
blocks and `--merge chapters/moves moves.txt` writes them into the .po file.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_DATE = datetime(2026, 12, 1, tzinfo=timezone.utc)
LANGUAGE = "zh_CN"
LOCALE_DIR = ROOT / "locale" / LANGUAGE / "LC_MESSAGES"
POT_DIR = ROOT / "_build" / "pot" / "_build" / "gettext"

ROLE = re.compile(r"\{[a-z][\w:.-]*\}`[^`]*`")
# A cross-reference with its own text, {ref}`text <label>`: the text is prose, the target not.
EXPLICIT_TITLE = re.compile(r"^(\{(?:ref|numref|doc|term|download)\}`)[^`<]*<([^`>]+)>`$")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:[^$\\]|\\.)+?\$")
CODE = re.compile(r"(?<![`}])`[^`]+`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
# English prose: a run of three words of letters, outside markup (hyphenated identifiers such
# as preset names `paper-adam-epshat` are names, not prose).
ENGLISH_RUN = re.compile(r"(?<![\w-])[A-Za-z][a-z]+(?:[ ,;:']+[A-Za-z][a-z]+(?![\w-])){2,}")


def markup(text: str) -> dict[str, Counter]:
    """What a translation must carry unchanged: roles, maths, code and link targets."""
    roles = [EXPLICIT_TITLE.sub(r"\1<\2>`", role) for role in ROLE.findall(text)]
    rest = ROLE.sub(" ", text)
    display = DISPLAY_MATH.findall(rest)
    rest = DISPLAY_MATH.sub(" ", rest)
    maths = INLINE_MATH.findall(rest)
    rest = INLINE_MATH.sub(" ", rest)
    return {
        "role": Counter(roles),
        "maths": Counter(display + maths),
        "code": Counter(CODE.findall(rest)),
        "link": Counter(LINK_TARGET.findall(rest)),
        "footnote": Counter(FOOTNOTE.findall(rest)),
    }


def prose(text: str) -> str:
    """The text with its markup taken out (what is left to translate)."""
    for pattern in (ROLE, DISPLAY_MATH, INLINE_MATH, CODE, LINK_TARGET, FOOTNOTE):
        text = pattern.sub(" ", text)
    return re.sub(r"https?://\S+", " ", text)


def has_english_prose(text: str) -> bool:
    return bool(ENGLISH_RUN.search(prose(text)))


@dataclass(frozen=True)
class Counts:
    entries: int
    translated: int
    words: int


def pages() -> list[str]:
    """Every page with a template (`make pot`), as `chapters/moves`."""
    return sorted(str(p.relative_to(POT_DIR).with_suffix("")) for p in POT_DIR.rglob("*.pot"))


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def entry_problems(msgid: str, msgstr: str) -> list[str]:
    """What is wrong with one translation of `msgid`."""
    if not msgstr.strip():
        return ["not translated"]
    found = []
    english, chinese = markup(msgid), markup(msgstr)
    for kind in english:
        if english[kind] != chinese[kind]:
            missing = sorted((english[kind] - chinese[kind]).elements())
            extra = sorted((chinese[kind] - english[kind]).elements())
            found.append(f"{kind} differs: English has {missing}, translation has {extra}")
    if has_english_prose(msgstr) and not re.search(r"[\u4e00-\u9fff]", prose(msgstr)):
        found.append("left in English")
    return found


def problems(page: str) -> list[str]:
    template = POT_DIR / f"{page}.pot"
    po = LOCALE_DIR / f"{page}.po"
    if not po.is_file():
        return [f"{po.relative_to(ROOT)} is missing (run `python -m tests.translation --update`)"]
    wanted = {message.id for message in _read(template) if message.id}
    catalog = _read(po)
    found = []
    seen = set()
    for message in catalog:
        if not message.id:
            continue
        seen.add(message.id)
        where = f"{page}: {message.id[:60]!r}"
        if message.id not in wanted:
            found.append(f"{where}: obsolete (no longer in the English page)")
            continue
        if message.fuzzy:
            found.append(f"{where}: fuzzy")
        found += [f"{where}: {problem}" for problem in entry_problems(message.id, message.string)]
    found += [f"{page}: {msgid[:60]!r}: missing" for msgid in sorted(wanted - seen)]
    return found


def counts(page: str) -> Counts:
    template = [m.id for m in _read(POT_DIR / f"{page}.pot") if m.id]
    po = LOCALE_DIR / f"{page}.po"
    done = {}
    if po.is_file():
        done = {m.id: m.string for m in _read(po) if m.id and not m.fuzzy}
    translated = sum(1 for msgid in template if not entry_problems(msgid, done.get(msgid, "")))
    return Counts(len(template), translated, sum(len(msgid.split()) for msgid in template))


def update(page: str) -> None:
    """Bring `page`'s .po file to its template: new strings added empty, translations kept,
    strings no longer in the English page dropped (git keeps them)."""
    template = _read(POT_DIR / f"{page}.pot")
    po = LOCALE_DIR / f"{page}.po"
    old = {m.id: m for m in _read(po) if m.id} if po.is_file() else {}
    # Fixed dates: an update that adds nothing leaves the file as it was (figures.po is an input
    # of the chapters' execution, so a changed header would empty the execution cache).
    catalog = Catalog(
        locale=LANGUAGE,
        project="Adam, derived and executed",
        fuzzy=False,
        creation_date=CATALOGUE_DATE,
        revision_date=CATALOGUE_DATE,
    )
    for message in template:
        if not message.id:
            continue
        previous = old.get(message.id)
        catalog.add(message.id, previous.string if previous else "")
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False)


SHEET_EN = re.compile(r"^@@@ EN (\d+)$")
SHEET_ZH = "@@@ ZH"


def sheet(page: str) -> str:
    """`page`'s entries as a plain-text sheet (see the module's docstring)."""
    catalog = [m for m in _read(LOCALE_DIR / f"{page}.po") if m.id]
    blocks = [f"@@@ EN {n}\n{m.id}\n{SHEET_ZH}\n{m.string}" for n, m in enumerate(catalog)]
    return "\n".join(blocks) + "\n"


def merge(page: str, text: str) -> int:
    """Write the ZH blocks of a sheet into `page`'s .po file; returns how many were filled.
    An EN block that is not the .po file's entry of that number is an error."""
    po = LOCALE_DIR / f"{page}.po"
    catalog = _read(po)
    entries = [m for m in catalog if m.id]
    lines = text.split("\n")
    filled = 0
    index = 0
    while index < len(lines):
        header = SHEET_EN.match(lines[index])
        if not header:
            index += 1
            continue
        number = int(header.group(1))
        end_en = lines.index(SHEET_ZH, index + 1)
        english = "\n".join(lines[index + 1 : end_en])
        end_zh = end_en + 1
        while end_zh < len(lines) and not SHEET_EN.match(lines[end_zh]):
            end_zh += 1
        chinese = "\n".join(lines[end_en + 1 : end_zh]).strip("\n")
        if entries[number].id != english:
            raise ValueError(f"entry {number} of the sheet is not {page}'s entry {number}")
        if chinese.strip():
            entries[number].string = chinese
            entries[number].flags.discard("fuzzy")
            filled += 1
        index = end_zh
    with po.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False)
    return filled


FIGURES = "figures"


def figure_words() -> list[str]:
    """Every figure's words (titles, labels, legends), as `adamlib.book.show_figure` glued them
    under `<figure>.words` in the executed chapters, each once."""
    from tests.notebooks import glued, notebook_chapters

    words: dict[str, None] = {}
    for chapter in notebook_chapters():
        for name, value in glued(chapter).items():
            if name.endswith(".words") and isinstance(value, list):
                words.update(dict.fromkeys(value))
    return list(words)


def write_figures_template() -> Path:
    """The template of the figures' catalogue, `figures.pot` beside the pages' templates."""
    catalog = Catalog(
        project="Adam, derived and executed", fuzzy=False, creation_date=CATALOGUE_DATE
    )
    for words in figure_words():
        catalog.add(words)
    path = POT_DIR / f"{FIGURES}.pot"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, sort_output=False)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="pages such as chapters/moves (default: all)")
    parser.add_argument("--update", action="store_true", help="merge new English strings")
    parser.add_argument("--sheet", action="store_true", help="print the page's sheet")
    parser.add_argument("--merge", metavar="SHEET", help="write a filled sheet into the page")
    parser.add_argument(
        "--figures-template", action="store_true", help="write figures.pot from the execution"
    )
    args = parser.parse_args()
    if args.figures_template:
        print(f"# {write_figures_template().relative_to(ROOT)}: {len(figure_words())} strings")
        return 0
    if args.sheet:
        (page,) = args.pages
        sys.stdout.write(sheet(page))
        return 0
    if args.merge:
        (page,) = args.pages
        filled = merge(page, Path(args.merge).read_text(encoding="utf-8"))
        print(f"# {page}: {filled} entries written from {args.merge}")
    selected = args.pages or pages()
    total = Counts(0, 0, 0)
    bad = 0
    for page in selected:
        if args.update:
            update(page)
        found = problems(page)
        bad += len(found)
        for line in found:
            print(line)
        c = counts(page)
        total = Counts(
            total.entries + c.entries, total.translated + c.translated, total.words + c.words
        )
        print(f"# {page}: {c.translated}/{c.entries} translated ({c.words} English words)")
    print(f"# total: {total.translated}/{total.entries} translated, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
