"""Snapshots of the app's inside views and the probe at 80x24."""

from __future__ import annotations

from textual.pilot import Pilot

from micrograd.training import Config
from tests.pilot_helpers import SIZE, settle, step
from tui.app import MicrogradApp


async def two_steps_and_a_probe(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, MicrogradApp)
    for _ in range(2):
        await step(pilot, app)
    await pilot.press("right", "right", "right", "up", "up", "enter", "1")
    await settle(pilot)


def test_snapshot_probe_moved_and_a_probe_point_selected(snap_compare) -> None:
    assert snap_compare(
        MicrogradApp(Config()), terminal_size=SIZE, run_before=two_steps_and_a_probe
    )


def test_snapshot_graph_view_open(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, MicrogradApp)
        await step(pilot, app)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("down", "enter")  # open log#156's operand
        await pilot.pause(0.05)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)


def test_snapshot_backprop_walk(snap_compare) -> None:
    """The walk at 80x24 early in the backward pass: done, current and not-reached nodes
    (● » ○), the values known, the grads so far, and the event's arithmetic."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, MicrogradApp)
        await step(pilot, app)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("b", "f", "n", "n", "n")
        await pilot.pause(0.05)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)
