"""Editing the data by keyboard in the real app: a then a class adds a training point at
the crosshair, d deletes the one under it, D clears them all, N regenerates the data;
training goes on from the same weights, and a save keeps the edited points."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from micrograd.runs import load_run
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui import wording
from tui.app import MicrogradApp
from tui.widgets import BoundaryPlot
from tui.widgets.model_panel import ModelPanel
from tui.widgets.probe import ProbePanel, in_cell


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message", Static).render())


def model_text(app: MicrogradApp) -> str:
    panel = app.query_one(ModelPanel)
    return " ".join(str(line) for line in panel.render().columns[0]._cells)


def crosshair(app: MicrogradApp) -> tuple[float, float]:
    return app.query_one(ProbePanel).cursor


@pytest.mark.slow
async def test_a_point_added_while_training_is_learnt_from_the_next_step_bit_for_bit():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "up")
        where = crosshair(app)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 3)
        await pilot.press("a", "2")
        await wait_until(pilot, lambda: len(app.session.marks) == 1)  # the worker made it
        edited_at = app.session.marks[0]
        await wait_until(pilot, lambda: app.step_count >= edited_at + 3)
        await pilot.press("space")
        await settle(pilot)
        steps = app.step_count
        weights = [p.data for p in app.trainer.parameters]
        plot_points = app.query_one(BoundaryPlot).points
        assert "Added" in message(app) or steps > edited_at
        assert "split 81/10/10" in model_text(app)
    reference = Trainer(Config())
    for _ in range(edited_at):
        reference.step()
    assert reference.add_point(where, 2) == 80
    for _ in range(steps - edited_at):
        reference.step()
    assert weights == [p.data for p in reference.parameters]
    assert plot_points == reference.train_split and plot_points[-1] == ([*where], 2)


@pytest.mark.slow
async def test_d_deletes_the_point_under_the_crosshair_and_says_when_there_is_none():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = list(app.trainer.train_split)
        probe = app.query_one(ProbePanel)
        probe.cursor = (before[5][0][0], before[5][0][1])  # onto sample #5's cell
        await pilot.press("d")
        await settle(pilot)
        after = app.trainer.train_split
        assert len(after) == 79 and "split 79/10/10" in model_text(app)
        (gone,) = [p for p in before if p not in after]
        x, y = probe.cursor
        assert before[in_cell(before, x, y, probe.step, probe.step_y)] == gone
        assert "Deleted" in message(app)
        assert app.query_one(BoundaryPlot).points == after
        for _ in range(12):  # the top left corner: outside the data's disk
            await pilot.press("left", "up")
        await pilot.press("d")
        await settle(pilot)
        assert len(app.trainer.train_split) == 79
        assert message(app) in wording.NO_POINT_HERE
        # a point added and deleted again: the data as they were
        await pilot.press("a", "1")
        await settle(pilot)
        assert len(app.trainer.train_split) == 80
        await pilot.press("d")
        await settle(pilot)
        assert app.trainer.train_split == after
        probe.cursor = (after[0][0][0], after[0][0][1])  # on a point the plot does not draw
        await pilot.press("t", "d")
        await settle(pilot)
        assert app.trainer.train_split == after and message(app) in wording.NO_POINT_HERE


async def test_a_class_the_dataset_lacks_and_a_cancelled_a_add_nothing():
    app = MicrogradApp(Config(dataset="moons", n=50))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", "2")
        await settle(pilot)
        assert len(app.trainer.train_split) == 40 and "No class 2" in message(app)
        await pilot.press("a", "right", "1")  # the arrow cancels: 1 is "what if" again
        await settle(pilot)
        assert len(app.trainer.train_split) == 40
        assert app.query_one(ProbePanel).sample.target == 1


async def test_D_clears_and_a_step_then_says_so_and_n_regenerates():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("D")
        await settle(pilot)
        assert app.trainer.train_split == [] and "split 0/10/10" in model_text(app)
        assert app.query_one(BoundaryPlot).points == []
        await pilot.press("s")
        await wait_until(pilot, lambda: "No training points" in message(app) and idle(app))
        assert message(app) == wording.NO_TRAINING_POINTS[0]
        await pilot.press("space")  # training, too, stops and says so
        await wait_until(pilot, lambda: "No training points" in message(app) and idle(app))
        assert app.step_count == 1 and app.state == "paused"
        await pilot.press("a", "0")
        await settle(pilot)
        await step(pilot, app)  # one point is something to learn from
        assert app.step_count == 2
        await pilot.press("N")
        await settle(pilot)
        assert app.trainer.train_split == Trainer(Config()).train_split
        assert "split 80/10/10" in model_text(app) and "Regenerated" in message(app)
        await step(pilot, app)
        assert app.step_count == 3


@pytest.mark.slow
async def test_a_save_keeps_the_edited_points_and_a_load_resumes_them(tmp_path: Path):
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("left", "a", "2")
        await settle(pilot)
        where = crosshair(app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app) and idle(app))
        edited = list(app.trainer.train_split)
    (path,) = tmp_path.glob("*.json")
    trainer, history = load_run(path)
    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.trainer.train_split == edited and edited[-1] == ([*where], 2)
        assert app.query_one(BoundaryPlot).points == edited
        assert "split 81/10/10" in model_text(app)
        await step(pilot, app)
    reference = Trainer(Config())
    reference.step()
    reference.add_point(where, 2)
    reference.step()
    assert [p.data for p in app.trainer.parameters] == [p.data for p in reference.parameters]


async def test_r_after_edits_draws_the_seeds_data_again():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("a", "0")
        await settle(pilot)
        assert len(app.query_one(BoundaryPlot).points) == 1
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app))
        await pilot.pause(0.1)
        seeds = Trainer(Config()).train_split
        assert app.trainer.train_split == seeds
        assert app.query_one(BoundaryPlot).points == seeds
        assert app.query_one(ProbePanel).points == seeds
        assert "split 80/10/10" in model_text(app)


@pytest.mark.slow
async def test_R_goes_back_to_the_loaded_runs_edited_data_and_batches(tmp_path: Path):
    config = Config(batch_size=16)
    app = MicrogradApp(config, save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("d")  # the point under the crosshair, at the start (0, 0)
        await pilot.press("up", "a", "1")
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app) and idle(app))
    (path,) = tmp_path.glob("*.json")
    trainer, history = load_run(path)
    loaded = list(trainer.train_split)
    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        after_load = [p.data for p in app.trainer.parameters]
        await pilot.press("N")  # the seed's data again
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("R")
        await wait_until(pilot, lambda: app.step_count == 2 and idle(app))
        await pilot.pause(0.1)
        assert app.trainer.train_split == loaded
        assert app.query_one(BoundaryPlot).points == loaded
        await step(pilot, app)
        assert [p.data for p in app.trainer.parameters] == after_load


async def test_the_gradient_check_of_no_points_says_so():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("c")
        await wait_until(
            pilot,
            lambda: (
                "no training points" in str(app.screen.query_one("#gradcheck-summary").render())
                and idle(app)
            ),
        )
        assert app.screen.snapshot.split_size == 0


async def test_a_run_saved_with_no_points_loads_and_asks_for_some(tmp_path: Path):
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app) and idle(app))
    (path,) = tmp_path.glob("*.json")
    trainer, history = load_run(path)
    assert trainer.train_split == []
    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "split 0/10/10" in model_text(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: "No training points" in message(app) and idle(app))
        await pilot.press("N")
        await settle(pilot)
        await step(pilot, app)
        assert app.step_count == 2
