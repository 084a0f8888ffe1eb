"""Record: what one training step did, a bounded history of them, and the one loop body
that takes a step and records it, shared by the app's session and the headless run."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from micrograd.runs import MAX_HISTORY, History, json_number
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
    def from_json(cls, entry: Mapping[str, Any]) -> Record:
        """A saved record as the app shows it: a missing or null metric is NaN, "inf"
        and "-inf" are infinite."""

        def metric(key: str) -> float:
            value = entry.get(key)
            return math.nan if value is None else float(value)  # float("inf") is inf

        return cls(
            int(entry["step"]),
            metric("train_loss"),
            metric("train_acc"),
            metric("val_loss"),
            metric("val_acc"),
        )


def louder(new: Record, kept: Record) -> bool:
    """Of two records in one stride of a History, the second if its loss peaks higher."""
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


__all__ = ["Record", "initial_record", "louder", "record_history", "step_record"]
