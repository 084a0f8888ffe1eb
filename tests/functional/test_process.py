"""The headless run and the CLI as a process: its files, a closed or blocked stdout, no
terminal for the app, and stop signals while output blocks."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
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
        history.append(
            {"step": result.step, "train_loss": result.train_loss, "train_acc": result.train_acc}
        )
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


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
@pytest.mark.parametrize("target", ["/proc/x.json", "/proc/version"])
def test_a_folder_that_takes_no_new_file_is_refused_before_training(target):
    """/proc passes access() for root, yet no file can be made there: the run was lost
    after training, when the save failed."""
    proc = run("--headless", "--steps", "200", "--save", target)
    assert "argument --save: cannot write in the folder '/proc'" in one_line_error(proc)
    assert proc.stdout == ""  # refused before the first step


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


# ------------------------------------------------------------ stdout closed


def test_headless_with_stdout_closed_says_so_in_one_line_and_saves(tmp_path):
    save = tmp_path / "r.json"
    argv = [*MODULE, "--headless", "--steps", "5", "--n", "30", "--save", str(save)]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *argv],  # fd 1 really closed in the child
        capture_output=False,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
    )
    assert "stdout is closed" in one_line_error(proc, status=1)
    trainer, _ = load_run(save)  # the run is saved all the same
    assert trainer.config.n == 30


# ------------------------------------------------- stop signals while stdout blocks


def pipe_bytes(fd: int) -> int:
    """How many bytes wait unread in the pipe whose read end is fd."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def blocked_on_its_output(tmp_path: Path, **streams) -> subprocess.Popen:
    """A long headless run whose stdout pipe nobody reads, once the pipe is full and the
    run has stopped writing (its bytes unchanged for a second)."""
    proc = subprocess.Popen(
        [*MODULE, "--headless", "--steps", "1000000", "--n", "30", "--eval-every", "1"]
        + ["--save", str(tmp_path / "r.json")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        **{"stderr": subprocess.PIPE, **streams},
    )
    deadline = time.monotonic() + 60
    last, since = -1, time.monotonic()
    while True:
        assert proc.poll() is None, proc.returncode
        assert time.monotonic() < deadline, "the output never filled up"
        now = pipe_bytes(proc.stdout.fileno())
        if now != last:
            last, since = now, time.monotonic()
        elif now > 16384 and time.monotonic() - since > 1.0:
            return proc
        time.sleep(0.05)


def finish(proc: subprocess.Popen, timeout: float = 20) -> int | None:
    """proc's exit status within timeout seconds, else None (it is then killed)."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def lines_of(stream) -> list[dict]:
    return [json.loads(line) for line in stream.read().decode().splitlines()]


def test_sigterm_while_stdout_blocks_ends_the_run_saved(tmp_path):
    proc = blocked_on_its_output(tmp_path)
    try:
        proc.send_signal(signal.SIGTERM)
        assert finish(proc) == 128 + signal.SIGTERM  # it waited for the reader for good
        err = proc.stderr.read().decode()
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "stopped by SIGTERM after step" in err
        trainer, history = load_run(tmp_path / "r.json")
        assert f"after step {trainer.step_count}\n" in err
        printed = lines_of(proc.stdout)  # whole lines, in order, none past the saved step
        assert [r["step"] for r in printed] == list(range(1, len(printed) + 1))
        assert trainer.step_count - 1 <= len(printed) <= trainer.step_count
        assert history[-1]["step"] == trainer.step_count
    finally:
        finish(proc, timeout=0)
        proc.stdout.close()
        proc.stderr.close()


def test_ctrl_c_with_a_reader_that_then_dies_exits_130(tmp_path):
    proc = blocked_on_its_output(tmp_path)
    try:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.stdout.close()  # the reader dies (ctrl+c reached it too)
        assert finish(proc) == 128 + signal.SIGINT
        err = proc.stderr.read().decode()
        assert "stopped by SIGINT" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
        assert load_run(tmp_path / "r.json")[0].step_count > 0
    finally:
        finish(proc, timeout=0)
        proc.stderr.close()


def test_sigterm_ends_the_run_when_stderr_is_the_stalled_pipe_too(tmp_path):
    proc = blocked_on_its_output(tmp_path, stderr=subprocess.STDOUT)
    try:
        proc.send_signal(signal.SIGTERM)
        assert finish(proc) == 128 + signal.SIGTERM
        assert load_run(tmp_path / "r.json")[0].step_count > 0
    finally:
        finish(proc, timeout=0)
        proc.stdout.close()


# ------------------------------------------------------------ the app needs a terminal


@pytest.mark.parametrize(
    "not_a_terminal", ["input (stdin)", "output (stdout)", "error output (stderr)", "all three"]
)
def test_the_app_without_a_terminal_says_so_in_one_line_and_exits_2(not_a_terminal):
    # with stdin from /dev/null or a pipe, it trained invisibly forever at 100% CPU
    import pty

    master, slave = pty.openpty()
    streams = {"stdin": slave, "stdout": slave, "stderr": slave}
    key = {"input (stdin)": "stdin", "output (stdout)": "stdout"}.get(not_a_terminal)
    if not_a_terminal == "all three":
        streams = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    elif key is not None:
        streams[key] = subprocess.PIPE
    else:
        streams["stderr"] = subprocess.PIPE  # where the message goes: read it there
    proc = subprocess.Popen([*MODULE, "--n", "30"], **streams, start_new_session=True)
    os.close(slave)
    try:
        if proc.stdin is not None:
            proc.stdin.close()  # `: | micrograd-tui`: input at its end at once
        assert finish(proc, timeout=60) == 2
        if proc.stderr is not None:
            err = proc.stderr.read().decode()
        else:  # on the terminal
            err = os.read(master, 65536).decode()
        want = "all three" if not_a_terminal == "all three" else not_a_terminal
        assert "the app needs a terminal" in err and "--headless" in err, err
        assert want == "all three" or f"its {want} is not one" in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    finally:
        finish(proc, timeout=0)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        os.close(master)
