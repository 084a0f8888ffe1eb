"""What the training worker posts to the app: copies as plain numbers, never Values."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui.snapshots import ClassSnapshot, GradCheckSnapshot, GraphSnapshot, ParamSnapshot, Snapshot


@dataclass(frozen=True, slots=True)
class Record:
    """One step's numbers: the training pass that made the update, validation after it."""

    step: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float


@dataclass
class Progress(Message):
    """Steps finished since the worker's last message, and the model after the last one."""

    generation: int
    records: list[Record]
    snapshot: Snapshot
    steps_per_sec: float | None


@dataclass
class ViewSnapshots(Message):
    """The open inside views' numbers, computed by the worker after a step or on demand."""

    generation: int
    graph: GraphSnapshot | None = None
    """The selected sample's graph, if the graph view is open."""
    params: ParamSnapshot | None = None
    gradcheck: GradCheckSnapshot | None = None
    classes: ClassSnapshot | None = None


@dataclass
class CheckProgress(Message):
    """How far the gradient check under way has got, while its view waits for it."""

    generation: int
    done: int
    total: int
    waits_for_pause: float = 0.0
    """If above 0: the check would take about this many seconds, too long between two
    training steps, so it runs at the next pause."""


@dataclass
class FirstNumbers(Message):
    """A big model's numbers at the start, measured after the first frame."""

    generation: int
    record: Record | None
    """The current step's record (None: a loaded run's history holds it)."""
    step_zero: Record | None
    """A loaded run's step 0, from the seed, if its history starts at step 1."""
    classes: ClassSnapshot


@dataclass
class TrainingDiverged(Message):
    """A step would have made the loss or the weights non-finite; nothing was applied."""

    generation: int
    step: int
    what: str
    """What went wrong, e.g. "the training loss is nan"."""


@dataclass
class TrainingStopped(Message):
    """The worker has stopped stepping (paused, done with single steps, or cancelled)."""

    generation: int


@dataclass
class RunSaved(Message):
    """The `w` key's save finished: the file written, or why it could not be."""

    path: str | None
    error: str | None


__all__ = [
    "FirstNumbers",
    "Progress",
    "Record",
    "RunSaved",
    "TrainingDiverged",
    "TrainingStopped",
    "ViewSnapshots",
]
