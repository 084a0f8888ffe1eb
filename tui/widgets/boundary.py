"""The decision boundary: every plot cell shaded by the predicted class, data points, r=2 circle."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual_plotext import PlotextPlot

from micrograd.data import Point
from micrograd.training import forward_numpy, predict_grid
from tui.messages import Weights

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
"""The probe's crosshair on an empty cell (on a data point, the point's glyph reversed)."""

WRONG_STYLE = Style(reverse=True)
"""Misclassified training points: their glyph in reverse video (reads without colour)."""

LIMIT = 2.0
"""The plot spans [-LIMIT, LIMIT] in x and y: the data's disk of radius 2."""

TICKS = [-2, -1, 0, 1, 2]
MIN_SIZE = (16, 8)
"""Below this the plot draws nothing (the app shows an 'enlarge' message well before)."""


def to_cells(xy: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """(col, row) of the canvas cell of each point of shape (k, 2), row 0 at the bottom.

    The same rule plotext uses to place data and ticks, so cells and axes agree: cell c
    has its centre at -2 + 4 c / (cols - 1).
    """
    sizes = np.array([cols, rows])
    cells = np.floor(0.5 + (sizes - 1) * (xy + LIMIT) / (2 * LIMIT)).astype(int)
    return np.clip(cells, 0, sizes - 1)


def frame_of(text: Text) -> tuple[int, int, int, int]:
    """(first column, end column, first line, end line) of the canvas inside plotext's box."""
    lines = text.plain.split("\n")
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    left, right = lines[top].index("┌"), lines[top].index("┐")
    return left + 1, right, top + 1, bottom


class BoundaryPlot(PlotextPlot):
    """The classes the model predicts over [-2, 2]², the training points and their disk.

    Plotext draws the axes (once per size); the cells inside are painted from a numpy
    grid of predictions, which keeps a redraw to a few milliseconds at any size.
    """

    weights: reactive[Weights | None] = reactive(None, always_update=True)
    """The model's weights to draw the boundary of; None draws only the points."""

    cursor: reactive[tuple[float, float] | None] = reactive(None)
    """The probe's position in [-2, 2]², drawn as a crosshair; None draws none."""

    def __init__(
        self,
        points: Sequence[Point],
        weights: Weights | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.points = list(points)
        self._xy = np.array([x for x, _ in self.points], dtype=float).reshape(-1, 2)
        self._labels = np.array([y for _, y in self.points], dtype=int)
        self.set_reactive(BoundaryPlot.weights, weights)
        self._strips: dict[tuple[int, int], list[Strip]] = {}
        self._frames: dict[tuple, tuple[list[Strip], tuple[int, int, int, int]]] = {}
        self._cells: dict[tuple[int, int], tuple[list[list[str]], list[list[Style]]]] = {}
        self.canvas_size: tuple[int, int] | None = None
        """Columns x rows of the plotting area as last drawn (one probe step is one cell)."""
        self._axes: dict[tuple[int, int, str], tuple[list[Text], tuple[int, int, int, int]]] = {}

    def axes(self, width: int, height: int) -> tuple[list[Text], tuple[int, int, int, int]]:
        """Plotext's empty axes of this size as lines of Text, and where its canvas is."""
        theme = self._get_plotext_theme_name(self.app.theme)
        key = (width, height, theme)
        if key not in self._axes:
            plt = self.plt
            plt.clear_figure()
            plt.plotsize(width, height)
            plt._set_size(width, height)  # as PlotextPlot.render does: see its comment
            plt.theme(theme)
            plt.xlim(-LIMIT, LIMIT)
            plt.ylim(-LIMIT, LIMIT)
            plt.xticks(TICKS)
            plt.yticks(TICKS)
            plt.scatter([0], [0], marker=" ")  # plotext draws ticks only around some data
            text = Text.from_ansi(plt.build(), no_wrap=True, end="")
            self._axes[key] = (text.split("\n", allow_blank=True), frame_of(text))
        return self._axes[key]

    def frame(
        self, width: int, height: int, plot_width: int, pad: int
    ) -> tuple[list[Strip], tuple[int, int, int, int]]:
        """The axes as strips, centred in the widget, and where the canvas is (cached)."""
        key = (width, height, self._get_plotext_theme_name(self.app.theme), str(self.rich_style))
        if key not in self._frames:
            lines, box = self.axes(plot_width, height)
            console = self.app.console
            base = self.rich_style
            strips = [
                Strip(list(Text(" " * pad).append_text(line).render(console))).apply_style(base)
                for line in lines[:height]
            ]
            self._frames = {key: (strips, box)}
        return self._frames[key]

    def cells(self, cols: int, rows: int) -> tuple[list[list[str]], list[list[Style]]]:
        """Glyph and style of every canvas cell, top row first, the cursor drawn on them."""
        key = (cols, rows)
        if key not in self._cells:
            self._cells = {key: self.base_cells(cols, rows)}
        glyphs, styles = self._cells[key]
        if self.cursor is None:
            return glyphs, styles
        glyphs, styles = [row[:] for row in glyphs], [row[:] for row in styles]
        ((c, r),) = to_cells(np.array([self.cursor], dtype=float), cols, rows).tolist()
        i = rows - 1 - r
        on_point = glyphs[i][c] in POINT_MARKERS
        glyphs[i][c] = glyphs[i][c] if on_point else CURSOR_MARKER
        mark = Style(bold=True, underline=True, reverse=not styles[i][c].reverse)
        styles[i][c] = styles[i][c] + mark
        return glyphs, styles

    def base_cells(self, cols: int, rows: int) -> tuple[list[list[str]], list[list[Style]]]:
        """Glyph and style of every canvas cell without the cursor, top row first."""
        no_color = self.app.no_color
        regions = MONO_REGION_MARKERS if no_color else REGION_MARKERS
        plain = Style()
        region_styles = [plain if no_color else Style(color=c) for c in CLASS_COLORS]
        point_styles = [Style(bold=True, color=None if no_color else c) for c in CLASS_COLORS]
        if self.weights is None:
            glyphs = [[" "] * cols for _ in range(rows)]
            styles = [[plain] * cols for _ in range(rows)]
        else:
            xs = np.linspace(-LIMIT, LIMIT, cols)  # the cell centres
            ys = np.linspace(LIMIT, -LIMIT, rows)  # top row first
            grid = predict_grid(self.weights, xs, ys).tolist()
            glyphs = [[regions[k] for k in row] for row in grid]
            styles = [[region_styles[k] for k in row] for row in grid]
        theta = np.linspace(0, 2 * np.pi, 4 * (cols + rows), endpoint=False)
        circle = LIMIT * np.stack([np.cos(theta), np.sin(theta)], axis=1)
        for c, r in np.unique(to_cells(circle, cols, rows), axis=0).tolist():
            glyphs[rows - 1 - r][c] = CIRCLE_MARKER
            styles[rows - 1 - r][c] = plain
        wrong = np.zeros(len(self.points), dtype=bool)
        if self.weights is not None and len(self.points):
            wrong = forward_numpy(self.weights, self._xy).argmax(axis=1) != self._labels
        for k in range(3):
            for bad in (False, True):  # a cell with any wrong point of this class shows it
                xy = self._xy[(self._labels == k) & (wrong == bad)]
                for c, r in np.unique(to_cells(xy, cols, rows), axis=0):
                    glyphs[rows - 1 - r][c] = POINT_MARKERS[k]
                    styles[rows - 1 - r][c] = point_styles[k] + (WRONG_STYLE if bad else Style())
        return glyphs, styles

    def watch_weights(self) -> None:
        self._strips.clear()
        self._cells.clear()

    def watch_cursor(self) -> None:
        self._strips.clear()

    def on_resize(self) -> None:
        self._strips.clear()
        self._cells.clear()

    def strips(self) -> list[Strip]:
        """The whole plot as lines of segments, rebuilt only when the weights or size change.

        Segments straight from the grid skip Text-to-strip conversion: with training
        running, the event loop shares the interpreter and every millisecond here counts.
        """
        width, height = self.size
        key = (width, height)
        if key in self._strips:
            return self._strips[key]
        self._strips.clear()
        if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
            return []
        # A cell is about twice as tall as wide: keep the disk round by capping the width.
        plot_width = min(width, 2 * height + 6)
        pad = (width - plot_width) // 2
        frame, (c0, c1, r0, r1) = self.frame(width, height, plot_width, pad)
        frame = list(frame)
        cols, rows = c1 - c0, r1 - r0
        self.canvas_size = (cols, rows)
        if cols > 1 and rows > 1:
            glyphs, styles = self.cells(cols, rows)
            left, right = pad + c0, pad + c1
            canvas = frame[r0].crop(left, left + 1)
            background = Style(bgcolor=next(iter(canvas)).style.bgcolor) if len(canvas) else None
            on_background: dict[int, Style] = {}  # the few distinct cell styles, chained once
            for i in range(rows):
                segments = []
                run_start = 0
                row_styles = styles[i]
                for j in range(1, cols + 1):  # one segment per run of the same style object
                    if j == cols or row_styles[j] is not row_styles[run_start]:
                        cell = row_styles[run_start]
                        style = on_background.get(id(cell))
                        if style is None:
                            style = on_background[id(cell)] = Style.chain(background, cell)
                        segments.append(Segment("".join(glyphs[i][run_start:j]), style))
                        run_start = j
                line = frame[r0 + i]
                frame[r0 + i] = Strip.join(
                    [line.crop(0, left), Strip(segments, cols), line.crop(right, line.cell_length)]
                )
        self._strips[key] = frame
        return frame

    def render_line(self, y: int) -> Strip:
        strips = self.strips()
        if y < len(strips):
            return strips[y].extend_cell_length(self.size.width, self.rich_style)
        return Strip.blank(self.size.width, self.rich_style)


def legend(no_color: bool = False) -> Text:
    """One line that names the glyphs: what a learner needs to read the plot without colour."""
    regions = MONO_REGION_MARKERS if no_color else REGION_MARKERS
    text = Text()
    for k in range(3):
        color = "" if no_color else CLASS_COLORS[k]
        text.append(f" {POINT_MARKERS[k]}", style=f"bold {color}")
        text.append(" ")
        text.append(regions[k] * 2, style=color)
        text.append(f" {k} ")
    text.append(" ")
    text.append(POINT_MARKERS[0], style=WRONG_STYLE)
    text.append(" wrong ")
    return text


__all__ = [
    "CLASS_COLORS",
    "CURSOR_MARKER",
    "MONO_REGION_MARKERS",
    "POINT_MARKERS",
    "REGION_MARKERS",
    "BoundaryPlot",
    "legend",
    "to_cells",
]
