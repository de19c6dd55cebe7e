"""The book's bookkeeping in one place: glued values and figures that also show in Jupyter.

The chapters of "Adam, derived and executed" insert computed values into their prose with
MyST-NB's `glue`. This module keeps those calls out of the reader's way and makes a chapter work
the same outside the book:

- `glue_all({...})` glues several values in one call (from a cell hidden in the book);
- `show_figure(name, fig)` glues a figure (as SVG for the website, PDF for the printed book)
  for the book's numbered `{glue:figure}` and also displays it in the cell, so running the
  chapter in JupyterLab, Colab or Binder shows every figure inline. In the book the cell carries
  the `remove-output` tag, so the figure appears once, in its numbered place.

It must not compute anything the book reports: it only hands values to MyST-NB and IPython.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["glue_all", "show_figure"]


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
    plt.close(fig)
