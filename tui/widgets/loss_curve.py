"""The loss curve: training and validation loss over the steps so far, on a log or linear axis."""

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

MARK_COLOR = 8
"""Plotext colour code of the marks where settings changed: ANSI bright black (grey)."""

CURSOR_COLOR = 11
"""Plotext colour code of the cursor at a past step (the rewind keys'): ANSI bright yellow."""

ABANDONED_COLOR = 8
"""Plotext colour code of a future a branch abandoned: grey, faint beside the curves."""

ABANDONED_MARKER = "·"
"""Without colour, an abandoned future's glyph (the curves are braille and •)."""

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
    them that are at least two rows from every other label. With room for a third label
    but no decade for it (a loss from 1.05 to 0.65), at 2 and 5 times a decade, else
    halfway: two labels leave a reader to guess the scale."""
    candidates = [float(d) for d in range(math.ceil(low), math.floor(high) + 1)]
    sub = [d + math.log10(m) for d in range(math.floor(low), math.ceil(high)) for m in (2, 5)]
    return spaced(low, high, rows, candidates, [sub, [(low + high) / 2]])


def spaced(
    low: float, high: float, rows: int, first: list[float], then: list[list[float]]
) -> list[float]:
    """low, high, and of the candidates (first, then each list of `then` while fewer
    than 3 are chosen and the axis has 5 rows) those strictly between them and at least
    two rows from every label chosen before."""
    ticks = [low, high]
    if rows < 2 or high <= low:
        return ticks

    def row(y: float) -> int:
        return round((y - low) / (high - low) * (rows - 1))

    taken = {row(low), row(high)}
    for i, candidates in enumerate([first, *then]):
        if i and (len(ticks) >= 3 or rows < 5):
            break
        for y in candidates:
            r = row(y)
            if low < y < high and all(abs(r - t) >= 2 for t in taken):
                ticks.append(y)
                taken.add(r)
    return sorted(ticks)


def linear_ticks(low: float, high: float, rows: int) -> list[float]:
    """Where the linear axis from low to high (losses) is labelled: both ends, and the
    multiples of a round step (1, 2 or 5 times a power of ten) at least two rows from
    the others, the finest that leaves room."""
    if high <= low:
        return [low, high]
    candidates: list[float] = []
    for exponent in range(
        math.floor(math.log10(high - low)) - 1, math.floor(math.log10(high - low)) + 2
    ):
        for m in (1, 2, 5):
            step = m * 10.0**exponent
            if (high - low) / step * 2 <= max(rows - 1, 1):  # two rows a step at least
                candidates = [
                    k * step for k in range(math.ceil(low / step), math.floor(high / step) + 1)
                ]
                return spaced(low, high, rows, candidates, [[(low + high) / 2]])
    return spaced(low, high, rows, candidates, [[(low + high) / 2]])


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
    log: bool
    """A log axis (the loss falls by decades); else a linear one."""
    base: Style
    """The widget's own style: its colours around and under the curve."""
    marks: tuple[int, ...] = ()
    """Steps after which settings changed: a vertical line each, under the curves."""
    cursor: int | None = None
    """A past step shown (the rewind keys'): a vertical line at it, over the marks."""
    abandoned: tuple[tuple[Record, ...], ...] = ()
    """Futures that branches abandoned: their training loss, faint, under the curves."""


def draw(canvas: CurveCanvas, records: Sequence[Record]) -> Text:
    """The curve of these records (at most a few per column), as plotext draws it; any thread."""
    width, height = canvas.width, canvas.height
    if too_small(width, height):
        return Text("")
    with figure(canvas.theme, width, height) as plt:
        # A diverging run can report inf or nan: plot only the finite values. The loss is
        # drawn on a log axis (log10, labelled in plain numbers): it falls by orders of
        # magnitude, and on a linear axis it hugs the bottom after a few dozen steps.
        scale = math.log10 if canvas.log else float
        train = [(r.step, scale(r.train_loss)) for r in records if positive(r.train_loss)]
        val = [(r.step, scale(r.val_loss)) for r in records if positive(r.val_loss)]
        old = [
            [(r.step, scale(r.train_loss)) for r in future if positive(r.train_loss)]
            for future in canvas.abandoned
        ]
        if train or val:
            logs = [y for _, y in train + val] + [y for future in old for _, y in future]
            last = max(records[-1].step, *(f[-1][0] for f in old if f), 1)
            plt.xlim(0, last)
            ticks = sorted({0, round(last / 2), last})  # whole steps: no "5.5"
            plt.xticks(ticks, [str(t) for t in ticks])
            # The axis spans the losses drawn, labelled at both ends: the curve starts at
            # one label and ends at the other, whatever the panel's height.
            low, high = min(logs), max(logs)
            if high > low:
                plt.ylim(low, high)
                ticks = y_ticks if canvas.log else linear_ticks
                ys = ticks(low, high, rows=height - 3)  # less the frame and step labels
            else:  # one loss so far: it, half a decade (or half itself) from either edge
                margin = 0.5 if canvas.log else max(abs(low) / 2, 1e-300)
                plt.ylim(low - margin, high + margin)
                ys = [low]
            logs_of = ys if canvas.log else [math.log10(y) if y > 0 else -math.inf for y in ys]
            # a whole decade reads plainly (0.01); an end or a 2-5 tick to 2-3 digits
            labels = [
                "0".rjust(LABEL_WIDTH)
                if y == -math.inf
                else y_label(y, end=y in (logs_of[0], logs_of[-1]) or not float(y).is_integer())
                for y in logs_of
            ]
            if len(ys) > 1 and labels[0] == labels[-1]:  # e.g. 1.0664 and 1.0684: 1.07 twice
                ends = (10.0 ** logs_of[0], 10.0 ** logs_of[-1])
                labels[0], labels[-1] = (f"{v:.4g}".rjust(LABEL_WIDTH) for v in ends)
            plt.yticks(ys, labels)
            for mark in canvas.marks:  # first: the curves are drawn over them
                if 0 < mark < last:
                    plt.vline(mark, "default" if canvas.no_color else MARK_COLOR)
            if canvas.cursor is not None:
                plt.vline(canvas.cursor, "default" if canvas.no_color else CURSOR_COLOR)
            for future in old:
                if future:
                    steps, losses = zip(*future)
                    plt.plot(
                        list(steps),
                        list(losses),
                        marker=ABANDONED_MARKER if canvas.no_color else "braille",
                        color="default" if canvas.no_color else ABANDONED_COLOR,
                    )
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

    log_axis: reactive[bool] = reactive(True, repaint=False)
    """Is the loss axis logarithmic (the default), else linear?"""

    marks: reactive[tuple[int, ...]] = reactive((), repaint=False)
    """Steps after which settings changed (a live key, the experiment screen), marked."""

    cursor: reactive[int | None] = reactive(None, repaint=False)
    """A past step shown by the rewind keys (None: the present)."""

    abandoned: reactive[tuple[tuple[Record, ...], ...]] = reactive((), repaint=False)
    """Futures abandoned by branches since the last reset, drawn faint."""

    def watch_history(self) -> None:
        self.redraw()

    def watch_cursor(self) -> None:
        self.redraw()

    def watch_abandoned(self) -> None:
        self.redraw()

    def watch_marks(self) -> None:
        self.redraw()

    def watch_log_axis(self) -> None:
        self.redraw()

    def job(self) -> Callable[[], CurveDrawing] | None:
        width, height = self.size
        canvas = CurveCanvas(
            width,
            height,
            PlotTheme.of(self.app),
            self.app.no_color,
            self.log_axis,
            self.rich_style,
            self.marks,
            self.cursor,
            tuple(tuple(thin(future, 2 * width)) for future in self.abandoned),
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
    "linear_ticks",
    "thin",
    "y_ticks",
]
