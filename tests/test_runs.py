"""Saved runs: exact round trips and resumes, atomic writes, and every rejection, in one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import micrograd
from micrograd import Config, RunFileError, Trainer, load_run, save_run
from micrograd.runs import FORMAT, MAX_RUN_BYTES, VERSION, run_to_json


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
    assert doc["version"] == VERSION == 1
    assert set(doc) == {"format", "version", "config", "step", "params", "optimizer", "history"}
    assert doc["config"] == {
        "seed": 42,
        "n": 100,
        "hidden": [8],
        "lr": 0.1,
        "betas": [0.9, 0.95],
        "eps": 1e-8,
        "weight_decay": 1e-4,
    }
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


def test_non_finite_metrics_are_saved_as_null(tmp_path):
    trainer = Trainer()
    history = [*train(trainer, 1)]
    history[0]["val_loss"] = float("inf")
    save_run(tmp_path / "r.json", trainer, history)
    assert "Infinity" not in (tmp_path / "r.json").read_text()
    assert load_run(tmp_path / "r.json")[1][0]["val_loss"] is None


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
    rejects(rewrite(saved, lambda d: d.update(version=2)), "newer", "version 2", "upgrade")


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
        ("seed", 0, ['"config.seed" must be from 1']),
        ("seed", -5, ['"config.seed" must be from 1']),
        ("seed", 2**64, ['"config.seed" must be from 1']),
        ("n", None, ['"config.n" must be an integer']),
        ("n", 5, ["n must be an integer from 6 to 20000"]),
        ("n", 10_000_000, ["n must be an integer from 6 to 20000"]),
        ("hidden", 8, ['"config.hidden" must be a list of integers']),
        ("hidden", [8.0], ['"config.hidden" must be a list of integers']),
        ("hidden", [], ["hidden sizes must be integers from 1 to 1024"]),
        ("hidden", [0], ["hidden sizes must be integers from 1 to 1024"]),
        ("lr", "0.1", ['"config.lr" must be a number']),
        ("lr", False, ['"config.lr" must be a number']),
        ("lr", 0, ["lr must be a finite number > 0"]),
        ("lr", -0.1, ["lr must be a finite number > 0"]),
        ("lr", 1e400, ["holds Infinity"]),  # json.dumps writes the literal Infinity
        ("betas", [0.9], ['"config.betas" must be a list of two numbers']),
        ("betas", [0.9, "x"], ['"config.betas"[1] must be a number']),
        ("betas", [0.9, 1.0], ["betas must be two numbers in [0, 1)"]),
        ("eps", -1, ["eps must be a finite number >= 0"]),
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
