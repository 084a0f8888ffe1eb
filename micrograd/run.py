"""Run: a trainer and the bounded history of its steps' Records, with the one method that
takes a step and records it, shared by the app's session and the headless run."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from micrograd.health import Ratios, ratio_history, update_ratios
from micrograd.runs import (
    MAX_HISTORY,
    History,
    json_number,
    load_run,
    save_new_run,
    save_run,
)
from micrograd.training import Trainer


@dataclass(frozen=True, slots=True)
class Record:
    """One step's numbers: the training pass that made the update, validation after it
    (None where the step was not evaluated: the headless run measures every
    --eval-every steps)."""

    step: int
    train_loss: float
    train_acc: float
    val_loss: float | None = None
    val_acc: float | None = None

    @property
    def peak(self) -> float:
        """The highest of its finite losses (-inf if none): of records thinned, the one
        kept, so a spike of the loss stays in the curve."""
        losses = [x for x in (self.train_loss, self.val_loss) if x is not None]
        return max((x for x in losses if math.isfinite(x)), default=-math.inf)

    def as_json(self) -> dict[str, Any]:
        """The record as a headless JSON line and a run file hold it: validation only if
        measured; strict JSON has no inf or NaN, so an infinite metric (a loss whose
        probability underflowed) is the string "inf" or "-inf", which loads back as
        such, and NaN is null."""
        keys = ["step", "train_loss", "train_acc"]
        if self.val_loss is not None:
            keys += ["val_loss", "val_acc"]
        return {key: json_number(getattr(self, key)) for key in keys}

    @classmethod
    def from_json(cls, entry: Mapping[str, Any], unmeasured: float | None = math.nan) -> Record:
        """A saved record: a null metric is NaN, "inf" and "-inf" are infinite, a validation
        metric missing (the step was not evaluated) is unmeasured: NaN as the app shows
        it, None to save it again as it was."""

        def metric(key: str, missing: float | None = math.nan) -> Any:
            if key not in entry:
                return missing
            value = entry[key]
            return math.nan if value is None else float(value)  # float("inf") is inf

        return cls(
            int(entry["step"]),
            metric("train_loss"),
            metric("train_acc"),
            metric("val_loss", unmeasured),
            metric("val_acc", unmeasured),
        )


def louder(new: Record, kept: Record) -> bool:
    """Of two records in one stride of a History, the second if only it was evaluated, or
    if both were or neither and its loss peaks higher."""
    if (new.val_loss is None) != (kept.val_loss is None):
        return kept.val_loss is None
    return new.peak > kept.peak


def record_history(records: Iterable[Record] = (), limit: int = MAX_HISTORY) -> History[Record]:
    """A run's records, bounded (a History): the first, the newest limit // 2, and the
    ones between thinned to the loudest per stride, so a spike stays drawn."""
    return History(records, limit, step=attrgetter("step"), prefer=louder)


def initial_record(trainer: Trainer) -> Record:
    """The current step (0 after a reset): both splits evaluated on the current weights
    (validation last: its confusion counts stay at hand, see Trainer.evaluation)."""
    train = trainer.evaluation(trainer.train_split)
    val = trainer.evaluation(trainer.val_split)
    return Record(trainer.step_count, train.loss, train.accuracy, val.loss, val.accuracy)


def step_record(
    trainer: Trainer, should_stop: Callable[[], bool] | None = None, evaluate: bool = True
) -> Record | None:
    """Take one step and record it: the training numbers of its forward pass, and, if
    evaluate, the validation split's after the update (Trainer.evaluation: the class
    view's counts come from the same pass). None if should_stop() stopped the step
    (nothing changed); Diverged as Trainer.step raises it."""
    result = trainer.step(should_stop)
    if result is None:
        return None
    if not evaluate:
        return Record(result.step, result.train_loss, result.train_acc)
    val = trainer.evaluation(trainer.val_split)
    return Record(result.step, result.train_loss, result.train_acc, val.loss, val.accuracy)


class Run:
    """A run: its trainer and the records of its updates since step 0 (step 1 first, as
    a run file holds them), bounded (record_history). One thread at a time steps it (the
    app's training worker, or the headless loop).
    """

    def __init__(
        self,
        trainer: Trainer,
        history: Iterable[Record] | None = (),
        limit: int = MAX_HISTORY,
    ) -> None:
        """trainer at its step, with history its records so far; None keeps no records
        (a headless run that is not saved: its memory does not grow with its steps)."""
        self.trainer = trainer
        self.limit = limit
        self.history: History[Record] | None = (
            None if history is None else record_history(history, limit)
        )
        self.ratios = ratio_history()
        """Each recorded step's update-to-data ratios per layer (bounded; none for the
        steps a loaded run took before, whose updates are not saved)."""

    def step(
        self, should_stop: Callable[[], bool] | None = None, evaluate: bool = True
    ) -> Record | None:
        """Take one step and record it (see step_record): the record, or None if
        should_stop() stopped the step (nothing changed, nothing recorded)."""
        record = step_record(self.trainer, should_stop, evaluate)
        if record is not None and self.history is not None:
            self.history.append(record)
            self.record_ratios(record.step)
        return record

    def record_ratios(self, step: int) -> None:
        """Keep the ratios of the step just taken; steps kept from at or past it belong
        to a line the run has left (a reset, a rewind), so they go, and those before it
        stay (a branch at step 40 keeps steps 1 to 40)."""
        update = self.trainer.last_update
        if update is None:
            return
        if self.ratios and self.ratios[-1].step >= step:
            self.ratios = ratio_history(r for r in self.ratios if r.step < step)
        self.ratios.append(Ratios(step, update_ratios(self.trainer.layers(), update)))

    def reset(self) -> Record:
        """Back to step 0 with the same seed; no records. Returns step 0's record."""
        self.trainer.reset()
        self.ratios = ratio_history()
        if self.history is not None:
            self.history = record_history(limit=self.limit)
        return initial_record(self.trainer)

    def entries(self) -> list[dict[str, Any]]:
        """The records as a run file holds them (see Record.as_json)."""
        return [r.as_json() for r in self.history or ()]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the run to path (runs.save_run: atomically); returns the path written."""
        return save_run(path, self.trainer, self.entries())

    def save_new(self, folder: str | os.PathLike[str], stem: str) -> Path:
        """Write the run to a new file folder/stem.json (runs.save_new_run: never over
        another file); returns its path."""
        return save_new_run(folder, stem, self.trainer, self.entries())

    @classmethod
    def load(cls, path: str | os.PathLike[str], fast: bool = True) -> Run:
        """The run saved in path (runs.load_run: RunFileError if it is not a valid one),
        its records as saved (a step not evaluated has None for validation)."""
        trainer, entries = load_run(path, fast=fast)
        return cls(trainer, [Record.from_json(e, unmeasured=None) for e in entries])


__all__ = ["Record", "Run", "initial_record", "louder", "record_history", "step_record"]
