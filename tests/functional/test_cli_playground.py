"""The playground's flags: each setting from the command line, the same numbers as the
library, listed by --help, and fixed by a loaded run."""

from __future__ import annotations

import json

import pytest

from micrograd import Config, Trainer, load_run
from tests.functional.test_cli import run
from tui.cli import parse_args

FLAGS = ["--dataset", "--noise", "--split", "--features", "--activation", "--optimizer"]


def test_help_lists_every_setting():
    out = run("--help").stdout
    for flag in [*FLAGS, "--batch-size", "--hidden"]:
        assert flag in out
    assert "or 0 for none" in out


@pytest.mark.parametrize(
    "argv, config",
    [
        ([], Config()),
        (["--hidden", "0"], Config(hidden=())),
        (["--batch-size", "full"], Config()),
        (
            ["--dataset", "moons", "--noise", "0.2", "--split", "0.6", "--features", "x,xy,siny"],
            Config(dataset="moons", noise=0.2, split=0.6, features=("x", "xy", "siny")),
        ),
        (
            ["--activation", "sigmoid", "--optimizer", "momentum", "--batch-size", "12"],
            Config(activation="sigmoid", optimizer="momentum", batch_size=12),
        ),
    ],
)
def test_flags_make_the_config(argv, config):
    assert parse_args(argv)[1] == config


def test_a_headless_run_of_the_settings_prints_the_librarys_numbers():
    args = ["--dataset", "xor", "--noise", "0.1", "--features", "x,y,xy", "--hidden", "0"]
    args += ["--optimizer", "sgd", "--batch-size", "20", "--activation", "relu"]
    proc = run("--headless", "--steps", "3", "--eval-every", "1", *args)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    config = Config(
        dataset="xor",
        noise=0.1,
        features=("x", "y", "xy"),
        hidden=(),
        optimizer="sgd",
        batch_size=20,
        activation="relu",
    )
    trainer = Trainer(config)
    for line in lines[:3]:
        assert line["train_loss"] == trainer.step().train_loss


@pytest.mark.parametrize(
    "flag, value", [(f, v) for f, v in zip(FLAGS, ["spiral", "0.1", "0.7", "x", "relu", "sgd"])]
)
def test_a_loaded_run_fixes_its_settings(tmp_path, flag, value):
    path = tmp_path / "run.json"
    assert run("--headless", "--steps", "2", "--save", str(path)).returncode == 0
    proc = run("--headless", "--steps", "1", "--load", str(path), flag, value)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert f"argument {flag}: not allowed with --load" in proc.stderr


def test_a_loaded_run_takes_a_new_batch_size(tmp_path):
    path = tmp_path / "run.json"
    args = ["--dataset", "blobs", "--optimizer", "momentum"]
    assert run("--headless", "--steps", "2", "--save", str(path), *args).returncode == 0
    proc = run(
        "--headless", "--steps", "2", "--load", str(path), "--batch-size", "8", "--save", str(path)
    )
    assert proc.returncode == 0, proc.stderr
    trainer, _ = load_run(path)
    assert trainer.config.batch_size == 8 and trainer.config.dataset == "blobs"
    assert trainer.step_count == 4 and trainer.epoch_count == 2  # 80 points: 2 epochs + 16


@pytest.mark.parametrize(
    "flag, value, says",
    [("--batch-size", "0", "(or full: "), ("--hidden", "7,0", "(0 alone: no hidden layer)")],
)
def test_a_bad_value_names_the_flags_own_words(flag, value, says):
    result = run("--headless", "--steps", "1", flag, value)
    assert result.returncode == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
