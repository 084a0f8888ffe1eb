"""Reading the main screen's plots at the advertised size: the probe agrees with the cell
under it, the loss curve has rows and labels enough, the points can be hidden."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, settle, wait_until
from tui.app import MicrogradApp
from tui.palette import to_cells
from tui.widgets import BoundaryPlot, ProbePanel


def trained(steps: int, **config: object) -> Trainer:
    trainer = Trainer(Config(**config))  # type: ignore[arg-type]
    for _ in range(steps):
        trainer.step()
    return trainer


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
