"""Saved runs: exact round trips and resumes, atomic writes, and every rejection, in one line."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import micrograd
from micrograd import Config, RunFileError, Trainer, load_run, save_run
from micrograd.runs import (
    FORMAT,
    LAST_STEP,
    MAX_HISTORY,
    MAX_OBJECTS,
    MAX_RUN_BYTES,
    VERSION,
    History,
    run_to_json,
    save_new_run,
)


def train(trainer: Trainer, steps: int, history: list[dict] | None = None) -> list[dict]:
    """steps updates, returning their records (appended to history if given)."""
    history = [] if history is None else history
    for _ in range(steps):
        r = trainer.step()
        history.append({"step": r.step, "train_loss": r.train_loss, "train_acc": r.train_acc})
    return history


def state(trainer: Trainer) -> tuple:
    opt = trainer.optimizer
    return (
        trainer.config,
        trainer.step_count,
        [p.data for p in trainer.model.parameters()],
        opt.t,
        list(opt.m),
        list(opt.v),
    )


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A valid run file after 3 steps of the default config."""
    trainer = Trainer()
    path = tmp_path / "run.json"
    save_run(path, trainer, train(trainer, 3))
    return path


def rewrite(path: Path, change) -> Path:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))
    return path


def rejects(path: Path, *words: str) -> str:
    """load_run(path) fails with a one-line RunFileError naming the file and each word."""
    with pytest.raises(RunFileError) as info:
        load_run(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message or repr(str(path)) in message
    for word in words:
        assert word in message, message
    return message


# ------------------------------------------------------------- round trips


def test_the_package_exports_the_api():
    assert {"save_run", "load_run", "RunFileError"} <= set(micrograd.__all__)
    assert issubclass(RunFileError, ValueError)


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_save_then_load_restores_every_number(tmp_path, steps):
    trainer = Trainer(Config(seed=7, n=60, hidden=(5, 4), lr=0.05, weight_decay=0.0))
    history = train(trainer, steps)
    history[-1:] = [{**h, "val_loss": 0.5, "val_acc": 1.0} for h in history[-1:]]
    save_run(tmp_path / "r.json", trainer, history)
    loaded, loaded_history = load_run(tmp_path / "r.json")
    assert state(loaded) == state(trainer)
    assert loaded_history == history
    assert loaded.train_split == trainer.train_split
    assert loaded.val_split == trainer.val_split


def test_the_file_is_the_documented_format(saved):
    doc = json.loads(saved.read_text())
    assert doc["format"] == FORMAT == "micrograd-tui-run"
    assert doc["version"] == VERSION == 3
    assert set(doc) == {
        *("format", "version", "config", "step", "params", "optimizer", "history"),
        *("data", "batch", "settings"),
    }
    assert doc["settings"] == [[0, 0.1, 1e-4, None]]
    assert doc["config"] == {
        "seed": 42,
        "n": 100,
        "hidden": [8],
        "lr": 0.1,
        "betas": [0.9, 0.95],
        "eps": 1e-8,
        "weight_decay": 1e-4,
        "dataset": "taichi",
        "noise": 0.0,
        "features": ["x", "y"],
        "activation": "tanh",
        "optimizer": "adamw",
        "batch_size": None,
        "split": 0.8,
    }
    assert doc["data"] is None  # not edited: rebuilt from the config
    assert doc["batch"]["epoch"] == 3 and doc["batch"]["order"] == []
    assert doc["step"] == 3 and doc["optimizer"]["t"] == 3
    assert len(doc["params"]) == len(doc["optimizer"]["m"]) == len(doc["optimizer"]["v"]) == 51
    assert [h["step"] for h in doc["history"]] == [1, 2, 3]


@pytest.mark.parametrize(
    "config, fast",
    [
        pytest.param(Config(), True, id="default"),
        pytest.param(Config(hidden=(16, 16)), True, id="hidden-16-16"),
        pytest.param(Config(seed=3, n=40, lr=0.3), True, id="seed3-n40-lr0.3"),
        pytest.param(Config(), False, id="default-textbook-graph"),
    ],
)
def test_resuming_continues_exactly_as_the_uninterrupted_run(tmp_path, config, fast):
    before, after = 4, 5
    uninterrupted = Trainer(config, fast=fast)
    expected = train(uninterrupted, before + after)

    first = Trainer(config, fast=fast)
    history = train(first, before)
    save_run(tmp_path / "r.json", first, history)
    resumed, history = load_run(tmp_path / "r.json", fast=fast)
    train(resumed, after, history)

    assert history == expected  # == on floats: bit for bit
    assert state(resumed) == state(uninterrupted)
    assert resumed.evaluate(resumed.val_split) == uninterrupted.evaluate(uninterrupted.val_split)


def test_a_run_saved_at_step_0_resumes_exactly(tmp_path):
    save_run(tmp_path / "r.json", Trainer(), [])
    resumed, history = load_run(tmp_path / "r.json")
    assert history == [] and resumed.step_count == 0
    assert train(resumed, 3) == train(Trainer(), 3)


def test_saving_twice_replaces_the_file_and_a_chain_of_resumes_stays_exact(tmp_path):
    path = tmp_path / "r.json"
    trainer, history = Trainer(), []
    save_run(path, trainer, history)
    for _ in range(3):
        trainer, history = load_run(path)
        train(trainer, 2, history)
        save_run(path, trainer, history)
    assert load_run(path)[1] == train(Trainer(), 6)
    assert os.listdir(tmp_path) == ["r.json"]


def test_infinite_metrics_load_back_infinite_and_nan_as_null(tmp_path):
    """Strict JSON has no inf: a diverged run's `val inf` is saved as "inf" (it used to be
    null, which loads as NaN: `val nan` after --load)."""
    from micrograd.run import Record

    trainer = Trainer()
    history = [*train(trainer, 2)]
    history[0].update(val_loss=math.inf, val_acc=0.5)
    history[1].update(train_loss=-math.inf, val_loss=math.nan, val_acc=0.5)
    save_run(tmp_path / "r.json", trainer, history)
    text = (tmp_path / "r.json").read_text()
    assert "Infinity" not in text and "NaN" not in text
    loaded = load_run(tmp_path / "r.json")[1]
    assert loaded[0]["val_loss"] == "inf" and loaded[1]["val_loss"] is None
    records = [Record.from_json(r) for r in loaded]
    assert records[0].val_loss == math.inf and records[1].train_loss == -math.inf
    assert math.isnan(records[1].val_loss)
    assert Record.from_json(records[0].as_json()) == records[0]  # and a headless line


def test_a_metric_that_is_a_string_other_than_inf_is_refused(saved):
    rejects(rewrite(saved, lambda d: d["history"][0].__setitem__("val_loss", "nan")), "number")
    rejects(rewrite(saved, lambda d: d["history"][0].__setitem__("step", "inf")), "step")


def test_save_returns_the_path_and_honours_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        written = save_run(str(tmp_path / "r.json"), Trainer(), [])
    finally:
        os.umask(old)
    assert written == tmp_path / "r.json"
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------ atomic writes


@pytest.mark.parametrize("breaks", ["os.fsync", "os.replace", "write"])
def test_a_crash_mid_save_keeps_the_old_file_and_leaves_no_temp_file(saved, monkeypatch, breaks):
    before = saved.read_bytes()
    trainer, history = load_run(saved)
    train(trainer, 2, history)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if breaks == "write":
        real_fdopen = os.fdopen

        def fdopen(*args, **kwargs):
            f = real_fdopen(*args, **kwargs)
            real_write = f.write
            f.write = lambda text: (real_write(text[: len(text) // 2]), boom())
            return f

        monkeypatch.setattr(os, "fdopen", fdopen)
    else:
        monkeypatch.setattr(breaks, boom)
    with pytest.raises(OSError, match="No space"):
        save_run(saved, trainer, history)
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]
    assert load_run(saved)[0].step_count == 3


def test_an_interrupt_mid_save_also_cleans_up(saved, monkeypatch):
    before = saved.read_bytes()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_run(saved, Trainer(), [])
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]


def test_saving_into_a_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        save_run(tmp_path / "nope" / "r.json", Trainer(), [])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_saving_over_something_not_a_file_raises_and_leaves_it(tmp_path):
    # the rename replaced whatever was there: --save /dev/full (as root) left a JSON file
    # where the device had been
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        save_run(fifo, Trainer(), [])
    assert fifo.is_fifo() and os.listdir(tmp_path) == ["fifo"]


def test_saving_through_a_link_keeps_the_link_and_writes_its_file(tmp_path):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    trainer = Trainer()
    history = train(trainer, 2)
    assert save_run(link, trainer, history) == target
    assert link.is_symlink() and link.resolve() == target
    loaded, _ = load_run(target)
    assert state(loaded) == state(trainer)


# -------------------------------------------------------------- rejections


def test_missing_file(tmp_path):
    rejects(tmp_path / "nope.json", "no such file")


def test_a_folder(tmp_path):
    rejects(tmp_path, "folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    rejects(tmp_path / "fifo", "not a regular file")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(saved):
    saved.chmod(0)
    try:
        rejects(saved, "cannot read", "Permission denied")
    finally:
        saved.chmod(0o644)


def test_a_path_with_a_nul_byte():
    with pytest.raises(RunFileError, match="cannot read"):
        load_run("bad\0name.json")


def test_a_path_with_a_newline_is_shown_on_one_line(tmp_path):
    with pytest.raises(RunFileError) as info:
        load_run(tmp_path / "two\nlines.json")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("keep", [0, 1, 10, 100, "half", "all but the last brace"])
def test_truncated_file(saved, keep):
    data = saved.read_bytes()
    assert data.endswith(b"}\n")
    size = {"half": len(data) // 2, "all but the last brace": len(data) - 2}.get(keep, keep)
    saved.write_bytes(data[:size])
    message = rejects(saved)
    assert "empty" in message or "not valid JSON" in message


def test_empty_file(saved):
    saved.write_bytes(b"")
    rejects(saved, "empty")


def test_not_utf8(saved):
    saved.write_bytes(b'{"format": "\xff\xfe"}')
    rejects(saved, "UTF-8")


def test_garbage(saved):
    saved.write_bytes(b"\x00\x01PK\x03\x04 a zip, maybe")
    rejects(saved, "not valid JSON")


def test_a_pickle_is_not_unpickled(saved):
    import pickle

    saved.write_bytes(pickle.dumps({"format": FORMAT}))
    rejects(saved)


@pytest.mark.parametrize(
    "text, kind",
    [("[]", "a list of 0"), ("42", "42"), ('"run"', "string"), ("null", "null")],
)
def test_top_level_not_an_object(saved, text, kind):
    saved.write_text(text)
    rejects(saved, "not a micrograd-tui run", kind)


@pytest.mark.parametrize("fmt", [None, "micrograd-run", 1, ["micrograd-tui-run"]])
def test_not_our_format(saved, fmt):
    rejects(rewrite(saved, lambda d: d.update(format=fmt)), "not a micrograd-tui run")


def test_no_format_key(saved):
    rejects(rewrite(saved, lambda d: d.pop("format")), "not a micrograd-tui run")


def test_someone_elses_json(saved):
    saved.write_text('{"name": "my-package", "version": "1.0.0"}')
    rejects(saved, "not a micrograd-tui run")


def test_a_newer_version(saved):
    rejects(rewrite(saved, lambda d: d.update(version=4)), "newer", "version 4", "upgrade")


def as_version_1(doc: dict) -> None:
    """A run file as version 1 wrote it: no data, batch or playground settings."""
    doc["version"] = 1
    del doc["data"], doc["batch"], doc["settings"]
    for key in ("dataset", "noise", "features", "activation", "optimizer", "batch_size", "split"):
        del doc["config"][key]


def as_version_2(doc: dict) -> None:
    """A run file as version 2 wrote it: no live settings' changes."""
    doc["version"] = 2
    del doc["settings"]


def test_a_version_2_file_loads_its_settings_unknown_and_resumes_exactly(saved):
    loaded, _ = load_run(rewrite(saved, as_version_2))
    assert loaded.settings == []  # not known: a rewind replays with the config as saved
    uninterrupted = Trainer()
    train(uninterrupted, 3)
    assert state(loaded) == state(uninterrupted)
    assert loaded.step().train_loss == uninterrupted.step().train_loss


def test_a_version_2_file_with_version_3_keys_is_refused(saved):
    rejects(
        rewrite(saved, lambda d: d.update(version=2)),
        "unexpected key 'settings'",
    )


def test_the_live_settings_round_trip(tmp_path):
    trainer = Trainer()
    train(trainer, 2)
    trainer.retune(lr=0.2)
    train(trainer, 2)
    trainer.retune(batch_size=16, weight_decay=0.0)
    path = save_run(tmp_path / "r.json", trainer, [])
    loaded, _ = load_run(path)
    assert (
        loaded.settings
        == trainer.settings
        == [
            (0, 0.1, 1e-4, None),
            (2, 0.2, 1e-4, None),
            (4, 0.2, 0.0, 16),
        ]
    )


def test_settings_set_without_retune_are_saved_from_their_step(tmp_path):
    """A config replaced whole (not by retune): the file still loads, the change at the step."""
    trainer = Trainer()
    train(trainer, 2)
    trainer.config = dataclasses.replace(trainer.config, lr=0.01)
    trainer.optimizer.lr = 0.01
    loaded, _ = load_run(save_run(tmp_path / "r.json", trainer, []))
    assert loaded.settings == [(0, 0.1, 1e-4, None), (2, 0.01, 1e-4, None)]
    trainer.settings = []  # not known (a version 2 file's): saved as not known
    loaded, _ = load_run(save_run(tmp_path / "r.json", trainer, []))
    assert loaded.settings == []


@pytest.mark.parametrize(
    "settings, words",
    [
        (None, '"settings" must be a list'),
        ([[0, 0.1, 1e-4]], '"settings"[0] must be [step, lr'),
        ([[1, 0.1, 1e-4, None]], "the first must be at step 0"),
        ([[0, 0.2, 1e-4, None], [0, 0.1, 1e-4, None]], "rising steps"),
        ([[0, 0.2, 1e-4, None], [4, 0.1, 1e-4, None]], "up to the run's 3"),
        ([[0, -1, 1e-4, None]], '"settings"[0]: lr: must be a finite number > 0'),
        ([[0, 0.1, 1e-4, 0]], '"settings"[0]: batch_size'),
        ([[0, 0.2, 1e-4, None]], "must end with the config's lr"),
        ([["0", 0.1, 1e-4, None]], '"settings"[0][0] must be an integer'),
    ],
)
def test_bad_settings_are_refused_in_one_line(saved, settings, words):
    rejects(rewrite(saved, lambda d: d.update(settings=settings)), words)


def test_a_version_1_file_loads_and_resumes_exactly(saved):
    """Files of the format before the playground settings are the tutorial's setup:
    they load and continue as the uninterrupted run."""
    loaded, history = load_run(rewrite(saved, as_version_1))
    assert loaded.config == Config()
    assert loaded.step_count == loaded.epoch_count == 3
    uninterrupted = Trainer()
    train(uninterrupted, 3)
    assert state(loaded) == state(uninterrupted)
    assert [loaded.step().train_loss for _ in range(2)] == [
        uninterrupted.step().train_loss for _ in range(2)
    ]


def test_a_version_1_file_has_a_hidden_layer(saved):
    """No hidden layer is a setting of version 2: a version 1 file without one is damaged."""
    rejects(
        rewrite(saved, lambda d: (as_version_1(d), d["config"].update(hidden=[]))),
        '"config.hidden" must be layer sizes from 1 to 1024',
    )


def test_a_version_1_file_with_version_2_keys_is_refused(saved):
    rejects(
        rewrite(saved, lambda d: (as_version_1(d), d.update(data=None))),
        "unexpected key 'data'",
    )


@pytest.mark.parametrize("version", [0, -1])
def test_an_unknown_older_version(saved, version):
    rejects(rewrite(saved, lambda d: d.update(version=version)), f"version {version}")


@pytest.mark.parametrize("version", ["1", 1.0, True, None])
def test_version_of_the_wrong_type(saved, version):
    rejects(rewrite(saved, lambda d: d.update(version=version)), '"version" must be an integer')


@pytest.mark.parametrize("key", ["config", "step", "params", "optimizer", "history"])
def test_missing_key(saved, key):
    rejects(rewrite(saved, lambda d: d.pop(key)), repr(key))


def test_unexpected_key(saved):
    rejects(rewrite(saved, lambda d: d.update(extra=1)), "unexpected key 'extra'")


def test_duplicate_key(saved):
    text = saved.read_text()
    saved.write_text(text.replace('"step":3', '"step":3,"step":4', 1))
    rejects(saved, "twice", "'step'")


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("config", [], ['"config" must be an object']),
        ("step", "3", ['"step" must be an integer']),
        ("step", 3.0, ['"step" must be an integer']),
        ("step", True, ['"step" must be an integer']),
        ("step", -1, ['"step" must be an integer from 0']),
        ("step", 2**60, ['"step" must be an integer from 0']),
        ("params", {}, ['"params" must be a list']),
        ("optimizer", [1, 2], ['"optimizer" must be an object']),
        ("history", {}, ['"history" must be a list']),
    ],
)
def test_wrong_types_at_the_top(saved, key, value, words):
    rejects(rewrite(saved, lambda d: d.update({key: value})), *words)


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("seed", "42", ['"config.seed" must be an integer']),
        ("seed", 4.2, ['"config.seed" must be an integer']),
        ("seed", 0, ['"config.seed" must be an integer from 1 to 2**64 - 1']),
        ("seed", -5, ['"config.seed" must be an integer from 1 to 2**64 - 1']),
        ("seed", 2**64, ['"config.seed" must be an integer from 1 to 2**64 - 1']),
        ("n", None, ['"config.n" must be an integer']),
        ("n", 5, ['"config.n" must be an integer from 6 to 20000']),
        ("n", 10_000_000, ['"config.n" must be an integer from 6 to 20000']),
        ("hidden", 8, ['"config.hidden" must be a list of integers']),
        ("hidden", [8.0], ['"config.hidden" must be a list of integers']),
        ("hidden", [0], ['"config.hidden" must be layer sizes from 1 to 1024']),
        ("lr", "0.1", ['"config.lr" must be a number']),
        ("lr", False, ['"config.lr" must be a number']),
        ("lr", 0, ['"config.lr" must be a finite number > 0']),
        ("lr", -0.1, ['"config.lr" must be a finite number > 0']),
        ("lr", 1e400, ["holds Infinity"]),  # json.dumps writes the literal Infinity
        ("betas", [0.9], ['"config.betas" must be a list of two numbers']),
        ("betas", [0.9, "x"], ['"config.betas"[1] must be a number']),
        ("betas", [0.9, 1.0], ['"config.betas" must be two numbers in [0, 1)']),
        ("eps", -1, ['"config.eps" must be a finite number > 0']),
        ("weight_decay", [], ['"config.weight_decay" must be a number']),
    ],
)
def test_invalid_config(saved, key, value, words):
    rejects(rewrite(saved, lambda d: d["config"].update({key: value})), *words)


def test_config_missing_key(saved):
    rejects(rewrite(saved, lambda d: d["config"].pop("lr")), '"config" has no', "'lr'")


def test_config_unexpected_key(saved):
    rejects(rewrite(saved, lambda d: d["config"].update(fast=True)), "unexpected key 'fast'")


@pytest.mark.parametrize("where", ["params", "m", "v"])
@pytest.mark.parametrize("delta", [-1, 1], ids=["one-short", "one-extra"])
def test_wrong_shape(saved, where, delta):
    def change(d):
        xs = d["params"] if where == "params" else d["optimizer"][where]
        if delta < 0:
            xs.pop()
        else:
            xs.append(0.0)

    rejects(rewrite(saved, change), f"{50 + delta + 1} numbers", "expected 51")


def test_weights_for_another_architecture(saved):
    message = rejects(rewrite(saved, lambda d: d["config"].update(hidden=[16, 16])))
    assert "expected 371" in message and "MLP(2, [16, 16, 3])" in message


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("where", ["params", "m", "v"])
def test_nan_and_infinite_literals(saved, literal, where):
    text = saved.read_text()
    doc = json.loads(text)
    xs = doc["params"] if where == "params" else doc["optimizer"][where]
    xs[3] = "__HERE__"
    saved.write_text(json.dumps(doc).replace('"__HERE__"', literal))
    rejects(saved, literal)


@pytest.mark.parametrize("big", ["1e400", "-1e999", "1" + "0" * 400])
def test_numbers_too_large_for_a_float(saved, big):
    doc = json.loads(saved.read_text())
    doc["params"][0] = "__HERE__"
    saved.write_text(json.dumps(doc).replace('"__HERE__"', big))
    rejects(saved, '"params"[0] must be a finite number')


def test_an_integer_with_too_many_digits(saved):
    doc = json.loads(saved.read_text())
    doc["params"][0] = "__HERE__"
    saved.write_text(json.dumps(doc).replace('"__HERE__"', "9" * 5000))
    rejects(saved, "not valid JSON")


@pytest.mark.parametrize(
    "where, value, words",
    [
        ("params", "0.5", ['"params"[7] must be a number']),
        ("params", None, ['"params"[7] must be a number, got null']),
        ("params", [0.5], ['"params"[7] must be a number']),
        ("params", True, ['"params"[7] must be a number, got true']),
        ("m", {}, ['"optimizer.m"[7] must be a number']),
        ("v", -1e-9, ['"optimizer.v"[7]', "must be >= 0"]),
    ],
)
def test_wrong_leaf_types(saved, where, value, words):
    def change(d):
        (d["params"] if where == "params" else d["optimizer"][where])[7] = value

    rejects(rewrite(saved, change), *words)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda o: o.pop("t"), ['"optimizer" has no', "'t'"]),
        (lambda o: o.update(t=-1), ['"optimizer.t" must be an integer']),
        (lambda o: o.update(t="3"), ['"optimizer.t" must be an integer']),
        (lambda o: o.update(m=None), ['"optimizer.m" must be a list']),
        (lambda o: o.update(lr=0.1), ["unexpected key 'lr'"]),
    ],
)
def test_invalid_optimizer(saved, change, words):
    rejects(rewrite(saved, lambda d: change(d["optimizer"])), *words)


@pytest.mark.parametrize(
    "record, words",
    [
        (7, ['"history"[1] must be an object']),
        ({}, ['"history"[1].step must be an integer from 1 to 3']),
        ({"step": 0}, ['"history"[1].step must be an integer from 1 to 3']),
        ({"step": 9}, ['"history"[1].step must be an integer from 1 to 3']),
        ({"step": 2, "train_loss": "low"}, ["\"history\"[1]['train_loss'] must be a number"]),
        ({"step": 2, "train_loss": [1]}, ["\"history\"[1]['train_loss'] must be a number"]),
    ],
)
def test_invalid_history(saved, record, words):
    rejects(rewrite(saved, lambda d: d["history"].__setitem__(1, record)), *words)


def test_history_allows_null_metrics_and_extra_metrics(saved):
    def change(d):
        d["history"][0]["val_loss"] = None
        d["history"][1]["test_acc"] = 0.5

    _, history = load_run(rewrite(saved, change))
    assert history[0]["val_loss"] is None and history[1]["test_acc"] == 0.5


def test_deeply_nested_json(saved):
    saved.write_text("[" * 100_000 + "]" * 100_000)
    rejects(saved)


def test_too_large(saved):
    with open(saved, "r+b") as f:
        f.truncate(MAX_RUN_BYTES + 1)  # sparse: no 50 MB actually written
    rejects(saved, "too large")


def test_run_to_json_is_strict_json():
    doc = run_to_json(Trainer(), [])
    json.dumps(doc, allow_nan=False)


# --------------------------------------------------- bounded, well-formed histories


def synthetic_history(steps: int, eval_every: int = 10):
    """Records like a headless run's, made up (no training): validation every eval_every."""
    for k in range(1, steps + 1):
        record = {"step": k, "train_loss": 1.0 / k, "train_acc": 0.5 + 0.4 * (k % 7) / 7}
        if k % eval_every == 0 or k == steps:
            record.update(val_loss=2.0 / k, val_acc=0.75)
        yield record


def test_a_760k_step_history_saves_within_the_bound_and_loads_back(tmp_path):
    # a 760,000-step run saved a 54.7 MB file that --load refused as too large
    trainer = Trainer()
    trainer.step_count = trainer.optimizer.t = 760_000
    path = save_run(tmp_path / "long.json", trainer, synthetic_history(760_000))
    assert path.stat().st_size < MAX_RUN_BYTES // 10
    loaded, history = load_run(path)
    assert loaded.step_count == 760_000
    steps = [h["step"] for h in history]
    assert len(steps) <= MAX_HISTORY and steps == sorted(set(steps))
    assert steps[0] == 1 and steps[-1] == 760_000
    newest = MAX_HISTORY // 2
    assert steps[-newest:] == list(range(760_001 - newest, 760_001))  # the newest, whole
    thinned = history[1:-newest]
    assert thinned and all("val_loss" in h for h in thinned)  # evaluated steps kept first
    last = {"step": 760_000, "train_loss": 1 / 760_000, "train_acc": 0.5 + 0.4 * 3 / 7}
    assert history[-1] == {**last, "val_loss": 2 / 760_000, "val_acc": 0.75}


def test_history_keeps_the_first_the_newest_and_one_per_stride_between():
    history = History(limit=100)
    for record in synthetic_history(100_000, eval_every=1):
        history.append(record)
        assert len(history) <= 100
    steps = [r["step"] for r in history.records]
    assert steps[0] == 1 and steps[-50:] == list(range(99_951, 100_001))
    older = steps[1:-50]
    # the whole curve, evenly: one record per stride of steps, from the start on
    assert history.stride >= 1024 and older[0] < 1 + history.stride
    assert {b - a for a, b in zip(older[1:], older[2:])} == {history.stride}
    assert older[-1] > 99_951 - 2 * history.stride


def test_a_history_at_the_bound_loads_and_one_more_record_is_refused(saved):
    def history_of(count):
        return lambda d: d.update(
            step=count, history=list(synthetic_history(count)), optimizer={**d["optimizer"]}
        )

    _, history = load_run(rewrite(saved, history_of(MAX_HISTORY)))
    assert len(history) == MAX_HISTORY
    message = rejects(rewrite(saved, history_of(MAX_HISTORY + 1)))
    assert message.endswith(
        f'"history" has {MAX_HISTORY + 1} records; a run file holds at most {MAX_HISTORY}'
    )


def test_millions_of_tiny_objects_are_refused_while_parsing(saved):
    # 4.7M records of one key each took 1.9 GB to parse before the count was checked
    doc = json.loads(saved.read_text())
    text = json.dumps(doc)[:-1] + ', "junk": [' + ",".join(["{}"] * (MAX_OBJECTS + 1)) + "]}"
    saved.write_text(text)
    rejects(saved, f"over {MAX_OBJECTS} JSON objects")


@pytest.mark.parametrize(
    "change, words",
    [
        # out of order, and the same step twice
        (lambda h: h.reverse(), ['"history"[1] is step 2 after step 3', "in order"]),
        (lambda h: h.insert(1, h[0]), ['"history"[1] is step 1 after step 1', "each step once"]),
        # the metrics every step has
        (lambda h: h[1].pop("train_loss"), ["\"history\"[1] (step 2) has no 'train_loss'"]),
        (lambda h: h[2].pop("train_acc"), ["\"history\"[2] (step 3) has no 'train_acc'"]),
        (lambda h: h[2].update(val_loss=0.5), ["(step 3) has 'val_loss' but no 'val_acc'"]),
        (lambda h: h[0].update(val_acc=0.5), ["(step 1) has 'val_acc' but no 'val_loss'"]),
        # ends where the run is: step 3
        (lambda h: h.pop(), ['"history" ends at step 2, but the run is at step 3']),
    ],
)  # fmt: skip
def test_histories_out_of_order_duplicated_incomplete_or_short_are_refused(saved, change, words):
    rejects(rewrite(saved, lambda d: change(d["history"])), *words)


def test_a_loaded_history_that_begins_later_or_is_empty_still_loads(saved):
    _, history = load_run(rewrite(saved, lambda d: d["history"].pop(0)))
    assert [h["step"] for h in history] == [2, 3]
    _, history = load_run(rewrite(saved, lambda d: d.update(history=[])))
    assert history == []


# ------------------------------------------------------------------- eps and AdamW


@pytest.mark.parametrize("eps", [0, 0.0])
def test_eps_zero_is_refused_at_load(saved, eps):
    message = rejects(rewrite(saved, lambda d: d["config"].update(eps=eps)))
    assert (
        message
        == f'{saved}: "config.eps" must be a finite number > 0 (AdamW adds it to sqrt(v)), got 0'
    )


def test_adamw_at_eps_zero_gives_a_zero_gradient_a_zero_update():
    from micrograd import AdamW, Value

    p, q = Value(0.5), Value(-2.0)
    opt = AdamW([p, q], lr=0.1, eps=0.0)
    p.grad, q.grad = 0.0, 3.0
    opt.step()  # ZeroDivisionError before: 0 / (sqrt(0) + 0)
    assert p.data == 0.5 and opt.m[0] == opt.v[0] == 0.0
    assert q.data == pytest.approx(-2.1)  # the usual first Adam step: lr * sign(g)


# ----------------------------------------------------------------- error wording


def test_a_file_too_large_says_so_in_one_clause(saved):
    with open(saved, "r+b") as f:
        f.truncate(MAX_RUN_BYTES + 1)
    message = rejects(saved)
    assert (
        message
        == f"{saved}: is too large ({MAX_RUN_BYTES + 1} bytes; the limit is {MAX_RUN_BYTES})"
    )


def test_a_folder_says_so_in_one_clause(tmp_path):
    with pytest.raises(RunFileError) as info:
        load_run(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder, not a run file"


# --------------------------------------------------------------- the last step


def test_a_run_at_the_last_step_saves_and_loads(saved, tmp_path):
    rewrite(saved, lambda d: d.update(step=LAST_STEP, history=[]))
    rewrite(saved, lambda d: d["optimizer"].update(t=LAST_STEP))
    trainer, _ = load_run(saved)
    again = save_run(tmp_path / "again.json", trainer, [])
    assert load_run(again)[0].step_count == LAST_STEP == 2**53 - 1


# ------------------------------------------------- saves never replace another run


def test_save_new_run_never_replaces_a_different_run(tmp_path):
    a, b = Trainer(Config(n=300)), Trainer(Config(hidden=(16,), lr=0.05))
    history_a, history_b = train(a, 3), train(b, 3)
    first = save_new_run(tmp_path, "micrograd-run-seed42-step3", a, history_a)
    second = save_new_run(tmp_path, "micrograd-run-seed42-step3", b, history_b)
    assert first.name == "micrograd-run-seed42-step3.json"
    assert second.name == "micrograd-run-seed42-step3-2.json"
    assert load_run(first)[0].config == a.config and load_run(second)[0].config == b.config
    # the same run at the same step is the same file: not saved twice
    assert save_new_run(tmp_path, "micrograd-run-seed42-step3", b, history_b) == second
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


def test_save_new_run_leaves_a_file_that_is_not_a_run(tmp_path):
    (tmp_path / "r.json").write_text("my notes")
    assert save_new_run(tmp_path, "r", Trainer(), []).name == "r-2.json"
    assert (tmp_path / "r.json").read_text() == "my notes"


# --------------------------------------------- temporary files of a killed save


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    return int(proc.stdout)


def test_a_save_removes_stale_temp_files_of_ours_only(tmp_path):
    stale = tmp_path / f".r.json.{dead_pid()}.0123456789ab.tmp"  # its writer is gone
    live = tmp_path / f".r.json.{os.getppid()}.0123456789ab.tmp"  # a writer still running
    old_live = tmp_path / f".other.json.{os.getppid()}.abcdefabcdef.tmp"
    old_unnumbered = tmp_path / ".r.json.0123456789ab.tmp"
    recent_unnumbered = tmp_path / ".r.json.ba9876543210.tmp"
    not_ours = [tmp_path / ".notes.tmp", tmp_path / f".r.json.{dead_pid()}.xyz.tmp"]
    for p in [stale, live, old_live, old_unnumbered, recent_unnumbered, *not_ours]:
        p.write_text("half a run")
    hours_ago = time.time() - 2 * 3600
    for p in [old_live, old_unnumbered]:
        os.utime(p, (hours_ago, hours_ago))
    save_run(tmp_path / "r.json", Trainer(), [])
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"r.json", live.name, recent_unnumbered.name, *(p.name for p in not_ours)}


def test_a_temp_file_left_by_kill_9_mid_save_goes_at_the_next_save(tmp_path):
    # the writer stops for good between writing its temporary file and renaming it
    script = f"""
import os, time
from micrograd import Trainer, save_run
os.replace = lambda *a: (print("written", flush=True), time.sleep(600))
save_run({str(tmp_path / "r.json")!r}, Trainer(), [])
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "written\n"
        proc.kill()
        proc.wait(timeout=60)
        assert len(list(tmp_path.glob(".r.json.*.tmp"))) == 1
    finally:
        proc.kill()
        proc.wait(timeout=60)
    save_run(tmp_path / "other.json", Trainer(), [])  # any save into that folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.json"]


def test_a_run_too_large_to_load_is_not_saved(tmp_path, monkeypatch):
    # every file a save writes must load: one over the loader's bound is refused instead
    import errno

    from micrograd import runs

    trainer = Trainer(Config(hidden=(64, 64)))
    size = len(runs.run_text(trainer, []))
    monkeypatch.setattr(runs, "MAX_RUN_BYTES", size - 1)
    with pytest.raises(OSError) as info:
        save_run(tmp_path / "big.json", trainer, [])
    assert info.value.errno == errno.EFBIG
    assert f"a model of {len(trainer.parameters)} parameters is too large" in str(info.value)
    assert os.listdir(tmp_path) == []
    monkeypatch.setattr(runs, "MAX_RUN_BYTES", size)
    load_run(save_run(tmp_path / "big.json", trainer, []))
