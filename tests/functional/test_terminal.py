"""The app's process and terminal: stop, continue, hang-ups without SIGHUP, stuck loops,
non-UTF-8 terminals. Each test runs the real app on a pseudo-terminal."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tui.runtime import EXIT_GRACE, ascii_for

ROOT = Path(__file__).parents[2]

ENTER_ALT_SCREEN = b"\x1b[?1049h"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"


class Pty:
    """`python *argv` on a new 80x24 pseudo-terminal in a session of its own, everything
    it writes kept (a reader thread). The master stays open until close()."""

    def __init__(self, *argv: str, env: dict[str, str] | None = None) -> None:
        import pty

        self.master, slave = pty.openpty()
        environ = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
        environ.pop("NO_COLOR", None)
        environ.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environ,
            cwd=ROOT,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()
        self.reading = threading.Event()
        """Cleared: the reader stops reading, as a stalled terminal or ssh link does."""
        self.reading.set()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            self.reading.wait()
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, text: bytes, since: int = 0, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output[since:]:
            assert self.proc.poll() is None, bytes(self.output[-2000:])
            assert time.monotonic() < deadline, f"never saw {text!r}"
            time.sleep(0.02)

    def cooked(self) -> bool:
        """Is the terminal back in cooked mode, echoing (the master reads the slave's)?"""
        lflag = termios.tcgetattr(self.master)[3]
        return bool(lflag & termios.ICANON) and bool(lflag & termios.ECHO)

    def close(self) -> None:
        self.reading.set()
        kill_group(self.proc)
        self.reader.join(timeout=2)
        os.close(self.master)


def kill_group(proc: subprocess.Popen) -> None:
    """Kill proc and every process of its session's group (children it started too)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
    proc.wait()


def app_on_a_pty(*args: str, env: dict[str, str] | None = None) -> Pty:
    term = Pty("-m", "tui", "--n", "1000", *args, env=env)
    term.wait_for(b"paused")
    return term


def train(term: Pty) -> None:
    mark = len(term.output)
    os.write(term.master, b" ")
    term.wait_for(b"running", since=mark)
    time.sleep(0.3)


def stop_and_continue(term: Pty, how: str) -> None:
    """SIGSTOP then SIGCONT (as `kill -STOP`, a debugger, a job-control shell), or a lone
    SIGCONT (as htop sends)."""
    if how == "stop, cont":
        term.proc.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
    term.proc.send_signal(signal.SIGCONT)
    time.sleep(1.0)  # what Textual did on SIGCONT (a second start) would be done by now


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stop, cont", "cont"])
def test_after_stop_and_cont_q_quits_and_the_terminal_is_cooked_again(how: str) -> None:
    term = app_on_a_pty()
    try:
        assert not term.cooked()  # the app runs the terminal raw
        train(term)
        mark = len(term.output)
        stop_and_continue(term, how)
        # the app did not start its screen a second time (a second input thread)...
        assert ENTER_ALT_SCREEN not in term.output[mark:]
        # ...but drew it whole again: a shell may have written over it while stopped
        term.wait_for(b"decision boundary", since=mark)
        os.write(term.master, b"qq")  # trained: the first q says steps are unsaved
        assert term.proc.wait(timeout=10) == 0
        term.reader.join(timeout=2)
        assert term.cooked()
        assert LEAVE_ALT_SCREEN in term.output[mark:]
        assert b"Traceback" not in term.output
    finally:
        term.close()


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_after_stop_and_cont_ends_the_app_within_the_grace(signame: str) -> None:
    signum = getattr(signal, signame)
    term = app_on_a_pty()
    try:
        train(term)
        stop_and_continue(term, "stop, cont")
        mark = len(term.output)
        started = time.monotonic()
        term.proc.send_signal(signum)
        assert term.proc.wait(timeout=EXIT_GRACE + 3) == 128 + signum
        assert time.monotonic() - started < EXIT_GRACE, "left by the watchdog, not cleanly"
        term.reader.join(timeout=2)
        assert term.cooked()
        assert LEAVE_ALT_SCREEN in term.output[mark:]
        assert b"Traceback" not in term.output
    finally:
        term.close()


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_ends_the_app_within_2_s_on_a_terminal_that_stopped_reading(signame):
    """A stalled link: the app's writes block, and the exit must not wait for them."""
    signum = getattr(signal, signame)
    term = app_on_a_pty()
    try:
        train(term)
        term.reading.clear()
        time.sleep(2.0)  # training fills the terminal's buffer: the app's writes block
        started = time.monotonic()
        term.proc.send_signal(signum)
        assert term.proc.wait(timeout=10) == 128 + signum
        assert time.monotonic() - started < 2.0 + 0.3  # the promise, and the OS's slack
    finally:
        term.close()


def stopped(pid: int) -> bool:
    """Is the process stopped (job control), as /proc says?"""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "T"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigtstp_suspends_and_sigcont_resumes_while_training() -> None:
    # A real suspend (kill -TSTP, as a shell's job control): the terminal is given back
    # cooked and the process stops; SIGCONT resumes the screen. Repeated while training,
    # when the app writes the most: the suspend must never deadlock on its own output.
    term = app_on_a_pty()
    try:
        train(term)
        for _ in range(3):
            mark = len(term.output)
            term.proc.send_signal(signal.SIGTSTP)
            deadline = time.monotonic() + 10
            while not stopped(term.proc.pid):
                assert time.monotonic() < deadline, "SIGTSTP did not suspend the app"
                time.sleep(0.05)
            time.sleep(0.2)  # the reader catches up
            assert LEAVE_ALT_SCREEN in term.output[mark:] and term.cooked()
            mark = len(term.output)
            term.proc.send_signal(signal.SIGCONT)
            term.wait_for(ENTER_ALT_SCREEN, since=mark)
            term.wait_for(b"decision boundary", since=mark)
            assert not term.cooked()
        os.write(term.master, b"qq")  # trained: the first q says steps are unsaved
        assert term.proc.wait(timeout=10) == 0
        assert term.cooked()
    finally:
        term.close()


STUCK_ON_HELP = (
    "import sys, time, tui.app; "
    "tui.app.MicrogradApp.action_help = lambda self: time.sleep(60); "
    "from tui.__main__ import main; sys.exit(main())"
)
"""The app with `?` blocking its event loop for a minute: leaving cannot run on the loop."""


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_ends_the_app_even_with_its_event_loop_stuck(signame: str) -> None:
    signum = getattr(signal, signame)
    term = Pty("-c", STUCK_ON_HELP, "--n", "1000")
    try:
        term.wait_for(b"paused")
        assert not term.cooked()
        os.write(term.master, b"?")
        time.sleep(1.0)  # the loop is inside action_help
        mark = len(term.output)
        started = time.monotonic()
        term.proc.send_signal(signum)
        assert term.proc.wait(timeout=EXIT_GRACE + 5) == 128 + signum
        assert time.monotonic() - started < EXIT_GRACE + 1.5
        term.reader.join(timeout=2)
        # the watchdog restored what Textual could not: cooked mode, the main screen,
        # the cursor, no mouse reports
        assert term.cooked()
        after = bytes(term.output[mark:])
        assert LEAVE_ALT_SCREEN in after and b"\x1b[?25h" in after and b"\x1b[?1000l" in after
    finally:
        term.close()


# ------------------------------------------------------------------- hang-ups

CONTROLLING_PARENT_TRAPPING_HUP = (
    "import fcntl, os, signal, subprocess, sys, termios; "
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "signal.signal(signal.SIGHUP, signal.SIG_IGN); "
    "sys.exit(subprocess.call([sys.executable, '-m', 'tui', *sys.argv[1:]]))"
)
"""A session leader that makes the pty its controlling terminal (as ssh does), ignores
SIGHUP (as a shell that traps HUP) and runs the app as its child, exiting with its status.
The kernel sends the hang-up's SIGHUP to the session leader only: the app gets none."""


@pytest.mark.parametrize("when", ["paused", "training"])
def test_a_dead_terminal_without_sighup_ends_the_app(when: str) -> None:
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CONTROLLING_PARENT_TRAPPING_HUP, "--n", "1000"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    try:
        seen = bytearray()

        def read_until(text: bytes) -> None:
            deadline = time.monotonic() + 30
            while text not in seen:
                assert time.monotonic() < deadline, f"never saw {text!r}"
                if select.select([master], [], [], 0.05)[0]:
                    seen.extend(os.read(master, 65536))

        read_until(b"paused")
        if when == "training":
            os.write(master, b" ")
            read_until(b"running")
            time.sleep(0.3)
        os.close(master)  # the terminal goes: the app reads EOF, writes get EIO
        master = -1
        started = time.monotonic()
        status = proc.wait(timeout=EXIT_GRACE + 8)  # TimeoutExpired: it trains on forever
        assert status == 128 + signal.SIGHUP
        assert time.monotonic() - started < EXIT_GRACE
    finally:
        kill_group(proc)  # the app too: it is in the leader's process group
        if master >= 0:
            os.close(master)


# ---------------------------------------------------------- non-UTF-8 terminals


@pytest.mark.slow
@pytest.mark.parametrize(
    "env",
    [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}],
    ids=["ascii", "latin-1"],
)
def test_a_terminal_that_cannot_show_unicode_gets_ascii_drawing(env: dict[str, str]) -> None:
    term = app_on_a_pty("--hidden", "8", env=env)
    try:
        os.write(term.master, b" ")  # training: the loss curve's dots drawn too
        term.wait_for(b"running")
        time.sleep(1.5)
        os.write(term.master, b"qq")  # trained: the first q says steps are unsaved
        assert term.proc.wait(timeout=10) == 0
        term.reader.join(timeout=2)
        output = bytes(term.output)
        output.decode(env["PYTHONIOENCODING"])  # every byte in the terminal's encoding
        screen = re.sub(rb"\x1b\[[0-9;?<>$]*[a-zA-Z]", b"", output)  # the text drawn
        assert b"\\u" not in screen and b"\\x" not in screen  # no escapes (`\u256d`)
        assert b"+- decision boundary " in screen  # the frames in ASCII
        assert b"+- training -" in screen
    finally:
        term.close()


def test_ascii_for_keeps_every_drawn_cell_one_cell() -> None:
    import rich.cells

    drawn = "╭─╮│╰╯┌┐└┘┬┴├┤┼━┃╋█▀▄▌▐░▒▓▁▂▇⠀⠁⠿⣿·•→←↑↓✓✗‖…—∂∇βε²×≤◆▶↪é"
    for char in drawn:
        ascii = ascii_for(char)
        assert ascii.isascii() and ascii.isprintable(), char
        assert rich.cells.cell_len(ascii) == rich.cells.cell_len(char), char
    assert [ascii_for(c) for c in "╭─╮│╰╯┼━╋"] == ["+", "-", "+", "|", "+", "+", "+", "-", "+"]
    assert [ascii_for(c) for c in "⠀⠁⣿█"] == [" ", ".", ":", "#"]
    assert ascii_for("漢") == "??"  # a wide character keeps its two cells
