"""The probe: a cursor over [-2, 2]², the model's class probabilities there, a chosen sample."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from micrograd.data import Point
from micrograd.training import argmax, forward_floats, softmax
from tui.palette import cell_centre, cell_of, class_name
from tui.snapshots import Sample, Weights
from tui.widgets.panel import LinePanel

NUM_CLASSES = 3
STEP = 0.1
"""How far one arrow press moves the cursor (the app may set one plot cell instead)."""

BAR_WIDTH = 12


def probabilities(weights: Weights, x: Sequence[float]) -> list[float]:
    """The model's class probabilities at one point, from a snapshot's weights, computed
    as Trainer.probabilities does (so the numbers equal the library's exactly)."""
    return softmax(forward_floats(weights, x))


def nearest(points: Sequence[Point], x: float, y: float, radius: float) -> int | None:
    """The index of the data point nearest (x, y) within radius, or None."""
    best, best_d = None, radius * radius
    for i, ((px, py), _) in enumerate(points):
        d = (px - x) ** 2 + (py - y) ** 2
        if d <= best_d:
            best, best_d = i, d
    return best


def in_cell(points: Sequence[Point], x: float, y: float, width: float, height: float) -> int | None:
    """The index of the data point drawn in the plot cell of (x, y), cells width across
    and height tall: of the points drawn there, the one nearest (x, y) (counted in cells,
    which are taller than wide), or None if the cell shows no point."""
    here = cell_of(x, width)[0], cell_of(y, height)[0]
    best, best_d = None, math.inf
    for i, ((px, py), _) in enumerate(points):
        if (cell_of(px, width)[0], cell_of(py, height)[0]) == here:
            dx, dy = (px - x) / width, (py - y) / height
            if dx * dx + dy * dy < best_d:
                best, best_d = i, dx * dx + dy * dy
    return best


def next_centre(v: float, cells: int, step: float) -> float:
    """The centre of the plot cell `cells` cells from v's (see cell_of); with 0, the
    centre of v's own cell.

    A centre, not v + step: the probe evaluates the model where the boundary shades the
    cell (palette.cell_centre), and from a point between two cells (0 in an even number
    of columns) adding step would skip a cell."""
    cell, n = cell_of(v, step)
    return cell_centre(min(n, max(0, cell + cells)), n)


class ProbePanel(LinePanel, can_focus=True):
    """Where the cursor is, what the model says there, and which sample is selected: new
    weights or a move repaint the lines whose numbers or bars changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("up,k", "move(0, 1)", "Up", show=False),
        Binding("down,j", "move(0, -1)", "Down", show=False),
        Binding("enter", "select", "Select"),
        Binding("0", "label(0)", "Label 0", show=False),
        Binding("1", "label(1)", "Label 1", show=False),
        Binding("2", "label(2)", "Label 2", show=False),
    ]
    """Arrows or hjkl move the cursor; enter selects the sample under it; 0/1/2 label it."""

    DEFAULT_CSS = """
    ProbePanel {
        height: auto;
    }
    """

    cursor: reactive[tuple[float, float]] = reactive((0.0, 0.0), repaint=False)
    """The probe's position in [-2, 2]² (the panel's lines stay as many)."""

    weights: reactive[Weights | None] = reactive(None, always_update=True, repaint=False)
    """The model's weights (from the worker's Snapshot) the probabilities come from."""

    sample: reactive[Sample | None] = reactive(None, repaint=False)
    """The selected sample (what the graph view shows)."""

    class Moved(Message):
        """The cursor moved: the plot should draw its crosshair there."""

        def __init__(self, cursor: tuple[float, float]) -> None:
            super().__init__()
            self.cursor = cursor

    class Selected(Message):
        """A new sample was selected: the graph view should show its graph."""

        def __init__(self, sample: Sample) -> None:
            super().__init__()
            self.sample = sample

    def __init__(
        self,
        points: Sequence[Point],
        weights: Weights | None = None,
        *,
        step: float = STEP,
        step_y: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.points = list(points)
        self.val_points: list[Point] = []
        """The validation points, selectable while the plot draws them."""
        self.drawn_points = "training"
        """Which points the plot draws (BoundaryPlot.shown_points): only those select."""
        self.step = step
        """The cursor's move per key press, across."""
        self.step_y = step if step_y is None else step_y
        """The cursor's move per key press, up or down (a plot cell is taller than wide)."""
        self.set_reactive(ProbePanel.weights, weights)

    # ------------------------------------------------------------- numbers

    def probabilities(self) -> list[float] | None:
        """The model's class probabilities at the cursor, or None without weights."""
        return None if self.weights is None else probabilities(self.weights, self.cursor)

    def predicted(self) -> int | None:
        probs = self.probabilities()
        return None if probs is None or not all(map(math.isfinite, probs)) else argmax(probs)

    def update_snapshot(self, weights: Weights) -> None:
        """New weights after a step: the probabilities follow."""
        self.weights = weights

    def watch_weights(self, old: Weights | None, new: Weights | None) -> None:
        if (old is None) != (new is None):  # the bars come or go: another height
            self.refresh(layout=True)
        else:
            self.repaint_changes()

    # ------------------------------------------------------------- actions

    def fit(self, step: float, step_y: float) -> None:
        """Move in steps of one plot cell of this size, the cursor on its cell's centre
        (where the boundary shades the cell: the probe then reads what is drawn)."""
        self.step, self.step_y = step, step_y
        self.action_move(0, 0)

    def action_move(self, dx: int, dy: int) -> None:
        x, y = self.cursor
        self.cursor = (next_centre(x, dx, self.step), next_centre(y, dy, self.step_y))

    def watch_cursor(self, cursor: tuple[float, float]) -> None:
        self.repaint_changes()
        self.post_message(self.Moved(cursor))

    def action_select(self) -> None:
        """Select the data point under the cursor (drawn in its cell), else a probe
        point there. A point must be drawn to be selected: with the validation points
        drawn, one becomes a probe point with its own class (it is not in the training
        split); with none drawn, enter always makes a probe point."""
        x, y = self.cursor
        drawn = self.points if self.drawn_points == "training" else self.val_points
        i = None if self.drawn_points == "none" else in_cell(drawn, x, y, self.step, self.step_y)
        if i is not None:
            (px, py), cls = drawn[i]
            index = i if self.drawn_points == "training" else None
            self.select(Sample((float(px), float(py)), cls, index))
        else:  # labelled as the model sees it there (0 1 2 change that)
            predicted = self.predicted()
            self.select(Sample((x, y), 0 if predicted is None else predicted))

    def action_label(self, target: int) -> None:
        """Give the selected point this label: a data point becomes a probe point, and
        a probe point given back a data point's own class there becomes that point."""
        classes = NUM_CLASSES if self.weights is None else len(self.weights[-1][1])
        if not 0 <= target < classes:
            return
        s = self.sample
        if s is not None and s.target == target:
            return
        point = s.point if s is not None else self.cursor
        i = nearest(self.points, *point, radius=0.0)  # a data point exactly there
        own = i is not None and self.points[i][1] == target
        self.select(Sample(point, target, i if own else None))

    def watch_sample(self, old: Sample | None, new: Sample | None) -> None:
        if (old is None) != (new is None):  # its line comes or goes: another height
            self.refresh(layout=True)
        else:
            self.repaint_changes()

    def select(self, sample: Sample) -> None:
        self.sample = sample
        self.post_message(self.Selected(sample))

    # -------------------------------------------------------------- render

    def render(self) -> RenderResult:
        """Where the cursor is and what the model predicts there, a bar per class, the sample."""
        x, y = self.cursor
        probs = self.probabilities()
        head = Text.assemble(("probe ", "dim"), f"({x:+.2f}, {y:+.2f})", no_wrap=True)
        lines: list[RenderableType] = [head]
        if probs is None:
            lines.append(Text("no model yet", style="dim"))
        else:
            # weights that overflow (a divergence) give NaN: empty bars, no prediction
            finite = all(map(math.isfinite, probs))
            best = argmax(probs) if finite else None
            if best is None:
                head.append(" → outputs overflow", style="dim")
            else:
                head.append(" → ", style="dim").append_text(class_name(best))
            bars = Table.grid(padding=(0, 1))
            bars.add_column(no_wrap=True)
            bars.add_column(no_wrap=True)
            bars.add_column(justify="right", no_wrap=True)
            for k, p in enumerate(probs):
                filled = round(p * BAR_WIDTH) if finite else 0
                bar = Text("█" * filled + "·" * (BAR_WIDTH - filled), style=class_name(k).style)
                bars.add_row(
                    class_name(k), bar, Text(f"{p:.3f}", style="bold" if k == best else "")
                )
            lines.append(bars)
        s = self.sample
        if s is not None:
            what = "sample " if s.index is not None else "probe point "
            index = f"#{s.index} " if s.index is not None else ""
            lines.append(
                Text.assemble(
                    (what, "dim"),
                    f"{index}({s.point[0]:+.2f}, {s.point[1]:+.2f}) ",
                    class_name(s.target),
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )
        return Group(*lines)


__all__ = ["ProbePanel", "Sample", "in_cell", "nearest", "probabilities"]
