"""What the training worker posts to the app: copies as plain numbers, never Values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from micrograd.run import Record
from micrograd.training import Layers, Trainer

if TYPE_CHECKING:
    from tui.session import News

Weights = Layers
"""(rows of W, b) per layer, a row per neuron: what the boundary and the probe are computed
from. Plain floats, not numpy arrays: the app's first frame shows the probe before numpy loads."""


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
class SessionNews(Message):
    """What the training session posted (tui.session's news), handed to the app's loop."""

    news: News


__all__ = ["Record", "SessionNews", "Snapshot", "Weights"]
