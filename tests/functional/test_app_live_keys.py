"""The main screen's live keys in the real app: the rate ladder (+ -), the speed (x),
bursts of 10 and 100 steps (S, C), and the loss curve's mark where a setting changed."""

from __future__ import annotations

import time

import pytest

from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui.app import MicrogradApp
from tui.widgets import LossCurve
from tui.widgets.loss_curve import CurveCanvas, draw
from tui.widgets.metrics import MetricsPanel
from tui.widgets.model_panel import ModelPanel


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message").render())


def model_text(app: MicrogradApp) -> str:
    panel = app.query_one(ModelPanel)
    return " ".join(str(line) for line in panel.render().columns[0]._cells)


async def test_minus_halves_the_rate_from_the_next_step_bit_for_bit():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(3):
            await step(pilot, app)
        await pilot.press("minus")
        await pilot.pause(0.05)
        assert "lr 0.05" in model_text(app)  # at once, before any step
        assert "0.05" in message(app) and "step 4" in message(app)
        await step(pilot, app)
        await step(pilot, app)
        await settle(pilot)
        assert app.session.marks == [3]
        assert app.query_one(LossCurve).marks == (3,)
        weights = [p.data for p in app.trainer.parameters]
    plain = Trainer(Config())
    for _ in range(3):
        plain.step()
    plain.retune(lr=0.05)
    for _ in range(2):
        plain.step()
    assert weights == [p.data for p in plain.parameters]


async def test_plus_climbs_the_ladder_and_r_clears_the_marks():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("plus", "plus")  # 0.1 -> 0.2 -> 0.5
        await step(pilot, app)
        assert app.trainer.config.lr == 0.5 and "lr 0.5" in model_text(app)
        assert app.session.marks == [1]
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app))
        assert app.session.marks == [] and app.query_one(LossCurve).marks == ()
        assert app.trainer.config.lr == 0.5  # r keeps the new rate: the same weights


def test_the_curve_marks_a_change_with_a_vertical_line_in_no_color_too():
    from rich.style import Style

    from micrograd.run import Record
    from tui.widgets.plotting import PlotTheme

    records = [Record(s, 1.0 / (s + 1), 0.5, 1.0 / (s + 1), 0.5) for s in range(21)]
    theme = PlotTheme((0, 0, 0), (255, 255, 255))
    marked = CurveCanvas(40, 10, theme, True, True, Style(), (10,))
    plain = CurveCanvas(40, 10, theme, True, True, Style(), ())
    with_mark, without = draw(marked, records).plain, draw(plain, records).plain
    assert with_mark.count("│") >= without.count("│") + 5  # a column of the plot's rows


async def test_x_cycles_the_speed_and_at_1_step_a_second_training_is_paced():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        assert app.session.speed == 1.0
        await pilot.pause(0.05)
        assert "≤1" in str(app.query_one(MetricsPanel).render())
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 1)
        started = time.monotonic()
        await pilot.pause(0.6)
        # at most one step a second: a slower machine takes fewer, never more
        assert app.step_count <= 1 + int(time.monotonic() - started) + 1
        await wait_until(pilot, lambda: app.step_count >= 2)  # and it does go on
        await pilot.press("space")
        await settle(pilot)
        for expected in (5.0, 20.0, None, 1.0):
            await pilot.press("x")
            assert app.session.speed == expected


@pytest.mark.slow
async def test_S_takes_exactly_10_steps_and_C_100():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await wait_until(pilot, lambda: app.step_count == 10 and idle(app), timeout=30)
        await pilot.pause(0.2)
        assert app.step_count == app.trainer.step_count == 10
        await pilot.press("C")
        await wait_until(pilot, lambda: app.step_count == 110 and idle(app), timeout=60)
        await pilot.pause(0.2)
        assert app.step_count == app.trainer.step_count == 110


async def test_space_cancels_a_burst():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x", "x")  # 5 steps/s: a burst of 100 takes 20 s
        await pilot.press("C")
        await wait_until(pilot, lambda: app.step_count >= 1)
        await pilot.press("space")
        await settle(pilot)
        stopped = app.step_count
        await pilot.pause(0.5)
        assert app.step_count == stopped < 100 and app.session.steps_done()
