"""Rewind: bring back any step of a run exactly, from sparse checkpoints and a replay.

Training is deterministic: the weights, the optimizer's state (t, m, v), the settings
(lr, weight decay, batch size), the training split and the minibatch RNG's state at a
step fix every later step to the bit. So a run keeps a State every `every` steps (and
wherever a setting or the data changed between two steps), and any step s comes back
as the nearest State at or before s, then the steps from it to s taken again.

A State is the trainer as the next step sees it: a retune or a data edit made at step s
is part of step s's State (so branching from s keeps it, and steps after s replay with
it). Branching (truncate) forgets the States after a step: the run goes on from there.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from micrograd.config import Config, param_count
from micrograd.data import Point
from micrograd.run import Record, initial_record, step_record
from micrograd.training import Settings, Trainer

REPLAY_BUDGET = 1_000_000
"""About how many parameter x batch-point products a replay between two States may take:
MLP(2, [8, 3]) on 80 training points (51 x 80 = 4,080 a step, ~0.6 ms) replays the 100
steps of EVERY in ~0.06 s; a bigger model gets States closer together (see spacing)."""

EVERY = 100
"""The most steps between two States (see spacing)."""

PROGRESS_STEPS = 100
"""A replay from the seed says how far it has got every this many steps."""


def spacing(config: Config) -> int:
    """Steps between two States for a run of config: EVERY, fewer for a model whose step
    costs more, so a replay stays within REPLAY_BUDGET (well under 0.2 s)."""
    batch = config.batch_size or int(config.n * config.split) or 1
    cost = param_count(config.hidden) * max(min(batch, config.n), 1)
    return max(1, min(EVERY, REPLAY_BUDGET // cost))


def _floats(xs: Sequence[float] | None) -> array | None:
    return None if xs is None else array("d", xs)


@dataclass(frozen=True, eq=False)
class State:
    """A trainer at one step, as its next step sees it; and that step's record (None:
    step 0 of a run, measured again when asked)."""

    step: int
    epoch: int
    params: array
    t: int
    m: array
    v: array
    last_grads: array | None
    last_update: array | None
    config: Config
    train_split: list[Point]
    """The split itself: edits replace the list, never change it in place."""
    edited: bool
    rng: int
    order: list[int]
    """The epoch's shuffled order: replaced at each epoch, never changed in place."""
    pos: int
    settings: list[Settings]
    """The live settings' changes so far: replaced at each change, never changed in place."""
    record: Record | None

    @classmethod
    def of(cls, trainer: Trainer, record: Record | None) -> State:
        opt = trainer.optimizer
        return cls(
            trainer.step_count,
            trainer.epoch_count,
            array("d", (p.data for p in opt.params)),
            opt.t,
            array("d", opt.m),
            array("d", opt.v),
            _floats(trainer.last_grads),
            _floats(trainer.last_update),
            trainer.config,
            trainer.train_split,
            trainer.edited,
            trainer.batch_rng.state,
            trainer.batch_order,
            trainer.batch_pos,
            trainer.settings,
            record,
        )

    def restore(self, trainer: Trainer) -> None:
        """Put trainer in this state (its model and optimizer are kept, their numbers set)."""
        opt = trainer.optimizer
        for p, x in zip(opt.params, self.params):
            p.data = x
            p.grad = 0
        opt.t, opt.m, opt.v = self.t, list(self.m), list(self.v)
        trainer.config = self.config
        opt.lr, opt.weight_decay = self.config.lr, self.config.weight_decay
        trainer.step_count, trainer.epoch_count = self.step, self.epoch
        trainer.train_split, trainer.edited = self.train_split, self.edited
        trainer.batch_rng.state, trainer.batch_order, trainer.batch_pos = (
            self.rng,
            self.order,
            self.pos,
        )
        trainer.settings = self.settings
        trainer.last_grads = None if self.last_grads is None else list(self.last_grads)
        trainer.last_update = None if self.last_update is None else list(self.last_update)

    def same(self, trainer: Trainer) -> bool:
        """Does trainer hold exactly this state's numbers (weights, optimizer, batches)?"""
        opt = trainer.optimizer
        return (
            trainer.step_count == self.step
            and opt.t == self.t
            and list(self.params) == [p.data for p in opt.params]
            and list(self.m) == opt.m
            and list(self.v) == opt.v
            and trainer.batch_rng.state == self.rng
            and trainer.batch_order == self.order
            and trainer.batch_pos == self.pos
            and trainer.config == self.config
            and trainer.train_split == self.train_split
        )

    def nbytes(self) -> int:
        """About the memory this state holds of its own (the split and the order are
        shared with the trainer and the other states)."""
        arrays = [self.params, self.m, self.v, self.last_grads, self.last_update]
        return sys.getsizeof(self) + sum(sys.getsizeof(a) for a in arrays if a is not None) + 200


class Rewind:
    """A run's States, step first; `note` after each step, `state_at` to go back.

    The earliest State is where the history starts: step 0, or a loaded run's step
    (then `replay_from_seed` may find the steps before it).
    """

    def __init__(self, trainer: Trainer, record: Record | None = None, every: int = 0) -> None:
        self.every = every or spacing(trainer.config)
        self.states: list[State] = [State.of(trainer, record)]
        self.end = trainer.step_count
        """The last step of the run (the present)."""
        self.record = record
        """The record of the step `end`."""
        self._config, self._split = trainer.config, trainer.train_split
        self._from_seed: bool | None = None  # replay_from_seed's answer, once asked

    @property
    def start(self) -> int:
        """The earliest step that can come back."""
        return self.states[0].step

    def _steps(self) -> list[int]:
        return [s.step for s in self.states]

    def _keep(self, state: State) -> None:
        """Keep state, in place of one at its step."""
        if self.states and self.states[-1].step == state.step:
            self.states[-1] = state
        else:
            self.states.append(state)
        self._config, self._split = state.config, state.train_split

    def changed(self, trainer: Trainer) -> None:
        """Between two steps, at the run's end: if a setting or the training split changed
        since the last step, keep this step's State (the next steps replay from it)."""
        if trainer.config != self._config or trainer.train_split is not self._split:
            self._keep(State.of(trainer, self.record))

    def note(self, trainer: Trainer, record: Record) -> None:
        """trainer just took the step record (the run's next), from the run's end."""
        self.end, self.record = record.step, record
        if record.step - self.states[-1].step >= self.every:
            self._keep(State.of(trainer, record))

    def state_at(self, step: int, trainer: Trainer) -> Record:
        """Put trainer at step (start <= step <= end), bit for bit as the run had it, and
        return that step's record. Raises ValueError outside the run's steps."""
        if not self.start <= step <= self.end:
            raise ValueError(f"step {step} is not in the run's steps {self.start} to {self.end}")
        steps = self._steps()
        at = self.states[bisect_right(steps, step) - 1]  # the last State at or before step
        if at.step == step and (at.record is not None or step == 0 or at is self.states[0]):
            at.restore(trainer)  # kept with its record (step 0's is measured again)
            return at.record if at.record is not None else initial_record(trainer)
        self.states[bisect_right(steps, step - 1) - 1].restore(trainer)
        record: Record | None = None
        while trainer.step_count < step:
            record = step_record(trainer, evaluate=trainer.step_count + 1 == step)
            assert record is not None  # no should_stop: every step is taken
        if at.step == step:  # a State kept where the settings changed: them from then on
            at.restore(trainer)
        assert record is not None
        return record

    def truncate(self, step: int, record: Record) -> None:
        """Branch at step (record its record): the States after it are forgotten, and the
        run goes on from there. A setting or the data changed there since state_at(step)
        (a retune before the branch's first step) is kept by the next `changed`."""
        self.states = [s for s in self.states if s.step <= step]
        self.end, self.record = step, record
        self._config, self._split = self.states[-1].config, self.states[-1].train_split

    def replay_from_seed(
        self,
        trainer: Trainer,
        should_stop: Callable[[], bool] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> bool | None:
        """A loaded run (its history starts at its step): replay from step 0 with its
        config and its live settings' changes (Trainer.settings), keeping States on the
        way; if that arrives at exactly the loaded State, the steps before it can come
        back too (True). A run whose data were edited, or whose changes are not known (a
        version 2 file's) and were made, arrives elsewhere: only the loaded step and after
        (False). trainer is left as it was. Asked again, it answers at once.

        A long run takes a while (its every step again): should_stop() is polled before
        each step, and turning true gives up (None; asked again, it starts over);
        progress(done, of) hears every PROGRESS_STEPS steps how far it has got."""
        loaded = self.states[0]
        if loaded.step == 0:
            return True
        if self._from_seed is None:
            self._from_seed = self._replay_from_seed(trainer, loaded, should_stop, progress)
        return self._from_seed

    def _replay_from_seed(
        self,
        trainer: Trainer,
        loaded: State,
        should_stop: Callable[[], bool] | None,
        progress: Callable[[int, int], None] | None,
    ) -> bool | None:
        if loaded.edited:  # its data are not the seed's
            return False
        changes = {s[0]: s[1:] for s in loaded.settings}
        first = changes.pop(0, None)
        config = loaded.config
        if first is not None:
            config = replace(config, lr=first[0], weight_decay=first[1], batch_size=first[2])
        replayer = Trainer(config, fast=trainer.fast)
        states = [State.of(replayer, None)]
        try:
            while replayer.step_count < loaded.step:
                if should_stop is not None and should_stop():
                    return None
                if progress is not None and replayer.step_count % PROGRESS_STEPS == 0:
                    progress(replayer.step_count, loaded.step)
                if replayer.step_count in changes:  # as the run did: a State from here
                    lr, weight_decay, batch_size = changes[replayer.step_count]
                    replayer.retune(lr=lr, weight_decay=weight_decay, batch_size=batch_size)
                    if states[-1].step == replayer.step_count:
                        states.pop()
                    states.append(State.of(replayer, None))
                step_record(replayer, evaluate=False)
                if replayer.step_count % self.every == 0 and replayer.step_count < loaded.step:
                    states.append(State.of(replayer, None))
        except ArithmeticError:  # Diverged: with these settings the run went elsewhere
            return False
        if loaded.step in changes:  # a change at the loaded step itself
            lr, weight_decay, batch_size = changes[loaded.step]
            replayer.retune(lr=lr, weight_decay=weight_decay, batch_size=batch_size)
        if not loaded.same(replayer):
            return False
        # the replayed split is equal to the loaded one; the loaded list stays the run's
        self.states[:0] = [s for s in states if s.step < loaded.step]
        return True

    def nbytes(self) -> int:
        """About the memory the States take."""
        return sys.getsizeof(self.states) + sum(s.nbytes() for s in self.states)


__all__ = ["EVERY", "PROGRESS_STEPS", "REPLAY_BUDGET", "Rewind", "State", "spacing"]
