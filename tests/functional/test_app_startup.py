"""The first frame waits only for what it shows: the app's imports skip the inside views,
plotext and numpy, the plots are drawn by the drawing thread after the frame (never on the
loop), and the collector, off for start-up, is back on once the frame is shown."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import pytest
from textual.screen import Screen

import tui.widgets.boundary as boundary
import tui.widgets.loss_curve as loss_curve
from micrograd.training import Config
from tests.pilot_helpers import SIZE, settle, step, wait_until
from tui.app import MicrogradApp
from tui.screens.main import size_classes
from tui.widgets import BoundaryPlot, LossCurve

DEFERRED = (
    "tui.screens.graph",
    "tui.screens.params",
    "tui.screens.gradcheck",
    "plotext",
    "json",
    "secrets",
)
"""Modules the main screen's first frame does without: the views load when one opens,
plotext when the drawing thread first draws, json and secrets when a run is saved or
loaded."""


def output_of(code: str) -> str:
    """What code prints in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def modules_after(code: str) -> set[str]:
    """The modules loaded after running code in a fresh interpreter."""
    return set(output_of(f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n").split())


def test_importing_the_app_skips_what_the_first_frame_does_without() -> None:
    loaded = modules_after("import tui.app")
    assert "tui.app" in loaded and "tui.widgets.boundary" in loaded
    early = sorted(m for m in loaded if m in DEFERRED or m.split(".")[0] in DEFERRED)
    assert not early, f"imported before the first frame needs them: {early}"


@pytest.mark.parametrize("module", ["micrograd.training", "tui.app"])
def test_importing_the_app_or_the_trainer_skips_numpy(module: str) -> None:
    loaded = modules_after(f"import {module}")
    assert module in loaded and "numpy" not in loaded


FIRST_FRAME = """
import asyncio, sys
import tui.widgets.plotting as plotting
from micrograd.training import Config
from tui.app import MicrogradApp
from tui.screens.main import size_classes

plotting.LATEST_START = 600.0  # drawings start after a frame only, never by the clock
at_first_frame = []

class App(MicrogradApp):
    def first_frame_shown(self):
        at_first_frame.append("numpy" in sys.modules)
        super().first_frame_shown()

async def main():
    app = App(Config())
    async with app.run_test(size=(80, 24)) as pilot:
        while not app.plots_drawn:
            await pilot.pause(0.01)
    print(at_first_frame, "numpy" in sys.modules)

asyncio.run(main())
"""


def test_the_first_frame_is_shown_before_numpy_is_imported() -> None:
    assert output_of(FIRST_FRAME).split() == ["[False]", "True"]  # numpy came for the plot


def test_the_widgets_package_still_exports_every_widget() -> None:
    import tui.widgets

    for name in tui.widgets.__all__:
        assert getattr(tui.widgets, name) is not None
    with pytest.raises(AttributeError):
        tui.widgets.NoSuchWidget  # noqa: B018


async def test_the_first_frame_is_shown_before_the_plots_are_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn_at_first_render: dict[str, bool] = {}
    for cls in (BoundaryPlot, LossCurve):

        def render_line(self, y, original=cls.render_line):
            drawn_at_first_render.setdefault(type(self).__name__, self.drawing is not None)
            return original(self, y)

        monkeypatch.setattr(cls, "render_line", render_line)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot, curve = app.query_one(BoundaryPlot), app.query_one(LossCurve)
        assert plot.drawn and len(plot.lines()) == plot.size.height
        assert curve.drawn and len(curve.lines()) == curve.size.height
    assert drawn_at_first_render == {"BoundaryPlot": False, "LossCurve": False}


async def test_the_plots_are_drawn_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []

    def recording(draw):
        def wrapper(*args, **kwargs):
            threads.append(threading.current_thread().name)
            return draw(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(boundary, "draw", recording(boundary.draw))
    monkeypatch.setattr(loss_curve, "draw_lines", recording(loss_curve.draw_lines))
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        plot = app.query_one(BoundaryPlot)
        assert plot.drawing is not None and plot.drawing.weights is plot.weights
    assert len(threads) >= 4  # both plots, at the first frame and after the step
    assert set(threads) == {"micrograd-tui-drawer"}


async def test_a_newer_snapshot_supersedes_a_drawing_not_yet_shown() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot = app.query_one(BoundaryPlot)
        first = app.trainer.weights()
        plot.weights = first
        plot.weights = app.snapshot.weights  # before the first one's drawing is shown
        assert not plot.drawn
        await settle(pilot)
        assert plot.drawing is not None and plot.drawing.weights is app.snapshot.weights


async def test_the_collector_is_back_on_once_the_first_frame_is_shown() -> None:
    gc.disable()  # as the entry does for start-up
    try:
        app = MicrogradApp(Config())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_a_redraw_starts_even_if_its_after_frame_callback_is_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot, curve = app.query_one(BoundaryPlot), app.query_one(LossCurve)
        for widget in (plot, curve):  # as when the screen holding the callback closes first
            monkeypatch.setattr(widget, "call_after_refresh", lambda *args, **kwargs: True)
            widget.redraw()
            assert not widget.drawn
        await wait_until(pilot, lambda: plot.drawn and curve.drawn, timeout=5)


@pytest.mark.parametrize(
    ("size", "shown", "side_width"),
    [
        ((80, 24), ["metrics", "probe", "loss"], 34),  # short: one slot, the probe
        ((130, 44), ["metrics", "probe", "classes", "model", "loss"], 56),  # tall, wide
    ],
)
async def test_the_first_layout_is_the_one_for_the_terminals_size(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], shown: list[str], side_width: int
) -> None:
    """Textual sets the size classes on its first resize, after the first layout: the first
    frame would have stacked every side panel at 80x24, the loss curve off screen."""
    layouts: list[tuple[list[str], bool, int]] = []
    refresh_layout = Screen._refresh_layout

    def recording(self: Screen, *args: object, **kwargs: object) -> None:
        refresh_layout(self, *args, **kwargs)
        if isinstance(self.app, MicrogradApp) and self is self.app.screen:
            side = [w for w in self.query("#side > *") if w.display]
            inside = all(w.region.bottom <= self.size.height for w in side)
            width = self.query_one("#side").region.width
            layouts.append(([w.id for w in side], inside, width))

    monkeypatch.setattr(Screen, "_refresh_layout", recording)
    app = MicrogradApp(Config())
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
    assert layouts, "no layout recorded"
    assert layouts[0] == (shown, True, side_width)
    assert all(layout == layouts[0] for layout in layouts)


@pytest.mark.parametrize("width", [1, 59, 60, 119, 120, 200])
@pytest.mark.parametrize("height", [1, 19, 20, 39, 40, 60])
def test_size_classes_follow_textuals_rule_on_resize(width: int, height: int) -> None:
    """The classes set before the first layout are those Textual's resize sets later."""
    h, v = MicrogradApp.HORIZONTAL_BREAKPOINTS, MicrogradApp.VERTICAL_BREAKPOINTS
    ours = size_classes((width, height), h, v)
    rule = Screen()._get_breakpoint_classes  # what Screen._on_resize applies
    textuals = rule(width, h) | rule(height, v)
    assert {name for name, on in ours.items() if on} == textuals
    assert set(ours) == {name for _, name in h + v}


async def test_the_footers_keys_are_in_the_first_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual's footer composes its keys once the screen first publishes its bindings,
    after the first frame: the keys came ~0.15 s after the rest of the screen."""
    from textual.widgets._footer import FooterKey

    first: list[list[str]] = []
    refresh_layout = Screen._refresh_layout

    def recording(self: Screen, *args: object, **kwargs: object) -> None:
        refresh_layout(self, *args, **kwargs)
        if not first and isinstance(self.app, MicrogradApp):
            first.append([key.key_display for key in self.query(FooterKey)])

    monkeypatch.setattr(Screen, "_refresh_layout", recording)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        settled = [key.key_display for key in app.screen.query(FooterKey)]
    assert first == [settled]
    assert settled[:3] == ["space", "?", "q"]
