"""The decision boundary: every plot cell shaded by the predicted class, data points, r=2 circle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from micrograd.data import Point
from micrograd.health import zero_lines
from micrograd.training import forward_numpy, predict_grid
from tui.palette import (
    CIRCLE_MARKER,
    CLASS_COLORS,
    CURSOR_MARKER,
    LIMIT,
    MONO_REGION_MARKERS,
    ON_POINT_STYLE,
    POINT_MARKERS,
    REGION_MARKERS,
    WRONG_STYLE,
    cell_centres,
    to_cells,
)
from tui.snapshots import Weights
from tui.widgets.plotting import PlotTheme, ThreadDrawnPlot, console, figure

if TYPE_CHECKING:  # numpy is imported where it computes: the app's first frame does without it
    import numpy as np

TICKS = [-2, -1, 0, 1, 2]
MIN_SIZE = (16, 8)
"""Below this the plot draws nothing (the app shows an 'enlarge' message well before)."""

CACHED = 16
"""Sizes of axes and frames kept (a resize draws new ones; a few sizes come back)."""

PointsShown = Literal["training", "validation", "none"]
"""Which points the plot draws (t cycles them)."""

POINTS_SHOWN: tuple[PointsShown, ...] = ("training", "validation", "none")
"""The order t cycles them in."""

Cells = tuple[list[list[str]], list[list[Style]]]
"""Glyph and style of every canvas cell, top row first."""


def frame_of(text: Text) -> tuple[int, int, int, int]:
    """(first column, end column, first line, end line) of the canvas inside plotext's box."""
    lines = text.plain.split("\n")
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    left, right = lines[top].index("┌"), lines[top].index("┐")
    return left + 1, right, top + 1, bottom


# ------------------------------------------------------------ drawing (any thread)


@dataclass(frozen=True)
class Canvas:
    """What a drawing depends on besides the weights: read on the event loop, drawn anywhere."""

    width: int
    height: int
    theme: PlotTheme
    no_color: bool
    base: Style
    """The widget's own style: its colours around and under the plot."""


_axes: dict[tuple[int, int, PlotTheme], tuple[list[Text], tuple[int, int, int, int]]] = {}
"""Plotext's axes by size and theme (drawing threads share them)."""
_frames: dict[tuple[Canvas, int], tuple[list[Strip], tuple[int, int, int, int]]] = {}
"""The axes as strips, by canvas and plot width."""


Box = tuple[int, int, int, int]
"""(first column, end column, first line, end line) of the canvas inside plotext's box."""


def axes(theme: PlotTheme, width: int, height: int) -> tuple[list[Text], Box]:
    """Plotext's empty axes of this size as lines of Text, and where its canvas is (cached)."""
    key = (width, height, theme)
    cached = _axes.get(key)
    if cached is None:
        with figure(theme, width, height) as plt:
            plt.xlim(-LIMIT, LIMIT)
            plt.ylim(-LIMIT, LIMIT)
            plt.xticks(TICKS)
            plt.yticks(TICKS)
            plt.scatter([0], [0], marker=" ")  # plotext draws ticks only around some data
            text = Text.from_ansi(plt.build(), no_wrap=True, end="")
        if len(_axes) >= CACHED:
            _axes.clear()
        cached = _axes[key] = (text.split("\n", allow_blank=True), frame_of(text))
    return cached


def frame(canvas: Canvas, plot_width: int, pad: int) -> tuple[list[Strip], Box]:
    """The axes as strips, centred in the widget, and where the canvas is (cached)."""
    key = (canvas, plot_width)
    cached = _frames.get(key)
    if cached is None:
        lines, box = axes(canvas.theme, plot_width, canvas.height)
        strips = [
            Strip(list(Text(" " * pad).append_text(line).render(console()))).apply_style(
                canvas.base
            )
            for line in lines[: canvas.height]
        ]
        if len(_frames) >= CACHED:
            _frames.clear()
        cached = _frames[key] = (strips, box)
    return cached


class PlotPoints:
    """The training points as arrays, and the canvas cells they fall in, worked out once
    per canvas size: a redraw then only marks the cells of the points the model gets
    wrong, instead of binning every point again (16,000 at n = 20,000)."""

    def __init__(self, points: Sequence[Point]) -> None:
        import numpy as np

        self.xy = np.array([x for x, _ in points], dtype=float).reshape(-1, 2)
        self.labels = np.array([y for _, y in points], dtype=int)
        self._cells: dict[tuple[int, int], list[PointCells]] = {}

    def cells(self, cols: int, rows: int) -> list[PointCells]:
        """Per class: its points' indices, the distinct cells they fall in as (column,
        line from the top), and each point's cell among those (any thread; cached)."""
        key = (cols, rows)
        cached = self._cells.get(key)
        if cached is None:
            import numpy as np

            cached = []
            for k in range(len(POINT_MARKERS)):
                where = np.flatnonzero(self.labels == k)
                found = to_cells(self.xy[where], cols, rows)
                flat = (rows - 1 - found[:, 1]) * cols + found[:, 0]
                distinct, inverse = np.unique(flat, return_inverse=True)
                at = [(int(f) % cols, int(f) // cols) for f in distinct]
                cached.append((where, at, inverse.ravel()))
            if len(self._cells) >= CACHED:
                self._cells.clear()
            self._cells[key] = cached
        return cached


PointCells = tuple["np.ndarray", list[tuple[int, int]], "np.ndarray"]
"""One class's points: their indices, the distinct cells (column, line) and each one's."""


def circle_cells(cols: int, rows: int) -> list[tuple[int, int]]:
    """The cells (column, line from the top) of the circle of radius 2 (cached)."""
    key = (cols, rows)
    cached = _circles.get(key)
    if cached is None:
        import numpy as np

        theta = np.linspace(0, 2 * np.pi, 4 * (cols + rows), endpoint=False)
        circle = LIMIT * np.stack([np.cos(theta), np.sin(theta)], axis=1)
        found = np.unique(to_cells(circle, cols, rows), axis=0).tolist()
        if len(_circles) >= CACHED:
            _circles.clear()
        cached = _circles[key] = [(c, rows - 1 - r) for c, r in found]
    return cached


_circles: dict[tuple[int, int], list[tuple[int, int]]] = {}


def class_grid(weights: Weights | None, cols: int, rows: int) -> list[list[int]] | None:
    """The class the model predicts at every cell's centre, top row first (None without
    weights)."""
    if weights is None:
        return None
    import numpy as np

    xs = np.array(cell_centres(cols))  # the probe evaluates the same points
    ys = np.array(cell_centres(rows)[::-1])  # top row first
    return predict_grid(weights, xs, ys).tolist()


def base_cells(
    weights: Weights | None,
    points: PlotPoints | None,
    cols: int,
    rows: int,
    no_color: bool,
    grid: list[list[int]] | None = None,
) -> Cells:
    """Glyph and style of every canvas cell, top row first: the predicted class (grid,
    else worked out from weights), the circle, the points (wrong ones reversed; None:
    no points)."""
    import numpy as np

    regions = MONO_REGION_MARKERS if no_color else REGION_MARKERS
    plain = Style()
    region_styles = [plain if no_color else Style(color=c) for c in CLASS_COLORS]
    point_styles = [Style(bold=True, color=None if no_color else c) for c in CLASS_COLORS]
    if grid is None:
        grid = class_grid(weights, cols, rows)
    if grid is None:
        glyphs = [[" "] * cols for _ in range(rows)]
        styles = [[plain] * cols for _ in range(rows)]
    else:
        glyphs = [[regions[k] for k in row] for row in grid]
        styles = [[region_styles[k] for k in row] for row in grid]
    for c, r in circle_cells(cols, rows):
        glyphs[r][c] = CIRCLE_MARKER
        styles[r][c] = plain
    if points is None:
        return glyphs, styles
    wrong = np.zeros(len(points.labels), dtype=bool)
    if weights is not None and len(points.labels):
        wrong = forward_numpy(weights, points.xy).argmax(axis=1) != points.labels
    for k, (where, at, inverse) in enumerate(points.cells(cols, rows)):
        # a cell with any wrong point of this class shows it
        bad = np.zeros(len(at), dtype=bool)
        bad[inverse[wrong[where]]] = True
        right_style, wrong_style = point_styles[k], point_styles[k] + WRONG_STYLE
        for (c, r), is_bad in zip(at, bad.tolist()):
            glyphs[r][c] = POINT_MARKERS[k]
            styles[r][c] = wrong_style if is_bad else right_style
    return glyphs, styles


@dataclass(frozen=True, eq=False)
class Drawing:
    """The plot drawn for one canvas and one set of weights, without the cursor."""

    canvas: Canvas
    weights: Weights | None
    lines: list[Strip]
    """Every line of the widget, ready to show."""
    frame: list[Strip]
    """The empty axes' lines, to draw a row of cells into again."""
    cells: Cells
    classes: list[list[int]] | None
    """The class each cell is shaded by, top row first (None without weights)."""
    box: tuple[int, int, int, int]
    """(left, right, top, rows): the canvas's columns [left, right) and lines from top."""
    background: Style | None
    """The canvas's background, under every cell."""

    @property
    def size(self) -> tuple[int, int]:
        """Columns x rows of the canvas."""
        left, right, _, rows = self.box
        return right - left, rows

    def row(self, i: int, glyphs: list[str], styles: list[Style]) -> Strip:
        """Line top + i of the plot with these cells in the canvas."""
        left, right, top, _ = self.box
        return cells_line(self.frame[top + i], glyphs, styles, left, right, self.background, {})

    def with_cursor(self, cursor: tuple[float, float] | None) -> list[Strip]:
        """The lines with the probe's crosshair drawn on its cell (a point stays, reversed)."""
        cols, rows = self.size
        if cursor is None or cols <= 1 or rows <= 1:
            return self.lines
        import numpy as np

        ((c, r),) = to_cells(np.array([cursor], dtype=float), cols, rows).tolist()
        i = rows - 1 - r
        glyphs, styles = self.cells[0][i][:], self.cells[1][i][:]
        if glyphs[c] in POINT_MARKERS:
            styles[c] = styles[c] + ON_POINT_STYLE + Style(reverse=False)
        else:
            glyphs[c] = CURSOR_MARKER
            styles[c] = styles[c] + Style(bold=True, underline=True, reverse=not styles[c].reverse)
        lines = list(self.lines)
        lines[self.box[2] + i] = self.row(i, glyphs, styles)
        return lines


def cells_line(
    line: Strip,
    glyphs: list[str],
    styles: list[Style],
    left: int,
    right: int,
    background: Style | None,
    chained: dict[int, Style],
) -> Strip:
    """An axes line with a row of cells painted in [left, right): one segment per run of
    the same style object (chained styles are shared through `chained`)."""
    cols = right - left
    segments = []
    run_start = 0
    for j in range(1, cols + 1):
        if j == cols or styles[j] is not styles[run_start]:
            cell = styles[run_start]
            style = chained.get(id(cell))
            if style is None:
                style = chained[id(cell)] = Style.chain(background, cell)
            segments.append(Segment("".join(glyphs[run_start:j]), style))
            run_start = j
    cells = Strip(segments, cols)
    return Strip.join([line.crop(0, left), cells, line.crop(right, line.cell_length)])


ZERO_LINE_MARKER = ":"
"""A cell a first-layer neuron's zero line passes through (under the points)."""

ZERO_LINE_STYLE = Style(color="bright_white", bold=True)


def draw_zero_lines(weights: Weights | None, cells: Cells, no_color: bool) -> None:
    """Mark the cells the first layer's zero lines pass through, points left as they are."""
    glyphs, styles = cells
    if weights is None or not glyphs:
        return
    rows, cols = len(glyphs), len(glyphs[0])
    found = zero_lines(weights, cell_centres(cols), cell_centres(rows)[::-1])
    if found is None:
        return
    style = Style(bold=True) if no_color else ZERO_LINE_STYLE
    for r, c in zip(*found.nonzero()):
        if glyphs[r][c] not in POINT_MARKERS:
            glyphs[r][c] = ZERO_LINE_MARKER
            styles[r][c] = style


def draw(
    canvas: Canvas,
    weights: Weights | None,
    points: PlotPoints | None,
    zero_lines: bool = False,
) -> Drawing | None:
    """The whole plot for this canvas (None if it is too small to draw in); any thread;
    zero_lines: with the first layer's zero lines over the classes.

    Segments straight from the grid skip Text-to-strip conversion; the event loop only
    swaps the lines in.
    """
    width, height = canvas.width, canvas.height
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        return None
    # A cell is about twice as tall as wide: keep the disk round by capping the width.
    plot_width = min(width, 2 * height + 6)
    pad = (width - plot_width) // 2
    axes_lines, (c0, c1, r0, r1) = frame(canvas, plot_width, pad)
    cols, rows = c1 - c0, r1 - r0
    left, right = pad + c0, pad + c1
    lines = list(axes_lines)
    cells: Cells = ([], [])
    classes = None
    background = None
    if cols > 1 and rows > 1:
        classes = class_grid(weights, cols, rows)
        cells = base_cells(weights, points, cols, rows, canvas.no_color, classes)
        if zero_lines:
            draw_zero_lines(weights, cells, canvas.no_color)
        under = axes_lines[r0].crop(left, left + 1)
        background = Style(bgcolor=next(iter(under)).style.bgcolor) if len(under) else None
        chained: dict[int, Style] = {}  # the few distinct cell styles, chained once
        for i in range(rows):
            lines[r0 + i] = cells_line(
                axes_lines[r0 + i], cells[0][i], cells[1][i], left, right, background, chained
            )
    box = (left, right, r0, rows)
    return Drawing(canvas, weights, lines, axes_lines, cells, classes, box, background)


# ------------------------------------------------------------------ widget


class BoundaryPlot(ThreadDrawnPlot):
    """The classes the model predicts over [-2, 2]², the training points and their disk.

    The drawing thread draws the plot (plotext's axes once per size, the cells from a numpy grid of
    predictions) whenever the weights or the size change; the event loop only shows the
    lines it gets back, and draws the probe's crosshair into one of them.
    """

    DEFAULT_CSS = """
    BoundaryPlot {
        width: 1fr;
        height: 1fr;
    }
    """

    weights: reactive[Weights | None] = reactive(None, always_update=True, repaint=False)
    """The model's weights to draw the boundary of; None draws only the points (the plot
    repaints when their drawing is ready)."""

    cursor: reactive[tuple[float, float] | None] = reactive(None)
    """The probe's position in [-2, 2]², drawn as a crosshair; None draws none."""

    shown_points: reactive[PointsShown] = reactive("training", repaint=False)
    """Which points are drawn over the cells: at n >= 1000 the training points fill
    every cell at 80x24 and hide the boundary; the validation split is a tenth of n."""

    zero_lines: reactive[bool] = reactive(False, repaint=False)
    """Are the first layer's zero lines drawn (for a model that reads x, y)?"""

    class Sized(Message):
        """The plot's cells are another size than before (its first drawing, a resize)."""

    def __init__(
        self,
        points: Sequence[Point],
        weights: Weights | None = None,
        *,
        val_points: Sequence[Point] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.points = list(points)
        self.val_points = list(val_points)
        self._points: dict[PointsShown, tuple[list[Point], PlotPoints]] = {}
        """The points as arrays, and their cells per size (see plot_points), with the
        list they were made of: the data's edits put a new list in self.points."""
        self.set_reactive(BoundaryPlot.weights, weights)
        self.canvas_size: tuple[int, int] | None = None
        """Columns x rows of the plotting area as last drawn (one probe step is one cell)."""

    def watch_weights(self) -> None:
        self.redraw()

    def watch_cursor(self) -> None:
        self.repaint_changes()

    def job(self) -> Callable[[], Drawing] | None:
        canvas = Canvas(
            self.size.width,
            self.size.height,
            PlotTheme.of(self.app),
            self.app.no_color,
            self.rich_style,
        )
        if canvas.width < MIN_SIZE[0] or canvas.height < MIN_SIZE[1]:
            return None
        weights, shown, lines = self.weights, self.shown_points, self.zero_lines
        return lambda: draw(canvas, weights, self.plot_points(shown), lines)

    def watch_shown_points(self) -> None:
        self.redraw()

    def watch_zero_lines(self) -> None:
        self.redraw()

    def plot_points(self, shown: PointsShown = "training") -> PlotPoints | None:
        """The points shown as arrays and cells (None: none): made by the drawing
        thread's first job (only that thread draws), so numpy loads after the first frame."""
        if shown == "none":
            return None
        points = self.points if shown == "training" else self.val_points
        made = self._points.get(shown)
        if made is None or made[0] is not points:  # new points (an edit): new arrays
            made = self._points[shown] = (points, PlotPoints(points))
        return made[1]

    def shown(self) -> None:
        if self.drawing is not None and self.canvas_size != self.drawing.size:
            self.canvas_size = self.drawing.size
            self.post_message(self.Sized())

    def lines_of(self, drawing: Drawing) -> list[Strip]:
        return drawing.with_cursor(self.cursor)


__all__ = ["POINTS_SHOWN", "BoundaryPlot", "PointsShown", "Canvas", "Drawing", "PlotPoints", "draw"]
