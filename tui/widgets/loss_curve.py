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

from micrograd.run import Record
from tui.widgets.plotting import PlotTheme, ThreadDrawnPlot, console, figure

TRAIN_COLOR, VAL_COLOR = 6, 5
"""Plotext colour codes: ANSI cyan for training, magenta for validation."""

HISTORY_LIMIT = 4_000
"""Records the app keeps for the curve (a bounded History): the newest half whole, the
older ones thinned to the loudest per stride, strides far finer than the curve's buckets
(it draws at most two points a column)."""

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
    """At most `most` records (most >= 3): all of them if that many, else the loudest
    (Record.peak) of each bucket of steps, and the first and the last.

    The buckets lie on absolute step numbers, a power of two steps wide: as the run
    grows, a bucket keeps its place and its loudest record (only the newest, still
    filling, can change) until the width doubles and two merge, keeping the louder. So
    a spike once drawn stays drawn: no record comes and goes between redraws."""
    if len(records) <= most:
        return list(records)
    first, last = records[0].step, records[-1].step
    width = 1
    while last // width - first // width + 1 > most - 2:  # room for the first and the last
        width *= 2
    loudest: dict[int, Record] = {}
    for record in records:
        bucket = record.step // width
        kept = loudest.get(bucket)
        if kept is None or record.peak > kept.peak:
            loudest[bucket] = record
    chosen = {id(r): r for r in (records[0], *loudest.values(), records[-1])}
    return sorted(chosen.values(), key=lambda r: r.step)


def positive(x: float) -> bool:
    """A loss that a log axis can show: finite and above zero."""
    return math.isfinite(x) and x > 0


def y_ticks(low: float, high: float, rows: int) -> list[float]:
    """Where the log axis from low to high (log10 of a loss) is labelled: at both ends,
    which are the smallest and largest loss drawn, and at the whole decades between
    them that are at least two rows from every other label."""
    ticks = [low, high]
    if rows < 2:
        return ticks

    def row(y: float) -> int:
        return round((y - low) / (high - low) * (rows - 1))

    taken = {row(low), row(high)}
    for decade in range(math.ceil(low), math.floor(high) + 1):
        r = row(decade)
        if low < decade < high and all(abs(r - t) >= 2 for t in taken):
            ticks.append(decade)
            taken.add(r)
    return sorted(ticks)


LABEL_WIDTH = 6
"""Columns of every loss label, so the curve's left edge stays put as the loss falls."""


def y_label(y: float, end: bool) -> str:
    """The loss 10**y as the axis shows it, in LABEL_WIDTH columns: an end of the axis to
    two or three significant digits (1.07, 0.152, 0.0014, 3.1e-5), a decade plainly
    (1, 0.01, 1e-4)."""
    loss = 10.0**y
    if not end:
        text = f"{loss:g}" if -3 <= y <= 4 else f"1e{round(y)}"
    elif not 0.001 <= loss < 10_000:
        mantissa, exponent = f"{loss:.1e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    elif loss >= 100:
        text = f"{loss:.0f}"
    elif loss >= 10:
        text = f"{loss:.1f}"
    elif loss >= 0.995:  # 1.00, not the 1 that 3 significant digits would round it to
        text = f"{loss:.2f}"
    elif loss >= 0.01:
        text = f"{loss:.3g}"
    else:
        text = f"{loss:.2g}"
    return text.rjust(LABEL_WIDTH)


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
    with figure(canvas.theme, width, height) as plt:
        # A diverging run can report inf or nan: plot only the finite values. The loss is
        # drawn on a log axis (log10, labelled in plain numbers): it falls by orders of
        # magnitude, and on a linear axis it hugs the bottom after a few dozen steps.
        train = [(r.step, math.log10(r.train_loss)) for r in records if positive(r.train_loss)]
        val = [(r.step, math.log10(r.val_loss)) for r in records if positive(r.val_loss)]
        if train or val:
            logs = [y for _, y in train + val]
            last = max(records[-1].step, 1)
            plt.xlim(0, last)
            ticks = sorted({0, round(last / 2), last})  # whole steps: no "5.5"
            plt.xticks(ticks, [str(t) for t in ticks])
            # The axis spans the losses drawn, labelled at both ends: the curve starts at
            # one label and ends at the other, whatever the panel's height.
            low, high = min(logs), max(logs)
            if high > low:
                plt.ylim(low, high)
                ys = y_ticks(low, high, rows=height - 3)  # less the frame and step labels
            else:  # one loss so far: it, half a decade from either edge
                plt.ylim(low - 0.5, high + 0.5)
                ys = [low]
            labels = [y_label(y, end=y in (low, high)) for y in ys]
            if len(ys) > 1 and labels[0] == labels[-1]:  # e.g. 1.0664 and 1.0684: 1.07 twice
                labels[0], labels[-1] = (f"{10.0**y:.4g}".rjust(LABEL_WIDTH) for y in (low, high))
            plt.yticks(ys, labels)
            # validation first, training over it: where the two coincide (most of a run
            # at 80x24) the training curve, the one the steps minimise, stays in sight;
            # validation shows where it parts from it
            for series, color, marker in (
                (val, VAL_COLOR, "•" if canvas.no_color else "braille"),
                (train, TRAIN_COLOR, "braille"),
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
    """The run's records so far, step 0 first (the curve repaints when it is drawn)."""

    def watch_history(self) -> None:
        self.redraw()

    def job(self) -> Callable[[], CurveDrawing] | None:
        width, height = self.size
        canvas = CurveCanvas(
            width, height, PlotTheme.of(self.app), self.app.no_color, self.rich_style
        )
        if too_small(width, height):
            return None
        records = list(self.history)  # thinned by the drawing thread: a pass over them all
        return lambda: draw_lines(canvas, thin(records, 2 * width))

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


__all__ = [
    "HISTORY_LIMIT",
    "CurveCanvas",
    "CurveDrawing",
    "LossCurve",
    "draw",
    "draw_lines",
    "legend",
    "thin",
]
