"""The experiment screen (e) in the real app: rows edited in place, a bad value refused
with its reason, live changes keeping the step, the rest a new run at step 0."""

from __future__ import annotations

import random

import pytest

from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui.app import MicrogradApp
from tui.screens.experiment import ExperimentScreen, fields_of
from tui.screens.main import MainScreen
from tui.widgets.model_panel import ModelPanel


def problem(app: MicrogradApp) -> str:
    return str(app.screen.query_one("#experiment-problem").render())


async def open_at(pilot, app: MicrogradApp, name: str) -> ExperimentScreen:
    """Open the screen and move its cursor to the row of field name."""
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen))
    screen = app.screen
    assert isinstance(screen, ExperimentScreen)
    for _ in range([f.name for f in screen.fields].index(name)):
        await pilot.press("down")
    return screen


async def test_a_bad_value_says_why_in_one_line_and_cannot_be_applied():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_at(pilot, app, "lr")
        await pilot.press("minus", "1")  # -1: typing replaces the row's value
        await pilot.pause(0.05)
        assert problem(app) == "✗ learning rate: must be a finite number > 0, got -1.0"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ExperimentScreen)  # refused
        await pilot.press("backspace", "backspace", "x")
        await pilot.pause(0.05)
        assert problem(app) == "✗ learning rate: must be a number, got 'x'"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.trainer.config == Config()


async def test_the_screen_takes_typed_letters_not_the_apps_keys():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_at(pilot, app, "hidden")
        await pilot.press("1", "6", "s", "q", "w")  # s q w: the app's step, quit, save
        await pilot.pause(0.1)
        assert screen.texts["hidden"] == "16sqw" and app.step_count == 0 and not app._exit
        assert "hidden: layer sizes are whole numbers" in problem(app)


@pytest.mark.slow
async def test_a_live_change_keeps_the_step_and_trains_on_from_it():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await step(pilot, app)
        await open_at(pilot, app, "weight_decay")
        await pilot.press("0", ".", "0", "1")
        await pilot.pause(0.05)
        assert "from the next step on" in problem(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await step(pilot, app)
        assert app.step_count == 3 and app.trainer.config.weight_decay == 0.01
        assert app.query_one(ModelPanel).described[0].weight_decay == 0.01  # shown
        assert app.session.marks == [2]
        weights = [p.data for p in app.trainer.parameters]
    plain = Trainer(Config())
    plain.step(), plain.step()
    plain.retune(weight_decay=0.01)
    plain.step()
    assert weights == [p.data for p in plain.parameters]


@pytest.mark.slow
async def test_a_reset_kind_change_starts_a_new_run_at_step_0_with_the_new_config():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        await open_at(pilot, app, "hidden")
        rows = [f.name for f in fields_of(Config())]
        to_lr = ["down"] * (rows.index("lr") - rows.index("hidden"))
        await pilot.press("4", ",", "4", "enter", *to_lr, "1", "enter")  # lr 1
        await pilot.pause(0.05)
        assert "new run at step 0" in problem(app)
        await pilot.press("ctrl+s")
        new = Config(hidden=(4, 4), lr=1.0)
        await wait_until(pilot, lambda: app.session.trainer.config == new and idle(app))
        assert app.step_count == 0 and app.session.unsaved_steps() == 0
        assert isinstance(app.screen, MainScreen)
        assert "New run" in str(app.query_one("#message").render())
        assert app.query_one(ModelPanel).described[1] == 4 * 3 + 5 * 4 + 5 * 3
        await step(pilot, app)
        weights = [p.data for p in app.trainer.parameters]
    plain = Trainer(new)
    plain.step()
    assert weights == [p.data for p in plain.parameters]


async def test_r_draws_a_new_seed_and_escape_cancels_it():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_at(pilot, app, "seed")
        screen.seeds = random.Random(1)
        expected = str(random.Random(1).randrange(1, 2**31))
        await pilot.press("r")
        assert screen.texts["seed"] == expected
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.pause(0.1)
        assert app.trainer.config == Config() and app.step_count == 0


async def test_the_playground_settings_start_a_new_run_of_them():
    """A dataset, its split and an activation chosen on the screen: a new run at step 0
    whose first step is a Trainer of that Config's first step."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_at(pilot, app, "dataset")
        await pilot.press("right")  # taichi -> spiral
        rows = [f.name for f in fields_of(Config())]
        await pilot.press(*["down"] * (rows.index("split") - rows.index("dataset")))
        await pilot.press("ctrl+u", *"0.6", "enter")
        await pilot.press(*["down"] * (rows.index("activation") - rows.index("split")))
        await pilot.press("right")  # tanh -> relu
        await pilot.press("ctrl+s")
        new = Config(dataset="spiral", split=0.6, activation="relu")
        await wait_until(pilot, lambda: app.session.trainer.config == new and idle(app))
        assert app.step_count == 0
        assert len(app.trainer.train_split) == 60
        await step(pilot, app)
        weights = [p.data for p in app.trainer.parameters]
    plain = Trainer(new)
    plain.step()
    assert weights == [p.data for p in plain.parameters]


async def test_hidden_0_and_batch_full_mean_what_the_flags_do():
    """--hidden 0 and --batch-size full typed on the screen: no hidden layer, full batches."""
    app = MicrogradApp(Config(batch_size=16))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_at(pilot, app, "hidden")
        await pilot.press("ctrl+u", "0", "enter")
        rows = [f.name for f in fields_of(Config())]
        await pilot.press(*["down"] * (rows.index("batch_size") - rows.index("hidden")))
        await pilot.press("ctrl+u", *"full", "enter")
        await pilot.pause(0.05)
        assert "must" not in problem(app)
        await pilot.press("ctrl+s")
        new = Config(hidden=())
        await wait_until(pilot, lambda: app.session.trainer.config == new and idle(app))
        await step(pilot, app)
        weights = [p.data for p in app.trainer.parameters]
    plain = Trainer(new)
    plain.step()
    assert weights == [p.data for p in plain.parameters]


async def test_a_new_run_says_which_settings_changed_and_to_what():
    """Only the activation and the noise changed: the message names them, new values."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_at(pilot, app, "noise")
        await pilot.press("ctrl+u", *"0.2", "enter")
        rows = [f.name for f in fields_of(Config())]
        await pilot.press(*["down"] * (rows.index("activation") - rows.index("noise")))
        await pilot.press("right")  # tanh -> relu
        await pilot.press("ctrl+s")
        new = Config(noise=0.2, activation="relu")
        await wait_until(pilot, lambda: app.session.trainer.config == new and idle(app))
        await settle(pilot)
        shown = str(app.query_one("#message").render()).strip()
        assert shown == "New run at step 0: noise 0.2, activation relu."
