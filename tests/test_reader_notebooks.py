"""The reader notebooks' translation of MyST, on small known inputs.

`tests/reader_notebooks.py` turns a chapter's MyST into plain Jupyter markdown with the website's
numbers. Here each translation rule runs on a hand-written snippet with stub numbers (no build
needed), and the reader check (`problems`) runs on a hand-made executed notebook; its self-test
with a real kernel is in `tests/reader_execution.py` (`make test-reader`).
"""

from __future__ import annotations

import nbformat
import pytest

from tests import reader_notebooks
from tests.reader_notebooks import RAW_MYST, Book, Reference, Translator, UnknownMyST


class StubBook(Book):
    """Fixed numbers in place of a build's, so each rule is checked against known text."""

    def __init__(self):
        self._bib = None
        self.secnumber_suffix = ". "

    def section_numbers(self, docname):
        return ["3. ", "3.1. "]

    def equation(self, label):
        return {"eq-a": "(3.1)", "eq-b": "(3.2)"}[label]

    def proof(self, label):
        return Reference("Theorem 3.2", "chapters/here", label)

    def exercise(self, label):
        return Reference("Exercise 3.1", "chapters/here", label)

    def ref(self, label, explicit):
        return Reference(explicit or "Bias correction", "chapters/other", label)

    def numref(self, label, explicit):
        return Reference("Fig. 3.4", "chapters/here", label)

    def doc_title(self, docname):
        return "Bias correction"


GLUED = {
    "ratio": {"text/plain": "0.123456789"},
    "steps": {"text/plain": "12000"},
    "expr": {"text/plain": "a**2", "text/latex": r"$\displaystyle a^{2}$"},
}


@pytest.fixture
def translate(monkeypatch):
    monkeypatch.setattr(reader_notebooks, "glue_bundles", lambda chapter: GLUED)

    def run(*cells):
        translator = Translator("here", StubBook())
        return [translator.cell(cell) for cell in cells]

    return run


def test_glue_text_applies_the_format_spec_as_myst_nb(translate):
    """Catches pasting the raw repr (0.123456789) where the book shows `:.3f` (0.123)."""
    (text,) = translate("r = {glue:text}`ratio:.3f`, n = {glue:text}`steps`, {glue}`expr`.")
    assert text == "r = 0.123, n = 12000, $a^{2}$."


def test_labelled_equation_gets_the_website_number_as_tag(translate):
    """Catches a labelled equation left as `$$ (eq-a)` or numbered differently from its {eq}."""
    (text,) = translate("$$\nx = 1\n$$ (eq-a)\n\nBy {eq}`eq-a`,")
    assert text == "$$\nx = 1 \\tag{3.1}\n$$\n\nBy (3.1),"


def test_theorem_fence_becomes_quoted_box_with_maths_on_one_line(translate):
    """Catches a raw `{prf:theorem}` fence, and display maths broken over quoted lines (the `>`
    would end up inside the formula in JupyterLab and Colab)."""
    source = (
        "````{prf:theorem} Initialisation bias\n:label: thm-x\n\nIf $a\n= b$ then\n\n"
        "$$\nE[v_t] = 1\n$$ (eq-b)\n````\n\n```{prf:proof}\nTrivial.\n```"
    )
    (text,) = translate(source)
    assert text == (
        "> **Theorem 3.2 (Initialisation bias).**\n>\n> If $a = b$ then\n>\n"
        "> $$ E[v_t] = 1 \\tag{3.2} $$\n\n> **Proof.**\n>\n> Trivial."
    )


def test_gated_solution_is_quoted_in_every_cell_it_spans(translate):
    """Catches solution text that loses its box after the solution's code cell."""
    first, second = translate(
        "```{exercise-start}\n:label: ex-x\n```\n\nDo it.\n\n```{exercise-end}\n```\n\n"
        "```{solution-start} ex-x\n:class: dropdown\n```\n\nLike this:",
        "which is {glue:text}`steps`.\n\n```{solution-end}\n```\n\nAfter.",
    )
    assert first == (
        "> **Exercise 3.1**\n>\n> Do it.\n\n> **Solution to Exercise 3.1**\n>\n> Like this:"
    )
    assert second == "> which is 12000.\n\nAfter."


def test_references_and_citations_read_as_on_the_website(translate):
    """Catches raw roles, a reference to another page without a link to it, and citation keys
    in place of author-year text."""
    (text,) = translate(
        "# Title\n\n(sec-x)=\n## Part\n\nSee {prf:ref}`thm-x`, {numref}`fig-x`, "
        "{ref}`there <sec-y>`, {doc}`bias_correction`,\n{cite:t}`kingma2015adam` and "
        "{cite}`kingma2015adam,devlin2019bert`."
    )
    url = "https://adam-derived.github.io/adam-derived-and-executed/chapters/"
    assert text == (
        "# 3. Title\n\n## 3.1. Part\n\nSee Theorem 3.2, Fig. 3.4, "
        f"[there]({url}other.html#sec-y), [Bias correction]({url}bias_correction.html),\n"
        "Kingma and Ba [2015] and [Devlin *et al.*, 2019, Kingma and Ba, 2015]."
    )


@pytest.mark.parametrize("source", ["```{unknown-directive}\n```", "{term}`adam`"])
def test_untranslated_myst_is_an_error_not_left_raw(translate, source):
    """Catches a new role or directive silently passed through to readers."""
    with pytest.raises(UnknownMyST):
        translate(source)


@pytest.mark.parametrize(
    "text",
    ["{eq}`eq-a`", "{cite:t}`k`", "{numref}`fig`", "  ```{prf:proof}", ":::{note}", "(lab)="],
)
def test_raw_myst_pattern_matches_every_construct(text):
    """Catches a raw-MyST pattern too narrow to see a construct a reader would see raw."""
    assert RAW_MYST.search(text)


def test_reader_check_reports_each_kind_of_breakage():
    """Catches a reader check gone blind: on an executed notebook made by hand, a raw role, a raw
    fence, a figure glued but not displayed and an error output are each reported, in their
    cells, and prose, a displayed figure and a printed value are not."""
    png = "iVBORw0KGgo="
    glued = {"application/papermill.record/image/png": png}
    cells = [
        nbformat.v4.new_markdown_cell("Fine prose, $x$ and `code`."),
        nbformat.v4.new_markdown_cell("The value is {glue:text}`x:.3f`."),
        nbformat.v4.new_markdown_cell("```{prf:theorem}\nRaw.\n```"),
        nbformat.v4.new_code_cell(
            "glue('fig-hidden', fig, display=False)",
            outputs=[nbformat.v4.new_output("display_data", data=glued)],
        ),
        nbformat.v4.new_code_cell(
            "show_figure('fig-shown', fig)",
            outputs=[
                nbformat.v4.new_output("display_data", data=glued),
                nbformat.v4.new_output("display_data", data={"image/png": png}),
            ],
        ),
        nbformat.v4.new_code_cell(
            "1 / 0",
            outputs=[nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="x")],
        ),
        nbformat.v4.new_code_cell(
            "print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]
        ),
    ]
    found = reader_notebooks.problems(nbformat.v4.new_notebook(cells=cells))
    assert [message.split(":")[0] for message in found] == ["cell 1", "cell 2", "cell 3", "cell 5"]
    assert "{glue:text}`" in found[0] and "```{" in found[1]
    assert "glues 1 figure(s) but displays 0" in found[2] and "ZeroDivisionError" in found[3]
