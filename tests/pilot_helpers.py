"""Shared by the app's Pilot tests: wait for the app deterministically, step it with `s`."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from tui.app import MicrogradApp

SIZE = (80, 24)
"""The terminal the app must be usable in."""


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until condition() holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.01)


def idle(app: MicrogradApp) -> bool:
    """Paused, no worker (trainer, views, save, drawing) left running, and the plots drawn
    from the last snapshot: nothing changes by itself."""
    return app.state == "paused" and all(w.is_finished for w in app.workers) and app.plots_drawn


async def settle(pilot: Pilot) -> None:
    """Wait until the app is idle and its last messages are handled."""
    app = pilot.app
    assert isinstance(app, MicrogradApp)
    await wait_until(pilot, lambda: idle(app))
    await pilot.pause(0.05)


async def step(pilot: Pilot, app: MicrogradApp) -> None:
    """Press s and wait for that one step to be on screen."""
    before = app.step_count
    await pilot.press("s")
    await wait_until(pilot, lambda: app.step_count == before + 1 and idle(app))
    await pilot.pause(0.05)
