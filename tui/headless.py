"""The headless run: train without a UI and print one JSON line per update (no textual)."""

from __future__ import annotations

import io
import json
import os
import select
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import TextIO

from micrograd.run import Record, Run
from micrograd.runs import json_number
from micrograd.training import Config, Diverged, Trainer

EXIT_DIVERGED = 3
EXIT_SAVE_FAILED = 1
EXIT_WRITE_FAILED = 1

STOP_POLL = 0.1
"""Seconds between two looks at the stop flag while the output has no room."""

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)
"""SIGTERM (kill), SIGHUP (the terminal or SSH session closed), SIGINT (Ctrl-C)."""


class WriteFailed(Exception):
    """A line could not be written to the output or the log (e.g. a full disk); the
    message says which and why."""


class Interrupted(BaseException):
    """A stop signal arrived outside the training loop (while loading or building)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Stop:
    """Ends a headless run cleanly on SIGTERM, SIGHUP or SIGINT.

    A signal sets a flag: Trainer.step polls it (see Trainer.loss_graph) and gives up
    the step, changing nothing, and the loop ends between steps. Inside `interruptible()`
    (loading a run, building the dataset) the handler raises Interrupted at once.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._interruptible = False

    def __call__(self) -> bool:
        """Should training stop? (the should_stop callable for Trainer.step)"""
        return self.signum is not None

    @property
    def status(self) -> int:
        """The conventional exit status: 128 + the signal number."""
        assert self.signum is not None
        return 128 + self.signum

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        if self._interruptible:
            self._interruptible = False
            raise Interrupted(signum)

    def install(self) -> None:
        """Handle the stop signals (call from the main thread)."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self.handle)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Within the block a signal raises Interrupted instead of waiting for a step."""
        if self.signum is not None:
            raise Interrupted(self.signum)
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def say(message: str) -> None:
    """One line to stderr; a closed terminal (SIGHUP), a closed stderr or a reader that
    stopped reading (the line is dropped after a second) is not an error."""
    stream = sys.stderr
    if stream is None:  # started with stderr closed: print() would write to stdout
        return
    with suppress(OSError, ValueError):
        if writable(stream, timeout=1.0):
            print(f"micrograd-tui: {message}", file=stream, flush=True)


def writable(stream: TextIO, timeout: float) -> bool:
    """Can a short line be written to stream without blocking, within timeout seconds?

    True for what select cannot watch (a StringIO, a closed descriptor: writing says
    what is wrong). A pipe or terminal is ready once it has room for a line of up to
    PIPE_BUF bytes, which POSIX writes whole.
    """
    try:
        fd = stream.fileno()
        return bool(select.select([], [fd], [], timeout)[1])
    except (OSError, ValueError, io.UnsupportedOperation):
        return True


def emit(stream: TextIO, line: str, stop: Callable[[], bool] | None) -> bool:
    """Write line to stream and flush it; False, with nothing written, if a stop signal
    arrives while the stream has no room (a reader that stopped reading).

    The wait is a poll, not a blocking write: a signal does not interrupt a write that
    Python retries after running the handler, and the interpreter's last flush would
    block on a half-written buffer again.
    """
    if stop is not None:
        while not writable(stream, timeout=STOP_POLL):
            if stop():
                return False
    stream.write(line)
    stream.flush()
    return True


def run(
    config: Config,
    steps: int,
    eval_every: int,
    out: TextIO | None = None,
    *,
    trainer: Trainer | None = None,
    history: list[dict] | None = None,
    log: TextIO | None = None,
    save: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Train for steps more updates, writing each as a JSON line; returns the exit status.

    trainer and history continue a loaded run (step numbers go on from it); log also
    receives every line; save names a file the run is saved to at the end, also when
    a signal, divergence or a closed pipe ends it early. Only a run to save keeps its
    history, and that thinned to MAX_HISTORY records (runs.History): the memory a run
    takes does not grow with its steps. Exit status: 0 done, 3 diverged, 128 + signum
    when stopped by a signal, 1 if saving failed. Raises WriteFailed if a line cannot be
    written (the run is saved first, if asked).
    """
    out = sys.stdout if out is None else out  # looked up now: tests may replace it
    if trainer is None:
        trainer = Trainer(config)
    records = [Record.from_json(entry, unmeasured=None) for entry in history or ()]
    run = Run(trainer, records if save is not None else None)
    status = 0
    try:
        status = train(run, steps, eval_every, out, log, stop)
    finally:
        if save is not None:
            try:
                run.save(save)
            except OSError as e:
                say(f"error: could not save the run to {save!r}: {e.strerror or e}")
                status = status or EXIT_SAVE_FAILED
    return status


def train(
    run: Run,
    steps: int,
    eval_every: int,
    out: TextIO | None,
    log: TextIO | None,
    stop: Callable[[], bool] | None,
) -> int:
    """The loop of run(): takes each update (Run.step: kept in its history, if it keeps
    one) and writes its record."""
    trainer = run.trainer
    if out is None and steps > 0:  # started with stdout closed (`>&-`)
        raise WriteFailed("cannot write the output: stdout is closed (>/dev/null discards it)")
    last = trainer.step_count + steps
    while trainer.step_count < last:
        if stop is not None and stop():
            break
        k = trainer.step_count + 1
        try:
            record = run.step(stop, evaluate=k % eval_every == 0 or k == last)
        except Diverged as e:
            from tui.wording import diverged_line

            given = trainer.last_grads is None and trainer.step_count > 0  # a run file's
            say(diverged_line(e.step, e.what, trainer.config, given))
            return EXIT_DIVERGED
        if record is None:  # stopped mid-step: nothing changed
            break
        entry = record.as_json()  # strict JSON: a metric that is not finite is null
        line = json.dumps(entry) + "\n"
        if log is not None:
            try:
                if not emit(log, line, stop):
                    break
            except OSError as e:
                name = getattr(log, "name", "")
                raise WriteFailed(f"cannot write the log {name!r}: {e.strerror or e}") from None
        try:
            if not emit(out, line, stop):
                break
        except OSError as e:
            if stop is not None and stop():  # e.g. SIGHUP closed the terminal
                discard_pending(out)
                break
            if isinstance(e, BrokenPipeError):  # e.g. piped into `head`: the reader is done
                raise
            raise WriteFailed(f"cannot write the output: {e.strerror or e}") from None
    if isinstance(stop, Stop) and stop.signum is not None:
        say(f"stopped by {signal_name(stop.signum)} after step {trainer.step_count}")
        return stop.status
    if steps > 0 and trainer.step_count == last:  # every step taken: the held-out verdict
        test_line = json.dumps(test_entry(trainer)) + "\n"
        for stream in (log, out):
            if stream is not None:
                try:
                    emit(stream, test_line, stop)
                except OSError as e:
                    if isinstance(e, BrokenPipeError):
                        raise
                    raise WriteFailed(f"cannot write the test line: {e.strerror or e}") from None
    return 0


def test_entry(trainer: Trainer) -> dict:
    """The run's last line: the test split, which no step or validation saw, measured
    once at the end (its loss and accuracy, as the validation's are)."""
    test = trainer.evaluation(trainer.test_split)
    return {
        "step": trainer.step_count,
        "test_loss": json_number(test.loss),
        "test_acc": json_number(test.accuracy),
    }


def discard_pending(stream: TextIO) -> None:
    """Drop what stream still buffers for a reader that is gone, so the interpreter's
    last flush neither fails again nor reports it."""
    with suppress(OSError, ValueError, io.UnsupportedOperation):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
