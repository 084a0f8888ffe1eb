"""The rewind keys in the real app: [ ] { } home end bring a past step back on every
panel, exactly; a step taken there branches, the abandoned future drawn faint."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from micrograd.run import Record, initial_record
from micrograd.runs import load_run, save_run
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, wait_until
from tui.app import MicrogradApp
from tui.snapshots import ParamSnapshot
from tui.widgets import LossCurve
from tui.widgets.metrics import MetricsPanel
from tui.widgets.probe import ProbePanel


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message").render())


def trained(steps: int, config: Config | None = None, lr_from: dict | None = None) -> Trainer:
    """A Trainer after steps (lr_from[step]: the rate from the step after it)."""
    trainer = Trainer(config or Config())
    for _ in range(steps):
        if lr_from and trainer.step_count in lr_from:
            trainer.retune(lr=lr_from[trainer.step_count])
        trainer.step()
    return trainer


def headless(steps: int) -> dict[int, dict]:
    out = subprocess.run(
        [sys.executable, "-m", "tui", "--headless", "--steps", str(steps), "--eval-every", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return {e["step"]: e for e in map(json.loads, out.splitlines()) if "train_loss" in e}


async def press_and_wait(pilot, app: MicrogradApp, key: str, step: int) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: app.step_count == step and idle(app), timeout=30)
    await pilot.pause(0.1)


async def train_to(pilot, app: MicrogradApp, steps: int) -> None:
    await pilot.press(*["S"] * (steps // 10))  # bursts queue: one run of steps
    await wait_until(pilot, lambda: app.step_count == steps and idle(app), timeout=60)
    await pilot.pause(0.1)


@pytest.mark.slow
async def test_back_to_step_39_shows_its_numbers_everywhere():
    lines = headless(60)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to(pilot, app, 60)
        await press_and_wait(pilot, app, "left_curly_bracket", 50)
        await press_and_wait(pilot, app, "left_curly_bracket", 40)
        await press_and_wait(pilot, app, "left_square_bracket", 39)
        metrics = app.query_one(MetricsPanel)
        assert metrics.record == Record.from_json(lines[39])
        assert metrics.record.as_json() == lines[39]
        assert metrics.past and "◀ past" in str(metrics.render())
        assert "◀ step 39 of 60" in message(app)
        assert app.query_one(LossCurve).cursor == 39
        assert app.session.shown[-1].step == 60  # the future stays, to come back to
        at_39 = trained(39)
        probe = app.query_one(ProbePanel)
        assert probe.probabilities() == at_39.probabilities(probe.cursor)
        assert app.snapshot.weights == at_39.layers()
        # the parameter table is computed from that step too
        await pilot.press("p")
        await wait_until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None)
        assert app.screen.snapshot == ParamSnapshot.of(trained(39))
        await pilot.press("q")
        # ] and end go forward; end is the present, unmarked
        await press_and_wait(pilot, app, "right_square_bracket", 40)
        await press_and_wait(pilot, app, "end", 60)
        assert not metrics.past and app.query_one(LossCurve).cursor is None
        assert metrics.record.as_json() == lines[60]
        assert "◀" not in message(app)
        await press_and_wait(pilot, app, "home", 0)
        assert metrics.record == initial_record(Trainer(Config()))


@pytest.mark.slow
async def test_a_step_at_a_past_step_branches_with_the_new_rate():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to(pilot, app, 60)
        await press_and_wait(pilot, app, "left_curly_bracket", 50)
        await press_and_wait(pilot, app, "left_curly_bracket", 40)
        await pilot.press("plus")  # lr 0.2 from step 41
        await press_and_wait(pilot, app, "s", 41)
        await press_and_wait(pilot, app, "S", 51)
        assert app.session.shown[-1].step == 51
        assert [r.step for r in app.session.shown][-12:] == list(range(40, 52))
        curve = app.query_one(LossCurve)
        assert len(curve.abandoned) == 1
        assert [r.step for r in curve.abandoned[0]] == list(range(40, 61))
        assert curve.marks == (40,) and curve.cursor is None
        assert not app.query_one(MetricsPanel).past
        assert app.snapshot.weights == trained(51, lr_from={40: 0.2}).layers()
        assert app.trainer.config.lr == 0.2
        # the branch can be scrubbed too, exactly
        await press_and_wait(pilot, app, "left_square_bracket", 50)
        assert app.snapshot.weights == trained(50, lr_from={40: 0.2}).layers()
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app), timeout=30)
        assert curve.abandoned == ()


@pytest.mark.slow
async def test_a_rate_asked_at_a_past_step_waits_for_the_branch():
    """+ at a past step, then [: the rate is still asked for, and s branches with it."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to(pilot, app, 20)
        await press_and_wait(pilot, app, "left_curly_bracket", 10)
        await pilot.press("plus")
        await press_and_wait(pilot, app, "left_square_bracket", 9)
        assert app.session.config.lr == 0.2 and app.trainer.config.lr == 0.1
        await press_and_wait(pilot, app, "s", 10)
        assert app.trainer.config.lr == 0.2
        assert app.snapshot.weights == trained(10, lr_from={9: 0.2}).layers()
        assert app.session.marks == [9]


async def test_w_at_a_past_step_saves_the_run_as_it_was_then(tmp_path):
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train_to(pilot, app, 20)
        await press_and_wait(pilot, app, "left_curly_bracket", 10)
        await pilot.press("w")
        await wait_until(pilot, lambda: any(tmp_path.iterdir()), timeout=10)
        await settle(pilot)
        (path,) = tmp_path.iterdir()
        assert path.name == "micrograd-run-seed42-step10.json"
        loaded, history = load_run(path)
        assert loaded.layers() == trained(10).layers()
        assert [h["step"] for h in history] == list(range(1, 11))
        assert app.session.unsaved_steps() == 10  # the run's present (20) is not saved


async def test_a_loaded_run_scrubs_back_to_step_0(tmp_path):
    trainer = Trainer(Config(batch_size=16))
    history = []
    for _ in range(30):
        result = trainer.step()
        val = trainer.evaluation(trainer.val_split)
        history.append(
            Record(result.step, result.train_loss, result.train_acc, val.loss, val.accuracy)
        )
    path = save_run(tmp_path / "run.json", trainer, [r.as_json() for r in history])
    loaded, entries = load_run(path)
    app = MicrogradApp(trainer=loaded, history=entries)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_and_wait(pilot, app, "home", 0)
        assert app.query_one(MetricsPanel).record == initial_record(Trainer(Config(batch_size=16)))
        await press_and_wait(pilot, app, "right_curly_bracket", 10)
        assert app.query_one(MetricsPanel).record == history[9]
        assert app.snapshot.weights == trained(10, Config(batch_size=16)).layers()
        await press_and_wait(pilot, app, "end", 30)
        assert app.query_one(MetricsPanel).record == history[29]


async def test_a_loaded_run_that_changed_its_rate_scrubs_back_through_the_change(tmp_path):
    path = save_run(tmp_path / "run.json", trained(30, lr_from={10: 0.2}), [])
    loaded, entries = load_run(path)
    app = MicrogradApp(trainer=loaded, history=entries)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_and_wait(pilot, app, "home", 0)
        await press_and_wait(pilot, app, "right_curly_bracket", 10)
        await press_and_wait(pilot, app, "right_square_bracket", 11)
        assert app.snapshot.weights == trained(11, lr_from={10: 0.2}).layers()
        assert app.trainer.config.lr == 0.2


async def test_a_loaded_run_whose_data_were_edited_keeps_its_loaded_step_and_says_so(tmp_path):
    trainer = trained(30)
    trainer.add_point((0.5, 0.5), 1)
    trainer.step()
    path = save_run(tmp_path / "run.json", trainer, [])
    loaded, entries = load_run(path)
    app = MicrogradApp(trainer=loaded, history=entries)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("home")
        await wait_until(pilot, lambda: "not kept" in message(app) and idle(app))
        assert app.step_count == 31 and app.session.viewing is None
        assert "steps before 31" in message(app).lower()


async def test_a_past_step_before_an_edit_shows_that_steps_data_and_end_the_edited():
    """A point added at step 3: at step 2 the plot draws the seed's 80 points, at the
    present the 81; an edit asked at a past step waits for the branch."""
    from tui.widgets.boundary import BoundaryPlot

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "s", "s")
        await wait_until(pilot, lambda: app.step_count == 3 and idle(app))
        await pilot.press("a", "1")
        await wait_until(pilot, lambda: len(app.trainer.train_split) == 81 and idle(app))
        await pilot.press("s", "s")
        await wait_until(pilot, lambda: app.step_count == 5 and idle(app))
        plot = app.query_one(BoundaryPlot)
        assert len(plot.points) == 81
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await wait_until(pilot, lambda: app.step_count == 2 and idle(app))
        assert len(app.trainer.train_split) == 80
        await wait_until(pilot, lambda: len(plot.points) == 80)
        await pilot.press("end")
        await wait_until(pilot, lambda: app.step_count == 5 and idle(app))
        await wait_until(pilot, lambda: len(plot.points) == 81)
        assert len(app.trainer.train_split) == 81


@pytest.mark.parametrize("key", ["end", "space"])
async def test_a_long_replay_from_the_seed_says_how_far_it_got_and_a_key_stops_it(
    tmp_path, monkeypatch, key
):
    """A loaded run of 60,000 steps took ~40 s to train again from its seed before its
    first step back showed, with nothing said and nothing to stop it. Now the message
    line counts the steps, and end (back to the present) or space (train on) stops it
    where the run was."""
    import micrograd.rewind as rewind_module

    real_step = rewind_module.step_record

    def slow_step(trainer, *args, **kwargs):  # a long run's replay: 300 steps in ~3 s
        busy = time.monotonic() + 0.01
        while time.monotonic() < busy:
            time.sleep(0.001)
        return real_step(trainer, *args, **kwargs)

    monkeypatch.setattr(rewind_module, "step_record", slow_step)
    path = save_run(tmp_path / "run.json", trained(300), [])
    loaded, entries = load_run(path)
    app = MicrogradApp(trainer=loaded, history=entries)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: "of 300" in message(app) and "seed" in message(app))
        await pilot.pause(0.3)
        assert app.step_count == 300
        await pilot.press(key)
        if key == "end":
            await wait_until(pilot, lambda: "present" in message(app) and idle(app))
            assert app.step_count == 300 and app.session.viewing is None
            assert app.session.rewind.start == 300  # nothing kept: [ starts over
        else:
            await wait_until(pilot, lambda: app.state == "running" and app.step_count > 300)
            await pilot.press("space")
            await settle(pilot)
            assert app.session.viewing is None and not app.session.abandoned
            assert app.step_count == app.trainer.step_count > 300


async def test_a_loaded_run_marks_its_settings_changes_on_the_loss_curve(tmp_path):
    """The loss curve marks the steps after which the rate or the batch changed; a run
    file keeps those changes with their steps, so a loaded run marks them too, and R
    (back to the loaded step) after r (step 0, no marks) brings them back."""
    path = save_run(tmp_path / "run.json", trained(30, lr_from={10: 0.2, 20: 0.05}), [])
    loaded, entries = load_run(path)
    app = MicrogradApp(trainer=loaded, history=entries)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        curve = app.query_one(LossCurve)
        assert curve.marks == (10, 20)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app))
        assert curve.marks == ()
        await pilot.press("R")
        await wait_until(pilot, lambda: app.step_count == 30 and idle(app))
        assert curve.marks == (10, 20)
