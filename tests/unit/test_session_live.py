"""The session's live settings without Textual: the rate ladder, retunes between steps,
the step pace (on a fake clock) and bursts of steps."""

from __future__ import annotations

import pytest

from micrograd.config import ConfigError
from micrograd.training import Trainer
from tests.unit.test_session import CONFIG, make_session, never
from tui.session import MAX_BURST_STEPS, Retuned, StepPace, rate_rung


@pytest.mark.parametrize(
    ("lr", "rungs", "expected"),
    [
        (0.1, 1, 0.2),
        (0.2, 1, 0.5),
        (0.5, 1, 1.0),
        (0.1, -1, 0.05),
        (0.05, -1, 0.02),
        (0.01, -2, 0.002),
        (0.03, 1, 0.05),  # off the ladder: the next rung either way
        (0.03, -1, 0.02),
        (50.0, 1, None),
        (1e-5, -1, None),
    ],
)
def test_the_rate_ladder_is_1_2_5_times_powers_of_ten(lr, rungs, expected):
    assert rate_rung(lr, rungs) == expected


def test_a_retune_applies_from_the_next_step_as_a_trainer_retuned_there():
    session, inbox = make_session()
    for _ in range(3):
        session.request_step()
    session.run("step", 0, never)
    config = session.request_retune(lr=0.05)
    assert config.lr == 0.05 and session.config == config
    assert session.trainer.optimizer.lr == 0.1  # the worker applies it, between steps
    for _ in range(2):
        session.request_step()
    session.run("step", 0, never)

    plain = Trainer(CONFIG)
    for _ in range(3):
        plain.step()
    plain.retune(lr=0.05)
    for _ in range(2):
        plain.step()
    assert [p.data for p in session.trainer.parameters] == [p.data for p in plain.parameters]
    assert inbox.of(Retuned) == [Retuned(0, 3, config)]  # said once, after step 3


def test_a_bad_retune_is_refused_and_nothing_is_asked():
    session, _ = make_session()
    with pytest.raises(ConfigError):
        session.request_retune(weight_decay=-1.0)
    assert session.retune_pending is None


def test_the_pace_spaces_steps_by_one_over_the_speed_without_catching_up():
    now = [100.0]
    pace = StepPace(5.0, clock=lambda: now[0])
    assert pace.wait() == 0.0  # the first step at once
    pace.started()
    assert pace.wait() == pytest.approx(0.2)
    now[0] += 0.05
    assert pace.wait() == pytest.approx(0.15)
    now[0] += 0.17  # a little late: the schedule keeps its beat
    pace.started()
    assert pace.wait() == pytest.approx(0.18)
    now[0] += 3.0  # far behind (a slow step, a pause): no burst to catch up
    pace.started()
    assert pace.wait() == pytest.approx(0.2)
    pace.speed = None
    assert pace.wait() == 0.0


def test_a_burst_queues_its_steps_and_the_worker_takes_exactly_them():
    session, _ = make_session()
    assert session.request_steps(10)
    session.run("step", 0, never)
    assert session.trainer.step_count == 10 and session.steps_done()


def test_a_burst_is_refused_while_max_burst_steps_wait_and_cancel_drops_them():
    session, _ = make_session()
    assert session.request_steps(MAX_BURST_STEPS)
    assert not session.request_steps(10)
    session.cancel_steps()
    assert session.steps_done()
