"""Weights whose outputs overflow: a divergence, paused with a message, never a crash."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from micrograd.runs import load_run, save_run
from micrograd.training import OVERFLOWING_WEIGHTS, Config, Diverged, Trainer
from tests.pilot_helpers import SIZE, wait_until
from tui.app import MicrogradApp
from tui.widgets.probe import ProbePanel


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message", Static).render())


def overflowing_run(path: Path, step: int = 0) -> Path:
    """A hand-made run file (the loader accepts it): every weight +-1e308."""
    trainer = Trainer(Config(n=30))
    for _ in range(step):
        trainer.step()
    for p in trainer.model.parameters():
        p.data = math.copysign(1e308, p.data)
    save_run(path, trainer, [])
    return path


KEYS = ["left", "up", "enter", "1", "g", "e", "escape", "p", "escape", "c", "escape", "v"]
"""Every key that computes or shows something from the weights."""


async def press_everything(pilot, app: MicrogradApp) -> None:
    for key in KEYS:
        await pilot.press(key)
        await pilot.pause(0.05)
    await wait_until(pilot, lambda: all(w.is_finished for w in app.workers), timeout=30)
    await pilot.pause(0.2)
    assert app.is_running and app.return_code is None


def test_an_update_whose_outputs_would_overflow_is_not_applied() -> None:
    """At lr 1e308 the first update leaves every weight finite, near +-1e308, so that a
    logit is inf - inf = NaN: the update is refused whole, moments and all."""
    trainer = Trainer(Config(lr=1e308))
    before = [p.data for p in trainer.model.parameters()]
    with pytest.raises(Diverged) as diverged:
        trainer.step()
    assert diverged.value.step == 1 and "outputs overflow" in diverged.value.what
    assert [p.data for p in trainer.model.parameters()] == before
    assert trainer.step_count == 0 and trainer.optimizer.t == 0
    assert set(trainer.optimizer.m) == {0.0} and set(trainer.optimizer.v) == {0.0}
    assert not trainer.outputs_overflow()
    assert all(map(math.isfinite, trainer.probabilities((2.0, -2.0))))


@pytest.mark.slow
async def test_lr_1e308_then_s_diverges_and_every_key_still_works() -> None:
    app = MicrogradApp(Config(lr=1e308))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.state == "diverged", timeout=30)
        assert app.step_count == 0
        assert "Diverged at step 1" in message(app)
        probs = app.query_one(ProbePanel).probabilities()
        assert probs is not None and all(map(math.isfinite, probs))
        await press_everything(pilot, app)
        assert app.state == "diverged"


@pytest.mark.slow
async def test_a_run_file_of_overflowing_weights_opens_diverged(tmp_path: Path) -> None:
    trainer, history = load_run(overflowing_run(tmp_path / "big.json", step=2))
    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "diverged", timeout=30)
        assert "loaded weights overflow" in message(app)
        head = app.query_one(ProbePanel).render().renderables[0]  # type: ignore[union-attr]
        assert "outputs overflow" in head.plain
        await press_everything(pilot, app)
        await pilot.press("s")  # no step can be taken from these weights
        await wait_until(pilot, lambda: app.state == "diverged" and not app.workers, timeout=30)
        assert app.step_count == 2 and "loaded weights" in message(app)
        await pilot.press("r")  # the run from its seed: finite again
        await wait_until(pilot, lambda: app.state == "paused" and app.step_count == 0, timeout=30)
        await pilot.press("s")
        await wait_until(pilot, lambda: app.step_count == 1 and app.state == "paused", timeout=30)
        assert math.isfinite(app.history[-1].val_loss)


def test_the_headless_run_of_overflowing_weights_exits_3_in_one_line(tmp_path: Path) -> None:
    path = overflowing_run(tmp_path / "big.json", step=2)
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "--headless", "--load", str(path), "--steps", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "diverged at step 3" in lines[0] and OVERFLOWING_WEIGHTS in lines[0]


async def test_a_run_saved_after_diverging_opens_to_weights_that_overflow_not_a_rate(
    tmp_path: Path,
) -> None:
    """lr 1e6: step 1's weights have an infinite loss, so step 2 diverged; saved at step
    1 and loaded at any rate, the next step diverges at those weights. The message said
    to lower the rate, which cannot help: r does."""
    trainer = Trainer(Config(lr=1e6))
    trainer.step()
    with pytest.raises(Diverged):
        trainer.step()
    save_run(tmp_path / "r.json", trainer, [])
    loaded, history = load_run(tmp_path / "r.json")
    loaded.optimizer.lr = 1e-6  # as --lr 1e-6 sets it
    app = MicrogradApp(trainer=loaded, history=history)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.state == "diverged")
        said = message(app)
        assert "step 1's loaded weights overflow" in said and "r starts" in said, said
        assert "--lr" not in said and "rate" not in said
