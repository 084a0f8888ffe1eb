"""Snapshots of the app's inside views and the probe at 80x24."""

from __future__ import annotations

from textual.pilot import Pilot

from micrograd.training import Config
from tests.pilot_helpers import SIZE, settle, step, wait_until
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


async def neurons_after_three_steps(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, MicrogradApp)
    for _ in range(3):
        await step(pilot, app)
    await pilot.press("n")
    await settle(pilot)
    await wait_until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None)
    await pilot.pause(0.05)


def test_snapshot_neurons_view(snap_compare) -> None:
    """n at 80x24: the default run's 8 maps, their names and weights, the first selected."""
    assert snap_compare(
        MicrogradApp(Config()), terminal_size=SIZE, run_before=neurons_after_three_steps
    )


def test_snapshot_neurons_health(snap_compare) -> None:
    """h in the neurons view: step-0 loss and ln 3, the layer's flags and histograms, the
    update ratio per layer over three steps beside the 1e-3 guide."""

    async def run_before(pilot: Pilot) -> None:
        await neurons_after_three_steps(pilot)
        await pilot.press("h")
        await pilot.pause(0.05)

    assert snap_compare(MicrogradApp(Config()), terminal_size=SIZE, run_before=run_before)
