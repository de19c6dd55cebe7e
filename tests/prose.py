"""What the text of a MyST page says: the glue keys it references and the numbers it states.

The book's rule is that every number in a chapter's prose is computed by a cell and inserted with
`{glue:text}` (or another glue role); `stated_numbers` finds the ones that were typed by hand
instead. What counts as prose: paragraphs, lists, tables, headings, and the bodies of
admonitions, theorem boxes, exercises and figure captions. What does not:

- code (fenced blocks, inline code, code cells), roles (`{glue:text}`, `{eq}`, `{cite}`, ...),
  labels, link targets, URLs, HTML and MyST substitutions;
- display math (`$$...$$`, amsmath environments, the `math` directive): its numbers are
  notation (exponents, `1 - \\beta`), not results;
- in inline math, integers (`$t = 1$`, `$10^{-8}$`); decimals such as `$\\beta_2 = 0.999$`
  are stated values and are reported;
- single digits outside math (`step 1`, `Algorithm 2`), which are structure, not results.

A page may list numbers it states on purpose (a year, a section of a paper) in its front matter,
as strings: `unglued_prose_numbers: ["2014"]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Directives whose body is code, math or generated content, not prose.
NON_PROSE_DIRECTIVES = {
    "code",
    "code-block",
    "sourcecode",
    "code-cell",
    "literalinclude",
    "math",
    "raw",
    "eval-rst",
    "glue",
    "glue:",
    "glue:any",
    "glue:md",
    "glue:math",
    "bibliography",
    "nb-exec-table",
    "toctree",
}
GLUE_ROLES = {"glue", "glue:", "glue:any", "glue:text", "glue:md"}
GLUE_DIRECTIVES = {"glue", "glue:", "glue:any", "glue:figure", "glue:math", "glue:md"}

FENCE = re.compile(
    r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})\s*(?:\{(?P<directive>[^}\s]+)\})?\s*(?P<argument>.*)$"
)
OPTION_LINE = re.compile(r"^\s*:[\w-]+:")
ROLE = re.compile(r"\{(?P<role>[\w:.+-]+)\}(?P<ticks>`+)(?P<content>.*?)(?P=ticks)", re.S)
INLINE_CODE = re.compile(r"(?P<ticks>`+).*?(?P=ticks)", re.S)
DISPLAY_MATH = re.compile(
    r"\$\$.*?\$\$(?:\s*\([^)\s]+\))?|\\begin\{(?P<env>[\w*]+)\}.*?\\end\{(?P=env)\}", re.S
)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?P<math>[^$]+?)(?<![\\$])\$")
NOISE = [
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"^\s*\([^)\s]+\)=\s*$", re.M),  # targets: (label)=
    re.compile(r"\]\([^)]*\)"),  # link destinations
    re.compile(r"<https?://[^>]*>|https?://\S+"),  # URLs
    re.compile(r"</?[a-zA-Z][^>]*>"),  # HTML tags
    re.compile(r"\{\{.*?\}\}", re.S),  # substitutions
    re.compile(r"\[\^[^\]]+\]:?"),  # footnote labels
    re.compile(r"^\s*\d+[.)]\s", re.M),  # ordered-list markers
]
NUMBER = re.compile(r"(?<![\w.\\])\d+(?:[.,]\d+)*(?:[eE][-+−]?\d+)?%?(?!\w|\.\d)")


@dataclass(frozen=True)
class GlueReference:
    """A use of a glued value: `{glue:text}`key:.3f`` or ```{glue:figure} key```."""

    key: str
    document: str | None  # the other document of `doc::key`, else None (this page)


def _reference(text: str, *, with_format: bool) -> GlueReference:
    text = text.strip()
    if with_format:  # `{glue:text}` takes `[doc::]key[:format]`
        text = re.sub(r"(?<!:):[^:]*$", "", text)
    document, _, key = text.rpartition("::")
    return GlueReference(key.strip(), document.strip() or None)


def glue_references(markdown: str) -> list[GlueReference]:
    """Every glue key the page uses, in order of appearance."""
    references = []
    for line in markdown.splitlines():
        match = FENCE.match(line)
        if match and match["directive"] in GLUE_DIRECTIVES and match["argument"]:
            references.append(_reference(match["argument"], with_format=False))
    for match in ROLE.finditer(markdown):
        if match["role"] in GLUE_ROLES:
            references.append(
                _reference(match["content"], with_format=match["role"] == "glue:text")
            )
    return references


def _prose_lines(markdown: str) -> list[str]:
    """The lines of prose, without fenced code/math blocks, directive headers and options."""
    kept: list[str] = []
    open_fences: list[tuple[str, bool]] = []  # (fence, body is prose)
    options = None  # after a directive's first line: "fields" (`:key: value`) or "yaml" (--- block)
    for line in markdown.splitlines():
        stripped = line.strip()
        if open_fences:
            fence, is_prose = open_fences[-1]
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                open_fences.pop()
                options = None
                continue
            if not is_prose:
                continue
        if options == "yaml":
            options = "fields" if stripped == "---" else "yaml"
            continue
        if options == "fields":
            if stripped == "---":
                options = "yaml"
                continue
            if OPTION_LINE.match(line):
                continue
            options = None
        match = FENCE.match(line)
        if match:
            directive = match["directive"]
            is_prose = directive is not None and directive not in NON_PROSE_DIRECTIVES
            open_fences.append((match["fence"], is_prose))
            options = "fields" if is_prose else None
            continue
        kept.append(line)
    return kept


def stated_numbers(markdown: str) -> list[str]:
    """The numbers the page's prose states by hand (see the module docstring for the rules)."""
    text = "\n".join(_prose_lines(markdown))
    text = DISPLAY_MATH.sub(" ", text)
    text = ROLE.sub(" ", text)
    text = INLINE_CODE.sub(" ", text)
    for pattern in NOISE:
        text = pattern.sub(" ", text)
    numbers = []
    for math in INLINE_MATH.findall(text):
        numbers += [n for n in NUMBER.findall(math) if not n.isdigit()]
    text = INLINE_MATH.sub(" ", text)
    numbers += [n for n in NUMBER.findall(text) if not (n.isdigit() and len(n) == 1)]
    return numbers
