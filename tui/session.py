"""TrainingSession: the training worker's loop and what it shares with the app (no Textual).

The app's keys call the request side (play, pause, request_step, request_reset,
request_save, key_arrived/key_answered) on the event loop; the app's thread workers call
the worker side (run, compute_view, measure_start, save_between_steps). The worker
reaches the app only through the post callable it was given, with the plain news below:
copies as plain numbers, never Values, each carrying the generation it belongs to (a
reset starts a new one, and the app drops news of an older one).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from micrograd.data import Point
from micrograd.rewind import Rewind
from micrograd.run import Record, Run, initial_record, record_history
from micrograd.runs import LAST_STEP, MAX_HISTORY, History
from micrograd.training import Config, Diverged, EmptyData, Trainer, param_count
from tui.snapshots import (
    ClassSnapshot,
    GradCheckSnapshot,
    GraphSnapshot,
    NeuronSnapshot,
    ParamSnapshot,
    Sample,
    Snapshot,
)

Mode = Literal["train", "step", "reset", "rewind"]

EditKind = Literal["add", "remove", "clear", "regenerate"]

View = Literal["graph", "params", "gradcheck", "classes", "neurons"]
"""The inside views the worker computes snapshots for, while they are open."""

END = sys.maxsize
"""A rewind to this step is one to the run's end, its present."""

EAGER_START = 2_000_000
"""Up to this many parameters x points the start's numbers (step 0's losses, the class
counts) are measured before the first frame (well under a second); a bigger model's
after it, in a worker, so the screen is not blank meanwhile."""

KEY_WAIT = 0.05
"""Most seconds the worker waits at one poll for the app to answer a key (the app says
when it has, after the frame that shows the answer; see key_arrived)."""

YIELD_INTERVAL = 0.002
"""Seconds of training between two hand-overs of the GIL to the event loop (a zero-length
sleep). One costs 15-70 us on a virtual machine (the timer's slack), and the worker polls
some 25 times a step at n = 100: at every poll it spent half its time asleep. The
interpreter's own switch interval (1 ms, runtime.py) bounds the event loop's wait anyway."""

KEY_ANSWER_LIMIT = 0.1
"""Seconds after a key at most until the worker goes on at full speed, should no frame
be drawn for the key (one that changes nothing on screen): the app's timer then calls
key_answered."""

WORKER_NICE = 10
"""How much nicer than the app the training thread runs (Linux, per thread). With cores to
spare nothing changes; when they are short (2 cores, other programs busy), the event loop,
the input thread and the terminal get one first: steadier frames and key answers, while
training then slows (by ~30% against two busy loops on 2 cores)."""

PANEL_INTERVAL = 0.1
"""Seconds between the worker's news while running: about 10 panel updates a second."""

MAX_PENDING_STEPS = 32
"""Single-step presses queued beyond this are dropped (with a bell and a message), so
holding `s` never runs away; tapping at ten a second loses none."""

MAX_BURST_STEPS = 200
"""A burst (10 or 100 steps at one key) is refused while this many steps or more wait."""

SPEEDS: tuple[float | None, ...] = (None, 1.0, 5.0, 20.0)
"""The speed settings, in steps per second, that the speed key cycles (None: as fast as
the worker goes, the default)."""

PACE_POLL = 0.05
"""Most seconds the worker sleeps at once while pacing, so a pause or a key is seen."""

PROGRESS_INTERVAL = 0.2
"""Seconds between the gradient check's progress reports while its view waits."""

VIEW_SHARE = 0.05
"""While training, the open views may take about this share of the time: their next
snapshots wait twenty times what the last ones cost to make (worker) and to show and draw
(the event loop's CPU time up to the frame that shows them), so a big model's views stay
live without stalling training or keys. Half the 10% an open view may cost: sending the
frames (the terminal driver's encoder, in its own thread) and Textual's own work around
them are not counted, and with a 10% share the neurons view cost 9-14%
(benchmarks/views.py)."""

CHECK_BUDGET = 0.5
"""Seconds a gradient check may take between two training steps; a longer one (a bigger
model) waits for a pause, and its view says so."""

GRADCHECK_INTERVAL = 1.0
"""Least seconds between gradient checks while training; a check that costs more than a
tenth of this spaces them further, so training keeps at least 90% of the worker."""


# ------------------------------------------------------------------ records


def check_cost(trainer: Trainer) -> float:
    """About how many seconds a gradient check of trainer takes: two evaluations of the
    training split per parameter (one evaluation is timed here, in this thread's CPU time:
    on a busy machine the clock's time also counts the other programs' turns, and a single
    short evaluation times a hundred times over misjudged the check)."""
    started = time.thread_time()
    trainer.evaluate(trainer.train_split)
    return 2 * len(trainer.optimizer.params) * (time.thread_time() - started)


def one_line(error: BaseException | None) -> str:
    """An exception as one line for the message line: its type, then what it says."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


RATE_LADDER = tuple(float(f"{m}e{k}") for k in range(-5, 2) for m in (1, 2, 5))
"""The learning rates + and - step through: 1, 2 and 5 times each power of ten, 1e-5 to 50."""


def rate_rung(lr: float, rungs: int) -> float | None:
    """The learning rate rungs steps up (or down, rungs < 0) RATE_LADDER from lr, which
    need not be on it (0.03 goes up to 0.05, down to 0.02); None past the ladder's ends."""
    if rungs > 0:
        above = [r for r in RATE_LADDER if r > lr * (1 + 1e-9)]
        return above[rungs - 1] if len(above) >= rungs else None
    below = [r for r in RATE_LADDER if r < lr * (1 - 1e-9)]
    return below[rungs] if len(below) >= -rungs else None


class StepPace:
    """When the next step may start, at a set speed: steps start 1/speed s apart, on a
    schedule that never catches up more than one step after a slow one (no burst).

    clock is injectable so the schedule is tested without waiting."""

    def __init__(self, speed: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.speed = speed
        """Steps per second, or None: no wait."""
        self.clock = clock
        self.due: float | None = None
        """When the next step may start (None: at once)."""

    def wait(self) -> float:
        """Seconds until the next step may start (0: now)."""
        if self.speed is None or self.due is None:
            return 0.0
        return max(0.0, self.due - self.clock())

    def started(self) -> None:
        """A step starts now: the next is due 1/speed s after this one was due."""
        if self.speed is None:
            return
        now, interval = self.clock(), 1.0 / self.speed
        late = self.due is None or now - self.due >= interval
        self.due = (now if late else self.due) + interval  # type: ignore[operator]

    def restart(self) -> None:
        """The next step starts at once (after a pause, or a new speed)."""
        self.due = None


# --------------------------------------------------------------------- news


@dataclass(frozen=True)
class Progress:
    """Steps finished since the worker's last news, and the model after the last one."""

    generation: int
    records: list[Record]
    snapshot: Snapshot
    steps_per_sec: float | None


@dataclass(frozen=True)
class ViewSnapshots:
    """The open inside views' numbers, computed by the worker after a step or on demand."""

    generation: int
    graph: GraphSnapshot | None = None
    """The selected sample's graph, if the graph view is open."""
    params: ParamSnapshot | None = None
    gradcheck: GradCheckSnapshot | None = None
    classes: ClassSnapshot | None = None
    neurons: NeuronSnapshot | None = None


@dataclass(frozen=True)
class CheckProgress:
    """How far the gradient check under way has got, while its view waits for it."""

    generation: int
    done: int
    total: int
    waits_for_pause: float = 0.0
    """If above 0: the check would take about this many seconds, too long between two
    training steps, so it runs at the next pause."""


@dataclass(frozen=True)
class FirstNumbers:
    """A big model's numbers at the start, measured after the first frame."""

    generation: int
    record: Record | None
    """The current step's record (None: a loaded run's history holds it)."""
    step_zero: Record | None
    """A loaded run's step 0, from the seed, if its history starts at step 1."""
    classes: ClassSnapshot


@dataclass(frozen=True)
class TrainingDiverged:
    """A step would have made the loss or the weights non-finite; nothing was applied."""

    generation: int
    step: int
    what: str
    """What went wrong, e.g. "the training loss is nan"."""
    given: bool = False
    """Were the weights it failed at given (a run file's, no step of this run made them)?"""


@dataclass(frozen=True)
class Retuned:
    """The worker applied a new learning rate or weight decay: the steps after step use
    config (the loss curve marks step)."""

    generation: int
    step: int
    config: Config


@dataclass(frozen=True)
class Edit:
    """A change to the training data a key asked for: add a point of class label at
    point, remove the training point at point of class label, clear every training
    point, or regenerate the config's dataset from its seed."""

    kind: EditKind
    point: tuple[float, float] | None = None
    label: int | None = None

    def apply(self, trainer: Trainer) -> None:
        """Make the change (worker side, between two steps). ValueError if it cannot be
        made: a point not in the plot's square, a class the dataset lacks, a split full,
        or a point to remove that is not there (any more)."""
        if self.kind == "add":
            assert self.point is not None and self.label is not None
            trainer.add_point(self.point, self.label)
        elif self.kind == "remove":
            index = next(
                (
                    i
                    for i, ((x, y), k) in enumerate(trainer.train_split)
                    if (x, y) == self.point and k == self.label
                ),
                None,
            )
            if index is None:
                raise ValueError("that training point is gone already")
            trainer.remove_point(index)
        elif self.kind == "clear":
            trainer.clear_points()
        else:
            trainer.regenerate()


@dataclass(frozen=True)
class DataEdited:
    """The worker changed the training data: the edits made after step (the steps after
    it learn from them), the one it refused and why, and the splits now."""

    generation: int
    step: int
    done: tuple[Edit, ...]
    refused: tuple[Edit, str] | None
    train: tuple[Point, ...]
    val: tuple[Point, ...]
    test_size: int


@dataclass(frozen=True)
class NoTrainingPoints:
    """A step was asked of a training split with no points (all cleared): none was taken,
    and training stopped."""

    generation: int


@dataclass(frozen=True)
class Rewound:
    """The trainer is at step of the run's steps to end: that step's model and record; at
    end, the run's present."""

    generation: int
    step: int
    end: int
    record: Record
    snapshot: Snapshot
    kept_from: int | None = None
    """If a step before start was asked for: the run's steps before start are not kept
    (a loaded run whose settings or data changed on the way)."""


@dataclass(frozen=True)
class Replaying:
    """A loaded run's steps before its own are being trained again from its seed, to
    bring an earlier one back: done of total so far. stopped: given up, as a key asked for
    something else (the trainer stays where it was)."""

    generation: int
    done: int
    total: int
    stopped: bool = False


@dataclass(frozen=True)
class Branched:
    """A step was taken at a past step: the run goes on from step, its future after
    step abandoned (the app keeps drawing it, faint, until the next reset)."""

    generation: int
    step: int


@dataclass(frozen=True)
class TrainingStopped:
    """The worker has stopped stepping (paused, done with single steps, or cancelled)."""

    generation: int


@dataclass(frozen=True)
class RunSaved:
    """The `w` key's save finished: the file written, or why it could not be."""

    path: str | None
    error: str | None


@dataclass(frozen=True)
class Checkpoint:
    """A loaded run's state, to go back to (`R`): weights, AdamW's state, step, history."""

    step: int
    params: tuple[float, ...]
    t: int
    m: tuple[float, ...]
    v: tuple[float, ...]
    history: tuple[Record, ...]
    data: tuple[Point, ...] | None = None
    """The run file's edited training split (None: the seed's)."""
    batch: tuple[int, tuple[int, ...], int, int] = (0, (), 0, 0)
    """The minibatches' state: the RNG's, the epoch's order, the position, the epochs."""
    settings: tuple[tuple[int, float, float, int | None], ...] = ()
    """The live settings' changes the run file kept (Trainer.settings)."""

    @classmethod
    def of(cls, trainer: Trainer, history: Iterable[Record]) -> Checkpoint:
        opt = trainer.optimizer
        params = tuple(p.data for p in trainer.model.parameters())
        data = tuple(trainer.train_split) if trainer.edited else None
        batch = (
            trainer.batch_rng.state,
            tuple(trainer.batch_order),
            trainer.batch_pos,
            trainer.epoch_count,
        )
        moments = opt.t, tuple(opt.m), tuple(opt.v)
        settings = tuple(trainer.settings)
        return cls(trainer.step_count, params, *moments, tuple(history), data, batch, settings)

    def restore(self, trainer: Trainer) -> None:
        """Put trainer back at this step, as the run file loaded it: its weights, the
        optimizer's and the minibatches' state, its (edited) training data."""
        trainer.reset()  # the seed's data, and no last step's gradients
        for p, x in zip(trainer.model.parameters(), self.params):
            p.data = x
        opt = trainer.optimizer
        opt.t, opt.m, opt.v = self.t, list(self.m), list(self.v)
        trainer.step_count = self.step
        if self.data is not None:
            trainer.train_split, trainer.edited = list(self.data), True
        state, order, pos, epochs = self.batch
        trainer.batch_rng.state, trainer.batch_order = state, list(order)
        trainer.batch_pos, trainer.epoch_count = pos, epochs
        trainer.settings = list(self.settings)


News = (
    Progress
    | ViewSnapshots
    | CheckProgress
    | FirstNumbers
    | TrainingDiverged
    | TrainingStopped
    | RunSaved
    | Retuned
    | DataEdited
    | NoTrainingPoints
    | Rewound
    | Replaying
    | Branched
)


# ------------------------------------------------------------------ session


class TrainingSession:
    """One run being trained: the trainer, its history for saving, and the flags, queue
    and cadence that the app's keys and the worker threads share.

    Only one worker holds the trainer at a time (holding_trainer). The request side runs
    on the app's event loop; the flags it sets are Events, locks or whole values
    replaced at once, so a worker reads them safely at any moment.
    """

    def __init__(
        self,
        trainer: Trainer,
        history: Iterable[Record],
        sample: Sample,
        post: Callable[[News], None],
        save_dir: str | Path = ".",
        shown_limit: int = MAX_HISTORY,
    ) -> None:
        self.current_run = Run(trainer, history)
        """The trainer and its records since step 0, for saving: owned by the worker while
        one runs (the event loop touches it only before); bounded, a long run's older
        records thinned as a run file keeps them (runs.MAX_HISTORY)."""
        self.shown: History[Record] = record_history(limit=shown_limit)
        """The records the app shows, step 0 first (see show_start), kept on the event loop
        from the worker's news: the run's own history changes under it while a worker
        steps, and the app's curve keeps fewer (shown_limit) than a run file."""
        self.post = post
        self.save_dir = Path(save_dir)
        """Where `w` writes runs."""
        self.sample = sample
        """The sample the graph view explains (replaced whole by the app)."""
        self.generation = 0
        """Bumped by every reset: news of an older generation is stale."""
        self.saved_at = trainer.step_count
        """The step whose run a file holds (as loaded, or the last `w`; 0 after a reset):
        the steps past it are unsaved."""
        self.loaded = Checkpoint.of(trainer, self.run_history) if trainer.step_count else None
        """A loaded run's step, which `R` goes back to (None: a new run)."""
        self.reset_to_loaded = False
        """Does the reset requested go back to the loaded step (else to step 0)?"""
        self.keep_training = threading.Event()
        self.pending_steps = 0
        self.pending_lock = threading.Lock()
        self.dropped_steps = 0
        """s presses dropped since the last burst of them began (the queue was full)."""
        self.trainer_lock = threading.Lock()
        self.reset_requested = threading.Event()
        """Set by `r`; whichever worker next holds the trainer resets it first."""
        self.save_requested = threading.Event()
        self.ui_free = threading.Event()
        """Clear from a key's arrival until the app has drawn its answer: meanwhile the
        worker waits at its polls (at most KEY_WAIT each), so the answer comes first."""
        self.ui_free.set()
        self.new_trainer: Trainer | None = None
        """A new run's trainer (the experiment screen's), swapped in by the next holder."""
        self.retune_pending: Config | None = None
        """The settings a live key asked for, applied by the worker before its next step."""
        self.edits_pending: list[Edit] = []
        """The data edits keys asked for, in order, applied by the worker before its next
        step (under pending_lock)."""
        self.pace = StepPace()
        """The speed setting and the schedule of the worker's steps (the worker's side)."""
        self.speed: float | None = None
        """The speed asked for (steps per second; None: as fast as it goes)."""
        self.loaded_marks = (
            [s[0] for s in trainer.settings if s[0] > 0] if trainer.step_count else []
        )
        """A loaded run's steps after which its settings changed, as its file keeps them."""
        self.marks: list[int] = list(self.loaded_marks)
        """The steps after which settings changed, since the last reset (event loop)."""
        self.open_views: frozenset[View] = frozenset()
        """Views the worker computes snapshots for: replaced whole, never mutated, so the
        worker reads a consistent set without a lock."""
        self.gradcheck_due = 0.0
        self.views_due = 0.0
        """While training: when the views' next snapshots are due (see VIEW_SHARE)."""
        self.check_cost: float | None = None
        """A gradient check's estimated seconds (the run's sizes fix it), once measured."""
        self.view_show_cost = 0.0
        """Seconds the event loop took to show the views' last snapshots."""
        self.rewind = self.new_rewind(trainer)
        """The run's States, to bring any step back (worker side, as the trainer)."""
        self.rewound: tuple[int, Record] | None = None
        """Worker side: the past step the trainer is at, and its record (None: the end)."""
        self.scrub_to: int | None = None
        """The step a rewind key asked for, brought back by the next holder of the trainer."""
        self.viewing: int | None = None
        """Event loop: the past step on screen (None: the run's present)."""
        self.abandoned: list[tuple[Record, ...]] = []
        """Event loop: the futures that branches abandoned since the last reset (drawn faint)."""

    def new_rewind(self, trainer: Trainer) -> Rewind:
        """A Rewind of trainer from its step, with that step's record if the run's history
        has it (step 0's is measured when asked)."""
        history = self.run_history
        last = history[-1] if history and history[-1].step == trainer.step_count else None
        return Rewind(trainer, last)

    @property
    def trainer(self) -> Trainer:
        return self.current_run.trainer

    @property
    def run_history(self) -> list[Record]:
        """The run's records (Run.history)."""
        history = self.current_run.history
        assert history is not None  # the session's run keeps its records
        return history  # type: ignore[return-value]

    # ------------------------------------------------- the app's side (event loop)

    def measures_later(self) -> bool:
        """Is the model too big to measure its start before the first frame?"""
        config = self.trainer.config
        return param_count(config.hidden) * config.n > EAGER_START

    def first_numbers(self, later: bool) -> tuple[list[Record], ClassSnapshot]:
        """The records and class counts the first frame shows: the run's history (a
        loaded run's step 0 added from the seed), or the current step measured now; if
        later, placeholders that measure_start's FirstNumbers replace."""
        trainer = self.trainer
        if later:
            first = Record(trainer.step_count, *[math.nan] * 4)  # until measured
            classes = ClassSnapshot(trainer.step_count, ((0,) * 3,) * 3)
            return list(self.run_history) or [first], classes
        history = list(self.run_history) or [initial_record(trainer)]
        if history[0].step == 1:  # a loaded run's: its step 0 again, from the seed
            history.insert(0, initial_record(Trainer(trainer.config)))
        return history, ClassSnapshot.of(trainer)

    def show_start(self, later: bool) -> ClassSnapshot:
        """Start the shown records with first_numbers(later); returns the class counts."""
        history, classes = self.first_numbers(later)
        self.shown = record_history(history, self.shown.limit)
        return classes

    def show_records(self, records: list[Record]) -> Record:
        """Add a Progress's records to the shown ones (step 0's: after a reset, anew, and
        no marks); returns the newest."""
        if records and records[0].step == 0:
            self.shown = record_history(limit=self.shown.limit)
            self.marks = [m for m in self.marks if m < records[-1].step]
        self.shown.extend(records)
        return self.shown[-1]

    def show_first_numbers(self, news: FirstNumbers) -> None:
        """Put a big model's measured start in place of the shown placeholders."""
        shown = self.shown
        if news.record is not None and shown[-1].step == news.record.step:
            shown[-1] = news.record
        if news.step_zero is not None and shown[0].step == 1:
            shown.insert(0, news.step_zero)

    def play(self) -> None:
        with self.pending_lock:
            self.pending_steps = 0
            self.dropped_steps = 0
        self.keep_training.set()

    def pause(self) -> None:
        self.keep_training.clear()  # the worker abandons its step within a few samples

    def request_step(self) -> bool:
        """Queue one step; False if the queue is full (the press is dropped and counted)."""
        with self.pending_lock:
            if self.pending_steps >= MAX_PENDING_STEPS:
                self.dropped_steps += 1  # said until the next burst
                return False
            if not self.pending_steps:  # a new burst
                self.dropped_steps = 0
            self.pending_steps += 1
        return True

    def request_steps(self, count: int) -> bool:
        """Queue count steps as one burst (S, C); False if MAX_BURST_STEPS already wait."""
        with self.pending_lock:
            if self.pending_steps >= MAX_BURST_STEPS:
                return False
            self.dropped_steps = 0
            self.pending_steps += count
        return True

    def cancel_steps(self) -> None:
        """Drop the queued steps (space while a burst runs): the step under way finishes."""
        with self.pending_lock:
            self.pending_steps = 0
            self.dropped_steps = 0

    @property
    def config(self) -> Config:
        """The run's settings as the keys last asked for them (the worker may not have
        applied a retune yet)."""
        return self.retune_pending or self.trainer.config

    def request_retune(self, **changes: float | None) -> Config:
        """Ask for a new lr, weight_decay or batch_size from the next step on (no reset);
        returns the config that will apply. Raises ConfigError, asking nothing, for a bad value."""
        config = replace(self.config, **changes)  # validated: ConfigError
        with self.pending_lock:
            self.retune_pending = config
        return config

    def request_edit(self, edit: Edit) -> None:
        """Ask for a change to the training data, made between two steps: by the worker
        training, or by edit_between_steps while none is."""
        with self.pending_lock:
            self.edits_pending.append(edit)

    def set_speed(self, speed: float | None) -> None:
        """Steps per second from now on (None: as fast as the worker goes)."""
        self.speed = speed

    def steps_done(self) -> bool:
        """Has the worker taken every queued step?"""
        with self.pending_lock:
            return self.pending_steps == 0

    def request_reset(self, to_loaded: bool = False) -> int:
        """Ask for step 0 again (to_loaded: for the loaded run's step); returns the new
        generation."""
        self.keep_training.clear()
        self.reset_to_loaded = to_loaded and self.loaded is not None
        if self.reset_to_loaded:  # its marks, as loaded (step 0's records clear the rest)
            self.marks = list(self.loaded_marks)
        self.scrub_to = self.viewing = None
        self.abandoned = []
        with self.pending_lock:
            self.pending_steps = 0
            self.dropped_steps = 0
            self.edits_pending = []  # step 0's data: the edits asked before r are void
        self.generation += 1
        self.reset_requested.set()  # kept even if a later key cancels this worker
        return self.generation

    def request_new_run(self, trainer: Trainer) -> tuple[int, ClassSnapshot]:
        """Ask for a new run of trainer (a new Config) at step 0, in place of this one: the
        next worker to hold the trainer swaps it in. Shows its step 0 now; returns the new
        generation and its class counts (trainer is read here, before any worker has it)."""
        generation = self.request_reset()
        with self.pending_lock:
            self.retune_pending = None
        self.new_trainer = trainer
        self.shown = record_history([initial_record(trainer)], self.shown.limit)
        self.marks = []
        return generation, ClassSnapshot.of(trainer)

    @property
    def end(self) -> int:
        """The run's last step (the present), as shown."""
        return self.shown[-1].step

    def request_scrub(self, step: int) -> None:
        """Ask for step of the run (from 0; the run's end at most, END for the end itself,
        however far the worker got): training pauses, queued steps are dropped, the next
        holder of the trainer brings it back."""
        step = max(0, step)
        self.keep_training.clear()
        self.cancel_steps()
        self.viewing = step if step < self.end else None
        self.scrub_to = step

    def show_branched(self, news: Branched) -> None:
        """The run goes on from news.step: the shown records after it become an abandoned
        future (drawn faint), the marks after it go."""
        step = news.step
        future = tuple(r for r in self.shown if r.step >= step)
        if len(future) > 1:
            self.abandoned.append(future)
        self.shown = record_history([r for r in self.shown if r.step <= step], self.shown.limit)
        self.marks = [m for m in self.marks if m <= step]
        self.viewing = None

    def unsaved_steps(self) -> int:
        """How many steps no run file holds (quitting would lose them): up to the run's
        present, even at a past step (the trainer is then at that step)."""
        return max(0, max(self.trainer.step_count, self.end) - self.saved_at)

    def request_save(self) -> None:
        self.save_requested.set()

    def stop(self) -> None:
        """The app is leaving: no more steps."""
        self.keep_training.clear()

    def key_arrived(self) -> None:
        """A key came in: the worker waits at its polls until key_answered()."""
        self.ui_free.clear()

    def key_answered(self) -> None:
        """The key's answer is on screen: the worker goes on at full speed."""
        self.ui_free.set()

    def at_last_step(self) -> bool:
        """At the last step a run file can count (runs.LAST_STEP)?"""
        return max(self.trainer.step_count, self.trainer.optimizer.t) >= LAST_STEP

    def steps_wanted(self) -> bool:
        """Has a key asked for training or steps (any thread)? A paused view's long
        gradient check then gives way: it runs again at the next pause."""
        return self.keep_training.is_set() or self.pending_steps > 0

    # ------------------------------------------------------ the worker's side

    def run(self, mode: Mode, generation: int, cancelled: Callable[[], bool]) -> None:
        """Train, take the pending single steps, or reset; posts what changed.

        Runs in a worker thread; only one at a time (the app's exclusive worker, and the
        trainer lock for a cancelled one still finishing).
        """

        def stale() -> bool:
            return cancelled() or generation != self.generation

        yielded = time.perf_counter()

        def should_stop() -> bool:
            # Hand the GIL to the event loop every YIELD_INTERVAL: keys stay quick mid-step.
            # While a key's answer is being drawn, wait for it (at most KEY_WAIT a poll).
            nonlocal yielded
            if not self.ui_free.is_set():
                self.ui_free.wait(KEY_WAIT)
            if (now := time.perf_counter()) - yielded >= YIELD_INTERVAL:
                time.sleep(0)
                yielded = now
            return stale() or (mode == "train" and not self.keep_training.is_set())

        with self.holding_trainer() as trainer:
            if stale() or mode in ("reset", "rewind"):  # done by holding_trainer
                return
            if self.rewound is not None:  # a step at a past step: a branch from there
                self.branch(trainer, generation)
            records: list[Record] = []
            started = time.monotonic()
            last_post = -math.inf  # the first step is posted at once
            steps_since_post = 0
            self.pace.restart()
            try:
                while not should_stop():
                    if self.wait_for_pace(should_stop):
                        break
                    if mode == "step":
                        with self.pending_lock:
                            if self.pending_steps <= 0:
                                break
                    if self.at_last_step():  # the queued steps cannot be taken
                        with self.pending_lock:
                            self.pending_steps = 0
                        break
                    self.apply_retune(trainer, generation)
                    self.apply_edits(trainer, generation)
                    self.rewind.changed(trainer)  # a retune, an edit: kept for the replays
                    self.pace.started()
                    record = self.current_run.step(should_stop)
                    if record is None:
                        break
                    self.rewind.note(trainer, record)
                    if mode == "step":
                        with self.pending_lock:
                            self.pending_steps -= 1
                    records.append(record)
                    self.save_if_requested(trainer)
                    steps_since_post += 1
                    now = time.monotonic()
                    if mode == "step" or now - last_post >= PANEL_INTERVAL:
                        speed = steps_since_post / max(now - max(last_post, started), 1e-9)
                        self.post(
                            Progress(
                                generation,
                                records,
                                Snapshot.of(trainer),
                                speed if mode == "train" and now > started else None,
                            )
                        )
                        records, last_post, steps_since_post = [], now, 0
                        if mode == "train" and now >= self.views_due:  # single steps: once done
                            made = self.post_views(trainer, generation, should_stop=should_stop)
                            # the gradient check keeps its own cadence (GRADCHECK_INTERVAL)
                            gap = (made + self.view_show_cost) / VIEW_SHARE
                            self.views_due = now + gap
            except Diverged as e:
                given = trainer.last_grads is None and trainer.step_count > 0
                self.post(TrainingDiverged(generation, e.step, e.what, given))
            except EmptyData:  # every point cleared: nothing to learn from until one is added
                self.keep_training.clear()
                self.cancel_steps()
                self.post(NoTrainingPoints(generation))
            finally:
                if records:
                    self.post(Progress(generation, records, Snapshot.of(trainer), None))
                self.save_if_requested(trainer)
                if not stale():  # a pause still gets the views of where it stopped
                    self.post_views(
                        trainer,
                        generation,
                        force=True,
                        should_stop=lambda: stale() or self.steps_wanted(),
                    )
                self.post(TrainingStopped(generation))

    def wait_for_pace(self, should_stop: Callable[[], bool]) -> bool:
        """Wait until the speed setting lets the next step start; True if should_stop()
        turned true meanwhile."""
        pace = self.pace
        if pace.speed != self.speed:  # a new setting: from now on
            pace.speed = self.speed
            pace.restart()
        while (wait := pace.wait()) > 0:
            time.sleep(min(wait, PACE_POLL))
            if should_stop():
                return True
        return False

    def apply_retune(self, trainer: Trainer, generation: int) -> None:
        """Apply the settings a live key asked for (worker side, between two steps), and
        say from which step they apply."""
        with self.pending_lock:
            config, self.retune_pending = self.retune_pending, None
        if config is None or config == trainer.config:
            return
        trainer.retune(lr=config.lr, weight_decay=config.weight_decay, batch_size=config.batch_size)
        self.post(Retuned(generation, trainer.step_count, trainer.config))

    def apply_edits(self, trainer: Trainer, generation: int) -> None:
        """Make the data edits keys asked for (worker side, between two steps), in order,
        and post the splits they leave."""
        with self.pending_lock:
            edits, self.edits_pending = self.edits_pending, []
        if not edits:
            return
        done: list[Edit] = []
        refused = None
        for edit in edits:
            try:
                edit.apply(trainer)
            except ValueError as e:
                refused = edit, str(e)
            else:
                done.append(edit)
        self.post_data(trainer, generation, tuple(done), refused)

    def post_data(
        self,
        trainer: Trainer,
        generation: int,
        done: tuple[Edit, ...] = (),
        refused: tuple[Edit, str] | None = None,
    ) -> None:
        """Post the trainer's splits, after the edits done (none: a reset's data)."""
        splits = trainer.train_split, trainer.val_split, trainer.test_split
        step = trainer.step_count
        train, val = tuple(splits[0]), tuple(splits[1])
        self.post(DataEdited(generation, step, done, refused, train, val, len(splits[2])))

    def edit_between_steps(self) -> None:
        """Make the data edits asked for once no step is under way (a training worker
        makes them between its steps)."""
        with self.holding_trainer():
            pass  # holding_trainer makes them

    @contextmanager
    def holding_trainer(self) -> Iterator[Trainer]:
        """Hold the trainer (worker threads only), first doing a reset `r` asked for:
        a reset is never lost to a worker cancelled before it began."""
        with self.trainer_lock:
            trainer = self.trainer
            if self.rewound is None and self.scrub_to is None:  # at a past step: at its branch
                self.apply_retune(trainer, self.generation)  # a `w`, an `r` keep the new settings
            if self.reset_requested.is_set():
                self.save_if_requested(trainer)  # `w` before `r`: the run as it was
                self.reset_requested.clear()
                generation = self.generation
                loaded = self.loaded if self.reset_to_loaded else None
                shown = trainer.train_split, trainer.val_split  # edited, maybe
                if self.new_trainer is not None:  # a new run: the old one is let go
                    trainer, self.new_trainer = self.new_trainer, None
                    shown = trainer.train_split, trainer.val_split  # the app shows its data
                    self.current_run = Run(trainer, [], self.current_run.limit)
                    self.loaded = None
                    records = [initial_record(trainer)]
                elif loaded is None:
                    records = [self.current_run.reset()]
                else:
                    loaded.restore(trainer)
                    run = self.current_run
                    run.history = record_history(loaded.history, run.limit)
                    records = list(run.history) or [initial_record(trainer)]
                    if records[0].step != 0:  # step 0 from the seed: the app's history restarts
                        records.insert(0, initial_record(Trainer(trainer.config)))
                self.saved_at = trainer.step_count
                self.rewind, self.rewound = self.new_rewind(trainer), None
                self.post(Progress(generation, records, Snapshot.of(trainer), None))
                self.post_moved(trainer, generation, shown)  # edits undone, maybe
            if self.rewound is None and self.scrub_to is None:  # at a past step: at its branch
                self.apply_edits(trainer, self.generation)  # after a reset: the edits asked since
            if self.scrub_to is not None:
                self.bring_back(trainer, self.generation)
            yield trainer

    def bring_back(self, trainer: Trainer, generation: int) -> None:
        """Put trainer at the step a rewind key asked for and post it, with the open views
        of that step (trainer lock held). A loaded run's steps before its own are replayed
        from the seed the first time they are asked for."""
        step, self.scrub_to = self.scrub_to, None
        assert step is not None
        rewind = self.rewind
        if self.rewound is None:
            rewind.changed(trainer)  # the present's settings, to come back to
        kept_from = None
        if step < rewind.start:
            report = self.paced_progress(
                lambda d, t: Replaying(generation, d, t), PANEL_INTERVAL, at_once=True
            )
            done = 0

            def progress(steps: int, total: int) -> None:
                nonlocal done
                done = steps
                report(steps, total)

            from_seed = rewind.replay_from_seed(
                trainer,
                should_stop=lambda: self.replay_given_up(generation, rewind.start),
                progress=progress,
            )
            if from_seed is None:  # given up: the trainer stays where it was
                if generation == self.generation and self.scrub_to is None:
                    step = rewind.end if self.rewound is None else self.rewound[0]
                    record = rewind.state_at(step, trainer)
                    self.post(Rewound(generation, step, rewind.end, record, Snapshot.of(trainer)))
                    self.post(Replaying(generation, done, rewind.start, stopped=True))
                return  # a reset, or a step asked for since: its worker does it
            if not from_seed:
                kept_from, step = rewind.start, rewind.start
        step = min(step, rewind.end)
        shown = trainer.train_split, trainer.val_split
        record = rewind.state_at(step, trainer)
        self.rewound = (step, record) if step < rewind.end else None
        self.post(Rewound(generation, step, rewind.end, record, Snapshot.of(trainer), kept_from))
        self.post_moved(trainer, generation, shown)  # that step's data, if edits differ

    def replay_given_up(self, generation: int, start: int) -> bool:
        """Should a loaded run's replay from its seed stop? After a reset, a step or
        training asked for, or a step asked for that needs no replay (start or later)."""
        asked = self.scrub_to
        return (
            generation != self.generation
            or self.steps_wanted()
            or (asked is not None and asked >= start)
        )

    def post_moved(
        self, trainer: Trainer, generation: int, shown: tuple[list[Point], list[Point]]
    ) -> None:
        """After a reset or a rewind moved the trainer: its splits, if they are not the
        shown ones any more, then the open views at once (given up for a newer
        generation or a step asked for)."""
        if (trainer.train_split, trainer.val_split) != shown:
            self.post_data(trainer, generation)
        self.post_views(
            trainer,
            generation,
            force=True,
            should_stop=lambda: generation != self.generation or self.steps_wanted(),
        )

    def branch(self, trainer: Trainer, generation: int) -> None:
        """Go on from the past step the trainer is at: the run's records and States after it
        are dropped (worker side; the app keeps the abandoned records to draw)."""
        assert self.rewound is not None
        (step, record), self.rewound = self.rewound, None
        run = self.current_run
        run.history = record_history([r for r in self.run_history if r.step <= step], run.limit)
        self.saved_at = min(self.saved_at, step)  # a file past step holds the abandoned future
        self.rewind.truncate(step, record)
        self.post(Branched(generation, step))

    def measure_start(self, generation: int) -> None:
        """A big model's start: its current step's record and class counts, and a loaded
        run's step 0 from the seed, measured after the first frame."""
        with self.holding_trainer() as trainer:
            if generation != self.generation:
                return  # reset first: that posted step 0's numbers
            record = None if self.run_history else initial_record(trainer)
            step_zero = None
            if self.run_history and self.run_history[0].step == 1:
                step_zero = initial_record(Trainer(trainer.config))
            classes = ClassSnapshot.of(trainer)
            self.post(FirstNumbers(generation, record, step_zero, classes))

    def compute_view(self, view: View, generation: int, cancelled: Callable[[], bool]) -> None:
        """While paused: compute a view that just opened (the trainer worker is idle)."""
        with self.holding_trainer() as trainer:
            if cancelled() or generation != self.generation:
                return
            self.post_views(
                trainer,
                generation,
                only=view,
                should_stop=lambda: generation != self.generation or self.steps_wanted(),
            )

    def post_views(
        self,
        trainer: Trainer,
        generation: int,
        force: bool = False,
        only: View | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> float:
        """Post the open views' snapshots; call it with the trainer lock held. Returns
        the seconds it took, the gradient check's aside.

        The gradient check runs at most once per GRADCHECK_INTERVAL unless forced (after
        the last step of a run of steps, or when its view opens while paused).
        """
        views = self.open_views if only is None else self.open_views & {only}
        if not views:
            return 0.0
        now = time.monotonic()
        graph = params = check = classes = None
        check_seconds = 0.0
        if "graph" in views:
            sample = self.sample
            graph = GraphSnapshot.of(trainer, sample.point, sample.target)
        if "params" in views:
            params = ParamSnapshot.of(trainer)
        if "classes" in views:
            classes = ClassSnapshot.of(trainer)
        neurons = None
        if "neurons" in views:
            neurons = NeuronSnapshot.of(trainer, list(self.current_run.ratios))
        if "gradcheck" in views and (force or only or now >= self.gradcheck_due):
            estimate = 0.0
            if not (force or only):  # training: is there time for it between two steps?
                if self.check_cost is None:
                    self.check_cost = check_cost(trainer)
                estimate = self.check_cost
            if estimate > CHECK_BUDGET:  # too long between two steps: at the next pause
                self.post(CheckProgress(generation, 0, 0, estimate))
                self.gradcheck_due = now + GRADCHECK_INTERVAL
            else:
                started = time.monotonic()
                progress = self.paced_progress(
                    lambda d, t: CheckProgress(generation, d, t), PROGRESS_INTERVAL
                )
                check = GradCheckSnapshot.of(trainer, should_stop, progress)
                check_seconds = time.monotonic() - started  # 0.1 s for n = 100, 0.8 for 1000
                self.gradcheck_due = now + max(GRADCHECK_INTERVAL, 10 * check_seconds)
        self.post(ViewSnapshots(generation, graph, params, check, classes, neurons))
        return time.monotonic() - now - check_seconds

    def paced_progress(
        self, news: Callable[[int, int], News], every: float, at_once: bool = False
    ) -> Callable[[int, int], None]:
        """A progress callback (worker side) that posts news(done, total) at most every
        `every` s: the first after that long, so a short task says nothing (a gradient
        check), or at once (a replay from the seed, which a key asked for)."""
        last = -math.inf if at_once else time.monotonic()

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= every:
                last = now
                self.post(news(done, total))

        return progress

    def save_between_steps(self) -> None:
        """Save once no step is under way (a running worker saves between its steps)."""
        with self.holding_trainer() as trainer:
            self.save_if_requested(trainer)

    def save_if_requested(self, trainer: Trainer) -> None:
        """If `w` was pressed, write the run; call with the trainer lock held."""
        if not self.save_requested.is_set():
            return
        self.save_requested.clear()
        # a name taken by another run (other settings, a loaded file) gets a suffix -2, -3...
        stem = f"micrograd-run-seed{trainer.config.seed}-step{trainer.step_count}"
        run = self.current_run
        if self.rewound is not None:  # at a past step: the run as it was then
            run = Run(trainer, [r for r in self.run_history if r.step <= trainer.step_count])
        try:
            saved = run.save_new(self.save_dir, stem)
        except OSError as e:  # the why first
            self.post(RunSaved(None, f"{e.strerror or e}: {self.save_dir / stem}.json"))
        except Exception as e:  # said on screen; the worker that saves (maybe the trainer) goes on
            self.post(RunSaved(None, f"{one_line(e)}: {self.save_dir / stem}.json"))
        else:
            # at a past step the file holds the run up to it (its steps since, no file)
            self.saved_at = (
                max(self.saved_at, trainer.step_count) if self.rewound else trainer.step_count
            )
            self.post(RunSaved(str(saved), None))


__all__ = [
    "CheckProgress",
    "Branched",
    "Checkpoint",
    "DataEdited",
    "Edit",
    "END",
    "FirstNumbers",
    "KEY_ANSWER_LIMIT",
    "MAX_PENDING_STEPS",
    "News",
    "NoTrainingPoints",
    "Progress",
    "Retuned",
    "Replaying",
    "Rewound",
    "RunSaved",
    "RATE_LADDER",
    "SPEEDS",
    "StepPace",
    "TrainingDiverged",
    "TrainingSession",
    "TrainingStopped",
    "ViewSnapshots",
    "WORKER_NICE",
    "rate_rung",
]
