"""How the app looks at 80x24: the first frame and after three single steps (SVG baselines).

Deterministic by construction: the app starts paused, steps come from `s`, the speed
is shown only while running, the class colours are ANSI (the app pins ansi_color), and
NO_COLOR is removed from the environment. Threads draw the plots after the first frame:
each test waits for them (and every worker) before its screenshot.
"""

from __future__ import annotations

import time

from textual.pilot import Pilot

from micrograd.training import Config
from tests.pilot_helpers import settle, wait_until
from tui.app import MicrogradApp

SIZE = (80, 24)


async def steps(pilot: Pilot, count: int) -> None:
    app = pilot.app
    assert isinstance(app, MicrogradApp)
    for k in range(1, count + 1):
        await pilot.press("s")
        deadline = time.monotonic() + 10
        while not (app.step_count == k and app.state == "paused"):
            assert time.monotonic() < deadline
            await pilot.pause(0.01)
    await settle(pilot)


def test_first_frame(snap_compare) -> None:
    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=settle)


def test_after_three_steps(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await steps(pilot, 3)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)


def test_experiment_screen(snap_compare) -> None:
    """e at 80x24: one row a setting, the cursor on the learning rate, a bad value's reason."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("e", "down", "down", "down", "0")
        await pilot.pause(0.1)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)


def test_diverged(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await steps(pilot, 1)
        await pilot.press("s")
        app = pilot.app
        deadline = time.monotonic() + 10
        while app.state != "diverged":
            assert time.monotonic() < deadline
            await pilot.pause(0.01)
        await wait_until(pilot, lambda: all(w.is_finished for w in app.workers) and app.plots_drawn)
        await pilot.pause(0.05)

    assert snap_compare(MicrogradApp(Config(lr=1000.0)), terminal_size=SIZE, run_before=run_before)


def test_too_small(snap_compare) -> None:
    assert snap_compare(MicrogradApp(Config()), terminal_size=(40, 12), run_before=settle)


def test_a_past_step(snap_compare) -> None:
    """Rewound to step 12 of 30: the training panel's mark, the message line, the loss
    curve's cursor (80x24)."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, MicrogradApp)
        await settle(pilot)
        for burst in (10, 20, 30):
            await pilot.press("S")
            await wait_until(pilot, lambda n=burst: app.step_count == n, timeout=30)
            await settle(pilot)
        await pilot.press("left_curly_bracket", "left_curly_bracket")
        await wait_until(pilot, lambda: app.step_count == 10, timeout=30)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await wait_until(pilot, lambda: app.step_count == 12, timeout=30)
        await settle(pilot)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)


def test_a_branch_no_color(snap_compare, monkeypatch) -> None:
    """A branch from step 10 with lr 0.5 (+ twice) to step 20, without colour: the
    abandoned future (steps 10 to 30) drawn in ·, the branch's curves over it."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, MicrogradApp)
        await settle(pilot)
        for burst in (10, 20, 30):
            await pilot.press("S")
            await wait_until(pilot, lambda n=burst: app.step_count == n, timeout=30)
            await settle(pilot)
        await pilot.press("left_curly_bracket", "home", "right_curly_bracket")
        await wait_until(pilot, lambda: app.step_count == 10, timeout=30)
        await pilot.press("plus", "plus", "S")
        await wait_until(pilot, lambda: app.step_count == 20, timeout=30)
        await settle(pilot)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)
