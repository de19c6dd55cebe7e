"""The printed book: give Sphinx's LaTeX output the website's structure and numbers.

Sphinx writes the whole book as one LaTeX document whose chapters are the documents of the
root's toctrees, all numbered, with the landing page's sections as chapters of their own. The
website numbers only the chapters of the toc's `numbered` parts. So that "Chapter 2",
"Theorem 2.1", "(2.3)" and "Figure 2.1" name the same objects in print and online, this
extension rewrites the .tex file once Sphinx has written it (before latexmk runs):

- the landing page becomes an unnumbered "Introduction", its sections unnumbered sections;
- chapters of unnumbered toc parts (notation, back matter) become unnumbered chapters;
- the solutions of a chapter's exercises move from their exercises to the end of the chapter;
- a page after the title page states the version, the commit and the licences;
- link texts (repository paths) may break after '/', and tables of five or more columns are
  set smaller, so that nothing runs into the margin.

Equation and figure numbers are LaTeX's own (per chapter, like the website's); theorem and
exercise numbers are written by Sphinx from the same environment as the website's.
It only moves and relabels LaTeX the builders wrote: it computes nothing the book reports.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from sphinx.application import Sphinx

CHAPTER = re.compile(
    r"\\chapter\{(?P<title>(?:[^{}]|\{[^{}]*\})*)\}\n"
    r"(?P<labels>(?:\\label\{\\detokenize\{[^}]*\}\})*)"
)
DOC_LABEL = re.compile(r"\\label\{\\detokenize\{(?P<doc>[^}:]*)::doc\}\}")
SOLUTION = re.compile(
    r"\\phantomsection \\label\{[^}]*-solution-\d+\}\n\n"
    r"\\begin\{sphinxadmonition\}\{note\}\{Solution to "
)
ADMONITION = re.compile(r"\\(begin|end)\{sphinxadmonition\}")


def numbered_documents(srcdir: Path) -> set[str]:
    """The documents of the toc's numbered parts (the website numbers only these)."""
    toc = yaml.safe_load((srcdir / "_toc.yml").read_text())
    return {
        chapter["file"]
        for part in toc.get("parts", [])
        if part.get("numbered")
        for chapter in part.get("chapters", [])
    }


def _unnumbered(title: str, labels: str) -> str:
    return (
        f"\\chapter*{{{title}}}\n{labels}"
        f"\\addcontentsline{{toc}}{{chapter}}{{{title}}}\\markboth{{{title}}}{{}}\n"
    )


def _star_sections(body: str) -> str:
    return re.sub(r"\\(sub)*section\{", lambda m: m.group(0)[:-1] + "*{", body)


def _solution_blocks(body: str) -> list[tuple[int, int]]:
    """Spans of every 'Solution to ...' admonition (with its anchor) in a chapter's body."""
    spans = []
    for match in SOLUTION.finditer(body):
        depth, position = 0, match.start()
        for token in ADMONITION.finditer(body, match.start()):
            depth += 1 if token.group(1) == "begin" else -1
            if depth == 0:
                position = token.end()
                break
        spans.append((match.start(), position))
    return spans


def _move_solutions(body: str) -> str:
    spans = _solution_blocks(body)
    if not spans:
        return body
    kept, solutions, last = [], [], 0
    for start, end in spans:
        kept.append(body[last:start])
        solutions.append(body[start:end])
        last = end
    kept.append(body[last:])
    return (
        "".join(kept).rstrip()
        + "\n\n\\section*{Solutions}\n\\addcontentsline{toc}{section}{Solutions}\n\n"
        + "\n\n".join(solutions)
        + "\n\n"
    )


WIDE_TABLE = re.compile(r"\\begin\{tabulary\}\{\\linewidth\}\[t\]\{(T{5,})\}")
HREF = "\\sphinxhref{"


def _group_end(tex: str, start: int) -> int:
    """Index just past the brace group that opens at tex[start] == '{'."""
    depth = 0
    for index in range(start, len(tex)):
        if tex[index] == "{":
            depth += 1
        elif tex[index] == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(tex)


def _breakable_links(tex: str) -> str:
    """Let the text of a link (a repository path) break after each '/', as a URL would."""
    pieces, last = [], 0
    start = tex.find(HREF)
    while start >= 0:
        text_start = _group_end(tex, start + len(HREF) - 1)
        text_end = _group_end(tex, text_start)
        text = tex[text_start:text_end].replace("/", "/\\allowbreak{}")
        pieces += [tex[last:text_start], text]
        last = text_end
        start = tex.find(HREF, text_end)
    return "".join(pieces) + tex[last:]


def _small_wide_tables(tex: str) -> str:
    """Tables of five or more columns (the variant matrix) in smaller type with less padding."""
    tex = WIDE_TABLE.sub(lambda m: "\\widetabletrue" + m.group(0), tex)
    return re.sub(
        r"(\\widetabletrue\\begin\{tabulary\}.*?\\end\{tabulary\})",
        lambda m: m.group(1) + "\\widetablefalse{}",
        tex,
        flags=re.S,
    )


def restructure(tex: str, numbered: set[str], colophon: str) -> str:
    """The book's .tex with the website's numbering (see the module docstring)."""
    tex = _small_wide_tables(_breakable_links(tex))
    # Sphinx names the table of contents after the first toctree's caption.
    tex = re.sub(r"(\\renewcommand\{\\contentsname\}\{)[^}]*\}", r"\1Contents}", tex, count=1)
    tex = tex.replace("\\sphinxmaketitle\n", "\\sphinxmaketitle\n" + colophon, 1)

    chapters = list(CHAPTER.finditer(tex))
    if not chapters:
        return tex
    intro_anchor = tex.find("\\label{\\detokenize{intro::doc}}")
    pieces, last = [], 0
    if 0 <= intro_anchor < chapters[0].start():
        # The landing page: its lead paragraph and its sections, as one unnumbered chapter.
        pieces.append(tex[:intro_anchor])
        pieces.append(_unnumbered("Introduction", ""))
        intro = tex[intro_anchor : chapters[0].start()]
        last = chapters[0].start()
        intro_chapters = []
        for match in chapters:
            doc = DOC_LABEL.search(match.group("labels"))
            if doc:
                break
            intro_chapters.append(match)
        for match in intro_chapters:
            intro += f"\\section*{{{match.group('title')}}}\n{match.group('labels')}"
            following = chapters[chapters.index(match) + 1]
            intro += _star_sections(tex[match.end() : following.start()]).replace(
                "\\section*{", "\\subsection*{"
            )
            last = following.start()
        pieces.append(intro)
        chapters = chapters[len(intro_chapters) :]
    moved_labels: list[str] = []
    for index, match in enumerate(chapters):
        pieces.append(tex[last : match.start()])
        end = chapters[index + 1].start() if index + 1 < len(chapters) else None
        body = tex[match.end() : end] if end is not None else tex[match.end() :]
        tail = ""
        if end is None:
            # The last chapter runs to the end of the document.
            cut = body.find("\\renewcommand{\\indexname}")
            cut = body.find("\\end{document}") if cut < 0 else cut
            body, tail = body[:cut], body[cut:]
        doc = DOC_LABEL.search(match.group("labels"))
        if not body.replace("\\sphinxstepscope", "").strip():
            # A page with nothing to print (the bibliography page: LaTeX sets the references
            # at the end of the book): its labels move to the references.
            moved_labels.append(match.group("labels"))
            pieces.append(tail)
            last = len(tex) if end is None else end
            continue
        if doc and doc.group("doc") in numbered:
            pieces.append(match.group(0) + _move_solutions(body))
        else:
            pieces.append(
                _unnumbered(match.group("title"), match.group("labels"))
                + _star_sections(_move_solutions(body))
            )
        pieces.append(tail)
        last = len(tex) if end is None else end
    tex = "".join(pieces)
    if moved_labels:
        anchor = "\\begin{sphinxthebibliography}"
        tex = tex.replace(anchor, "\\phantomsection" + "".join(moved_labels) + "\n" + anchor, 1)
    return tex


def _git(srcdir: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=srcdir, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def colophon(srcdir: Path) -> str:
    """The page after the title page: version, commit, licences."""
    citation = yaml.safe_load((srcdir / "CITATION.cff").read_text())
    version = citation.get("version", "unreleased")
    commit = _git(srcdir, "rev-parse", "--short=12", "HEAD")
    return (
        "\\thispagestyle{empty}\\vspace*{\\fill}\n"
        "\\noindent\\textbf{Adam, derived and executed}\\\\[0.5em]\n"
        f"\\noindent Version {version}, built from commit \\texttt{{{commit}}}.\\\\[0.5em]\n"
        "\\noindent Text licensed CC BY 4.0 (\\url{https://creativecommons.org/licenses/by/4.0/});"
        " code licensed MIT.\\\\[0.5em]\n"
        "\\noindent Every number in this book was computed when it was built; the website"
        " and this PDF are built from the same executed notebooks.\n"
        "\\clearpage\n"
    )


def rewrite_tex(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "latex":
        return
    srcdir = Path(app.srcdir)
    numbered = numbered_documents(srcdir)
    for path in Path(app.outdir).glob("*.tex"):
        text = path.read_text(encoding="utf-8")
        if "\\sphinxmaketitle" in text:
            path.write_text(restructure(text, numbered, colophon(srcdir)), encoding="utf-8")


def date_of_commit(app: Sphinx) -> None:
    """The title page's date: the commit's, so that two builds of one commit are the same."""
    if app.builder.name == "latex":
        date = _git(Path(app.srcdir), "log", "-1", "--format=%cd", "--date=format:%d %B %Y")
        if date != "unknown":
            app.config.today = date


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", date_of_commit)
    app.connect("build-finished", rewrite_tex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
