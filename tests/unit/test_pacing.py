"""LinkGate: the plots' frames paced by the terminal's answers, on a hand-set clock."""

from __future__ import annotations

from pytest import approx

from tui.pacing import ANSWER_LIMIT, FIRST_ANSWER_LIMIT, LONGEST_PAUSE, LinkGate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_gate_is_open_until_a_query_is_out_and_waits_the_round_trip_after_its_answer():
    clock = Clock()
    gate = LinkGate(clock)
    assert gate.wait() == 0
    gate.ask()
    clock.now += 0.4
    assert gate.wait() == approx(FIRST_ANSWER_LIMIT - 0.4)  # the answer is out
    assert gate.answer()
    assert gate.round_trip == approx(0.4)
    assert gate.wait() == approx(0.4)  # as long again as the round trip took
    clock.now += 0.4
    assert gate.wait() == 0


def test_a_terminal_that_never_answers_gets_a_frame_per_first_answer_limit():
    clock = Clock()
    gate = LinkGate(clock)
    for _ in range(3):
        gate.ask()
        clock.now += FIRST_ANSWER_LIMIT - 0.1
        assert gate.wait() > 0
        clock.now += 0.1
        assert gate.wait() == 0


def test_a_terminal_that_answered_before_is_waited_for_longer():
    clock = Clock()
    gate = LinkGate(clock)
    gate.ask()
    gate.answer()
    gate.ask()
    clock.now += FIRST_ANSWER_LIMIT
    assert gate.wait() == approx(ANSWER_LIMIT - FIRST_ANSWER_LIMIT)


def test_answers_open_the_gate_only_for_the_newest_query_and_strays_change_nothing():
    clock = Clock()
    gate = LinkGate(clock)
    assert not gate.answer()  # stray: nothing asked
    assert gate.wait() == 0 and not gate.waiting
    gate.ask()
    gate.ask()
    assert not gate.answer()  # the older query's: the newer frame is on its way
    assert gate.waiting
    clock.now += 10.0
    assert gate.answer()
    assert gate.round_trip == 10.0
    assert gate.wait() == LONGEST_PAUSE  # a long round trip waits at most this
    assert not gate.answer()  # late, one too many: ignored
    assert gate.answered == gate.asked == 2
