"""Two executions of a chapter produce the same text: every random generator is seeded and no
output depends on timing, memory addresses or the order of a set.

Catches an unseeded generator (a glued number or printed table that changes from build to
build), a printed timing, or an object repr with an address. Images are not compared: PNG
bytes may legitimately differ between matplotlib runs while the picture does not.
"""

from __future__ import annotations

import copy

import pytest

from tests import notebooks

TEXT_TYPES = ("text/plain", "text/html", "text/latex", "text/markdown")


def text_outputs(notebook) -> list[tuple[int, str, str]]:
    """(cell index, kind, text) for every stream and textual display output. Consecutive
    pieces of one stream are joined: the kernel splits them wherever a flush happened to fall."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                if found and found[-1][:2] == (index, output.name):
                    found[-1] = (index, output.name, found[-1][2] + output.text)
                else:
                    found.append((index, output.name, output.text))
            for mime in TEXT_TYPES:
                if mime in output.get("data", {}):
                    found.append((index, mime, output.data[mime]))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("chapter", notebooks.notebook_chapters())
def test_second_execution_prints_the_same_text(chapter):
    first = text_outputs(notebooks.executed(chapter))
    rerun = copy.deepcopy(notebooks.read_chapter(chapter))
    notebooks._execute(rerun)
    second = text_outputs(rerun)
    assert [kind for _, kind, _ in second] == [kind for _, kind, _ in first]
    for (index, kind, a), (_, _, b) in zip(first, second):
        assert a == b, f"cell {index} ({kind}) printed different text on a second execution"
