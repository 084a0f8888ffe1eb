"""Every key of the real app's bindings, pressed in the real app, with its effect checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.binding import Binding
from textual.pilot import Pilot

from micrograd.training import Config
from tests.pilot_helpers import SIZE, idle, step, wait_until
from tui.app import MicrogradApp
from tui.screens.experiment import ExperimentScreen
from tui.screens.gradcheck import GradCheckScreen
from tui.screens.graph import GraphScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.neurons import NeuronsScreen
from tui.screens.params import ParamTableScreen
from tui.screens.stepper import ExpressionScreen
from tui.widgets import BoundaryPlot, LossCurve, ProbePanel

Check = Callable[[Pilot, MicrogradApp, str], Awaitable[None]]


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message").render())


async def trains_then_pauses(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press(key)
    assert app.state == "running"
    await wait_until(pilot, lambda: app.step_count >= 1)
    await pilot.press(key)
    assert app.state == "paused"


async def takes_one_step(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: app.step_count == 1 and idle(app))


async def resets(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await step(pilot, app)
    await pilot.press(key)
    await wait_until(pilot, lambda: app.step_count == 0 and len(app.history) == 1)


async def says_a_new_run_has_no_loaded_step(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    """R goes back to a loaded run's step (test_app_quit); a new run has none."""
    await step(pilot, app)
    await pilot.press(key)
    await pilot.pause(0.1)
    assert app.step_count == 1 and "not loaded" in message(app)


async def draws_zero_lines(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    """z: the first layer's zero lines over the plot (test_app_neurons checks the cells)."""
    plot = app.query_one(BoundaryPlot)
    await pilot.press(key)
    await wait_until(pilot, lambda: any(":" in row for row in plot.drawing.cells[0]))
    assert plot.zero_lines and "Zero lines" in message(app)


async def saves(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: "Saved" in message(app))
    assert list(app.save_dir.glob("*.json"))


def opens(screen: type) -> Check:
    async def check(pilot: Pilot, app: MicrogradApp, key: str) -> None:
        await pilot.press(key)
        await wait_until(pilot, lambda: isinstance(app.screen, screen))

    return check


async def cycles_the_side_panel(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    before = app.slot
    await pilot.press(key)
    await wait_until(pilot, lambda: app.slot != before)


def moves_the_probe(dx: int, dy: int) -> Check:
    async def check(pilot: Pilot, app: MicrogradApp, key: str) -> None:
        probe = app.query_one(ProbePanel)
        x, y = probe.cursor
        await pilot.press(key)
        await wait_until(pilot, lambda: probe.cursor != (x, y))
        nx, ny = probe.cursor
        assert (nx - x) * dx > 0 or (ny - y) * dy > 0, ((x, y), (nx, ny))
        assert (nx == x) == (dx == 0) and (ny == y) == (dy == 0)

    return check


async def selects(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    probe = app.query_one(ProbePanel)
    before = probe.sample
    await pilot.press(key)
    await wait_until(pilot, lambda: probe.sample is not None and probe.sample != before)


def labels(target: int) -> Check:
    async def check(pilot: Pilot, app: MicrogradApp, key: str) -> None:
        probe = app.query_one(ProbePanel)
        probe.cursor = (1.9, -1.9)  # no data point there: a probe point of this class
        await pilot.press(key)
        await wait_until(pilot, lambda: probe.sample is not None)
        assert probe.sample.target == target, probe.sample

    return check


async def toggles_the_loss_axis(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    curve = app.query_one(LossCurve)
    await pilot.press(key)
    await wait_until(
        pilot, lambda: not curve.log_axis and "linear" in str(app.query_one("#loss").border_title)
    )


async def cycles_the_points(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    plot = app.query_one(BoundaryPlot)
    await pilot.press(key)
    await wait_until(pilot, lambda: plot.shown_points == "validation")


def retunes_the_rate(expected: float) -> Check:
    async def check(pilot: Pilot, app: MicrogradApp, key: str) -> None:
        await pilot.press(key)
        await step(pilot, app)
        assert app.trainer.config.lr == app.trainer.optimizer.lr == expected

    return check


async def cycles_the_speed(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press(key)
    assert app.session.speed == 1.0


def takes_steps(count: int) -> Check:
    async def check(pilot: Pilot, app: MicrogradApp, key: str) -> None:
        await pilot.press(key)
        await wait_until(pilot, lambda: app.step_count == count and idle(app), timeout=60)

    return check


async def asks_which_class_to_add(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    """a then a class adds a point (test_app_data_edits)."""
    await pilot.press(key)
    assert app.main.adding and "class: 0 1 2" in message(app)
    await pilot.press("1")
    await wait_until(pilot, lambda: len(app.trainer.train_split) == 81 and idle(app))


async def deletes_the_point_under_the_crosshair(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    (x, y), _ = app.trainer.train_split[0]
    app.query_one(ProbePanel).cursor = (x, y)
    await pilot.press(key)
    await wait_until(pilot, lambda: len(app.trainer.train_split) == 79 and idle(app))


async def clears_the_points(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: app.trainer.train_split == [] and idle(app))


async def regenerates_the_data(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press("D")
    await wait_until(pilot, lambda: app.trainer.train_split == [] and idle(app))
    await pilot.press(key)
    await wait_until(pilot, lambda: len(app.trainer.train_split) == 80 and idle(app))


def scrubs(first: str | None, expected: int) -> Check:
    """After 20 steps (and the key first, if any), key brings step expected back."""

    async def check(pilot: Pilot, app: MicrogradApp, key: str) -> None:
        await pilot.press("S", "S")
        await wait_until(pilot, lambda: app.step_count == 20 and idle(app), timeout=60)
        if first is not None:
            await pilot.press(first)
            await wait_until(pilot, lambda: app.step_count != 20 and idle(app))
        await pilot.press(key)
        await wait_until(pilot, lambda: app.step_count == expected and idle(app))
        assert app.trainer.step_count == expected
        assert (app.session.viewing is None) == (expected == 20)

    return check


async def quits(pilot: Pilot, app: MicrogradApp, key: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: app._exit)


EFFECTS: dict[str, Check] = {
    "space": trains_then_pauses,
    "question_mark": opens(HelpScreen),
    "q": quits,
    "s": takes_one_step,
    "r": resets,
    "R": says_a_new_run_has_no_loaded_step,
    "w": saves,
    "g": opens(GraphScreen),
    "p": opens(ParamTableScreen),
    "c": opens(GradCheckScreen),
    "X": opens(ExpressionScreen),
    "n": opens(NeuronsScreen),
    "z": draws_zero_lines,
    "v": cycles_the_side_panel,
    "y": toggles_the_loss_axis,
    "t": cycles_the_points,
    "left": moves_the_probe(-1, 0),
    "h": moves_the_probe(-1, 0),
    "right": moves_the_probe(1, 0),
    "l": moves_the_probe(1, 0),
    "up": moves_the_probe(0, 1),
    "k": moves_the_probe(0, 1),
    "down": moves_the_probe(0, -1),
    "j": moves_the_probe(0, -1),
    "enter": selects,
    "0": labels(0),
    "1": labels(1),
    "2": labels(2),
    "plus": retunes_the_rate(0.2),
    "equals_sign": retunes_the_rate(0.2),
    "minus": retunes_the_rate(0.05),
    "x": cycles_the_speed,
    "S": takes_steps(10),
    "C": takes_steps(100),
    "e": opens(ExperimentScreen),
    "a": asks_which_class_to_add,
    "d": deletes_the_point_under_the_crosshair,
    "D": clears_the_points,
    "N": regenerates_the_data,
    "left_square_bracket": scrubs(None, 19),
    "right_square_bracket": scrubs("left_curly_bracket", 11),
    "left_curly_bracket": scrubs(None, 10),
    "right_curly_bracket": scrubs("home", 10),
    "home": scrubs(None, 0),
    "end": scrubs("left_square_bracket", 20),
    "ctrl+q": quits,
    "ctrl+c": quits,
}


def bound_keys() -> list[str]:
    """The app's keys and its main screen's (a screen's bindings work while it shows)."""
    keys = []
    for binding in [*MicrogradApp.BINDINGS, *MainScreen.BINDINGS]:
        assert isinstance(binding, Binding)
        keys += [k.strip() for k in binding.key.split(",")]
    return keys


def test_every_binding_of_the_app_has_its_effect_checked_here():
    assert sorted(bound_keys()) == sorted(EFFECTS)


@pytest.mark.parametrize("key", bound_keys())
async def test_each_bound_key_does_what_it_says_in_the_real_app(key: str, tmp_path) -> None:
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: idle(app))
        await EFFECTS[key](pilot, app, key)
