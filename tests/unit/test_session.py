"""TrainingSession without Textual: its queue, resets, pauses, views' cadence, keys and saves."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable

import pytest

import tui.session as session_module
from micrograd.config import Config
from micrograd.run import Record, initial_record
from micrograd.runs import LAST_STEP, MAX_HISTORY, load_run
from micrograd.training import Trainer
from tui.session import (
    CHECK_BUDGET,
    GRADCHECK_INTERVAL,
    MAX_PENDING_STEPS,
    CheckProgress,
    DataEdited,
    Edit,
    NoTrainingPoints,
    Progress,
    RunSaved,
    TrainingSession,
    TrainingStopped,
    ViewSnapshots,
)
from tui.snapshots import Sample, Snapshot

CONFIG = Config(n=30)
"""Small enough that a step takes well under a millisecond."""

WAIT = 5.0
"""Most seconds a test waits for a worker thread: only a broken session waits this long."""


def never() -> bool:
    return False


class Inbox:
    """The post callable: keeps what the session posts, from any thread, in order."""

    def __init__(self) -> None:
        self.news: list = []
        self._changed = threading.Condition()

    def __call__(self, news: object) -> None:
        with self._changed:
            self.news.append(news)
            self._changed.notify_all()

    def of(self, kind: type) -> list:
        return [n for n in self.news if isinstance(n, kind)]

    def kinds(self) -> list[str]:
        return [type(n).__name__ for n in self.news]

    def wait_for(self, kind: type, count: int = 1) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.of(kind)) >= count, WAIT)


def make_session(save_dir: object = ".") -> tuple[TrainingSession, Inbox]:
    trainer = Trainer(CONFIG)
    (x0, y0), label0 = trainer.train_split[0]
    inbox = Inbox()
    session = TrainingSession(trainer, [], Sample((x0, y0), label0, 0), inbox, save_dir)
    return session, inbox


def in_thread(target: Callable[..., None], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def finished(thread: threading.Thread) -> bool:
    thread.join(WAIT)
    return not thread.is_alive()


def plain_records(steps: int) -> tuple[list, list[Snapshot]]:
    """What a plain Trainer's first steps give: their records and snapshots."""
    plain = Trainer(CONFIG)
    records, snapshots = [], []
    for _ in range(steps):
        result = plain.step()
        val = plain.evaluate(plain.val_split)
        records.append(Record(result.step, result.train_loss, result.train_acc, *val))
        snapshots.append(Snapshot.of(plain))
    return records, snapshots


def pause_after(session: TrainingSession, steps: int) -> None:
    """Patch the session's trainer to pause the session once it has taken `steps` steps."""
    trainer = session.trainer
    real_step = trainer.step

    def step(should_stop=None):
        result = real_step(should_stop)
        if result is not None and result.step >= steps:
            session.pause()
        return result

    trainer.step = step


# ------------------------------------------------------------------ the step queue


def test_the_step_queue_takes_max_pending_steps_and_counts_the_presses_dropped():
    session, _ = make_session()
    assert all(session.request_step() for _ in range(MAX_PENDING_STEPS))
    assert (session.pending_steps, session.dropped_steps) == (MAX_PENDING_STEPS, 0)
    assert not session.request_step()
    assert not session.request_step()
    assert (session.pending_steps, session.dropped_steps) == (MAX_PENDING_STEPS, 2)
    assert not session.steps_done()


def test_a_new_burst_of_steps_starts_counting_the_dropped_again():
    session, _ = make_session()
    for _ in range(MAX_PENDING_STEPS + 1):
        session.request_step()
    session.run("step", 0, never)
    assert session.steps_done() and session.trainer.step_count == MAX_PENDING_STEPS
    assert session.dropped_steps == 1  # still said until the next burst
    assert session.request_step()
    assert (session.pending_steps, session.dropped_steps) == (1, 0)


@pytest.mark.parametrize("clear", ["play", "request_reset"])
def test_training_or_a_reset_empties_the_step_queue(clear):
    session, _ = make_session()
    for _ in range(MAX_PENDING_STEPS + 1):
        session.request_step()
    getattr(session, clear)()
    assert (session.pending_steps, session.dropped_steps) == (0, 0)


def test_run_step_takes_exactly_the_queued_steps_with_a_plain_trainers_numbers():
    session, inbox = make_session()
    for _ in range(3):
        session.request_step()
    session.run("step", 0, never)
    assert inbox.kinds() == ["Progress"] * 3 + ["TrainingStopped"]
    records, snapshots = plain_records(3)
    for news, record, snapshot in zip(inbox.news, records, snapshots):
        assert (news.generation, news.records, news.steps_per_sec) == (0, [record], None)
        assert (news.snapshot.step, news.snapshot.params) == (snapshot.step, snapshot.params)
        assert (news.snapshot.adam_m, news.snapshot.adam_v) == (snapshot.adam_m, snapshot.adam_v)
    assert inbox.news[-1] == TrainingStopped(0)
    assert session.steps_done() and session.run_history == records

    session.run("step", 0, never)  # nothing queued: no step
    assert inbox.kinds()[4:] == ["TrainingStopped"] and session.trainer.step_count == 3


# ----------------------------------------------------------------------- reset


def test_a_reset_asked_for_while_a_worker_trains_is_done_by_the_next_holder():
    session, inbox = make_session()
    session.play()
    trainer_worker = in_thread(session.run, "train", 0, never)
    assert inbox.wait_for(Progress)  # training, holding the trainer
    generation = session.request_reset()
    # its worker is cancelled before it begins (the next key's worker replaces it):
    # the next one to hold the trainer, here s's, resets first
    assert session.request_step()
    step_worker = in_thread(session.run, "step", generation, never)
    assert finished(trainer_worker) and finished(step_worker)

    stopped = inbox.news.index(TrainingStopped(0))
    old, new = inbox.news[: stopped + 1], inbox.news[stopped + 1 :]
    assert {news.generation for news in old} == {0}  # the old worker's news: stale
    assert generation == 1 and [type(n).__name__ for n in new] == [
        "Progress",
        "Progress",
        "TrainingStopped",
    ]
    step_zero, step_one, _ = new
    [record], snapshots = plain_records(1)
    assert step_zero.generation == step_one.generation == 1
    assert step_zero.records == [initial_record(Trainer(CONFIG))]
    assert step_zero.snapshot.params == Snapshot.of(Trainer(CONFIG)).params
    assert step_one.records == [record] and step_one.snapshot.params == snapshots[0].params
    assert session.run_history == [record]
    assert not session.reset_requested.is_set()


def test_a_reset_worker_cancelled_as_it_begins_still_resets():
    session, inbox = make_session()
    for _ in range(2):
        session.request_step()
    session.run("step", 0, never)
    generation = session.request_reset()
    inbox.news.clear()
    session.run("reset", generation, lambda: True)
    assert session.trainer.step_count == 0 and session.run_history == []
    assert Snapshot.of(session.trainer).params == Snapshot.of(Trainer(CONFIG)).params
    assert inbox.news == [
        Progress(generation, [initial_record(Trainer(CONFIG))], inbox.news[0].snapshot, None)
    ]


def test_a_worker_of_an_older_generation_takes_no_step():
    session, inbox = make_session()
    session.request_step()
    generation = session.request_reset()
    session.request_step()
    session.run("step", generation - 1, never)  # the reset is done, then nothing
    assert session.trainer.step_count == 0 and session.pending_steps == 1
    assert inbox.kinds() == ["Progress"] and inbox.news[0].generation == generation


# ----------------------------------------------------------------------- pause


@pytest.mark.parametrize("poll", [1, 12, 23], ids=["forward", "after-forward", "backward"])
def test_a_pause_mid_step_abandons_the_step_and_leaves_the_weights(poll):
    """A step polls 23 times at n = 30, hidden 8: 11 neurons forward, once, 11 backward."""
    session, inbox = make_session()
    trainer = session.trainer
    real_step = trainer.step
    mid_step, paused = threading.Event(), threading.Event()

    def step(should_stop=None):
        if trainer.step_count == 0:
            return real_step(should_stop)
        polls = 0

        def polled() -> bool:  # the second step stops at its poll-th poll for a pause
            nonlocal polls
            polls += 1
            if polls == poll:
                mid_step.set()
                paused.wait(WAIT)
            return should_stop()

        return real_step(polled)

    trainer.step = step
    session.play()
    worker = in_thread(session.run, "train", 0, never)
    assert mid_step.wait(WAIT)
    session.pause()  # from this thread, the app's
    paused.set()
    assert finished(worker)

    [record], [snapshot] = plain_records(1)
    now = Snapshot.of(trainer)
    assert trainer.step_count == trainer.optimizer.t == 1
    assert (now.params, now.adam_m, now.adam_v) == (
        snapshot.params,
        snapshot.adam_m,
        snapshot.adam_v,
    )
    assert all(p.grad == 0 for p in trainer.parameters)
    assert inbox.kinds() == ["Progress", "TrainingStopped"]
    assert inbox.news[0].records == [record] and session.run_history == [record]


# --------------------------------------------------------------- the views' cadence


def fake_clock(monkeypatch: pytest.MonkeyPatch, start: float = 1000.0) -> list[float]:
    """The session's time.monotonic reads clock[0]."""
    clock = [start]
    fake = types.SimpleNamespace(
        monotonic=lambda: clock[0],
        perf_counter=time.perf_counter,
        thread_time=time.thread_time,
        sleep=time.sleep,
    )
    monkeypatch.setattr(session_module, "time", fake)
    return clock


def test_post_views_posts_the_open_views_and_nothing_when_none_is_open():
    session, inbox = make_session()
    assert session.post_views(session.trainer, 0) == 0.0 and inbox.news == []
    session.open_views = frozenset({"graph", "params", "classes"})
    session.post_views(session.trainer, 0)
    [views] = inbox.news
    assert isinstance(views, ViewSnapshots) and views.generation == 0
    assert views.graph is not None and views.params is not None and views.classes is not None
    assert views.gradcheck is None
    assert views.params.rows[0].value == session.trainer.optimizer.params[0].data
    assert views.classes.step == 0 and sum(map(sum, views.classes.counts)) == 3


def test_the_gradient_check_waits_gradcheck_interval_unless_forced(monkeypatch):
    session, inbox = make_session()
    clock = fake_clock(monkeypatch)
    session.open_views = frozenset({"gradcheck"})

    def checked(**kwargs) -> bool:
        inbox.news.clear()
        session.post_views(session.trainer, 0, **kwargs)
        [views] = inbox.news
        return views.gradcheck is not None

    assert checked()
    clock[0] += GRADCHECK_INTERVAL * 0.99
    assert not checked()
    assert checked(force=True)  # e.g. after the last of a run of single steps
    assert checked(only="gradcheck")  # its view opened while paused
    clock[0] += GRADCHECK_INTERVAL * 0.99
    assert not checked()
    clock[0] += GRADCHECK_INTERVAL * 0.01
    assert checked()


def test_a_slow_gradient_check_spaces_the_next_ones_further(monkeypatch):
    session, _ = make_session()
    clock = fake_clock(monkeypatch)
    session.open_views = frozenset({"gradcheck"})
    real_check = session_module.GradCheckSnapshot.of

    def slow_check(*args, **kwargs):
        clock[0] += 0.3  # ten times this is more than GRADCHECK_INTERVAL
        return real_check(*args, **kwargs)

    monkeypatch.setattr(session_module.GradCheckSnapshot, "of", slow_check)
    session.post_views(session.trainer, 0)
    assert session.gradcheck_due == pytest.approx(1000.0 + 10 * 0.3)


def test_a_check_estimated_over_the_budget_waits_for_a_pause():
    session, inbox = make_session()
    session.open_views = frozenset({"gradcheck", "params"})
    session.check_cost = 2 * CHECK_BUDGET  # measured once: a bigger model's
    session.post_views(session.trainer, 0)
    assert inbox.news[0] == CheckProgress(0, 0, 0, waits_for_pause=2 * CHECK_BUDGET)
    [views] = inbox.news[1:]
    assert views.gradcheck is None and views.params is not None
    inbox.news.clear()
    session.post_views(session.trainer, 0, force=True)  # the pause: now it runs
    [views] = inbox.news
    assert views.gradcheck is not None
    assert len(views.gradcheck.checks) == len(session.trainer.optimizer.params)


def test_the_check_cost_is_measured_once_while_training():
    session, inbox = make_session()
    session.open_views = frozenset({"gradcheck"})
    session.post_views(session.trainer, 0)
    assert session.check_cost is not None and 0 < session.check_cost < CHECK_BUDGET
    assert inbox.of(ViewSnapshots)[0].gradcheck is not None


def test_while_training_the_views_follow_their_own_cadence(monkeypatch):
    session, inbox = make_session()
    monkeypatch.setattr(session_module, "PANEL_INTERVAL", 0.0)  # every step posted
    session.open_views = frozenset({"params"})
    session.view_show_cost = 1000.0  # the next views are due in 10,000 s
    pause_after(session, 3)
    session.play()
    session.run("train", 0, never)
    kinds = ["Progress", "ViewSnapshots", "Progress", "Progress", "ViewSnapshots"]
    assert inbox.kinds() == [*kinds, "TrainingStopped"]  # the last: where it paused
    assert inbox.news[-2].params.step == 3


def test_the_worker_hands_over_the_interpreter_once_an_interval_not_at_every_poll(
    monkeypatch,
):
    """A zero-length sleep (the hand-over) costs 15-70 us on a virtual machine, and the
    worker polls some 25 times a step: at every poll, training ran at a third of its
    speed. Now one comes after YIELD_INTERVAL of training."""
    zero_sleeps = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if seconds == 0:
            zero_sleeps.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    counts = {}
    for interval in (0.0, 1e9):  # at every poll; never within these steps
        monkeypatch.setattr(session_module, "YIELD_INTERVAL", interval)
        session, _ = make_session()
        pause_after(session, 5)
        session.play()
        zero_sleeps.clear()
        session.run("train", 0, never)
        assert session.trainer.step_count == 5
        counts[interval] = len(zero_sleeps)
    assert counts[0.0] >= 5 * 8  # a poll before each of the 8 first-layer neurons at least
    assert counts[1e9] == 0


# ------------------------------------------------------------------------- keys


class RecordingEvent(threading.Event):
    """An Event that remembers the timeout of every wait, and says when one begins."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        self.waiting.set()
        return super().wait(timeout)


def test_while_a_key_is_answered_the_worker_waits_and_goes_on_once_answered(monkeypatch):
    monkeypatch.setattr(session_module, "KEY_WAIT", 60.0)  # a wait that no test outlasts
    session, inbox = make_session()
    session.ui_free = RecordingEvent()
    session.key_answered()
    session.key_arrived()
    session.request_step()
    worker = in_thread(session.run, "step", 0, never)
    assert session.ui_free.waiting.wait(WAIT)
    assert inbox.news == [] and session.trainer.step_count == 0  # it waits at its first poll
    started = time.monotonic()
    session.key_answered()
    assert finished(worker)  # at once, not after KEY_WAIT
    assert time.monotonic() - started < WAIT
    assert session.ui_free.timeouts == [60.0]
    assert inbox.kinds() == ["Progress", "TrainingStopped"]


def test_a_key_not_yet_answered_holds_each_poll_at_most_key_wait(monkeypatch):
    monkeypatch.setattr(session_module, "KEY_WAIT", 0.001)
    session, inbox = make_session()
    session.ui_free = RecordingEvent()
    session.key_arrived()  # never answered
    session.request_step()
    worker = in_thread(session.run, "step", 0, never)
    done = finished(worker)
    session.key_answered()  # frees a broken session's worker
    assert done and session.trainer.step_count == 1
    assert len(session.ui_free.timeouts) > 20 and set(session.ui_free.timeouts) == {0.001}


# ------------------------------------------------------------------- training


def test_the_first_step_of_a_train_run_is_posted_at_once(monkeypatch):
    monkeypatch.setattr(session_module, "PANEL_INTERVAL", 1e9)
    session, inbox = make_session()
    pause_after(session, 4)
    session.play()
    session.run("train", 0, never)
    records, _ = plain_records(4)
    assert inbox.kinds() == ["Progress", "Progress", "TrainingStopped"]
    first, rest, _ = inbox.news
    assert first.records == records[:1] and first.steps_per_sec is not None
    assert rest.records == records[1:] and rest.steps_per_sec is None


def test_the_last_step_is_never_passed():
    session, inbox = make_session()
    trainer = session.trainer
    trainer.step_count = trainer.optimizer.t = LAST_STEP - 1
    pause_after(session, LAST_STEP)  # a broken session's training stops after a step
    for _ in range(3):
        session.request_step()
    session.run("step", 0, never)
    assert trainer.step_count == trainer.optimizer.t == LAST_STEP and session.at_last_step()
    assert [r.step for p in inbox.of(Progress) for r in p.records] == [LAST_STEP]
    session.play()
    session.run("train", 0, never)
    assert trainer.step_count == trainer.optimizer.t == LAST_STEP
    assert inbox.kinds() == ["Progress", "TrainingStopped", "TrainingStopped"]


def test_steps_queued_at_the_last_step_are_dropped_so_stepping_ends():
    # the app leaves "stepping" when the queue is empty: left full, it said so forever
    session, _ = make_session()
    trainer = session.trainer
    trainer.step_count = trainer.optimizer.t = LAST_STEP - 1
    for _ in range(3):
        session.request_step()
    session.run("step", 0, never)
    assert trainer.step_count == LAST_STEP and session.steps_done()


def test_an_optimizer_at_the_last_step_takes_none_either():
    session, inbox = make_session()
    session.trainer.optimizer.t = LAST_STEP
    pause_after(session, 1)  # a broken session's training stops after a step
    session.play()
    session.run("train", 0, never)
    assert session.trainer.step_count == 0 and inbox.kinds() == ["TrainingStopped"]


# ----------------------------------------------------------------------- saves


def test_a_save_asked_for_while_stepping_writes_a_run_that_loads_back(tmp_path):
    session, inbox = make_session(tmp_path)
    for _ in range(3):
        session.request_step()
    session.request_save()
    session.run("step", 0, never)
    # saved between steps 1 and 2, before step 1's news
    assert inbox.kinds() == ["RunSaved", "Progress", "Progress", "Progress", "TrainingStopped"]
    saved = inbox.news[0]
    assert saved == RunSaved(str(tmp_path / "micrograd-run-seed42-step1.json"), None)
    loaded, history = load_run(saved.path)
    records, snapshots = plain_records(2)
    assert loaded.step_count == 1 and [Record.from_json(h) for h in history] == records[:1]
    assert Snapshot.of(loaded).params == snapshots[0].params
    result = loaded.step()  # it goes on exactly as the session did
    assert (result.train_loss, result.train_acc) == (records[1].train_loss, records[1].train_acc)
    assert not session.save_requested.is_set()


def test_a_save_between_steps_writes_the_run_where_it_is(tmp_path):
    session, inbox = make_session(tmp_path)
    session.request_step()
    session.run("step", 0, never)
    session.request_save()
    session.save_between_steps()
    saved = inbox.news[-1]
    assert isinstance(saved, RunSaved) and saved.error is None
    loaded, history = load_run(saved.path)
    assert loaded.step_count == 1 and history == [r.as_json() for r in session.run_history]
    session.save_between_steps()  # nothing asked for: nothing written
    assert inbox.news[-1] is saved


def fail_to_save(*args: object) -> None:
    raise RuntimeError("the disk\n is on fire")


@pytest.mark.parametrize("why", ["missing folder", "an exception"])
def test_a_failing_save_says_why_and_the_steps_go_on(tmp_path, monkeypatch, why):
    folder = tmp_path / "missing"
    if why == "an exception":
        folder = tmp_path
        monkeypatch.setattr("micrograd.run.save_new_run", fail_to_save)
    session, inbox = make_session(folder)
    for _ in range(3):
        session.request_step()
    session.request_save()
    session.run("step", 0, never)
    assert inbox.kinds() == ["RunSaved", "Progress", "Progress", "Progress", "TrainingStopped"]
    saved = inbox.news[0]
    name = folder / "micrograd-run-seed42-step1.json"
    expected = {
        "missing folder": "No such file or directory",
        "an exception": "RuntimeError: the disk is on fire",
    }[why]
    assert saved == RunSaved(None, f"{expected}: {name}")
    assert session.trainer.step_count == 3 and list(tmp_path.iterdir()) == []


def test_a_save_asked_for_before_a_reset_saves_the_run_as_it_was(tmp_path):
    # w then r, the save's worker reaching the trainer after the reset was asked for
    session, inbox = make_session(tmp_path)
    for _ in range(2):
        session.request_step()
    session.run("step", 0, never)
    session.request_save()
    session.request_reset()
    session.save_between_steps()
    [saved] = inbox.of(RunSaved)
    assert saved.error is None and load_run(saved.path)[0].step_count == 2
    assert session.trainer.step_count == 0


def test_the_gradient_check_after_a_reset_gives_way_to_steps_asked_for():
    session, inbox = make_session()
    session.open_views = frozenset({"gradcheck"})
    polls = []
    real_check = session_module.GradCheckSnapshot.of

    def check(trainer, should_stop, progress):
        polls.append(should_stop is not None and should_stop())
        return real_check(trainer, should_stop, progress)

    session_module.GradCheckSnapshot.of = check
    try:
        session.request_reset()
        session.play()  # space right after r: the check must not hold up training
        with session.holding_trainer():
            pass
    finally:
        session_module.GradCheckSnapshot.of = real_check
    assert polls == [True]


# ------------------------------------------------------------------ long runs


@pytest.mark.slow
def test_a_long_run_keeps_a_bounded_history_with_its_spikes(monkeypatch):
    """Three run files' worth of steps: the session keeps at most MAX_HISTORY records
    (what a save writes), the first, the newest and the spike among them."""
    session, _ = make_session()
    steps, spike = 3 * MAX_HISTORY, 12_345

    def quick_step(trainer, should_stop=None, evaluate=True):
        trainer.step_count = k = trainer.step_count + 1
        if k >= steps:
            session.pause()
        loss = 9.0 if k == spike else 1 / k
        return Record(k, loss, 0.5, loss, 0.5)

    monkeypatch.setattr("micrograd.run.step_record", quick_step)
    session.play()
    session.run("train", session.generation, lambda: False)
    kept = [r.step for r in session.run_history]
    assert len(kept) <= MAX_HISTORY
    assert kept[0] == 1 and kept[-1] == steps and spike in kept
    assert kept == sorted(kept)


# ------------------------------------------------------------------ the data's edits


def test_edits_are_made_in_order_between_steps_and_posted_with_the_splits():
    session, inbox = make_session()
    first = session.trainer.train_split[0]
    session.request_edit(Edit("add", (0.5, -0.5), 1))
    session.request_edit(Edit("remove", (float(first[0][0]), float(first[0][1])), first[1]))
    session.request_edit(Edit("remove", (0.0, 0.0), 2))  # no such point: refused
    session.edit_between_steps()
    (news,) = inbox.of(DataEdited)
    assert [e.kind for e in news.done] == ["add", "remove"] and news.step == 0
    assert news.refused is not None and "gone" in news.refused[1]
    assert list(news.train) == session.trainer.train_split
    assert len(news.train) == 24 and news.train[-1] == ([0.5, -0.5], 1)
    assert first not in news.train
    assert (len(news.val), news.test_size) == (3, 3)


def test_a_reset_drops_the_edits_asked_before_it():
    session, inbox = make_session()
    seeds = list(session.trainer.train_split)
    session.request_edit(Edit("clear"))
    session.request_reset()
    session.edit_between_steps()
    assert session.trainer.train_split == seeds and not inbox.of(DataEdited)


def test_a_step_of_no_points_stops_training_and_says_so():
    session, inbox = make_session()
    session.request_edit(Edit("clear"))
    session.play()
    thread = in_thread(session.run, "train", session.generation, never)
    assert finished(thread)
    assert inbox.kinds()[-2:] == ["NoTrainingPoints", "TrainingStopped"]
    assert not session.keep_training.is_set() and session.trainer.step_count == 0
    assert inbox.of(NoTrainingPoints)[0].generation == session.generation
