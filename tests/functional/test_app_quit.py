"""q closes what is open and never loses unsaved steps silently; r after --load offers
the loaded step as well as step 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from micrograd.runs import load_run, save_run
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui.app import MicrogradApp
from tui.screens.main import MainScreen


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message", Static).render())


@pytest.mark.parametrize("key", ["g", "p", "c", "question_mark"])
@pytest.mark.parametrize("close", ["q", "escape"])
async def test_q_and_escape_close_every_view_and_the_help(key: str, close: str) -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)  # a step unsaved: a quit would lose it
        await pilot.press(key)
        await wait_until(pilot, lambda: not isinstance(app.screen, MainScreen))
        await pilot.press(close)
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert "unsaved" not in message(app)


async def test_q_with_unsaved_steps_says_so_once_and_the_second_quits() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await step(pilot, app)
        await pilot.press("q")
        await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert message(app).startswith("2 unsaved steps: q again quits")
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit)
    assert app.return_code == 0


async def test_another_key_between_two_qs_means_the_next_q_asks_again() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("q", "left", "q")
        await pilot.pause(0.1)
        assert app.is_running and message(app).startswith("1 unsaved step:")


async def test_q_quits_at_once_with_nothing_unsaved(tmp_path: Path) -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")  # step 0: nothing to lose
        await wait_until(pilot, lambda: app._exit)
    assert app.return_code == 0

    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app) and idle(app))
        await pilot.press("q")  # saved: nothing to lose
        await wait_until(pilot, lambda: app._exit)
    assert app.return_code == 0


async def test_a_loaded_run_has_nothing_unsaved_until_it_steps(tmp_path: Path) -> None:
    trainer = Trainer()
    for _ in range(3):
        trainer.step()
    save_run(tmp_path / "r.json", trainer, [])
    loaded, history = load_run(tmp_path / "r.json")
    app = MicrogradApp(trainer=loaded, history=history)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.unsaved_steps() == 0
        await step(pilot, app)
        assert app.session.unsaved_steps() == 1
        await pilot.press("q")
        await pilot.pause(0.1)
        assert app.is_running and message(app).startswith("1 unsaved step:")


def loaded_app(tmp_path: Path, steps: int = 3) -> MicrogradApp:
    """The app on a run file of steps steps of the default run."""
    trainer = Trainer()
    history = [trainer.step() for _ in range(steps)]
    records = [
        {"step": r.step, "train_loss": r.train_loss, "train_acc": r.train_acc} for r in history
    ]
    save_run(tmp_path / "r.json", trainer, records)
    loaded, history = load_run(tmp_path / "r.json")
    return MicrogradApp(trainer=loaded, history=history)


def weights(app: MicrogradApp) -> list[float]:
    return [p.data for p in app.trainer.model.parameters()]


async def test_r_in_a_loaded_run_offers_both_and_r_again_goes_to_step_0(tmp_path: Path) -> None:
    app = loaded_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        assert app.step_count == 4
        await pilot.press("r")
        await pilot.pause(0.1)
        assert app.step_count == 4  # nothing reset yet: it asks
        assert message(app) == "r again: step 0 of seed 42; R: back to the loaded step 3."
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app))
        assert weights(app) == [p.data for p in Trainer().model.parameters()]
        assert [r.step for r in app.history] == [0]


async def test_capital_r_goes_back_to_the_loaded_step(tmp_path: Path) -> None:
    app = loaded_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loaded = weights(app)
        moments = list(app.trainer.optimizer.m), app.trainer.optimizer.t
        await step(pilot, app)
        await step(pilot, app)
        assert weights(app) != loaded
        await pilot.press("r", "R")  # asked, then answered with R
        await wait_until(pilot, lambda: app.step_count == 3 and idle(app))
        assert weights(app) == loaded
        assert (list(app.trainer.optimizer.m), app.trainer.optimizer.t) == moments
        assert [r.step for r in app.history] == [0, 1, 2, 3]
        assert app.session.unsaved_steps() == 0
        await step(pilot, app)  # and it goes on as the loaded run did
        reference = Trainer()
        for _ in range(4):
            reference.step()
        assert weights(app) == [p.data for p in reference.model.parameters()]


async def test_r_in_a_new_run_resets_at_once_and_capital_r_says_why_not() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("R")
        await pilot.pause(0.1)
        assert app.step_count == 1 and "not loaded" in message(app)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app))


async def test_q_at_a_past_step_still_counts_the_steps_up_to_the_present() -> None:
    """At step 0 again (home) the trainer is at step 0, but the run's 30 steps are still
    unsaved: q said nothing and quit, losing them."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S", "S", "S")
        await wait_until(pilot, lambda: app.step_count == 30 and idle(app))
        await pilot.press("home")
        await wait_until(pilot, lambda: app.step_count == 0 and idle(app))
        assert app.trainer.step_count == 0 and app.session.viewing == 0
        await pilot.press("q")
        await pilot.pause(0.1)
        assert app.is_running and message(app).startswith("30 unsaved steps: q again quits")


async def test_r_at_a_loaded_runs_step_seen_from_later_still_offers_both(tmp_path: Path) -> None:
    """Back at the loaded step from 10 steps past it, r reset at once: the 10 steps were
    gone, and R was never offered. It offers both, as anywhere away from the loaded step."""
    trainer = Trainer(Config())
    for _ in range(20):
        trainer.step()
    path = save_run(tmp_path / "run.json", trainer, [])
    loaded, entries = load_run(path)
    app = MicrogradApp(trainer=loaded, history=entries)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await wait_until(pilot, lambda: app.step_count == 30 and idle(app))
        await pilot.press("left_curly_bracket")
        await wait_until(pilot, lambda: app.step_count == 20 and idle(app))
        assert app.session.viewing == 20
        await pilot.press("r")
        await pilot.pause(0.2)
        assert app.step_count == 20 and app.session.end == 30
        assert message(app).startswith("r again: step 0 of seed 42; R: back to the loaded step 20")


async def test_a_branch_from_before_the_saved_step_is_unsaved(tmp_path: Path) -> None:
    """Saved at step 20, back to 10, a step there branches: the file holds the abandoned
    future, not step 11 of the branch, so q says so (it counted the branch as saved)."""
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S", "S")
        await wait_until(pilot, lambda: app.step_count == 20 and idle(app))
        await pilot.press("w")
        await wait_until(pilot, lambda: any(tmp_path.iterdir()) and idle(app))
        assert app.session.unsaved_steps() == 0
        await pilot.press("left_curly_bracket")
        await wait_until(pilot, lambda: app.step_count == 10 and idle(app))
        await step(pilot, app)
        assert app.step_count == 11 and app.session.end == 11
        await pilot.press("q")
        await pilot.pause(0.1)
        assert app.is_running and message(app).startswith("1 unsaved step: q again quits")
