"""Tests of the test harness itself: the prose rules, glue parsing and the cache fingerprint.

The book-wide checks in test_book.py are only as good as these helpers; each case below is a
page or a change they must not get wrong.
"""

from __future__ import annotations

import nbformat
import pytest

from tests import execution_cache
from tests.notebooks import glued_outputs, literal_or_text
from tests.prose import GlueReference, glue_references, stated_numbers


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("The first step is 0.316 long.", ["0.316"]),
        ("Half of the 1,000 steps, i.e. 50%, used 1e-8.", ["1,000", "50%", "1e-8"]),
        ("A table:\n\n| t | value |\n|---|---|\n| 10 | 2.5 |", ["10", "2.5"]),
        ("Inline math states a value: $\\beta_2 = 0.999$.", ["0.999"]),
        (":::{note}\nA note says 42.\n:::", ["42"]),
        ("```{prf:theorem} Title 2015\n:label: thm-x\n\nIts body says 3.5.\n```", ["3.5"]),
        ("```{figure} fig.png\n---\nwidth: 80%\n---\nA caption with 12 runs.\n```", ["12"]),
    ],
)
def test_typed_numbers_in_prose_are_found(markdown, expected):
    """Catches a prose checker that misses numbers in sentences, tables, inline-math decimals,
    or the bodies of admonitions, theorem boxes and figure captions."""
    assert stated_numbers(markdown) == expected


@pytest.mark.parametrize(
    "markdown",
    [
        "Step 1 of Algorithm 2 uses $t = 1$ and $\\epsilon = 10^{-8}$, in float64 for L2.",
        "The value is {glue:text}`ratio:.3f` (see {eq}`eq-adam-2` and {cite}`kingma2015adam`).",
        "$$\n\\hat m_1 = 0.1 g_1 \\cdot 1000\n$$ (eq-bias-12)",
        "\\begin{align}\nx &= 0.5\n\\end{align}",
        "```python\nx = 0.125\n```",
        "```{code-cell} ipython3\nx = 0.125\n```",
        "(sec-2024)=\n## A section\n\nSee [the paper](https://arxiv.org/abs/1412.6980) and `torch==2.13.0`.",
        "1. first\n2. second\n10. tenth",
        "<!-- TODO 0.5 -->",
    ],
)
def test_notation_code_and_references_are_not_prose_numbers(markdown):
    """Catches a prose checker that flags display math, code, roles, labels, URLs, list markers,
    comments or single digits, which would make authors glue notation."""
    assert stated_numbers(markdown) == []


def test_glue_references_are_parsed_with_format_and_document():
    """Catches a parser that keeps the format spec as part of the key, or loses the other
    document of a `doc::key` reference, or misses the glue directives."""
    markdown = (
        "A {glue:text}`ratio:.3f`, {glue}`count`, {glue:md}`table` and {glue:text}`other::beta2:.2f`.\n\n"
        "```{glue:figure} fig_trajectory\n:name: fig-x\n\nCaption.\n```\n\n"
        "```{glue:math} bias_factor\n:label: eq-bias\n```\n"
    )
    assert glue_references(markdown) == [
        GlueReference("fig_trajectory", None),
        GlueReference("bias_factor", None),
        GlueReference("ratio", None),
        GlueReference("count", None),
        GlueReference("table", None),
        GlueReference("beta2", "other"),
    ]


def test_glue_outputs_are_read_back_as_python_values():
    """Catches a reader that ignores hidden glue (`display=False`, mime-prefixed data) or returns
    literals as strings."""
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "0.5"},
            metadata={"scrapbook": {"name": "shown", "mime_prefix": ""}},
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "[1, (2, 'a')]"},
            metadata={
                "scrapbook": {"name": "hidden", "mime_prefix": "application/papermill.record/"}
            },
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/plain": "7"}
        ),  # a plain display, not glue
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    values = {name: literal_or_text(b["text/plain"]) for name, b in glued_outputs(notebook).items()}
    assert values == {"shown": 0.5, "hidden": [1, (2, "a")]}
    assert literal_or_text("sqrt(2)/3") == "sqrt(2)/3"


def _library_tree(root):
    (root / "adamlib").mkdir()
    (root / "adamlib" / "reference.py").write_text("bc = 1 - beta1**t\n")
    (root / "requirements.txt").write_text("numpy==2.4.6\n")
    (root / "_build" / ".jupyter_cache").mkdir(parents=True)
    return root


def test_cache_is_emptied_when_the_library_changes(tmp_path):
    """Catches a cache that keeps serving outputs computed by an older adamlib (jupyter-cache
    alone keys notebooks on their code cells only)."""
    root = _library_tree(tmp_path)
    assert execution_cache.invalidate_if_stale(root)  # no fingerprint recorded yet
    executed = root / "_build" / ".jupyter_cache" / "executed.txt"
    executed.write_text("outputs")
    assert not execution_cache.invalidate_if_stale(root)
    assert executed.exists()

    (root / "adamlib" / "reference.py").write_text("bc = 1.0\n")
    assert not execution_cache.is_fresh(root)
    assert execution_cache.invalidate_if_stale(root)
    assert not executed.exists()
    assert execution_cache.is_fresh(root)


def test_fingerprint_covers_pins_and_new_modules_but_not_bytecode(tmp_path):
    """Catches a fingerprint blind to a changed pin or an added module, or one that changes
    whenever Python writes bytecode (which would empty the cache on every build)."""
    root = _library_tree(tmp_path)
    before = execution_cache.fingerprint(root)
    (root / "adamlib" / "__pycache__").mkdir()
    (root / "adamlib" / "__pycache__" / "reference.cpython-311.pyc").write_bytes(b"\0")
    assert execution_cache.fingerprint(root) == before
    (root / "adamlib" / "radam.py").write_text("")
    with_module = execution_cache.fingerprint(root)
    assert with_module != before
    (root / "requirements.txt").write_text("numpy==2.4.7\n")
    assert execution_cache.fingerprint(root) != with_module
