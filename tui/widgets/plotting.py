"""Plots drawn off the event loop: one drawing thread, plotext's figures and the app's theme."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console
from textual.app import App
from textual.color import Color

if TYPE_CHECKING:
    from textual_plotext.plot import Plot

LOCK = threading.Lock()
"""Held for every use of plotext: its themes are module state, and a figure is not
thread-safe. Drawing threads and a draw on the event loop take turns."""

_figures: dict[str, Plot] = {}
"""One plotext figure per kind of plot (guarded by LOCK)."""


@dataclass(frozen=True)
class PlotTheme:
    """The app's theme as plotext needs it (read on the event loop, used in any thread).

    The same theme textual-plotext's PlotextPlot registers: plotext draws on the theme's
    surface colour in its foreground colour.
    """

    name: str
    """Plotext's name for it, e.g. textual-auto-textual-dark."""
    surface: tuple[int, int, int]
    foreground: tuple[int, int, int]

    @classmethod
    def of(cls, app: App) -> PlotTheme:
        variables = app.theme_variables
        return cls(
            f"textual-auto-{app.theme}",
            Color.parse(variables.get("surface")).rgb,
            Color.parse(variables.get("foreground")).rgb,
        )


class Drawer:
    """One daemon thread that runs drawing jobs in turn, for every plot of the app.

    Handing it a job costs the event loop a queue put: a thread started per drawing would
    block the loop until the new thread first ran (while training, a few milliseconds of
    waiting for the interpreter). A daemon: quitting never waits for a drawing.
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
def figure(kind: str, theme: PlotTheme, width: int, height: int) -> Iterator[Plot]:
    """A cleared plotext figure of this size and theme, held until the block ends.

    Imports plotext on first use (in whichever thread draws first): the app's first
    frame does not wait for it.
    """
    with LOCK:
        from plotext._dict import themes
        from textual_plotext.plot import Plot, _rgbify_theme, _sequence

        if theme.name not in themes:
            themes[theme.name] = _rgbify_theme(
                theme.surface, theme.surface, theme.foreground, "default", _sequence
            )
        plt = _figures.get(kind)
        if plt is None:
            plt = _figures[kind] = Plot()
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)  # as PlotextPlot.render does: see its comment
        plt.theme(theme.name)
        yield plt


__all__ = ["DRAWER", "LOCK", "Drawer", "PlotTheme", "console", "figure"]
