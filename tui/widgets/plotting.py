"""Plots drawn off the event loop: one drawing thread, plotext's figures and the app's theme."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.style import Style
from textual import on
from textual.app import App
from textual.color import Color
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

LOCK = threading.Lock()
"""Held for every use of plotext: its figure is module state, not thread-safe. Drawing
threads and a draw on the event loop take turns."""


@dataclass(frozen=True)
class PlotTheme:
    """The app's theme as plotext needs it (read on the event loop, used in any thread):
    plotext draws on the theme's surface colour in its foreground colour."""

    surface: tuple[int, int, int]
    foreground: tuple[int, int, int]

    @classmethod
    def of(cls, app: App) -> PlotTheme:
        variables = app.theme_variables
        return cls(
            Color.parse(variables.get("surface")).rgb,
            Color.parse(variables.get("foreground")).rgb,
        )


class Drawer:
    """One daemon thread that runs drawing jobs in turn, for every plot of the app.

    Handing it a job costs the event loop a queue put: a thread started per drawing would
    block the loop until the new thread first ran (while training, until the interpreter
    lets it run). A daemon: quitting never waits for a drawing.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[contextvars.Context, Callable[[], None]]]
        self._jobs = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        """Run job() in the drawing thread, in the caller's context (the active app)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="micrograd-tui-drawer", daemon=True
                )
                self._thread.start()
        self._jobs.put((contextvars.copy_context(), job))

    def _run(self) -> None:
        while True:
            context, job = self._jobs.get()
            context.run(job)


DRAWER = Drawer()
"""The app's drawing thread (jobs report their own errors, see the plots' Drawn)."""


@cache
def console() -> Console:
    """A console of the drawing thread's own, to turn Text into segments."""
    return Console(color_system="truecolor", force_terminal=True, width=1000)


@contextmanager
def figure(theme: PlotTheme, width: int, height: int) -> Iterator[ModuleType]:
    """plotext's figure, cleared, of this size and theme, held until the block ends.

    Only plotext's public functions: its module is its one figure (hence LOCK). Imported
    on first use (in whichever thread draws first): the app's first frame does not wait
    for it.
    """
    with LOCK:
        import plotext as plt

        plt.clear_figure()
        plt.limitsize(False, False)  # else it caps the size at the terminal's, or 80x24
        plt.plotsize(width, height)
        plt.canvas_color(theme.surface)
        plt.axes_color(theme.surface)
        plt.ticks_color(theme.foreground)
        yield plt


def cells(line: Strip) -> list[tuple[str, Style | None]] | None:
    """A line's cells as (character, style), or None if a character is not one cell wide."""
    out = [(char, style) for text, style, _ in line for char in text]
    return out if len(out) == line.cell_length else None


def changed_span(before: Strip, after: Strip) -> tuple[int, int]:
    """The columns [start, end) between the first and the last cell in which two lines
    differ (the whole width if a line has wide characters or the widths differ)."""
    width = max(before.cell_length, after.cell_length)
    a, b = cells(before), cells(after)
    if a is None or b is None or len(a) != len(b):
        return 0, width
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    if start == len(a):
        return 0, 0
    end = len(a) - next(i for i, (x, y) in enumerate(zip(reversed(a), reversed(b))) if x != y)
    return start, end


def refresh_changes(widget: Widget, old: Sequence[Strip] | None, new: Sequence[Strip]) -> bool:
    """Refresh only the cells of widget in which its new lines differ from the old ones
    shown: nothing if they are equal, all of it if there were none or as many. True if
    anything is to be repainted."""
    if not old or len(old) != len(new):
        widget.refresh()
        return True
    changed = False
    for y, (before, after) in enumerate(zip(old, new)):
        if before != after:
            start, end = changed_span(before, after)
            if end > start:
                widget.refresh(Region(start, y, end - start, 1))
                changed = True
    return changed


LATEST_START = 0.25
"""Seconds after a redraw request by which its drawing starts even if no frame came."""


def after_next_frame(node: Widget | App, callback: Callable[[], None]) -> None:
    """Call callback after the next frame, so that frame (a key's answer) is drawn first.

    Textual drops an after-frame callback if the screen holding it closes first (a
    view): then a timer calls it LATEST_START s from now. Either may come first, so
    callback must do nothing when called again for the same request.
    """
    node.call_after_refresh(callback)
    node.set_timer(LATEST_START, callback)


class ThreadDrawnPlot(Widget):
    """A plot drawn in the drawing thread: the event loop asks, the thread draws, the
    loop shows the lines it gets back. A newer request supersedes an older drawing.

    A subclass says what to draw (job) and how a drawing becomes lines (lines_of); its
    drawings have a canvas with the width and height they were drawn for.
    """

    class Drawn(Message, bubble=False):
        """The drawing thread has drawn the plot (or failed to: error)."""

        def __init__(self, request: int, drawing: Any, error: Exception | None = None) -> None:
            super().__init__()
            self.request = request
            self.drawing = drawing
            self.error = error

    class Sent(Message):
        """A new drawing's changed cells are to be written to the terminal (the screen
        paces plot frames by the link, see tui.pacing)."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.drawing: Any = None
        """The plot as last drawn (None: not drawn yet, or too small)."""
        self._requested = 0
        """Drawings asked for so far; a drawing answers one of them."""
        self._started = 0
        """The latest request the drawing thread was given."""
        self._shown = 0
        """The request the drawing shown answers."""
        self._lines: list[Strip] | None = None
        """The drawing's lines at the widget's width (built on demand)."""

    # ------------------------------------------------------------ for subclasses

    def job(self) -> Callable[[], Any] | None:
        """Read on the event loop: what the drawing thread calls to draw the plot at the
        widget's current size, or None if it is too small to draw."""
        raise NotImplementedError

    def lines_of(self, drawing: Any) -> list[Strip]:
        """A drawing's lines as the widget shows them now."""
        raise NotImplementedError

    def shown(self) -> None:
        """Called when a new drawing (or None) has become self.drawing."""

    # ------------------------------------------------------------ asking and showing

    @property
    def drawn(self) -> bool:
        """Is what the plot shows drawn from the latest data, size and theme?"""
        return self._shown == self._requested

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _: self.redraw())

    def on_resize(self) -> None:
        self._lines = None
        self.redraw()

    def redraw(self) -> None:
        """Ask for a drawing of the current data at the current size.

        The drawing thread draws it, from after the next frame: the frame that shows a
        key's effect (or the app's first frame) never waits for a plot.
        """
        self._requested += 1
        after_next_frame(self, self.start_drawing)

    def start_drawing(self) -> None:
        if self._started == self._requested:
            return  # an earlier call started the drawing of the latest request
        self._started = request = self._requested
        job = self.job()
        if job is None:
            self.show(self.Drawn(request, None))  # nothing to draw
            return
        DRAWER.submit(lambda: self.run_job(request, job))

    def run_job(self, request: int, job: Callable[[], Any]) -> None:
        """In the drawing thread: draw, unless a newer request came in meanwhile."""
        if request != self._requested:
            return
        try:
            drawing = job()
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
        self.shown()
        if self.repaint_changes():
            self.post_message(self.Sent())

    def repaint_changes(self) -> bool:
        """Build the lines anew and repaint only the cells that differ from those shown:
        over a slow link every cell sent costs, and a drawing mostly repeats the last.
        True if any cell is to be repainted."""
        old = self._lines
        self._lines = None
        return refresh_changes(self, old, self.lines())

    def lines(self) -> list[Strip]:
        """The plot's lines at the widget's width: [] while the size has no drawing yet."""
        d = self.drawing
        width, height = self.size
        if d is None or (d.canvas.width, d.canvas.height) != (width, height):
            return []
        if self._lines is None:
            style = self.rich_style
            self._lines = [line.extend_cell_length(width, style) for line in self.lines_of(d)]
        return self._lines

    def render_line(self, y: int) -> Strip:
        lines = self.lines()
        if y < len(lines):
            return lines[y]
        return Strip.blank(self.size.width, self.rich_style)


__all__ = [
    "DRAWER",
    "LATEST_START",
    "LOCK",
    "Drawer",
    "PlotTheme",
    "ThreadDrawnPlot",
    "after_next_frame",
    "cells",
    "changed_span",
    "console",
    "figure",
    "refresh_changes",
]
