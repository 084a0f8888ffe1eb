"""Record: what one training step did, the one record the app, the headless run and saved
runs share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Record:
    """One step's numbers: the training pass that made the update, validation after it."""

    step: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float


__all__ = ["Record"]
