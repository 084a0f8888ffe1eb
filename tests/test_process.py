"""The headless run and the CLI as a process: its files, a closed or blocked stdout, no
terminal for the app, and stop signals while output blocks."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd import Trainer, load_run, save_run

MODULE = [sys.executable, "-m", "tui"]


def run(*args: object, **kwargs) -> subprocess.CompletedProcess:
    options = {"capture_output": True, "text": True, "timeout": 120, "stdin": subprocess.DEVNULL}
    return subprocess.run([*MODULE, *map(str, args)], **{**options, **kwargs})


def one_line_error(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    """A saved run of 3 steps."""
    trainer = Trainer()
    history = []
    for _ in range(3):
        result = trainer.step()
        history.append({"step": result.step, "train_loss": result.train_loss})
    path = tmp_path / "r.json"
    save_run(path, trainer, history)
    return path


# ------------------------------------------------- --load, --save, --log: one file


def spellings(tmp_path: Path, target: Path) -> dict[str, str]:
    """Other names of target: ./-relative, through a symbolic link, a hard link."""
    (tmp_path / "link").symlink_to(target.name)
    os.link(target, tmp_path / "hard")
    return {
        "same name": str(target),
        "another spelling": str(tmp_path / "." / ".." / tmp_path.name / target.name),
        "symbolic link": str(tmp_path / "link"),
        "hard link": str(tmp_path / "hard"),
    }


@pytest.mark.parametrize("how", ["same name", "another spelling", "symbolic link", "hard link"])
def test_log_over_the_loaded_run_is_refused_before_anything_is_written(tmp_path, run_file, how):
    before = run_file.read_bytes()
    log = spellings(tmp_path, run_file)[how]
    proc = run("--headless", "--steps", "2", "--load", run_file, "--log", log)
    assert "--log: must not be the --load file" in one_line_error(proc)
    assert proc.stdout == ""
    assert run_file.read_bytes() == before


@pytest.mark.parametrize("how", ["symbolic link", "hard link"])
def test_log_over_the_save_file_is_refused_by_any_name(tmp_path, run_file, how):
    before = run_file.read_bytes()
    log = spellings(tmp_path, run_file)[how]
    proc = run("--headless", "--steps", "2", "--save", run_file, "--log", log)
    assert "--log: must not be the --save file" in one_line_error(proc)
    assert run_file.read_bytes() == before


def test_log_through_a_link_to_the_save_file_yet_to_be_made_is_refused(tmp_path):
    (tmp_path / "log").symlink_to("new.json")
    save, log = tmp_path / "new.json", tmp_path / "log"
    proc = run("--headless", "--steps", "2", "--save", save, "--log", log)
    assert "--log: must not be the --save file" in one_line_error(proc)
    assert not (tmp_path / "new.json").exists()


def test_load_and_save_may_name_one_file_the_run_continues_in_place(tmp_path, run_file):
    dotted = tmp_path / "." / "r.json"
    proc = run("--headless", "--steps", "2", "--load", run_file, "--save", dotted)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "same").symlink_to("r.json")
    proc = run("--headless", "--steps", "2", "--load", run_file, "--save", tmp_path / "same")
    assert proc.returncode == 0, proc.stderr
    trainer, history = load_run(run_file)
    assert trainer.step_count == 7 and history[-1]["step"] == 7


# ------------------------------------------------------------ a link loop as target


@pytest.mark.parametrize("flag", ["--save", "--log"])
def test_a_link_loop_as_target_is_refused_before_training(tmp_path, flag):
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    proc = run("--headless", "--steps", "200", flag, loop)
    assert f"argument {flag}: cannot use" in one_line_error(proc)
    assert proc.stdout == ""  # refused before the first step


def test_save_run_reports_a_link_loop_as_an_oserror(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    with pytest.raises(OSError) as info:
        save_run(loop, Trainer(), [])
    assert info.value.errno == errno.ELOOP
    assert loop.is_symlink() and sorted(os.listdir(tmp_path)) == ["loop"]
