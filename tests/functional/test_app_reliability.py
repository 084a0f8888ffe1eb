"""The app under stress: saving and resuming runs, key floods, any terminal size, signals."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from micrograd.runs import load_run
from micrograd.training import Config, Trainer
from tests.functional.test_terminal import Pty
from tests.pilot_helpers import SIZE, idle, step, wait_until
from tui.app import MicrogradApp
from tui.screens import HelpScreen
from tui.widgets import LossCurve


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message", Static).render())


async def test_w_saves_a_run_that_resumes_to_the_uninterrupted_numbers(tmp_path: Path) -> None:
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app))
        saved = sorted(tmp_path.glob("*.json"))
        assert [p.name for p in saved] == ["micrograd-run-seed42-step3.json"]
        assert saved[0].name in message(app)  # the whole path, where it fits
    assert not list(tmp_path.glob(".*.tmp"))  # atomic: no temporary file left behind

    trainer, history = load_run(saved[0])
    assert trainer.step_count == 3 and [h["step"] for h in history] == [1, 2, 3]

    reference = Trainer(Config())
    expected = [reference.step() for _ in range(5)]
    resumed = MicrogradApp(trainer=trainer, history=history, save_dir=tmp_path)
    async with resumed.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert resumed.step_count == 3
        # step 0 too, from the seed: the loss curve starts where the unbroken run's did
        assert [r.step for r in resumed.history] == [0, 1, 2, 3]
        assert resumed.history[0] == MicrogradApp(Config()).history[0]
        assert [r.train_loss for r in resumed.history[1:]] == [e.train_loss for e in expected[:3]]
        for _ in range(2):
            await step(pilot, resumed)
        assert resumed.step_count == 5
        # exactly the numbers of the run that was never interrupted
        assert [r.train_loss for r in resumed.history[1:]] == [e.train_loss for e in expected]
        assert [p.data for p in resumed.trainer.model.parameters()] == [
            p.data for p in reference.model.parameters()
        ]


@pytest.mark.slow
async def test_w_while_training_saves_between_steps(tmp_path: Path) -> None:
    app = MicrogradApp(Config(n=300), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 2)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app))
        await pilot.press("space")
        await wait_until(pilot, lambda: idle(app))
        (saved,) = tmp_path.glob("*.json")
        trainer, history = load_run(saved)
        # a consistent cut: the history ends at the saved step and its weights are
        # those of a fresh run stepped that often
        assert history[-1]["step"] == trainer.step_count >= 2
        reference = Trainer(Config(n=300))
        for _ in range(trainer.step_count):
            reference.step()
        assert [p.data for p in trainer.model.parameters()] == [
            p.data for p in reference.model.parameters()
        ]


async def test_a_failed_save_says_why_and_the_app_goes_on(tmp_path: Path) -> None:
    app = MicrogradApp(Config(), save_dir=tmp_path / "no" / "such" / "folder")
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Not saved" in message(app))
        assert "no/such/folder" in message(app)
        await step(pilot, app)
        assert app.step_count == 2


async def test_w_where_the_save_cannot_go_says_why_and_the_app_goes_on(tmp_path: Path) -> None:
    save_dir = tmp_path / "file"
    save_dir.write_text("")
    app = MicrogradApp(Config(), save_dir=save_dir)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Not saved" in message(app))
        assert "micrograd-run-seed42-step1.json" in message(app)
        await step(pilot, app)
        assert app.step_count == 2
    assert sorted(os.listdir(tmp_path)) == ["file"]


async def test_w_onto_a_link_loop_leaves_the_loop_and_saves_beside_it(tmp_path: Path) -> None:
    loop = tmp_path / "micrograd-run-seed42-step1.json"  # the name w gives step 1
    loop.symlink_to(loop.name)
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app))
        assert "micrograd-run-seed42-step1-2.json" in message(app)
        await step(pilot, app)
        assert app.step_count == 2
    assert sorted(os.listdir(tmp_path)) == sorted([loop.name, "micrograd-run-seed42-step1-2.json"])
    assert os.readlink(loop) == loop.name


async def test_a_save_that_fails_in_an_unforeseen_way_says_so(tmp_path: Path, monkeypatch) -> None:
    def save_new_run(*args: object) -> None:
        raise RuntimeError("Symlink loop from 'x'")

    monkeypatch.setattr("micrograd.run.save_new_run", save_new_run)
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Not saved" in message(app))
        assert "RuntimeError: Symlink loop" in message(app)
        await step(pilot, app)  # the save worker's failure ended nothing else
        assert app.step_count == 2


async def test_any_worker_that_fails_says_so_in_the_message_line() -> None:
    def fail() -> None:
        raise ValueError("no\nroom")

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        app.run_worker(fail, thread=True, exit_on_error=False, group="views")
        await wait_until(pilot, lambda: "failed" in message(app))
        assert message(app) == "The views worker failed: ValueError: no room"
        await step(pilot, app)
        assert app.step_count == 2


def layout(app: MicrogradApp) -> dict[str, tuple[int, int, int, int]]:
    """Where the main screen's parts are: (x, y, width, height) by id."""
    return {name: tuple(app.query_one(f"#{name}").region) for name in ("main", "loss", "message")}


async def test_the_save_message_at_80x24_fits_one_row_and_the_loss_curve_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save message wrapped onto a second row at 80 columns: the loss curve lost that
    row, fell below its least height and showed an empty box."""
    monkeypatch.chdir(tmp_path)  # the default save folder, ".": the path is the file's name
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        before = layout(app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app))
        await wait_until(pilot, lambda: idle(app))
        name = "micrograd-run-seed42-step1.json"
        assert (tmp_path / name).is_file()
        shown = message(app)
        assert name in shown and "--load" in shown  # still says how to resume
        line = app.query_one("#message", Static)
        assert len(shown) <= line.content_size.width  # whole, not cut
        assert layout(app) == before
        assert line.region.height == 1
        curve = app.query_one(LossCurve)
        assert len(curve.lines()) == curve.size.height  # the curve, not an empty box


@pytest.mark.parametrize(
    ("width", "keys"), [(80, "s takes one step, r resets, ? explains"), (60, "s steps")]
)
async def test_the_paused_hint_fits_the_width_whole(width: int, keys: str) -> None:
    """At 60 columns the hint ended in an ellipsis: a shorter wording fits instead."""
    app = MicrogradApp(Config())
    async with app.run_test(size=(width, 24)) as pilot:
        for _ in range(12):  # a two-digit step
            await step(pilot, app)
        shown = message(app)
        assert shown.startswith("Paused at step 12.") and keys in shown and "space trains" in shown
        assert len(shown) <= app.query_one("#message", Static).content_size.width


async def test_a_long_error_message_is_cut_not_wrapped(tmp_path: Path) -> None:
    """A failed save into a deep folder: the message keeps to its row, the layout holds."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "gone"
    app = MicrogradApp(Config(), save_dir=deep)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        before = layout(app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Not saved" in message(app))
        await pilot.pause(0.05)
        line = app.query_one("#message", Static)
        assert len(message(app)) > line.content_size.width  # too long for the row...
        assert line.has_class("-error")
        assert layout(app) == before  # ...yet no row is taken from the plots
        assert line.region.height == 1


async def test_a_save_in_a_deep_folder_names_the_file_whole(tmp_path: Path) -> None:
    """At 60 columns the path ran off the line: "Saved /tmp/…/micrograd-run-…: --loa…"."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 2)
    deep.mkdir()
    app = MicrogradApp(Config(), save_dir=deep)
    async with app.run_test(size=(60, 20)) as pilot:
        await step(pilot, app)
        await pilot.press("w")
        await wait_until(pilot, lambda: "Saved" in message(app))
        shown = message(app)
        assert "micrograd-run-seed42-step1.json" in shown and "…" not in shown, shown
        assert len(shown) <= app.query_one("#message", Static).content_size.width


@pytest.mark.slow
async def test_s_presses_beyond_the_queue_say_they_were_dropped() -> None:
    """A dropped s press only rang the bell, which tmux and SSH often do not pass on."""
    from tui.app import MAX_PENDING_STEPS

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        with app.session.trainer_lock:  # the worker waits: the presses queue up
            await pilot.press(*["s"] * (MAX_PENDING_STEPS + 8))
            assert "8 s presses were dropped" in message(app)
        await wait_until(pilot, lambda: idle(app), timeout=60)
        assert app.step_count == MAX_PENDING_STEPS
        # still said once the queue is done: each step's "Paused at step N" replaced it
        # within ~50 ms, before anyone could read it
        await pilot.pause(0.2)
        assert message(app).startswith(
            f"Paused at step {MAX_PENDING_STEPS}. 8 s presses were dropped: at most"
        ), message(app)
        await pilot.press("s")  # a new burst: the count is old news
        await wait_until(pilot, lambda: idle(app) and app.step_count == MAX_PENDING_STEPS + 1)
        assert "dropped" not in message(app)


@pytest.mark.slow
async def test_a_flood_of_s_presses_never_runs_away_and_the_ui_stays_live() -> None:
    from tui.app import MAX_PENDING_STEPS

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        with app.session.trainer_lock:  # the worker waits while 200 presses arrive
            await pilot.press(*["s"] * 200)
        await wait_until(pilot, lambda: idle(app), timeout=60)
        assert app.step_count == MAX_PENDING_STEPS  # the queue's bound, not the presses'
        taken = app.step_count
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.step_count == taken  # nothing stale left to run


SIZES = [(20, 8), (30, 10), (59, 19), (60, 20), (80, 24), (100, 30), (200, 60)]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_terminal_size_renders_and_steps(size: tuple[int, int]) -> None:
    """Every size renders; the app steps wherever it can show the step."""
    app = MicrogradApp(Config())
    fits = size[0] >= 60 and size[1] >= 20
    async with app.run_test(size=size) as pilot:
        if fits:
            await step(pilot, app)
        else:
            await pilot.press("s")
            await pilot.pause(0.1)
            assert app.step_count == 0
        assert app.query_one("#too-small").display == (not fits)
        assert app.screen.size == size


@pytest.mark.slow
async def test_resizing_while_training_and_paused_keeps_working() -> None:
    app = MicrogradApp(Config(n=300))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        for size in [(40, 12), (120, 40), (20, 8), (80, 24), (200, 60)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
        await wait_until(pilot, lambda: app.step_count >= 1)
        await pilot.press("space")
        await wait_until(pilot, lambda: idle(app))
        await pilot.resize_terminal(90, 30)
        await step(pilot, app)
        assert app.state == "paused"


# ------------------------------------------------------------------ signals


def spawn_on_a_pty(*argv: str) -> tuple[subprocess.Popen, int]:
    """`python *argv` on a new 80x24 pseudo-terminal, in a session of its own:
    (the process, the terminal's master side)."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=Path(__file__).parents[2],
        start_new_session=True,
    )
    os.close(slave)
    return proc, master


def Terminal(*args: str) -> Pty:  # noqa: N802 (reads as the class it makes)
    """The app on a pseudo-terminal of its own, everything it writes kept."""
    return Pty("-m", "tui", *args)


CONTROLLING = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, '-c', sys.argv[1], *sys.argv[2:]])"
)
"""Make the pty the new session's controlling terminal, as ssh and tmux do, then run
the Python code in argv[1] (the app) with the rest of argv."""

APP = "import sys; from tui.__main__ import main; sys.exit(main())"

WITHOUT_THE_SIGCONT_GUARD = (
    "import sys, tui.runtime as r; "
    "r.TerminalGuard._on_sigcont = lambda self, textual, signum, frame: textual(signum, frame); "
    "from tui.__main__ import main; sys.exit(main())"
)
"""The app as it was: Textual resumes on every SIGCONT, even from a dead terminal."""


def read_until(master: int, text: bytes, timeout: float = 20.0) -> None:
    """Read the terminal (without a thread: closing it must really close it) until text."""
    import select

    seen = bytearray()
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"never saw {text!r}"
        if select.select([master], [], [], 0.05)[0]:
            seen += os.read(master, 65536)


def hang_up(app: str, when: str) -> tuple[int | None, float]:
    """Run app on a controlling pty, close the pty (at its first frame, or once it
    trains) and wait up to 5 s: (its exit status or None, seconds to exit)."""
    proc, master = spawn_on_a_pty("-c", CONTROLLING, app, "--n", "1000")
    try:
        read_until(master, b"paused")
        if when == "while training":
            os.write(master, b" ")
            read_until(master, b"running")
            time.sleep(0.3)
        os.close(master)  # hang up
        master = -1
        started = time.monotonic()
        try:
            return proc.wait(timeout=5), time.monotonic() - started
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if master >= 0:
            os.close(master)


@pytest.mark.parametrize("when", ["at the first frame", "while training"])
def test_a_terminal_that_hangs_up_ends_the_app(when: str) -> None:
    # The ssh session or the tmux server goes away: the kernel sends SIGHUP and SIGCONT
    # together and the terminal answers nothing but EIO. Textual resumes its screen on
    # SIGCONT; doing so on a dead terminal left the app hanging forever on exit.
    import signal

    from tui.runtime import EXIT_GRACE

    status, seconds = hang_up(APP, when)
    assert status == 128 + signal.SIGHUP
    assert seconds < EXIT_GRACE, f"took {seconds:.2f} s"  # left cleanly, not by the watchdog


def test_should_leaving_hang_after_a_stop_signal_the_app_exits_anyway() -> None:
    # Without the SIGCONT guard a hang-up right at the first frame hangs Textual's exit;
    # the watchdog that SIGHUP starts ends the process after EXIT_GRACE seconds.
    import signal

    from tui.runtime import EXIT_GRACE

    status, seconds = hang_up(WITHOUT_THE_SIGCONT_GUARD, "at the first frame")
    assert status == 128 + signal.SIGHUP
    assert seconds < EXIT_GRACE + 1.5, f"took {seconds:.2f} s"


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_ends_the_app_within_a_second_and_restores_the_terminal(signame: str):
    import signal

    term = Terminal("--n", "1000")
    try:
        term.wait_for(b"paused")
        os.write(term.master, b" ")  # train: the signal lands mid-step
        term.wait_for(b"running")
        time.sleep(0.3)
        mark = len(term.output)
        term.proc.send_signal(getattr(signal, signame))
        status = term.proc.wait(timeout=1.0)  # raises TimeoutExpired if still running
        assert status == 128 + getattr(signal, signame)
        term.reader.join(timeout=2)
        after = bytes(term.output[mark:])
        assert b"\x1b[?1049l" in after  # left the alternate screen: the terminal is restored
        assert b"Traceback" not in term.output
    finally:
        term.close()


async def test_s_right_after_r_steps_the_fresh_run_never_the_old_one() -> None:
    reference = Trainer(Config())
    first = reference.step()
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await step(pilot, app)
        with app.session.trainer_lock:  # both workers queue: the step's cancels the reset's
            await pilot.press("r", "s")
            await pilot.pause(0.1)
        await wait_until(pilot, lambda: app.step_count == 1 and idle(app))
        await pilot.pause(0.2)
        assert [r.step for r in app.history] == [0, 1]
        assert app.history[-1].train_loss == first.train_loss
        assert [p.data for p in app.trainer.model.parameters()] == [
            p.data for p in reference.model.parameters()
        ]


@pytest.mark.parametrize("stop", ["q", "SIGTERM"])
def test_quitting_mid_step_at_n_20000_does_not_wait_for_the_step(stop: str) -> None:
    """6 hidden layers of 32 at n = 20,000: a step takes seconds and a neuron's pass over
    the batch cannot be interrupted; leaving waits neither for it nor for the
    interpreter's last collection."""
    import signal

    term = Terminal("--n", "20000", "--hidden", "32,32,32,32,32,32")
    try:
        term.wait_for(b"paused", timeout=60)
        os.write(term.master, b" ")
        term.wait_for(b"running")
        time.sleep(0.3)  # inside the first step
        started = time.monotonic()
        if stop == "q":
            os.write(term.master, b"q")
        else:
            term.proc.send_signal(signal.SIGTERM)
        status = term.proc.wait(timeout=5)
        elapsed = time.monotonic() - started
        assert status == (0 if stop == "q" else 128 + signal.SIGTERM)
        assert elapsed < 2.0, f"took {elapsed:.2f} s"  # a step takes 5-15 s here
        term.reader.join(timeout=2)
        assert b"\x1b[?1049l" in term.output
        assert b"Traceback" not in term.output
    finally:
        term.close()
