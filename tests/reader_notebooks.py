"""The notebooks a reader gets: each chapter as plain Jupyter/Colab markdown and unchanged code.

A chapter's source (`chapters/<name>.md`) is a MyST notebook: its prose pastes computed values
(`{glue:text}`), refers to numbered equations, theorems and figures (`{eq}`, `{prf:ref}`,
`{numref}`), cites papers (`{cite:t}`) and puts theorems and exercises in boxes (`{prf:theorem}`
fences). Jupyter, JupyterLab and Colab render none of that. This module writes, from the book as
it was last built, the notebook a reader downloads or opens on Colab/Binder
(`chapters/<name>.ipynb`): the chapter's code cells unchanged (tags kept, no outputs) and its
markdown with every MyST construct replaced by what the website shows there:

- glued values by their text as myst-nb formats it (`{glue:text}` `key:.3f` applies `:.3f`);
- equation, theorem, figure, exercise and section references by the website's numbers, taken
  from Sphinx's environment of the last build (`_build/.doctrees/environment.pickle`), never
  from a numbering of our own; references to another page link to that page on the website;
- citations by the author-year text of the website (`Kingma and Ba [2015]`);
- theorem/proof/algorithm/exercise/solution/admonition boxes by blockquotes with a bold title;
- labelled display equations `$$ ... $$ (label)` by `$$ ... \\tag{1.2} $$`.

A construct it does not know raises `UnknownMyST`, so that a new directive or role is translated
here before a reader sees it raw. `problems(executed_notebook)` lists what a reader would see
broken (a raw role, a glued figure that does not display, ...): the reader tests use it.

Run as a script after `make book`: `--site` writes the download copies into the built website
(`_build/html/_sources/chapters/<name>.ipynb`, the theme's ".ipynb" button), `--commit` writes
`chapters/<name>.ipynb` (`make ipynb`; tests/test_book.py checks that the committed ones equal a
fresh generation).
"""

from __future__ import annotations

import argparse
import functools
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from myst_nb.core.variables import format_plain_text

from tests.notebooks import (
    CHAPTERS_DIR,
    CONFIG,
    ROOT,
    executed,
    glued_outputs,
    notebook_chapters,
    read_chapter,
)

BUILD_DIR = ROOT / "_build"
ENVIRONMENT = BUILD_DIR / ".doctrees" / "environment.pickle"
SITE_SOURCES = BUILD_DIR / "html" / "_sources"
BASE_URL = CONFIG["html"]["baseurl"].rstrip("/") + "/"

# Display titles of the admonitions a chapter may use (the theme's English titles).
ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
}
# Cell metadata of the jupytext/MyST source that means nothing to a reader's notebook.
DROPPED_CELL_METADATA = ("mystnb",)

ROLE = re.compile(r"\{(?P<name>[a-z][\w:.-]*)\}`(?P<content>[^`]*)`")
FENCE_OPEN = re.compile(
    r"^(?P<indent> {0,3})(?P<marker>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}\s*(?P<arg>.*)$"
)
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
DOLLAR_LABEL = re.compile(r"^\$\$\s*\((?P<label>[^()\s]+)\)\s*$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*)$")
# What a reader must never see in a notebook's rendered markdown.
RAW_MYST = re.compile(r"\{[a-z][\w:.-]*\}`|^\s*(`{3,}|:{3,})\s*\{|^\(\S+\)=\s*$", re.MULTILINE)


class UnknownMyST(ValueError):
    """A MyST role or directive this module does not translate for a reader."""


class BuildMissing(FileNotFoundError):
    """No built book to take the numbers from: run `make book` first."""


# --------------------------------------------------------------------------------------------
# What the website shows, read from the last build.


@dataclass(frozen=True)
class Reference:
    """A resolved cross-reference: the text the website shows and where its target is."""

    text: str
    docname: str
    anchor: str


class Book:
    """Numbers, titles and citations exactly as the last Sphinx build resolved them."""

    def __init__(self, environment: Path = ENVIRONMENT):
        if not environment.is_file():
            raise BuildMissing(f"{environment} is missing: run `make book` first")
        with environment.open("rb") as handle:
            self.env = pickle.load(handle)
        self.labels = self.env.domaindata["std"]["labels"]
        self.anonlabels = self.env.domaindata["std"]["anonlabels"]
        self.numfig_format = self.env.config.numfig_format
        self.secnumber_suffix = self.env.config.html_secnumber_suffix
        self._bib = None

    def check_fresh(self, docname: str) -> None:
        """Raise `BuildMissing` when the page changed after the build read it (stale numbers)."""
        source = ROOT / f"{docname}.md"
        read_at_us = self.env.all_docs.get(docname)
        if read_at_us is None:
            raise BuildMissing(f"{docname} is not in the last build: run `make book` first")
        if source.stat().st_mtime_ns // 1000 > read_at_us:
            raise BuildMissing(f"{source.name} changed after the last build: run `make book` first")

    def number(self, docname: str, figtype: str, node_id: str) -> str:
        try:
            return ".".join(map(str, self.env.toc_fignumbers[docname][figtype][node_id]))
        except KeyError as error:
            raise UnknownMyST(f"no {figtype} number for {node_id!r} in {docname}") from error

    def equation(self, label: str) -> str:
        docname, _ = self.env.domaindata["math"]["objects"][label]
        return f"({self.number(docname, 'displaymath', f'equation-{label}')})"

    def proof(self, label: str) -> Reference:
        entry = self.env.proof_list[label]
        number = (
            ""
            if entry["nonumber"]
            else " " + self.number(entry["docname"], entry["countertype"], label)
        )
        return Reference(f"{entry['realtype'].title()}{number}", entry["docname"], label)

    def exercise(self, label: str) -> Reference:
        entry = self.env.sphinx_exercise_registry[label]
        if not entry["type"].startswith("exercise"):
            raise UnknownMyST(f"{label!r} is a {entry['type']}, not an exercise")
        number = self.number(entry["docname"], "exercise", label)
        return Reference(f"Exercise {number}", entry["docname"], label)

    def ref(self, label: str, explicit: str | None) -> Reference:
        """`{ref}`: the explicit text, else the section title / figure caption / box title."""
        if label in self.env.proof_list:
            found = self.proof(label)
            return Reference(explicit or found.text, found.docname, found.anchor)
        if label in getattr(self.env, "sphinx_exercise_registry", {}):
            found = self.exercise(label)
            return Reference(explicit or found.text, found.docname, found.anchor)
        if label not in self.labels and label not in self.anonlabels:
            raise UnknownMyST(f"unknown label {label!r}")
        docname, anchor, title = self.labels.get(label) or (*self.anonlabels[label], "")
        if explicit is None and not title:
            raise UnknownMyST(f"{{ref}} to {label!r} needs an explicit title")
        return Reference(explicit or title, docname, anchor)

    def numref(self, label: str, explicit: str | None) -> Reference:
        if label in getattr(self.env, "sphinx_exercise_registry", {}):
            found = self.exercise(label)
            number = found.text.removeprefix("Exercise ")
            figtype = "exercise"
            docname = found.docname
        else:
            docname, anchor = self.anonlabels[label]
            figtype = next(
                (kind for kind, ids in self.env.toc_fignumbers[docname].items() if anchor in ids),
                None,
            )
            if figtype is None:
                raise UnknownMyST(f"{{numref}} target {label!r} has no number")
            number = self.number(docname, figtype, anchor)
            label = anchor
        template = explicit or self.numfig_format[figtype]
        return Reference(template.replace("%s", number).replace("{number}", number), docname, label)

    def doc_title(self, docname: str) -> str:
        return self.env.titles[docname].astext()

    def section_numbers(self, docname: str) -> list[str]:
        """Each section heading's number prefix ("1.3.1. "), in document order."""
        from docutils import nodes

        numbers = self.env.toc_secnumbers.get(docname, {})
        anchors = [ref["anchorname"] for ref in self.env.tocs[docname].findall(nodes.reference)]
        return [
            ".".join(map(str, numbers[a])) + self.secnumber_suffix if a in numbers else ""
            for a in anchors
        ]

    def url(self, docname: str, anchor: str = "") -> str:
        return f"{BASE_URL}{docname}.html" + (f"#{anchor}" if anchor else "")

    def cite(self, role: str, keys: list[str]) -> str:
        """The text sphinxcontrib-bibtex's `author_year` style renders: `Kingma and Ba [2015]`
        (`{cite:t}`), `[Kingma and Ba, 2015]` (`{cite}`, `{cite:p}`), several keys sorted as its
        bibliography sorts them (author, year) and joined by commas, *et al.* in italics."""
        parts = sorted(self._author_year(key) for key in keys)
        if role == "cite:t":
            return ", ".join(f"{authors} [{year}]" for authors, year in parts)
        if role in ("cite", "cite:p"):
            return "[" + ", ".join(f"{authors}, {year}" for authors, year in parts) + "]"
        raise UnknownMyST(f"citation role {{{role}}} is not translated")

    def _author_year(self, key: str) -> tuple[str, str]:
        if self._bib is None:
            from pybtex.database import parse_file

            self._bib = {}
            for name in CONFIG["bibtex_bibfiles"]:
                self._bib.update(parse_file(ROOT / name).entries)
        entry = self._bib[key]
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = ["".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if len(last) == 1:
            authors = last[0]
        elif len(last) == 2:
            authors = f"{last[0]} and {last[1]}"
        else:
            authors = f"{last[0]} *et al.*"
        return authors, entry.fields.get("year", "")


@functools.cache
def last_build() -> Book:
    return Book()


# --------------------------------------------------------------------------------------------
# Glued values as the website shows them.


@functools.cache
def glue_bundles(chapter: str) -> dict[str, dict]:
    return glued_outputs(executed(chapter))


def _strip_math_delimiters(latex: str) -> str:
    latex = latex.strip()
    for left, right in (("$$", "$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)")):
        if (
            latex.startswith(left)
            and latex.endswith(right)
            and len(latex) >= len(left) + len(right)
        ):
            latex = latex[len(left) : -len(right)].strip()
            break
    return latex.removeprefix(r"\displaystyle").strip()


def _glue_bundle(chapter: str, reference: str) -> tuple[str, dict]:
    """The mime bundle of `key` or `doc::key` (relative to `chapter`), and the key."""
    if "::" in reference:
        document, key = reference.split("::", 1)
        chapter = (Path(chapter).parent / Path(document).with_suffix("")).as_posix()
    else:
        key = reference
    bundles = glue_bundles(chapter)
    if key not in bundles:
        raise UnknownMyST(f"glue key {key!r} is not defined by {chapter}")
    return key, bundles[key]


def glue_text(chapter: str, content: str) -> str:
    """`{glue:text}`: the text/plain value, formatted by myst-nb's own function."""
    reference, spec = content.rsplit(":", 1) if _has_format(content) else (content, "s")
    _, bundle = _glue_bundle(chapter, reference)
    return format_plain_text(bundle["text/plain"], spec)


def _has_format(content: str) -> bool:
    # `doc::key:.3f` and `key:.3f` have a format; `doc::key` has not.
    return ":" in content.replace("::", "\0\0")


def glue_any(chapter: str, content: str) -> str:
    """`{glue}`: what myst-nb pastes inline: LaTeX as inline maths, else markdown, else text."""
    _, bundle = _glue_bundle(chapter, content)
    if "text/latex" in bundle:
        return f"${_strip_math_delimiters(bundle['text/latex'])}$"
    if "text/markdown" in bundle:
        return bundle["text/markdown"]
    return format_plain_text(bundle["text/plain"], "")


def glue_math(chapter: str, key: str) -> str:
    _, bundle = _glue_bundle(chapter, key)
    if "text/latex" not in bundle:
        raise UnknownMyST(f"glue key {key!r} has no text/latex for {{glue:math}}")
    return _strip_math_delimiters(bundle["text/latex"])


# --------------------------------------------------------------------------------------------
# Markdown translation.


def _explicit(content: str) -> tuple[str | None, str]:
    """`text <label>` -> ("text", "label"); `label` -> (None, "label")."""
    match = re.fullmatch(r"(?s)(?P<text>.*?)\s*<(?P<label>[^<>]+)>", content.strip())
    if match and match["text"]:
        return match["text"], match["label"].strip()
    return None, content.strip()


class Translator:
    """Turns one chapter's MyST markdown cells into plain Jupyter markdown."""

    def __init__(self, chapter: str, book: Book):
        self.chapter = chapter
        self.docname = f"chapters/{chapter}"
        self.book = book
        self.section_numbers = book.section_numbers(self.docname)
        self.headings_seen = 0
        # A gated exercise/solution open across cells: its body is quoted until the end fence.
        self.gated: str | None = None
        self.gate_start: int | None = None
        # (kind, text) of every reference substituted, for the comparison with the website.
        self.references: list[tuple[str, str]] = []

    # ---- inline roles

    def _link(self, reference: Reference) -> str:
        self.references.append(("ref", reference.text))
        if reference.docname == self.docname:
            return reference.text
        return f"[{reference.text}]({self.book.url(reference.docname, reference.anchor)})"

    def role(self, match: re.Match) -> str:
        name, content = match["name"], match["content"]
        if name == "glue:text":
            return glue_text(self.chapter, content)
        if name in ("glue", "glue:"):
            return glue_any(self.chapter, content)
        if name == "glue:math":
            return f"${glue_math(self.chapter, content)}$"
        if name == "eq":
            text = self.book.equation(content.strip())
            self.references.append(("eq", text))
            return text
        if name == "prf:ref":
            explicit, label = _explicit(content)
            found = self.book.proof(label)
            return self._link(Reference(explicit or found.text, found.docname, found.anchor))
        if name == "ref":
            return self._link(self.book.ref(*reversed(_explicit(content))))
        if name == "numref":
            return self._link(self.book.numref(*reversed(_explicit(content))))
        if name == "doc":
            explicit, target = _explicit(content)
            docname = (Path(self.docname).parent / target).as_posix()
            title = explicit or self.book.doc_title(docname)
            return self._link(Reference(title, docname, ""))
        if name in ("cite", "cite:p", "cite:t"):
            text = self.book.cite(name, [key.strip() for key in content.split(",")])
            self.references.append(("cite", text))
            return text
        if name == "code":
            return f"`{content}`"
        if name == "math":
            return f"${content}$"
        raise UnknownMyST(f"role {{{name}}} in {self.chapter} is not translated")

    def inline(self, text: str) -> str:
        return ROLE.sub(self.role, text)

    # ---- blocks

    def cell(self, source: str) -> str:
        # A gated exercise/solution continued from the previous cell is quoted from the start.
        self.gate_start = 0 if self.gated else None
        lines = self.blocks(source.split("\n"), top=True)
        if self.gated:
            lines[self.gate_start :] = _quote(lines[self.gate_start :])
        return "\n".join(lines).strip("\n")

    def blocks(self, lines: list[str], top: bool = False) -> list[str]:
        """Translate a list of markdown lines (a cell, or a directive's body)."""
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            fence = FENCE_OPEN.match(line)
            if fence:
                end = _fence_end(lines, i, fence["marker"])
                options, body = _directive_parts(lines[i + 1 : end])
                name, arg = fence["name"], fence["arg"].strip()
                if name in ("exercise-start", "solution-start", "exercise-end", "solution-end"):
                    if not top or any(line.strip() for line in body):
                        raise UnknownMyST(f"{{{name}}} inside a directive or with a body")
                    if name.endswith("-start"):
                        self.gated = name
                        self.gate_start = len(out)
                        kind = name.removesuffix("-start")
                        out += [f"**{self._exercise_title(kind, arg, options)}**", ""]
                    elif self.gated:
                        out[self.gate_start :] = _quote(out[self.gate_start :])
                        self.gated = self.gate_start = None
                    i = end + 1
                    continue
                out += self.directive(name, arg, options, body)
                i = end + 1
                continue
            if line.strip() == "$$" or (line.startswith("$$") and not line.rstrip().endswith("$$")):
                end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("$$"))
                label = DOLLAR_LABEL.match(lines[end])
                math = "\n".join([lines[i].removeprefix("$$")] + lines[i + 1 : end]).strip()
                out += self.display_math(math, label["label"] if label else None)
                i = end + 1
                continue
            if TARGET.match(line) or line.startswith("% "):
                i += 1
                continue
            if line.startswith(("```", "~~~")):  # a plain code block: verbatim
                marker = re.match(r"^(`{3,}|~{3,})", line)[1]
                end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(marker))
                out += lines[i : end + 1]
                i = end + 1
                continue
            heading = HEADING.match(line)
            if heading:
                number = ""
                if self.headings_seen < len(self.section_numbers):
                    number = self.section_numbers[self.headings_seen]
                self.headings_seen += 1
                out.append(f"{heading['hashes']} {number}{self.inline(heading['title'])}")
                i += 1
                continue
            # Plain lines up to the next block are translated together: a role may span lines.
            end = i + 1
            while end < len(lines) and not _starts_block_construct(lines[end]):
                end += 1
            out += self.inline("\n".join(lines[i:end])).split("\n")
            i = end
        return out

    def display_math(self, math: str, label: str | None) -> list[str]:
        tag = ""
        if label:
            number = self.book.equation(label)
            self.references.append(("eq", number))
            tag = rf" \tag{{{number.strip('()')}}}"
        return ["$$", math + tag, "$$"]

    def directive(self, name: str, arg: str, options: dict, body: list[str]) -> list[str]:
        if name.startswith("prf:"):
            kind = name.removeprefix("prf:")
            if kind == "proof":
                title = "Proof." + (f" ({self.inline(arg)})" if arg else "")
            else:
                label = options.get("label")
                if label:
                    found = self.book.proof(label)
                    heading = found.text
                else:
                    heading = kind.title()
                title = heading + (f" ({self.inline(arg)})" if arg else "") + "."
            return _quote([f"**{title}**", ""] + self.blocks(body))
        if name in ("exercise", "solution"):
            return _quote(
                [f"**{self._exercise_title(name, arg, options)}**", ""] + self.blocks(body)
            )
        if name in ADMONITIONS or name == "admonition":
            title = self.inline(arg) if name == "admonition" else ADMONITIONS[name]
            return _quote([f"**{title}**", ""] + self.blocks(body))
        if name == "glue:figure":
            label = options.get("name") or options.get("label")
            caption = " ".join(line.strip() for line in self.blocks(body) if line.strip())
            prefix = ""
            if label:
                found = self.book.numref(label, None)
                self.references.append(("figure", found.text))
                prefix = f"**{found.text}.** "
            return [f"{prefix}{caption}".strip()]
        if name == "glue:math":
            return self.display_math(
                glue_math(self.chapter, arg), options.get("label") or options.get("name")
            )
        if name == "math":
            return self.display_math(
                "\n".join(body).strip(), options.get("label") or options.get("name")
            )
        if name == "literalinclude":
            return self.literalinclude(arg, options)
        raise UnknownMyST(f"directive {{{name}}} in {self.chapter} is not translated")

    def _exercise_title(self, kind: str, arg: str, options: dict) -> str:
        if kind == "exercise":
            label = options.get("label")
            title = self.book.exercise(label).text if label else "Exercise"
            return title + (f" ({self.inline(arg)})" if arg else "")
        return f"Solution to {self.book.exercise(arg).text}"

    def literalinclude(self, path: str, options: dict) -> list[str]:
        from sphinx.directives.code import LiteralIncludeReader

        filename = (CHAPTERS_DIR / path).resolve()
        text, _ = LiteralIncludeReader(str(filename), options, self.book.env.config).read()
        language = options.get("language", "python")
        source = filename.relative_to(ROOT).as_posix()
        return [f"From `{source}`:", "", f"```{language}", *text.rstrip("\n").split("\n"), "```"]


def _starts_block_construct(line: str) -> bool:
    stripped = line.strip()
    return bool(
        FENCE_OPEN.match(line)
        or stripped.startswith(("$$", "```", "~~~", "% "))
        or TARGET.match(line)
        or HEADING.match(line)
    )


def _fence_end(lines: list[str], start: int, marker: str) -> int:
    """Index of the line closing the fence opened at `start` (nested fences skipped)."""
    char, width = marker[0], len(marker)
    depth = 0
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        opened = FENCE_OPEN.match(lines[j])
        if opened and opened["marker"][0] == char and len(opened["marker"]) >= width:
            depth += 1
        elif stripped and set(stripped) == {char} and len(stripped) >= width:
            if depth == 0:
                return j
            depth -= 1
    raise UnknownMyST(f"unclosed fence {lines[start]!r}")


def _directive_parts(lines: list[str]) -> tuple[dict, list[str]]:
    """Options (`:key: value` lines or a `---` YAML block) and the body of a directive."""
    options: dict = {}
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        options = yaml.safe_load("\n".join(lines[1:end])) or {}
        return options, lines[end + 1 :]
    i = 0
    while i < len(lines) and (match := re.match(r"^:([\w-]+):\s*(.*)$", lines[i])):
        value = match[2].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        options[match[1]] = value if value else True
        i += 1
    return options, lines[i:]


def _quote(lines: list[str]) -> list[str]:
    """A blockquote whose every paragraph and display equation is on one line.

    JupyterLab and Colab take the maths out of markdown before parsing it, so maths broken
    over quoted lines would carry the `>` into the formula: each paragraph, list item and
    `$$ ... $$` block is joined into one line before quoting.
    """
    joined: list[str] = []
    in_math = in_code = False
    for line in "\n".join(lines).split("\n"):
        if not line.strip() and joined and not joined[-1].strip():
            continue  # one blank line between blocks is enough
        stripped = line.strip()
        if in_code:
            joined.append(line)
            in_code = not stripped.startswith("```")
            continue
        if stripped.startswith("```"):
            joined.append(line)
            in_code = True
            continue
        if in_math:
            joined[-1] += " " + stripped
            in_math = stripped != "$$" and not stripped.endswith("$$")
            continue
        if stripped.startswith("$$"):
            joined.append(stripped)
            in_math = stripped == "$$" or not stripped[2:].rstrip().endswith("$$")
            continue
        starts_block = (
            not stripped
            or not joined
            or not joined[-1].strip()
            or re.match(r"^([-*+]|\d+[.)])\s", stripped)
            or stripped.startswith(("#", ">"))
            or _is_table_row(stripped)
            or _is_table_row(joined[-1].strip())
            or joined[-1].strip().startswith(("$$", "#"))
        )
        if starts_block:
            joined.append(line.rstrip())
        else:
            joined[-1] = joined[-1].rstrip() + " " + stripped
    while joined and not joined[-1].strip():
        joined.pop()
    return [f"> {line}" if line.strip() else ">" for line in joined]


def _is_table_row(line: str) -> bool:
    return len(line) > 1 and line.startswith("|") and line.endswith("|")


# --------------------------------------------------------------------------------------------
# Notebooks.


def reader_notebook(
    chapter: str, book: Book | None = None
) -> tuple[nbformat.NotebookNode, list[tuple[str, str]]]:
    """The reader's notebook of `chapter`, and (kind, text) of every reference substituted in it."""
    book = book or last_build()
    book.check_fresh(f"chapters/{chapter}")
    source = read_chapter(chapter)
    translator = Translator(chapter, book)
    cells = []
    for cell in source.cells:
        if cell.cell_type == "markdown":
            text = translator.cell(cell.source)
            if text.strip():
                cells.append({"cell_type": "markdown", "metadata": {}, "source": text})
        elif cell.cell_type == "code":
            metadata = {k: v for k, v in cell.metadata.items() if k not in DROPPED_CELL_METADATA}
            cells.append(
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": metadata,
                    "outputs": [],
                    "source": cell.source,
                }
            )
        else:
            cells.append(cell)
    if translator.headings_seen != len(translator.section_numbers):
        raise UnknownMyST(
            f"{chapter}: {translator.headings_seen} headings but the website numbers "
            f"{len(translator.section_numbers)} sections"
        )
    for index, cell in enumerate(cells):  # stable ids, so regenerating changes nothing
        cell["id"] = f"{chapter[:40]}-{index}"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.from_dict(cell) for cell in cells],
        metadata={
            "kernelspec": dict(source.metadata["kernelspec"]),
            "language_info": {"name": "python"},
        },
    )
    return notebook, translator.references


def write(notebook: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serialise(notebook))


def serialise(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


# --------------------------------------------------------------------------------------------
# What a reader would see broken in an executed notebook.

FIGURE_MIMES = ("image/png", "image/svg+xml", "image/jpeg")
GLUED_FIGURE = re.compile(r"^application/papermill\.record/image/")


# A figure's copy glued for another edition (`<name>.zh_CN`, adamlib.book.show_figure): not a
# figure of its own, and not displayed by the cell.
EDITION_COPY = re.compile(r"\.[a-z]{2}_[A-Z]{2}$")


def _book_outputs(cell) -> list:
    """The cell's outputs, without the figure copies glued for other editions."""
    return [
        output
        for output in cell.get("outputs", [])
        if not EDITION_COPY.search(output.get("metadata", {}).get("scrapbook", {}).get("name", ""))
    ]


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Raw MyST in rendered markdown (cells and markdown outputs), glued figures that the cell
    does not also display, and error outputs, each as a message naming the cell."""
    found = []
    for index, cell in enumerate(notebook.cells):
        texts = [cell.source] if cell.cell_type == "markdown" else []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            texts.append(output.get("data", {}).get("text/markdown", ""))
        for text in texts:
            for match in RAW_MYST.finditer(text if isinstance(text, str) else "".join(text)):
                found.append(f"cell {index}: raw MyST {match.group(0).strip()!r}")
        if cell.cell_type != "code":
            continue
        mimes = [mime for output in _book_outputs(cell) for mime in output.get("data", {})]
        glued_figures = sum(bool(GLUED_FIGURE.match(mime)) for mime in mimes)
        shown = sum(mime in FIGURE_MIMES for mime in mimes)
        if glued_figures > shown:
            found.append(f"cell {index}: glues {glued_figures} figure(s) but displays {shown}")
    return found


def figure_counts(notebook: nbformat.NotebookNode) -> tuple[int, int]:
    """(glued figures, glued figures also displayed by their cell) in an executed notebook."""
    glued = shown = 0
    for cell in notebook.cells:
        mimes = [mime for output in _book_outputs(cell) for mime in output.get("data", {})]
        n = sum(bool(GLUED_FIGURE.match(mime)) for mime in mimes)
        glued += n
        shown += min(n, sum(mime in FIGURE_MIMES for mime in mimes))
    return glued, shown


def raw_myst_count(notebook: nbformat.NotebookNode) -> int:
    return sum(
        len(RAW_MYST.findall(cell.source))
        for cell in notebook.cells
        if cell.cell_type == "markdown"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", action="store_true", help="write the website's .ipynb downloads")
    parser.add_argument("--commit", action="store_true", help="write chapters/<name>.ipynb")
    parser.add_argument("chapters", nargs="*", default=None)
    args = parser.parse_args()
    for chapter in args.chapters or notebook_chapters():
        notebook, _ = reader_notebook(chapter)
        if args.site:
            write(notebook, SITE_SOURCES / "chapters" / f"{chapter}.ipynb")
        if args.commit:
            write(notebook, CHAPTERS_DIR / f"{chapter}.ipynb")
        print(f"{chapter}: {len(notebook.cells)} cells, {raw_myst_count(notebook)} raw MyST left")


if __name__ == "__main__":
    main()
