"""What the training worker posts to the app: copies as plain numbers, never Values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from micrograd.training import Layers, Trainer

if TYPE_CHECKING:  # the views' snapshot types: plain data, defined beside the views
    from tui.widgets.class_view import ClassSnapshot
    from tui.widgets.grad_check import GradCheckSnapshot
    from tui.widgets.graph_view import GraphSnapshot
    from tui.widgets.param_table import ParamSnapshot

Weights = Layers
"""(rows of W, b) per layer, a row per neuron: what the boundary and the probe are computed
from. Plain floats, not numpy arrays: the app's first frame shows the probe before numpy loads."""


@dataclass(frozen=True, slots=True)
class Record:
    """One step's numbers: the training pass that made the update, validation after it."""

    step: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The model after a step, copied out of the Trainer so the UI can keep it."""

    step: int
    weights: Weights
    params: list[float]
    """Every parameter's value, in `model.named_parameters()` order."""
    adam_m: list[float]
    """AdamW's first moments, in the same order."""
    adam_v: list[float]
    """AdamW's second moments, in the same order."""

    @classmethod
    def of(cls, trainer: Trainer) -> Snapshot:
        """Copy the trainer's current state (call it from the thread that owns the trainer)."""
        opt = trainer.optimizer
        return cls(
            step=trainer.step_count,
            weights=trainer.layers(),
            params=[p.data for p in opt.params],
            adam_m=list(opt.m),
            adam_v=list(opt.v),
        )


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
    "Snapshot",
    "TrainingDiverged",
    "TrainingStopped",
    "ViewSnapshots",
    "Weights",
]
