"""The decision boundary: every plot cell shaded by the predicted class, data points, r=2 circle."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from micrograd.data import Point
from micrograd.training import predict_grid
from tui.messages import Weights

CLASS_COLORS = (1, 3, 2)
"""Plotext colour codes for classes 0, 1, 2: ANSI red, yellow, green (16-colour safe)."""

REGION_MARKERS = ("█", "█", "█")
"""How each predicted class fills a cell: a full block in the class colour."""

MONO_REGION_MARKERS = (" ", "░", "▓")
"""With NO_COLOR the classes fill cells with distinct shades instead."""

POINT_MARKERS = ("o", "x", "+")
"""The training points' glyph per true class."""

LIMIT = 2.0
"""The plot spans [-LIMIT, LIMIT] in x and y: the data's disk of radius 2."""

TICKS = [-2, -1, 0, 1, 2]
MIN_SIZE = (16, 8)
"""Below this the plot draws nothing (the app shows an 'enlarge' message well before)."""


class BoundaryPlot(PlotextPlot):
    """The classes the model predicts over [-2, 2]², the training points and their disk."""

    weights: reactive[Weights | None] = reactive(None, always_update=True)
    """The model's weights to draw the boundary of; None draws only the points."""

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
        self.set_reactive(BoundaryPlot.weights, weights)
        self._canvas_sizes: dict[tuple[int, int], tuple[int, int]] = {}

    def _axes(self, width: int, height: int) -> None:
        """A clean figure of the given size with fixed limits and ticks."""
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)  # as PlotextPlot.render does: see its comment
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        plt.xlim(-LIMIT, LIMIT)
        plt.ylim(-LIMIT, LIMIT)
        plt.xticks(TICKS)
        plt.yticks(TICKS)

    def canvas_size(self, width: int, height: int) -> tuple[int, int]:
        """Columns and rows of the data area inside a width x height figure (axes excluded)."""
        if (width, height) not in self._canvas_sizes:
            self._axes(width, height)
            self.plt.build()
            matrix = self.plt.monitor.matrix
            self._canvas_sizes[width, height] = (len(matrix.Cols_canvas), len(matrix.Rows_canvas))
        return self._canvas_sizes[width, height]

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
            return Text("")
        # A cell is about twice as tall as wide: keep the disk round by capping the width.
        plot_width = min(width, 2 * height + 6)
        cols, rows = self.canvas_size(plot_width, height)
        self._axes(plot_width, height)
        plt = self.plt
        no_color = self.app.no_color
        regions = MONO_REGION_MARKERS if no_color else REGION_MARKERS
        # With NO_COLOR, Textual would turn the colours into greys of uneven brightness.
        colors = ("default",) * 3 if no_color else CLASS_COLORS
        if self.weights is not None and cols > 1 and rows > 1:
            xs = np.linspace(-LIMIT, LIMIT, cols)  # cell centres, as plotext maps data to cells
            ys = np.linspace(-LIMIT, LIMIT, rows)
            grid = predict_grid(self.weights, xs, ys)
            gx, gy = np.meshgrid(xs, ys)
            for k in range(3):
                mask = grid == k
                if mask.any():
                    plt.scatter(
                        gx[mask].tolist(),
                        gy[mask].tolist(),
                        marker=regions[k],
                        color=colors[k],
                    )
        theta = np.linspace(0, 2 * np.pi, 4 * (cols + rows))
        plt.plot(
            (LIMIT * np.cos(theta)).tolist(),
            (LIMIT * np.sin(theta)).tolist(),
            marker="·",
            color="default",
        )
        for k in range(3):
            pts = [x for x, y in self.points if y == k]
            if pts:
                plt.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    marker=POINT_MARKERS[k],
                    color=colors[k],
                    style="bold",
                )
        text = Text.from_ansi(plt.build(), no_wrap=True, end="")
        pad = (width - plot_width) // 2
        if pad > 0:
            lines = text.split("\n", allow_blank=True)
            text = Text("\n", no_wrap=True, end="").join(Text(" " * pad) + line for line in lines)
        return text


def legend(no_color: bool = False) -> Text:
    """One line that names the glyphs: what a learner needs to read the plot without colour."""
    regions = MONO_REGION_MARKERS if no_color else REGION_MARKERS
    text = Text()
    names = ("red", "yellow", "green")
    for k in range(3):
        color = "" if no_color else names[k]
        text.append(f" {POINT_MARKERS[k]}", style=f"bold {color}")
        text.append(" ")
        text.append(regions[k] * 2, style=color)
        text.append(f" {k} ")
    return text


__all__ = [
    "CLASS_COLORS",
    "MONO_REGION_MARKERS",
    "POINT_MARKERS",
    "REGION_MARKERS",
    "BoundaryPlot",
    "legend",
]
