"""What an open inside view costs training in the real app: steps/s with it open against
closed, side by side in one run.

    .venv/bin/python benchmarks/views.py [--seconds 6] [--rounds 2]
        [--cases tutorial,spiral,big] [--views n,h,p,g]
    .venv/bin/python benchmarks/views.py --root /path/to/another/checkout   # its code

(--root runs that checkout's code with this python. Needs pyte, a terminal emulator: the
test extra has it.)

Runs `python -m tui` under a pseudo-terminal at 80x24 (TERM=xterm-256color, what a
default ssh session gets) for each case, waits for the first frame and the plots, presses
space, and then, --rounds times for each view: --seconds with no view open, then its key,
--seconds with it open, and escape. Every byte the app writes is kept with the moment it
was read and replayed through pyte afterwards, so the harness does not compete with the
app for a core while it trains. The step counter is read off the main screen's training
panel: before a view opens and on the first frame that shows the main screen again after
it closes (the counter is then at most one panel update, 0.1 s, behind), so an open
stretch counts the steps from the key that opens the view to the one that closes it, and
a closed stretch the steps between two such readings. The view's liveness is how often
the step in its title changed while it was open.

The target: the neurons view (n) never slows training by more than 10% while open.
It prints and asserts nothing; not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bytes import pump, spawn  # this folder's: the app under a pty, its queries answered

ROOT = Path(__file__).resolve().parent.parent

COLS, ROWS = 80, 24

CASES = {
    "tutorial": ("taichi n 100, hidden 8 (the tutorial's)", ["--n", "100"], 1.0),
    "spiral": (
        "spiral n 500, hidden 16,16",
        ["--n", "500", "--dataset", "spiral", "--hidden", "16,16"],
        1.0,
    ),
    "big": ("taichi n 1000, hidden 6 x 32", ["--n", "1000", "--hidden", "32,32,32,32,32,32"], 2.0),
}
"""Each case: its name, the app's arguments, and how much longer its stretches last (a
big model's step takes ~0.1 s: more seconds, fewer rounding steps)."""

VIEWS = {
    "n": ("neurons", b"n"),
    "h": ("health", b"nh"),
    "p": ("parameters", b"p"),
    "g": ("graph", b"g"),
}
"""The views measured, by their key: each one's name and the keys that open it (the
health is the neurons view's other page)."""

MAIN = re.compile(r"│ step\s+([\d,]+)")
"""The main screen's step counter, in its training panel."""

TITLE_STEP = re.compile(r"step ([\d,]+)")
"""The step a view's title names."""

START_LIMIT = 60.0
QUIET = 1.0
"""Seconds without output after which the app counts as started (its plots drawn)."""

SETTLE = 1.0
"""Seconds after a view opens or closes before the next key (its first frame drawn)."""


@dataclass
class Mark:
    """A key pressed (or a stretch begun) at a moment, with what it did."""

    at: float
    what: str  # "closed" (a closed stretch begins), "open" (a view's key), "close" (escape)


@dataclass
class Launch:
    """One app's output, each read with its moment, and the marks of the keys sent."""

    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


def keep(master: int, launch: Launch, seconds: float) -> None:
    """Keep what the app writes for seconds, with the moment each piece was read (its
    queries answered)."""
    end = time.monotonic() + seconds
    while (now := time.monotonic()) < end:
        data = pump(master, min(0.05, end - now))
        if data:
            launch.chunks.append((time.monotonic(), data))


def drive(root: Path, args: list[str], views: str, seconds: float, rounds: int) -> Launch:
    """Launch the app, train, and open and close each view in turn, rounds times."""
    proc, master = spawn(root, args, COLS, ROWS, "256")
    launch = Launch()
    try:
        started = time.monotonic()
        while time.monotonic() - started < START_LIMIT:  # the first frame, then quiet
            before = len(launch.chunks)
            keep(master, launch, QUIET)
            if len(launch.chunks) == before and sum(len(c) for _, c in launch.chunks) > 1000:
                break
            if proc.poll() is not None:
                raise SystemExit(f"the app ended before training ({proc.returncode})")
        os.write(master, b" ")
        keep(master, launch, 2 * SETTLE)
        for _ in range(rounds):
            for key in views:
                launch.marks.append(Mark(time.monotonic(), "closed"))
                keep(master, launch, seconds)
                launch.marks.append(Mark(time.monotonic(), "open"))
                os.write(master, VIEWS[key][1])
                keep(master, launch, seconds)
                launch.marks.append(Mark(time.monotonic(), "close"))
                os.write(master, b"\x1b")
                keep(master, launch, SETTLE)
        launch.marks.append(Mark(time.monotonic(), "closed"))
        return launch
    finally:
        os.write(master, b" qq")  # pause; q says steps are unsaved, q again quits
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            keep(master, launch, 0.1)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        os.close(master)


@dataclass
class Reading:
    at: float
    step: int


class Replay:
    """The launch's output replayed through pyte, in order, read at moments."""

    def __init__(self, launch: Launch) -> None:
        import pyte

        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.chunks = launch.chunks
        self.next = 0

    def feed_until(self, moment: float) -> None:
        while self.next < len(self.chunks) and self.chunks[self.next][0] <= moment:
            self.stream.feed(self.chunks[self.next][1])
            self.next += 1

    def main_step(self) -> int | None:
        m = MAIN.search("\n".join(self.screen.display))
        return int(m.group(1).replace(",", "")) if m else None

    def title_step(self) -> int | None:
        m = TITLE_STEP.search(self.screen.display[0])
        return int(m.group(1).replace(",", "")) if m else None

    def main_reading(self, moment: float) -> Reading:
        """The main screen's step as shown just before moment."""
        self.feed_until(moment)
        step = self.main_step()
        if step is None:
            raise SystemExit("the main screen's step counter is not on screen")
        at = self.chunks[self.next - 1][0] if self.next else moment
        return Reading(at, step)

    def first_main_reading_after(self, moment: float, limit: float) -> Reading:
        """The first frame after moment that shows the main screen: its step and moment."""
        self.feed_until(moment)
        while self.next < len(self.chunks) and self.chunks[self.next][0] <= limit:
            at, data = self.chunks[self.next]
            self.stream.feed(data)
            self.next += 1
            step = self.main_step()
            if step is not None:
                return Reading(at, step)
        raise SystemExit("the main screen did not come back after a view closed")

    def title_changes(self, start: float, end: float) -> int:
        """How many times the title's step changed from start to end."""
        self.feed_until(start)
        changes, last = 0, self.title_step()
        while self.next < len(self.chunks) and self.chunks[self.next][0] <= end:
            self.stream.feed(self.chunks[self.next][1])
            self.next += 1
            step = self.title_step()
            if step is not None and step != last:
                changes, last = changes + 1, step
        return changes


@dataclass
class Stretch:
    view: str | None  # None: no view open
    steps: int
    seconds: float
    updates: int = 0

    @property
    def rate(self) -> float:
        return self.steps / self.seconds


def stretches(launch: Launch, views: str) -> list[Stretch]:
    """The closed and open stretches of a launch, read off its replayed screen."""
    replay = Replay(launch)
    marks = launch.marks
    out: list[Stretch] = []
    keys = iter(list(views) * (len(marks) // 3 + 1))
    i = 0
    begin = replay.main_reading(marks[0].at)
    while i + 3 < len(marks):
        closed, opened, closing, after = marks[i : i + 4]
        before_open = replay.main_reading(opened.at)
        out.append(Stretch(None, before_open.step - begin.step, before_open.at - begin.at))
        updates = replay.title_changes(opened.at + 0.2, closing.at)
        back = replay.first_main_reading_after(closing.at, after.at)
        view = next(keys)
        out.append(Stretch(view, back.step - before_open.step, back.at - before_open.at, updates))
        begin = replay.main_reading(after.at)
        i += 3
    return out


def report(case: str, results: list[Stretch], views: str) -> None:
    print(f"  {CASES[case][0]}:")
    for key in views:
        opened = [s for s in results if s.view == key]
        # each open stretch beside the closed one just before it
        closed = [results[results.index(s) - 1] for s in opened]
        c = statistics.median(s.rate for s in closed)
        o = statistics.median(s.rate for s in opened)
        live = sum(s.updates for s in opened) / sum(s.seconds for s in opened)
        rounds = ", ".join(f"{a.rate:.0f}/{b.rate:.0f}" for a, b in zip(closed, opened))
        print(
            f"    {VIEWS[key][0]:<10}  closed {c:7.1f}  open {o:7.1f} steps/s  open/closed "
            f"{o / c:6.1%}  view redrawn {live:4.1f}/s   (rounds, closed/open: {rounds})"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=6.0, help="seconds a stretch (default 6)")
    p.add_argument("--rounds", type=int, default=2, help="rounds per view (default 2)")
    p.add_argument("--cases", default="tutorial,spiral,big", help=", ".join(CASES))
    p.add_argument("--views", default="nhpg", help="the views' keys (default nhpg)")
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app runs")
    args = p.parse_args(argv)
    views = args.views.replace(",", "")
    if any(key not in VIEWS for key in views):
        p.error(f"--views: keys of {', '.join(VIEWS)}")
    cases = args.cases.split(",")
    if any(case not in CASES for case in cases):
        p.error(f"--cases: some of {', '.join(CASES)}")
    try:
        import pyte  # noqa: F401
    except ImportError:
        p.error("needs pyte: pip install pyte (the test extra has it)")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"The real app at {COLS}x{ROWS}, training; each view open against closed")
    print(f"({args.rounds} rounds of ~{args.seconds:g} s each; load {load} at start):")
    for case in cases:
        name, app_args, longer = CASES[case]
        launch = drive(args.root, app_args, views, args.seconds * longer, args.rounds)
        report(case, stretches(launch, views), views)
    return 0


if __name__ == "__main__":
    sys.exit(main())
