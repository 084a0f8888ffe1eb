"""The loss curve: a log axis labelled in plain numbers, no crash on inf or nan, drawn by a
thread after the frame."""

from __future__ import annotations

import math

import pytest
from textual.app import App, ComposeResult

from tests.pilot_helpers import wait_until
from tui.messages import Record
from tui.widgets import LossCurve
from tui.widgets.loss_curve import thin


class CurveHost(App[None]):
    def compose(self) -> ComposeResult:
        yield LossCurve(id="loss")


def records(losses: list[float]) -> list[Record]:
    return [Record(k, loss, 0.5, loss, 0.5) for k, loss in enumerate(losses)]


async def test_the_loss_axis_is_logarithmic_with_decade_labels() -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([1.0 * 0.9**k for k in range(60)])  # 1 down to ~0.002
        await wait_until(pilot, lambda: curve.drawn)
        text = curve.drawing.text.plain
        for label in ("1", "0.1", "0.01", "0.001"):
            assert any(line.strip().startswith(label + "┤") for line in text.splitlines()), label
        rows = {
            label: i
            for i, line in enumerate(text.splitlines())
            for label in ("1", "0.1", "0.01", "0.001")
            if line.strip().startswith(label + "┤")
        }
        # equal decades get equal heights: a log axis, not a linear one
        gaps = [rows["0.1"] - rows["1"], rows["0.01"] - rows["0.1"], rows["0.001"] - rows["0.01"]]
        assert max(gaps) - min(gaps) <= 1 and min(gaps) > 0


@pytest.mark.parametrize("last", [0, 1, 11, 4837])
async def test_the_step_axis_is_labelled_in_whole_steps(last: int) -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([0.9**k for k in range(last + 1)])
        await wait_until(pilot, lambda: curve.drawn)
        lines = curve.drawing.text.plain.splitlines()
        below = lines[next(i for i, line in enumerate(lines) if "└" in line) + 1]
        labels = below.split()
        assert labels[0] == "0" and labels[-1] == str(max(last, 1))
        assert all(label.isdigit() for label in labels), labels  # no "5.5" steps


async def test_inf_nan_and_zero_losses_are_skipped_not_fatal() -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([1.0, 0.5, math.inf, math.nan, 0.0, 0.25])
        await wait_until(pilot, lambda: curve.drawn)
        assert "┤" in curve.drawing.text.plain


async def test_the_curve_is_drawn_by_a_thread_after_the_frame() -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        await wait_until(pilot, lambda: curve.drawn)
        curve.history = records([1.0, 0.5, 0.25])
        assert not curve.drawn  # asked for, not drawn on the event loop
        await wait_until(pilot, lambda: curve.drawn)
        assert "┤" in curve.drawing.text.plain
        assert len(curve.lines()) == curve.size.height


@pytest.mark.parametrize(("size", "why"), [((40, 4), "too short"), ((12, 10), "too narrow")])
async def test_a_panel_too_small_for_a_curve_says_so(size: tuple[int, int], why: str) -> None:
    """At 80x23 the loss panel is a row short of a curve: it showed an empty box."""
    app = CurveHost()
    async with app.run_test(size=size) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([1.0, 0.5, 0.25])
        await wait_until(pilot, lambda: curve.drawn)
        assert tuple(curve.size) == size
        rows = [curve.render_line(y).text for y in range(curve.size.height)]
        assert [row.strip() for row in rows if row.strip()] == [why]
        assert all(len(row) == size[0] for row in rows)


def test_thin_keeps_the_ends_and_at_most_that_many() -> None:
    rs = records([1.0] * 1000)
    kept = thin(rs, 50)
    assert len(kept) == 50 and kept[0] is rs[0] and kept[-1] is rs[-1]
