"""Never a backlog: the plots wait for the terminal's answer to a status query written
after each plot frame (tui.pacing); keys never wait. Pty tests run the real app on a
pseudo-terminal whose "terminal" answers, holds back or never answers the queries."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest

from micrograd.config import Config
from tests.functional.test_terminal import Pty
from tests.pilot_helpers import SIZE, settle, wait_until
from tui.app import MicrogradApp
from tui.pacing import ANSWER_LIMIT, FIRST_ANSWER_LIMIT, QUERY, LinkGate
from tui.widgets import BoundaryPlot

QUERY_BYTES = QUERY.encode()
ANSWER = b"\x1b[1;1R"
SYNC_QUERY, SYNC_ANSWER = b"\x1b[?2026$p", b"\x1b[?2026;2$y"
"""Textual asks for synchronized output; answered, it frames each update (BEGIN .. END)."""
BEGIN, END = b"\x1b[?2026h", b"\x1b[?2026l"
MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")


class AnsweringPty(Pty):
    """The app on a pty whose terminal answers its status queries while `answering` is
    set, and keeps the offsets in its output of the queries it did not answer."""

    def __init__(self, *argv: str, answering: bool = True) -> None:
        self.answering = threading.Event()
        if answering:
            self.answering.set()
        self.unanswered: list[int] = []
        super().__init__(*argv)

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            start = len(self.output)
            self.output += chunk
            if SYNC_QUERY in chunk:
                os.write(self.master, SYNC_ANSWER)
            for match in re.finditer(re.escape(QUERY_BYTES), chunk):
                if self.answering.is_set():
                    os.write(self.master, ANSWER)
                else:
                    self.unanswered.append(start + match.start())

    def answer_held(self) -> None:
        held, self.unanswered = self.unanswered, []
        self.answering.set()
        os.write(self.master, ANSWER * len(held))


def boundary_frames(output: bytes) -> int:
    """Screen updates (synchronized: BEGIN .. END) that write into the boundary plot's
    canvas at 80x24 (rows 3-19 left of column 45, where the side column starts)."""
    frames = 0
    for update in output.split(BEGIN)[1:]:
        update = update.split(END)[0]
        moves = [(int(row), int(col)) for row, col in MOVE.findall(update)]
        if any(3 <= row <= 19 and col <= 44 for row, col in moves):
            frames += 1
    return frames


def start_training(term: Pty) -> None:
    term.wait_for(b"paused")
    time.sleep(1.0)  # the first plots drawn
    mark = len(term.output)
    os.write(term.master, b" ")
    term.wait_for(b"running", since=mark)


@pytest.mark.slow
def test_a_terminal_holding_back_its_answer_gets_at_most_one_more_plot_frame() -> None:
    term = AnsweringPty("-m", "tui", "--n", "1000")
    try:
        start_training(term)
        time.sleep(2.0)  # frames flow while answers come
        assert boundary_frames(bytes(term.output)) >= 3
        term.answering.clear()  # the link is slow: answers take longer than this test
        deadline = time.monotonic() + 10
        while not term.unanswered:
            assert time.monotonic() < deadline, "no status query after the plot frames"
            time.sleep(0.02)
        held = term.unanswered[0]
        time.sleep(ANSWER_LIMIT - 1.5)  # training on, well before the answer limit
        assert term.proc.poll() is None
        # the frame the query followed has been written; at most one more past it
        assert boundary_frames(bytes(term.output[held:])) <= 1
        mark = len(term.output)
        term.answer_held()  # the link caught up: frames flow again
        deadline = time.monotonic() + 10
        while boundary_frames(bytes(term.output[mark:])) < 3:
            assert time.monotonic() < deadline, "no plot frames after the answers"
            time.sleep(0.05)
        os.write(term.master, b"qq")  # q asks once: steps are unsaved
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()


@pytest.mark.slow
def test_a_terminal_that_never_answers_gets_plot_frames_at_the_slow_rate() -> None:
    term = AnsweringPty("-m", "tui", "--n", "1000", answering=False)
    try:
        start_training(term)
        mark = len(term.output)
        seconds = 4 * FIRST_ANSWER_LIMIT
        time.sleep(seconds)
        frames = boundary_frames(bytes(term.output[mark:]))
        # one frame per answer limit, not one per PLOT_INTERVAL (0.3 s: about 20 here)
        assert 2 <= frames <= seconds / FIRST_ANSWER_LIMIT + 2
        os.write(term.master, b"qq")  # q asks once: steps are unsaved
        assert term.proc.wait(timeout=10) == 0
    finally:
        term.close()


async def test_a_key_is_answered_while_the_plots_wait_for_the_terminal() -> None:
    app = MicrogradApp(Config(n=1000))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        boundary = app.query_one(BoundaryPlot)
        shown = boundary.weights
        # a query is out (Pilot's terminal has none) and, its clock stopped, stays out
        app.main.gate = gate = LinkGate(clock=lambda: 0.0)
        gate.ask()
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 10)
        assert boundary.weights is shown  # the periodic plot updates wait for the answer
        await pilot.press("space")
        # the pause, and the plots of its last step, are shown at once: keys never wait
        await wait_until(pilot, lambda: app.state == "paused", timeout=1.0)
        assert "Paused at step" in str(app.query_one("#message").render())
        await wait_until(pilot, lambda: app.plots_drawn, timeout=2.0)
        assert boundary.weights is app.snapshot.weights
        assert gate.waiting
