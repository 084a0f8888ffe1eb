"""Reading the main screen's plots at the advertised size: the probe agrees with the cell
under it, the loss curve has rows and labels enough, the points can be hidden."""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd.run import step_record
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, settle, step, wait_until
from tui.app import MicrogradApp
from tui.palette import to_cells
from tui.screens.main import CYCLE, NO_SLOT
from tui.widgets import BoundaryPlot, LossCurve, ProbePanel


def trained(steps: int, **config: object) -> Trainer:
    trainer = Trainer(Config(**config))  # type: ignore[arg-type]
    for _ in range(steps):
        trainer.step()
    return trainer


def with_history(steps: int) -> MicrogradApp:
    """The app on a run of steps updates loaded with its history, as `--load` opens it."""
    trainer = Trainer(Config())
    history = [step_record(trainer, None, evaluate=True).as_json() for _ in range(steps)]
    return MicrogradApp(trainer=trainer, history=history)


def cell_under(app: MicrogradApp) -> tuple[int, int, int]:
    """(column, line, class) of the boundary cell the crosshair is drawn in."""
    drawing = app.query_one(BoundaryPlot).drawing
    cols, rows = drawing.size
    ((c, r),) = to_cells(np.array([app.query_one(ProbePanel).cursor]), cols, rows).tolist()
    line = rows - 1 - r
    return c, line, drawing.classes[line][c]


async def walk_and_compare(app: MicrogradApp, pilot, keys: str) -> set[tuple[int, int]]:
    """Press keys one by one; at each, the probe's class must be the drawn cell's."""
    probe = app.query_one(ProbePanel)
    seen: set[tuple[int, int]] = set()
    disagree = []
    for key in keys:
        await pilot.press(key)
        await wait_until(pilot, lambda: app.query_one(BoundaryPlot).cursor == probe.cursor)
        c, line, drawn = cell_under(app)
        seen.add((c, line))
        if probe.predicted() != drawn:
            disagree.append((key, probe.cursor, probe.predicted(), drawn))
    assert not disagree, disagree[:5]
    return seen


async def test_the_probe_starts_on_a_cell_centre_and_reads_the_cell_under_it() -> None:
    # the run: 232 steps, loaded; j said class 0 on a class-1 cell, l h class 1
    app = MicrogradApp(trainer=trained(232))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        probe = app.query_one(ProbePanel)
        cols, rows = app.query_one(BoundaryPlot).drawing.size
        step_x, step_y = 4 / (cols - 1), 4 / (rows - 1)
        # the start is a cell's centre, not the edge between two columns (0 of 40 cells)
        x, y = probe.cursor
        assert abs((x + 2) / step_x - round((x + 2) / step_x)) < 1e-9
        assert abs((y + 2) / step_y - round((y + 2) / step_y)) < 1e-9
        await walk_and_compare(app, pilot, "jlh")
        await pilot.press("enter")  # an empty cell: a probe point at that cell's centre
        await wait_until(pilot, lambda: app.session.sample.index is None)
        assert app.session.sample.point == probe.cursor != (0.0, probe.cursor[1])


@pytest.mark.slow
async def test_the_probe_agrees_with_every_cell_of_a_walk_over_the_plot() -> None:
    app = MicrogradApp(trainer=trained(232))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cols, rows = app.query_one(BoundaryPlot).drawing.size
        # a diagonal from the middle: every row and half the columns
        walk = "j" * (rows // 2) + "lk" * rows + "l" * (cols // 2)
        seen = await walk_and_compare(app, pilot, walk)
        assert len(seen) >= rows + cols // 2


def plot_rows_and_labels(curve: LossCurve) -> tuple[int, dict[int, float]]:
    """The rows of the curve's plot area, and each y label's row (from the top of that
    area) and value."""
    lines = curve.drawing.text.plain.splitlines()
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    labels = {
        i - top - 1: float(line.split("┤")[0])
        for i, line in enumerate(lines)
        if "┤" in line and line.split("┤")[0].strip()
    }
    return bottom - top - 1, labels


async def show_no_side_panel(pilot, app: MicrogradApp) -> None:
    """v until the side slot shows no panel (24-39 rows)."""
    for _ in range(len(CYCLE)):
        if app.slot == NO_SLOT:
            break
        await pilot.press("v")
    assert app.slot == NO_SLOT


@pytest.mark.parametrize("size", [SIZE, (120, 40)])
async def test_the_loss_curve_has_six_rows_and_three_labels(size: tuple[int, int]) -> None:
    # at 80x24 the probe's slot left the curve 2 rows, its two labels 5-9 decades apart;
    # at 120x40 the half-empty panels left it 4: v's last state gives it the slot's rows,
    # and a wide side column folds the model panel to 3 lines
    app = with_history(5)  # 1.05 to 0.65: no decade between them
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if size == SIZE:
            await show_no_side_panel(pilot, app)
            await settle(pilot)
            assert "v probe" in str(app.query_one("#loss").border_subtitle)
        curve = app.query_one(LossCurve)
        rows, labels = plot_rows_and_labels(curve)
        assert rows >= 6, curve.drawing.text.plain
        assert len(labels) >= 3, curve.drawing.text.plain
        assert app.query_one("#loss").region.bottom <= app.query_one("#main").region.bottom


async def test_y_toggles_the_loss_axis_between_log_and_linear() -> None:
    app = with_history(100)  # 1.05 to 0.039: 1.4 decades
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await show_no_side_panel(pilot, app)
        await settle(pilot)
        curve = app.query_one(LossCurve)
        title = app.query_one("#loss").border_title

        def linear(labels: dict[int, float], scale) -> bool:
            """Are the labels' rows a linear function of scale(value)?"""
            (r0, v0), *_, (r1, v1) = sorted(labels.items())
            return all(
                abs(r0 + (scale(v) - scale(v0)) / (scale(v1) - scale(v0)) * (r1 - r0) - r) <= 1
                for r, v in labels.items()
            )

        _, log_labels = plot_rows_and_labels(curve)
        assert "log" in str(title) and linear(log_labels, math.log10)
        assert not linear(log_labels, float)
        for axis, scale in (("linear", float), ("log", math.log10)):
            await pilot.press("y")
            await settle(pilot)
            rows, labels = plot_rows_and_labels(curve)
            assert str(app.query_one("#loss").border_title).startswith(f"loss · {axis}")
            assert len(labels) >= 3 and linear(labels, scale), curve.drawing.text.plain
        assert plot_rows_and_labels(curve)[1] == log_labels


def point_cells(app: MicrogradApp) -> set[tuple[int, int]]:
    """The plot cells (column, line) that show a point's glyph."""
    glyphs, _ = app.query_one(BoundaryPlot).drawing.cells
    return {(c, i) for i, row in enumerate(glyphs) for c, g in enumerate(row) if g in "ox+"}


def cells_of(points: list, cols: int, rows: int) -> set[tuple[int, int]]:
    found = to_cells(np.array([x for x, _ in points]), cols, rows).tolist()
    return {(c, rows - 1 - r) for c, r in found}


async def test_t_draws_the_training_points_the_validation_points_or_none() -> None:
    app = MicrogradApp(Config(n=1000))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot, probe, trainer = app.query_one(BoundaryPlot), app.query_one(ProbePanel), app.trainer
        cols, rows = plot.drawing.size
        title = lambda: str(app.query_one("#plot-box").border_title)  # noqa: E731
        train_cells = cells_of(trainer.train_split, cols, rows)
        assert point_cells(app) == train_cells and "training points" in title()
        assert len(train_cells) > 0.5 * cols * rows  # over half the cells: the boundary hides

        await pilot.press("t")
        await settle(pilot)
        val_cells = cells_of(trainer.val_split, cols, rows)
        assert point_cells(app) == val_cells and "validation (t)" in title()
        assert len(title()) <= 39  # whole on the plot's frame at 80 columns (it was cut)
        assert len(val_cells) < 0.2 * cols * rows
        # enter on a drawn validation point: a probe point there, of its own class
        (vx, vy), label = trainer.val_split[0]
        probe.cursor = (vx, vy)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.sample.point == (vx, vy))
        assert app.session.sample.target == label and app.session.sample.index is None

        await pilot.press("t")
        await settle(pilot)
        assert point_cells(app) == set() and "no points" in title()
        assert "enter makes a probe point" in str(app.query_one("#message").render())
        # a training point's cell: with no points drawn, enter selects none of them
        (px, py), _ = trainer.train_split[0]
        probe.cursor = (px, py)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.sample.point == probe.cursor)
        assert app.session.sample.index is None  # a probe point at its cell's centre

        await pilot.press("t")
        await settle(pilot)
        assert point_cells(app) == train_cells and "training points" in title()
        await pilot.press("enter")  # drawn again: the same cell selects the training point
        await wait_until(pilot, lambda: app.session.sample.index is not None)


@pytest.mark.slow
async def test_help_explains_late_adamw_spikes_by_what_the_param_table_shows() -> None:
    """Before the default run's spike at step 2812, the grads are ~1e-7 and the updates
    still a tenth of lr: help says so and points at p, and p shows exactly that."""
    from tui.screens.help import ABOUT
    from tui.screens.params import ParamTableScreen

    assert "m/√v" in ABOUT and "(p)" in ABOUT and "2812" in ABOUT
    app = MicrogradApp(trainer=trained(2799))
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)  # step 2800, taken in the app
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ParamTableScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        assert screen.snapshot.step == 2800
        rows = screen.snapshot.rows
        lr = app.config.lr
        assert max(abs(r.grad) for r in rows) < 1e-5
        assert max(abs(r.update) for r in rows) > lr / 10
        shown = {
            column.label.plain for column in app.screen.query_one("#params-table").columns.values()
        }
        assert {"grad", "update"} <= shown
