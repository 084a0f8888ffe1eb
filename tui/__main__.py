"""The `micrograd-tui` entry: arguments -> the app or the headless run."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from micrograd.runs import Record
    from micrograd.training import Config, Trainer

WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
"""The driver textual-serve runs each tab's app under (TEXTUAL_DRIVER): pipes, no terminal."""


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up (imports, the dataset, the widgets) makes only objects that live as long
    # as the process: the cyclic collector's passes over them would only delay the app's
    # first frame. The app turns it back on once that frame is shown; a headless run at
    # once.
    gc.disable()
    # numpy's BLAS would start a pool of threads as it loads, which costs start-up time,
    # for matrices far too small to share out: one thread, unless the user chose.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from tui.cli import parse_args

    args, config = parse_args(argv)
    if args.headless:
        gc.enable()
        return headless(args, config)
    if args.serve:
        gc.enable()
        return serve(args)
    return app(args, config)


def serve(args: argparse.Namespace) -> int:
    """The app as a web page; a bad --load file says so before serving."""
    from tui.serve import serve

    if args.load is not None:
        load(args)  # each tab loads it again: this only checks it
    return serve(args)


def headless(args: argparse.Namespace, config: Config) -> int:
    """The headless run, ended cleanly (128 + signum) by SIGTERM, SIGHUP or SIGINT."""
    from micrograd.training import Trainer
    from tui.cli import EXIT_USAGE, fail
    from tui.headless import (
        EXIT_WRITE_FAILED,
        Interrupted,
        Stop,
        WriteFailed,
        run,
        say,
        signal_name,
    )

    stop = Stop()
    stop.install()
    log = None
    try:
        with stop.interruptible():
            if args.load is not None:
                trainer, history = load(args)
            else:
                trainer, history = Trainer(config), []
            check_step_room(trainer, args.steps)
            if args.log is not None:
                try:
                    log = open(args.log, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
                except OSError as e:
                    fail(
                        f"argument --log: cannot write {args.log!r}: {e.strerror or e}", EXIT_USAGE
                    )
        status = run(
            trainer.config,
            args.steps,
            args.eval_every,
            trainer=trainer,
            history=history,
            log=log,
            save=args.save,
            stop=stop,
        )
    except Interrupted as e:
        say(f"stopped by {signal_name(e.signum)} before training")
        return 128 + e.signum
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except WriteFailed as e:  # the run is saved all the same, if --save asked
        say(f"error: {e}")
        return EXIT_WRITE_FAILED
    finally:
        if log is not None:
            with suppress(OSError):  # a failed write said so already; each line is flushed
                log.close()
    if status == 0 and stop.signum is not None:  # arrived after the last step
        return stop.status
    return status


def check_step_room(trainer: Trainer, steps: int) -> None:
    """Exit 2 with one line if steps more updates would count past the last step a run
    file can hold (runs.LAST_STEP), before anything is trained or written."""
    from micrograd.runs import LAST_STEP
    from tui.cli import EXIT_USAGE, fail

    at = max(trainer.step_count, trainer.optimizer.t)
    if steps <= LAST_STEP - at:
        return
    if at == 0:
        fail(
            f"argument --steps: must be at most 2**53 - 1 (a run's last step), got {steps}",
            EXIT_USAGE,
        )
    fail(
        f"argument --steps: the run is at step {at}, so at most {LAST_STEP - at} more "
        f"(a run's last step is 2**53 - 1), got {steps}",
        EXIT_USAGE,
    )


def load(args: argparse.Namespace) -> tuple[Trainer, list[Record]]:
    """The run in --load, with --lr / --weight-decay / --batch-size applied if given;
    exits 2 if bad."""
    from micrograd.runs import RunFileError, load_run
    from tui.cli import EXIT_USAGE, TUNABLE, fail

    try:
        trainer, history = load_run(args.load)
    except RunFileError as e:
        fail(f"argument --load: {e}", EXIT_USAGE)
    changes = {key: getattr(args, key) for key in TUNABLE if key in args.explicit}
    if changes:
        trainer.retune(**changes)
    return trainer, history


def app(args: argparse.Namespace, config: Config) -> int:
    """The Textual app: a new run of config, or the run in --load.

    Until the app takes the terminal (raw mode), ctrl+c is SIGINT: while a big model is
    built and evaluated for its first frame it ends the program with 128 + SIGINT and
    one line, as a signal ends the headless run."""
    import signal

    from tui.cli import EXIT_USAGE, fail

    try:
        loaded = load(args) if args.load is not None else None  # a bad file says so first
        missing = not_a_terminal()
        if missing is not None:
            fail(
                f"the app needs a terminal, and its {missing} is not one "
                "(--headless trains without one, printing JSON lines)",
                EXIT_USAGE,
            )
        from tui.app import run_app

        if loaded is None:
            return run_app(config, save_dir=args.save_dir)
        trainer, history = loaded
        return run_app(trainer.config, trainer=trainer, history=history, save_dir=args.save_dir)
    except KeyboardInterrupt:
        with suppress(OSError, ValueError):
            print("micrograd-tui: stopped by SIGINT before the first frame", file=sys.stderr)
        return 128 + signal.SIGINT


def not_a_terminal() -> str | None:
    """Which of the app's streams is not a terminal, or None: it reads keys from stdin
    and draws on stderr (as Textual does); stdout piped or redirected would be a UI
    fighting a pager for the screen, or a file that receives nothing. Under --serve
    (textual-serve's web driver) the terminal is the browser's: the streams are pipes."""
    if os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER:
        return None
    for fd, name in ((0, "input (stdin)"), (1, "output (stdout)"), (2, "error output (stderr)")):
        if not os.isatty(fd):
            return name
    return None


if __name__ == "__main__":
    sys.exit(main())
