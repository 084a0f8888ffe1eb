"""The app's w key: a save never replaces another run's file; a run stops at its last step."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import Static

from micrograd.runs import LAST_STEP, load_run
from micrograd.training import Config
from tests.pilot_helpers import SIZE, idle, step, wait_until
from tui.app import MicrogradApp

REPO = Path(__file__).resolve().parents[2]


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message", Static).render())


async def save_after_steps(app: MicrogradApp, steps: int) -> str:
    """Take steps with s, press w, wait until the save is reported; returns what it said."""
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(steps):
            await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app) and idle(app))
        return message(app)


async def test_two_runs_with_other_settings_keep_their_own_files(tmp_path: Path) -> None:
    # both used to be written to micrograd-run-seed42-step3.json, the second over the first
    first, second = Config(n=300), Config(hidden=(16,), lr=0.05)
    await save_after_steps(MicrogradApp(first, save_dir=tmp_path), 3)
    await save_after_steps(MicrogradApp(second, save_dir=tmp_path), 3)
    files = sorted(tmp_path.glob("*.json"))
    assert [p.name for p in files] == [
        "micrograd-run-seed42-step3-2.json",
        "micrograd-run-seed42-step3.json",
    ]
    assert {load_run(p)[0].config for p in files} == {first, second}
    assert not list(tmp_path.glob(".*.tmp"))


async def test_w_after_load_with_another_lr_leaves_the_loaded_file(tmp_path: Path) -> None:
    await save_after_steps(MicrogradApp(Config(), save_dir=tmp_path), 2)
    (loaded_file,) = tmp_path.glob("*.json")
    before = loaded_file.read_bytes()

    # the same run, loaded and saved at once: the same bytes, so the same file
    trainer, history = load_run(loaded_file)
    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    said = await save_after_steps(app, 0)
    assert list(tmp_path.glob("*.json")) == [loaded_file] and loaded_file.name in said

    # --load f --lr 0.01, then w at the same step: other settings, another file
    trainer, history = load_run(loaded_file)
    trainer.config = dataclasses.replace(trainer.config, lr=0.01)
    trainer.optimizer.lr = 0.01
    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    said = await save_after_steps(app, 0)
    assert loaded_file.read_bytes() == before
    (other,) = set(tmp_path.glob("*.json")) - {loaded_file}
    assert load_run(other)[0].config.lr == 0.01 and other.name in said


async def test_a_run_at_the_last_step_takes_no_step_and_still_saves(tmp_path: Path) -> None:
    await save_after_steps(MicrogradApp(Config(), save_dir=tmp_path), 1)
    (path,) = tmp_path.glob("*.json")
    doc = json.loads(path.read_text())
    doc.update(step=LAST_STEP, history=[])
    doc["optimizer"]["t"] = LAST_STEP
    path.write_text(json.dumps(doc))
    trainer, history = load_run(path)

    app = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path / "out")
    (tmp_path / "out").mkdir()
    async with app.run_test(size=SIZE) as pilot:
        for key in ("s", "space"):
            await pilot.press(key)
            await wait_until(pilot, lambda: "last a run can count" in message(app))
            await wait_until(pilot, lambda: idle(app))
            assert app.step_count == app.trainer.step_count == LAST_STEP
            app.show_message("")
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app) and idle(app))
    (saved,) = (tmp_path / "out").glob("*.json")
    assert load_run(saved)[0].step_count == LAST_STEP  # it loads: nothing lost


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_runs_saved_into_the_checkout_are_ignored_by_git() -> None:
    names = [
        "micrograd-run-seed42-step3.json",
        "micrograd-run-seed7-step120-2.json",
        ".micrograd-run-seed42-step3.json.4242.0123456789ab.tmp",
    ]
    proc = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "--no-index", *names],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode == 128:
        pytest.skip(f"not a git checkout: {proc.stderr.strip()}")
    assert proc.stdout.split() == names
