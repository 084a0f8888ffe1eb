"""Rewind: any step comes back bit for bit (weights, optimizer, record), and branches."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from micrograd.rewind import EVERY, Rewind, spacing
from micrograd.run import Record, initial_record, step_record
from micrograd.runs import load_run, save_run
from micrograd.training import Config, Trainer


def numbers(trainer: Trainer) -> tuple:
    """Everything a step depends on or shows: weights, optimizer state, batches, settings."""
    opt = trainer.optimizer
    return (
        trainer.step_count,
        trainer.epoch_count,
        [p.data for p in opt.params],
        opt.t,
        list(opt.m),
        list(opt.v),
        opt.lr,
        trainer.last_grads,
        trainer.last_update,
        trainer.batch_rng.state,
        list(trainer.batch_order),
        trainer.batch_pos,
        trainer.config,
        list(trainer.train_split),
    )


def unsaved(numbers: tuple) -> tuple:
    """numbers but the last step's gradients and update, which a run file does not keep."""
    return numbers[:7] + numbers[9:]


def train(trainer: Trainer, rewind: Rewind, steps: int, seen: dict, changes=None) -> None:
    """Take steps, noting each in rewind and keeping what the run had at each in seen;
    changes[step] is called between that step and the next (a retune, an edit)."""
    for _ in range(steps):
        if changes and trainer.step_count in changes:
            changes[trainer.step_count](trainer)
            rewind.changed(trainer)
            seen[trainer.step_count] = (numbers(trainer), seen[trainer.step_count][1])
        record = step_record(trainer)
        assert record is not None
        rewind.note(trainer, record)
        seen[record.step] = (numbers(trainer), record)


def start(config: Config, every: int = 0) -> tuple[Trainer, Rewind, dict]:
    trainer = Trainer(config)
    record = initial_record(trainer)
    return trainer, Rewind(trainer, None, every), {0: (numbers(trainer), record)}


STEPS = (0, 1, 2, 39, 40, 99, 100, 101, 150, 199, 200, 257, 299, 300)


@pytest.mark.parametrize(
    "config",
    [
        Config(),
        Config(batch_size=16, optimizer="momentum", lr=0.05),
        Config(batch_size=7, optimizer="sgd", hidden=(4,), n=60),
    ],
    ids=["adamw-full", "momentum-minibatch", "sgd-minibatch"],
)
def test_every_step_comes_back_exactly(config: Config) -> None:
    trainer, rewind, seen = start(config)
    train(trainer, rewind, 300, seen)
    for step in (*STEPS, *reversed(STEPS)):  # back and forth: no State is spoiled
        record = rewind.state_at(step, trainer)
        assert (numbers(trainer), record) == seen[step], step


def test_a_scrubbed_step_equals_the_headless_runs_line() -> None:
    trainer, rewind, seen = start(Config())
    train(trainer, rewind, 300, seen)
    out = subprocess.run(
        [sys.executable, "-m", "tui", "--headless", "--steps", "300", "--eval-every", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    lines = {e["step"]: e for e in map(json.loads, out.splitlines()) if "train_loss" in e}
    for step in (1, 39, 100, 173, 300):
        record = rewind.state_at(step, trainer)
        assert record.as_json() == lines[step]
        assert record == Record.from_json(lines[step])


def test_retunes_and_edits_replay_with_the_settings_of_their_step() -> None:
    changes = {
        50: lambda t: t.retune(lr=0.3),
        120: lambda t: t.add_point((0.5, 0.5), 2),
        130: lambda t: t.retune(batch_size=20),
        131: lambda t: t.remove_point(3),
    }
    trainer, rewind, seen = start(Config(), every=40)
    train(trainer, rewind, 200, seen, changes)
    for step in (0, 49, 50, 51, 119, 120, 121, 130, 131, 132, 160, 200, 50, 0):
        record = rewind.state_at(step, trainer)
        assert (numbers(trainer), record) == seen[step], step


@pytest.mark.parametrize("retune_first", [False, True])
def test_a_branch_goes_on_from_its_step_with_its_own_settings(retune_first: bool) -> None:
    trainer, rewind, seen = start(Config())
    train(trainer, rewind, 120, seen)
    record = rewind.state_at(40, trainer)
    if retune_first:  # the rate changed at the past step, before the branch began
        trainer.retune(lr=0.5)
    rewind.truncate(40, record)
    if not retune_first:
        trainer.retune(lr=0.5)
    rewind.changed(trainer)
    branch: dict = {40: seen[40]}
    train(trainer, rewind, 30, branch)
    assert rewind.end == 70
    # the same as a run that changed its rate at step 40
    other, other_rewind, other_seen = start(Config())
    train(other, other_rewind, 70, other_seen, {40: lambda t: t.retune(lr=0.5)})
    assert numbers(trainer) == numbers(other)
    for step in (39, 40, 41, 55, 70):
        record = rewind.state_at(step, trainer)
        assert (numbers(trainer), record) == other_seen[step], step
    with pytest.raises(ValueError, match="not in the run's steps 0 to 70"):
        rewind.state_at(71, trainer)


def test_a_loaded_run_replays_from_its_seed(tmp_path) -> None:
    trainer, rewind, seen = start(Config(batch_size=16))
    train(trainer, rewind, 130, seen)
    path = save_run(tmp_path / "run.json", trainer, [])
    loaded, _ = load_run(path)
    again = Rewind(loaded, seen[130][1])
    assert again.start == 130
    assert again.replay_from_seed(loaded)
    assert loaded.step_count == 130  # left as it was
    for step in (0, 37, 100, 129):
        record = again.state_at(step, loaded)
        assert (numbers(loaded), record) == seen[step], step
    assert again.state_at(130, loaded) == seen[130][1]
    assert unsaved(numbers(loaded)) == unsaved(seen[130][0])


def test_a_loaded_run_replays_its_retunes(tmp_path) -> None:
    changes = {
        20: lambda t: t.retune(lr=0.2),
        35: lambda t: t.retune(batch_size=16, weight_decay=0.0),
        60: lambda t: t.retune(lr=0.05),  # at the saved step itself
    }
    trainer, rewind, seen = start(Config(), every=25)
    train(trainer, rewind, 60, seen, changes)
    changes[60](trainer)
    path = save_run(tmp_path / "run.json", trainer, [])
    loaded, _ = load_run(path)
    again = Rewind(loaded, seen[60][1], every=25)
    assert again.replay_from_seed(loaded)
    for step in (0, 19, 20, 21, 35, 36, 50, 59):
        record = again.state_at(step, loaded)
        assert (numbers(loaded), record) == seen[step], step
    assert again.state_at(60, loaded) == seen[60][1]
    assert loaded.config.lr == 0.05


def test_a_replay_from_the_seed_says_how_far_it_got_and_can_be_given_up(tmp_path) -> None:
    """A long loaded run takes its every step again: it reports every PROGRESS_STEPS
    steps, and a should_stop that turns true gives up (None); asked again, it starts over
    and arrives."""
    trainer, rewind, seen = start(Config())
    train(trainer, rewind, 250, seen)
    path = save_run(tmp_path / "run.json", trainer, [])
    loaded, _ = load_run(path)
    again = Rewind(loaded, seen[250][1])
    heard: list[tuple[int, int]] = []
    assert (
        again.replay_from_seed(
            loaded,
            lambda: bool(heard) and heard[-1][0] >= 100,
            lambda done, of: heard.append((done, of)),
        )
        is None
    )
    assert heard == [(0, 250), (100, 250)]
    assert again.start == 250 and loaded.step_count == 250  # nothing kept, nothing moved
    heard.clear()
    assert again.replay_from_seed(loaded, lambda: False, lambda d, o: heard.append((d, o)))
    assert heard == [(0, 250), (100, 250), (200, 250)]
    assert again.start == 0
    record = again.state_at(150, loaded)
    assert (numbers(loaded), record) == seen[150]


@pytest.mark.parametrize("how", ["edited", "version 2"])
def test_a_loaded_run_that_cannot_be_replayed_keeps_only_its_loaded_step(tmp_path, how) -> None:
    edit = {20: lambda t: t.add_point((0.5, 0.5), 1)}
    retune = {20: lambda t: t.retune(lr=0.2)}
    trainer, rewind, seen = start(Config())
    train(trainer, rewind, 60, seen, edit if how == "edited" else retune)
    path = save_run(tmp_path / "run.json", trainer, [])
    if how == "version 2":  # its settings' changes are not known
        doc = json.loads(path.read_text())
        doc["version"] = 2
        del doc["settings"]
        path.write_text(json.dumps(doc))
    loaded, _ = load_run(path)
    again = Rewind(loaded, seen[60][1])
    assert not again.replay_from_seed(loaded)
    assert again.start == 60
    assert again.state_at(60, loaded) == seen[60][1]
    assert unsaved(numbers(loaded)) == unsaved(seen[60][0])


def test_states_are_sparse() -> None:
    assert spacing(Config()) == EVERY
    assert spacing(Config(n=2000, hidden=(16, 16))) < EVERY
    trainer, rewind, seen = start(Config(), every=25)
    train(trainer, rewind, 100, seen)
    assert [s.step for s in rewind.states] == [0, 25, 50, 75, 100]
