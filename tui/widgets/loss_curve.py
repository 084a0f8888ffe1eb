"""The loss curve: training and validation loss over the steps so far."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip

from tui.messages import Record
from tui.widgets.plotting import PlotTheme, ThreadDrawnPlot, console, figure

TRAIN_COLOR, VAL_COLOR = 6, 5
"""Plotext colour codes: ANSI cyan for training, magenta for validation."""

MIN_SIZE = (16, 5)
"""Below this many columns x rows the panel says so instead of drawing a curve."""


def too_small(width: int, height: int) -> str | None:
    """What a panel of this size lacks to show a curve, in a word or two; None if nothing."""
    if width < MIN_SIZE[0]:
        return "too narrow"
    if height < MIN_SIZE[1]:
        return "too short"
    return None


def thin(records: Sequence[Record], most: int) -> list[Record]:
    """At most `most` records, evenly spaced, always keeping the first and the last."""
    if len(records) <= most:
        return list(records)
    stride = (len(records) - 1) / (most - 1)
    return [records[round(i * stride)] for i in range(most)]


def positive(x: float) -> bool:
    """A loss that a log axis can show: finite and above zero."""
    return math.isfinite(x) and x > 0


@dataclass(frozen=True)
class CurveCanvas:
    """What a drawing of the curve depends on besides the records (read on the event loop)."""

    width: int
    height: int
    theme: PlotTheme
    no_color: bool
    """Then the curves differ by marker, not colour."""
    base: Style
    """The widget's own style: its colours around and under the curve."""


def draw(canvas: CurveCanvas, records: Sequence[Record]) -> Text:
    """The curve of these records (at most a few per column), as plotext draws it; any thread."""
    width, height = canvas.width, canvas.height
    if too_small(width, height):
        return Text("")
    with figure("loss", canvas.theme, width, height) as plt:
        # A diverging run can report inf or nan: plot only the finite values. The loss is
        # drawn on a log axis (log10, labelled in plain numbers): it falls by orders of
        # magnitude, and on a linear axis it hugs the bottom after a few dozen steps.
        train = [(r.step, math.log10(r.train_loss)) for r in records if positive(r.train_loss)]
        val = [(r.step, math.log10(r.val_loss)) for r in records if positive(r.val_loss)]
        if train or val:
            logs = [y for _, y in train + val]
            low, high = math.floor(min(logs)), math.ceil(max(logs))
            if high - low < 1:
                high = low + 1
            last = max(records[-1].step, 1)
            plt.xlim(0, last)
            ticks = sorted({0, round(last / 2), last})  # whole steps: no "5.5"
            plt.xticks(ticks, [str(t) for t in ticks])
            plt.ylim(low, high)
            decades = list(range(low, high + 1))
            step = max(1, math.ceil(len(decades) / (2 if height < 12 else 4)))
            shown = decades[::step]
            plt.yticks(shown, [f"{10.0**k:g}" for k in shown])
            for series, color, marker in (
                (train, TRAIN_COLOR, "braille"),
                (val, VAL_COLOR, "•" if canvas.no_color else "braille"),
            ):
                if series:
                    steps, losses = zip(*series)
                    plt.plot(
                        list(steps),
                        list(losses),
                        marker=marker,
                        color="default" if canvas.no_color else color,
                    )
        else:
            plt.xfrequency(3)
        return Text.from_ansi(plt.build(), no_wrap=True, end="")


@dataclass(frozen=True, eq=False)
class CurveDrawing:
    """The curve drawn for one canvas: plotext's text and its lines, ready to show."""

    canvas: CurveCanvas
    text: Text
    lines: list[Strip]


def draw_lines(canvas: CurveCanvas, records: Sequence[Record]) -> CurveDrawing:
    """The curve as lines of segments in the widget's style (any thread)."""
    text = draw(canvas, records)
    lines = [
        Strip(list(line.render(console()))).apply_style(canvas.base)
        for line in text.split("\n", allow_blank=True)[: canvas.height]
    ]
    return CurveDrawing(canvas, text, lines)


class LossCurve(ThreadDrawnPlot):
    """Train and validation loss against step, from the app's history.

    The drawing thread draws the curve with plotext whenever the history or the size
    change; the event loop only shows the lines it gets back.
    """

    DEFAULT_CSS = """
    LossCurve {
        width: 1fr;
        height: 1fr;
    }
    """

    history: reactive[Sequence[Record]] = reactive((), always_update=True, repaint=False)
    """Every step's record so far, step 0 first (the curve repaints when it is drawn)."""

    def watch_history(self) -> None:
        self.redraw()

    def job(self) -> Callable[[], CurveDrawing] | None:
        width, height = self.size
        canvas = CurveCanvas(
            width, height, PlotTheme.of(self.app), self.app.no_color, self.rich_style
        )
        if too_small(width, height):
            return None
        records = thin(self.history, 2 * width)
        return lambda: draw_lines(canvas, records)

    def lines_of(self, drawing: CurveDrawing) -> list[Strip]:
        return drawing.lines

    def render_line(self, y: int) -> Strip:
        """The curve's line y; in a panel too small for a curve, a word why on its middle row."""
        width, height = self.size
        why = too_small(width, height)
        if why is None or y != (height - 1) // 2:
            return super().render_line(y)
        return Strip([Segment(why.center(width)[:width], self.rich_style)], width)


def legend(no_color: bool = False) -> Text:
    """Names the two curves (the border subtitle of the panel)."""
    if no_color:
        return Text("━ train  • val")
    return Text.assemble(("━ train", "cyan"), "  ", ("━ val", "magenta"))


__all__ = ["CurveCanvas", "CurveDrawing", "LossCurve", "draw", "draw_lines", "legend", "thin"]
