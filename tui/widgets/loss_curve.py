"""The loss curve: training and validation loss over the steps so far."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import on
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.messages import Record
from tui.widgets.plotting import DRAWER, PlotTheme, console, figure

TRAIN_COLOR, VAL_COLOR = 6, 5
"""Plotext colour codes: ANSI cyan for training, magenta for validation."""

LATEST_START = 0.25
"""Seconds after a redraw is asked for by which its drawing starts, even without a frame."""

MIN_SIZE = (16, 5)


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
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
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
            plt.xlim(0, max(records[-1].step, 1))
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


class LossCurve(Widget):
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

    class Drawn(Message, bubble=False):
        """The drawing thread has drawn the curve (or failed to: error)."""

        def __init__(
            self, request: int, drawing: CurveDrawing | None, error: Exception | None = None
        ) -> None:
            super().__init__()
            self.request = request
            self.drawing = drawing
            self.error = error

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.drawing: CurveDrawing | None = None
        """The curve as last drawn (None: not drawn yet, or too small)."""
        self._requested = 0
        """Drawings asked for so far; a drawing answers one of them."""
        self._started = 0
        """The latest request the drawing thread was given."""
        self._shown = 0
        """The request the drawing shown answers."""
        self._lines: list[Strip] | None = None
        """The drawing's lines at the widget's width (built on demand)."""

    @property
    def drawn(self) -> bool:
        """Is what the curve shows drawn from the latest history, size and theme?"""
        return self._shown == self._requested

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _: self.redraw())

    def watch_history(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self._lines = None
        self.redraw()

    def redraw(self) -> None:
        """Ask for a drawing of the current history at the current size.

        The drawing thread draws it, from after the next frame: the frame that shows a
        key's effect (or the app's first frame) never waits for a plot.
        """
        self._requested += 1
        self.call_after_refresh(self.start_drawing)
        # The screen that holds an after-refresh callback may close first (a view): then
        # this starts the drawing, if the callback has not.
        self.set_timer(LATEST_START, self.start_drawing)

    def start_drawing(self) -> None:
        if self._started == self._requested:
            return  # an earlier call started the drawing of the latest request
        self._started = request = self._requested
        width, height = self.size
        canvas = CurveCanvas(
            width, height, PlotTheme.of(self.app), self.app.no_color, self.rich_style
        )
        if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
            self.show(self.Drawn(request, None))  # nothing to draw
            return
        records = thin(self.history, 2 * width)
        DRAWER.submit(lambda: self.drawing_job(request, canvas, records))

    def drawing_job(self, request: int, canvas: CurveCanvas, records: list[Record]) -> None:
        """In the drawing thread: draw, unless a newer request came in meanwhile."""
        if request != self._requested:
            return
        try:
            drawing = draw_lines(canvas, records)
        except Exception as e:  # raised again on the event loop, as a worker's would be
            self.post_message(self.Drawn(request, None, e))
        else:
            self.post_message(self.Drawn(request, drawing))

    @on(Drawn)
    def show(self, message: Drawn) -> None:
        """Show a drawing unless a newer one is under way."""
        if message.error is not None:
            raise message.error
        if message.request != self._requested:
            return
        self._shown = message.request
        self.drawing = message.drawing
        self._lines = None
        self.refresh()

    def lines(self) -> list[Strip]:
        """The curve's lines at the widget's width: [] while the size has no drawing yet."""
        d = self.drawing
        width, height = self.size
        if d is None or (d.canvas.width, d.canvas.height) != (width, height):
            return []
        if self._lines is None:
            style = self.rich_style
            self._lines = [line.extend_cell_length(width, style) for line in d.lines]
        return self._lines

    def render_line(self, y: int) -> Strip:
        lines = self.lines()
        if y < len(lines):
            return lines[y]
        return Strip.blank(self.size.width, self.rich_style)


def legend(no_color: bool = False) -> Text:
    """Names the two curves (the border subtitle of the panel)."""
    if no_color:
        return Text("━ train  • val")
    return Text.assemble(("━ train", "cyan"), "  ", ("━ val", "magenta"))


__all__ = ["CurveCanvas", "CurveDrawing", "LossCurve", "draw", "draw_lines", "legend", "thin"]
