"""LinkGate: at most about one plot frame in flight to the terminal, paced by the round
trip of a status query written after each frame.

Over a slow link (ssh) what the app writes faster than the link carries queues in buffers
between the app and the screen, and a key's answer waits behind it. After each plot frame
the app writes a cursor-position query (QUERY); the terminal answers it once it has read
everything before it, so while the answer is out a frame is still on its way, and the
next plot frame waits. After the answer the next waits as long again as the round trip
took, so plots take at most about half of a slow link and keys find room. Keys never
wait for the gate: only the plots' periodic updates ask it.

A terminal that has never answered may be one that does not (some don't): after
FIRST_ANSWER_LIMIT s without an answer the gate opens anyway, so its plots come at that
slow, fixed rate. One that has answered before is waited for longer (ANSWER_LIMIT s): its
answer is late because the link is, and sending more would only lengthen the queue.
Answers come back in the order asked; one that answers no query (stray, or late after a
reset) changes nothing. No Textual here: the clock is passed in, the app writes and reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable

QUERY = "\x1b[6n"
"""Device status report: the terminal answers with the cursor's position, ESC [ row ; col R."""

FIRST_ANSWER_LIMIT = 1.5
"""Seconds a terminal that has never answered is waited for before a frame goes anyway."""

ANSWER_LIMIT = 5.0
"""Seconds a terminal that has answered before is waited for before a frame goes anyway."""

LONGEST_PAUSE = 2.0
"""The longest wait after an answer (a round trip counts up to this)."""


class LinkGate:
    """Whether the next plot frame may go: counts queries asked and answered, measures
    the round trip of the newest."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.asked = 0
        """Queries written so far."""
        self.answered = 0
        """Answers that matched a query (the terminal answers in order)."""
        self._asked_at = 0.0
        """When the newest query was written."""
        self._opens_at = 0.0
        """No frame before this moment (the last answer plus its round trip)."""
        self.round_trip: float | None = None
        """Seconds the newest answered query took (None: none answered yet)."""

    @property
    def waiting(self) -> bool:
        """Is a query out, unanswered?"""
        return self.answered < self.asked

    def wait(self) -> float:
        """Seconds until the next plot frame may go: 0 now; while a query is out, the
        time left to the answer limit (the answer opens the gate sooner)."""
        now = self._clock()
        if self.waiting:
            limit = FIRST_ANSWER_LIMIT if self.round_trip is None else ANSWER_LIMIT
            return max(0.0, self._asked_at + limit - now)
        return max(0.0, self._opens_at - now)

    def ask(self) -> None:
        """A query has just been written, after a frame."""
        self.asked += 1
        self._asked_at = self._clock()

    def answer(self) -> bool:
        """An answer has come; True if it answered the newest query (the gate opens, or
        will after the round trip). One more than asked is stray: ignored."""
        if not self.waiting:
            return False
        self.answered += 1
        if self.waiting:
            return False  # an older query's answer: the newest frame is still on its way
        now = self._clock()
        self.round_trip = now - self._asked_at
        self._opens_at = now + min(self.round_trip, LONGEST_PAUSE)
        return True


__all__ = ["ANSWER_LIMIT", "FIRST_ANSWER_LIMIT", "LONGEST_PAUSE", "QUERY", "LinkGate"]
