"""How the classes look: their colours and glyphs, the legend, and the cell a point falls in."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:  # numpy is imported where it computes: the app's first frame does without it
    import numpy as np

CLASS_COLORS = ("red", "yellow", "green")
"""ANSI colours of classes 0, 1, 2, as in the tutorial's picture (16-colour safe)."""

REGION_MARKERS = ("█", "█", "█")
"""How each predicted class fills a cell: a full block in the class colour."""

MONO_REGION_MARKERS = (" ", "░", "▓")
"""With NO_COLOR the classes fill cells with distinct shades instead."""

POINT_MARKERS = ("o", "x", "+")
"""The training points' glyph per true class."""

CIRCLE_MARKER = "·"
"""The circle of radius 2 that bounds the data."""

CURSOR_MARKER = "╋"
"""The probe's crosshair on an empty cell (on a data point, the point's glyph in
ON_POINT_STYLE)."""

ON_POINT_STYLE = Style(color="black", bgcolor="bright_white", bold=True, underline=True)
"""The crosshair on a data point: a colour no class has, so it shows on a point shown
right or wrong alike (reversing the point's style would hide it on a wrong point, which
is reversed already); without colour, bold and underlined."""

WRONG_STYLE = Style(reverse=True)
"""Misclassified training points: their glyph in reverse video (reads without colour)."""

LIMIT = 2.0
"""The plot spans [-LIMIT, LIMIT] in x and y: the data's disk of radius 2."""


def to_cells(xy: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """(col, row) of the canvas cell of each point of shape (k, 2), row 0 at the bottom.

    The same rule plotext uses to place data and ticks, so cells and axes agree: cell c
    has its centre at -2 + 4 c / (cols - 1).
    """
    import numpy as np

    sizes = np.array([cols, rows])
    cells = np.floor(0.5 + (sizes - 1) * (xy + LIMIT) / (2 * LIMIT)).astype(int)
    return np.clip(cells, 0, sizes - 1)


def cell_centre(cell: int, n: int) -> float:
    """The centre of cell `cell` on an axis of n + 1 cells from -LIMIT (cell 0) to LIMIT
    (cell n): the one point of a cell that both the boundary's shading and the probe
    evaluate the model at, so the probe's class is the class of the cell under it.
    Rounded to 10 decimals, so that the centres of steps of 0.1 read 0.2, not 0.2000...2."""
    return round(-LIMIT + 2 * LIMIT * cell / n, 10)


def cell_centres(count: int) -> list[float]:
    """The centres of an axis of count cells, cell 0 (at -LIMIT) first."""
    n = max(1, count - 1)
    return [cell_centre(c, n) for c in range(count)]


def cell_of(v: float, step: float) -> tuple[int, int]:
    """(cell, n): the plot cell v is drawn in, on an axis of n + 1 cells `step` apart from
    -LIMIT to LIMIT (cell 0 at -LIMIT): the rule to_cells draws points by."""
    n = max(1, round(2 * LIMIT / step))
    cell = math.floor(0.5 + n * (v + LIMIT) / (2 * LIMIT))
    return min(n, max(0, cell)), n


def class_name(k: int) -> Text:
    """A class as its glyph and number in its colour, e.g. `o 0` in red."""
    glyph = POINT_MARKERS[k] if k < len(POINT_MARKERS) else "?"
    return Text(f"{glyph} {k}", style=CLASS_COLORS[k % len(CLASS_COLORS)])


def legend(no_color: bool = False, width: int | None = None, classes: int = 3) -> Text:
    """One line that names the glyphs of the dataset's classes (3, or 2): what a learner
    needs to read the plot without colour.

    Within width cells if given: narrower than the whole legend, it drops the class
    numbers and the spaces around each swatch (the glyphs and shades still tell the
    classes apart, and the side panels name them).
    """
    regions = MONO_REGION_MARKERS if no_color else REGION_MARKERS
    colors = [""] * 3 if no_color else list(CLASS_COLORS)
    marks = [(POINT_MARKERS[k], f"bold {colors[k]}") for k in range(classes)]
    swatches = [(regions[k] * 2, colors[k]) for k in range(classes)]
    # as the plot draws a wrong point: its glyph in its class colour, reversed
    wrong = (POINT_MARKERS[0], Style(bold=True, color=colors[0] or None) + WRONG_STYLE)
    whole = Text()  # " o ██ 0  x ██ 1  + ██ 2  o wrong "
    for k, ((glyph, style), swatch) in enumerate(zip(marks, swatches)):
        whole.append(f" {glyph}", style).append(" ").append(*swatch).append(f" {k} ")
    whole.append(" ").append(*wrong).append(" wrong ")
    if width is None or whole.cell_len <= width:
        return whole
    short = Text()  # "o██ x██ +██ o wrong"
    for mark, swatch in zip(marks, swatches):
        short.append(*mark).append(*swatch).append(" ")
    return short.append(*wrong).append(" wrong")


__all__ = [
    "CIRCLE_MARKER",
    "CLASS_COLORS",
    "CURSOR_MARKER",
    "LIMIT",
    "MONO_REGION_MARKERS",
    "ON_POINT_STYLE",
    "POINT_MARKERS",
    "REGION_MARKERS",
    "WRONG_STYLE",
    "cell_centre",
    "cell_centres",
    "cell_of",
    "class_name",
    "legend",
    "to_cells",
]
