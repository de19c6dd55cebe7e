"""The printed book (`make pdf`): same numbers as the website, nothing unresolved, nothing clipped.

Reads the PDF with poppler's `pdftotext`/`pdfinfo`, LaTeX's own `.aux` (the number LaTeX printed
for each label) and `.log` (overfull boxes), and the built website (`_build/html`, the number
it shows for each label). Needs `make book` and `make pdf` first; without a PDF the group is
skipped on a reader's machine and fails in CI (CI=true), where `.ci/run` builds it.

The checker functions are also run on a deliberately broken LaTeX document (an undefined
reference and an over-long line), so that a checker that cannot fail is caught too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.notebooks import ROOT, toc_pages

pytestmark = pytest.mark.pdf

LATEX_DIR = ROOT / "_build" / "latex"
HTML_DIR = ROOT / "_build" / "html"
PDF = LATEX_DIR / "adam-derived-and-executed.pdf"
# Each edition's PDF (tests/editions.py builds the Chinese one): its LaTeX folder and name, and
# the website pages whose numbers it must show.
EDITIONS = {
    "en": (LATEX_DIR, "adam-derived-and-executed", HTML_DIR),
    "zh": (
        ROOT / "_build" / "zh" / "_build" / "latex",
        "adam-derived-and-executed-zh",
        HTML_DIR / "zh",
    ),
}
# An overfull box wider than this is a line running into the margin (LaTeX reports boxes
# down to 0.1 pt; a fraction of a point is invisible).
OVERFULL_TOLERANCE_PT = 1.0
OVERFULL = re.compile(r"^Overfull \\hbox \((?P<pt>[0-9.]+)pt too wide\)(?P<where>.*)$", re.M)
NEWLABEL = re.compile(r"^\\newlabel\{(?P<label>[^}]*)\}\{\{(?P<number>[^}]*)\}", re.M)


def _needs(path: Path, what: str) -> None:
    if not path.exists():
        message = f"{path.relative_to(ROOT)} is missing: run `{what}` first"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def pdf_text(pdf: Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def unresolved_references(text: str) -> list[str]:
    """Lines of the PDF's text where LaTeX printed '??' for a reference it could not resolve."""
    return [line.strip() for line in text.splitlines() if "??" in line]


def overfull_boxes(log: str, tolerance_pt: float = OVERFULL_TOLERANCE_PT) -> list[str]:
    """LaTeX's overfull horizontal boxes wider than the tolerance: lines into the margin."""
    return [
        f"{m['pt']}pt{m['where']}" for m in OVERFULL.finditer(log) if float(m["pt"]) > tolerance_pt
    ]


def html_numbers(html_dir: Path = HTML_DIR) -> dict[str, str]:
    """label (as 'chapters/x:label') -> the number the website shows for it.

    Equations ('(2.3)' -> '2.3'), figures ('Fig. 2.1' -> '2.1'), and sphinx-proof/sphinx-exercise
    boxes ('Theorem 2.1' -> 'Theorem 2.1', checked against the PDF's text).
    """
    numbers = {}
    for page in toc_pages():
        path = html_dir / f"{page}.html"
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for eqno in soup.select("div.math span.eqno"):
            label = eqno.parent.get("id", "").removeprefix("equation-")
            numbers[f"equation:{page}:{label}"] = eqno.find(string=True).strip().strip("()")
        for figure in soup.select("figure[id]"):
            caption = figure.select_one("span.caption-number")
            if caption:
                number = re.sub(r"^[^\d]*", "", caption.get_text(strip=True)).strip()
                numbers[f"{page}:{figure['id']}"] = number
        for box in soup.select("div.admonition[id]"):
            caption = box.select_one("p.admonition-title span.caption-number")
            if caption and ("proof" in box["class"] or "exercise" in box["class"]):
                numbers[f"box:{page}:{box['id']}"] = " ".join(caption.get_text().split())
    return numbers


def pdf_label_numbers(aux: str) -> dict[str, str]:
    return {m["label"]: m["number"] for m in NEWLABEL.finditer(aux)}


def number_mismatches(html: dict[str, str], aux: dict[str, str], text: str) -> list[str]:
    """Labels whose number in the PDF differs from the website's, or that the PDF lacks."""
    flat_text = " ".join(text.split())
    problems = []
    for label, number in sorted(html.items()):
        if label.startswith("box:"):
            if number not in flat_text:
                problems.append(f"{label}: the PDF has no '{number}'")
        elif aux.get(label) != number:
            problems.append(f"{label}: website {number}, PDF {aux.get(label)}")
    return problems


@pytest.fixture(scope="module", params=list(EDITIONS))
def edition(request) -> tuple[Path, str, Path]:
    return EDITIONS[request.param]


@pytest.fixture(scope="module")
def built_pdf(edition) -> Path:
    latex_dir, name, html_dir = edition
    _needs(html_dir / "intro.html", "make book")
    _needs(latex_dir / f"{name}.pdf", "make pdf")
    return latex_dir / f"{name}.pdf"


@pytest.fixture(scope="module")
def text(built_pdf) -> str:
    """The PDF's text, extracted once per edition."""
    return pdf_text(built_pdf)


def test_pdf_has_pages(built_pdf):
    info = subprocess.run(["pdfinfo", str(built_pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    print(f"\nPDF: {pages} pages")
    assert pages > 50


def test_no_unresolved_reference_in_pdf(text):
    assert unresolved_references(text) == []


def test_no_line_runs_into_the_margin(built_pdf):
    log = built_pdf.with_suffix(".log").read_text(errors="replace")
    assert overfull_boxes(log) == []


def test_pdf_numbers_equal_website_numbers(edition, built_pdf, text):
    html = html_numbers(edition[2])
    aux = pdf_label_numbers(built_pdf.with_suffix(".aux").read_text(errors="replace"))
    kinds = {kind: sum(label.startswith(kind) for label in html) for kind in ("equation:", "box:")}
    assert kinds["equation:"] > 20 and kinds["box:"] > 20, kinds
    assert number_mismatches(html, aux, text) == []


def test_title_page_carries_version_commit_and_licence(built_pdf):
    first_pages = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "3", str(built_pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert "CC BY 4.0" in first_pages and "MIT" in first_pages
    assert commit and commit in first_pages


BROKEN = r"""
\documentclass{article}
\begin{document}
See Section~\ref{sec:nowhere}.
\texttt{an\_unbreakable\_identifier\_that\_is\_far\_too\_long\_for\_any\_line\_of\_this\_article\_class\_page}
\end{document}
"""


def test_checkers_catch_a_broken_document(tmp_path):
    """The checkers themselves: an undefined reference and an over-long line must be reported."""
    if shutil.which("xelatex") is None:
        _needs(tmp_path / "xelatex", "apt-get install texlive-xetex")
    (tmp_path / "broken.tex").write_text(BROKEN)
    subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "broken.tex"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert unresolved_references(pdf_text(tmp_path / "broken.pdf"))
    assert overfull_boxes((tmp_path / "broken.log").read_text(errors="replace"))
    # ...and a number that differs from the website's is reported.
    html = {"equation:chapters/x:eq-a": "2.3", "box:chapters/x:thm-a": "Theorem 2.1"}
    assert number_mismatches(html, {"equation:chapters/x:eq-a": "3.3"}, "Theorem 2.2") == [
        "box:chapters/x:thm-a: the PDF has no 'Theorem 2.1'",
        "equation:chapters/x:eq-a: website 2.3, PDF 3.3",
    ]
