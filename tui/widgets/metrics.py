"""The metrics panel: run state, step and epoch, train/validation loss and accuracy, speed."""

from __future__ import annotations

import math
from typing import Literal

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive

from micrograd.run import Record
from tui.widgets.panel import LinePanel

RunState = Literal["paused", "running", "diverged", "stepping"]

STATE_STYLES: dict[str, tuple[str, str]] = {
    "paused": ("‖ paused", "bold"),
    "running": ("▶ running", "bold green"),
    "stepping": ("→ stepping", "bold"),
    "diverged": ("✗ diverged", "bold red"),
}


PAST = ("◀ past · end: now", "bold reverse")
"""The state line at a past step: the step shown is not the run's last."""


def loss_text(loss: float) -> str:
    """A loss in 7 columns: 4 decimals (the tutorial's 1.0122), fewer for a large loss
    (138.65), 2 significant digits in scientific notation where 4 decimals would read
    0.0000 or no decimals would fit."""
    if math.isfinite(loss) and 0 < abs(loss) < 0.001:
        return f"{loss:>7.1e}"
    for decimals in (4, 3, 2, 1, 0):
        text = f"{loss:>7.{decimals}f}"
        if len(text) <= 7:
            return text
    return f"{loss:>7.1e}"


class MetricsPanel(LinePanel):
    """The numbers of the current step, as a small table: a new step repaints the lines
    whose numbers changed."""

    state: reactive[RunState] = reactive("paused", repaint=False)
    """What the trainer is doing."""

    record: reactive[Record | None] = reactive(None, repaint=False)
    """The latest step's losses and accuracies (step 0: the initial model)."""

    steps_per_sec: reactive[float | None] = reactive(None, repaint=False)
    """Measured speed while running; None when paused (so still frames are reproducible)."""

    epoch: reactive[int | None] = reactive(None, repaint=False)
    """Passes over the training split completed, with minibatches; None with full
    batches (each step is one: the epoch would repeat the step)."""

    past: reactive[bool] = reactive(False, repaint=False)
    """Is the step shown a past one (a rewind key's)? The state line then says so."""

    speed_setting: reactive[float | None] = reactive(None, repaint=False)
    """The most steps a second the learner allows (x); None: as fast as it goes."""

    def watch_speed_setting(self) -> None:
        self.repaint_changes()

    def watch_epoch(self) -> None:
        self.repaint_changes()

    def watch_state(self) -> None:
        self.repaint_changes()

    def watch_past(self) -> None:
        self.repaint_changes()

    def watch_record(self, old: Record | None, new: Record | None) -> None:
        if (old is None) != (new is None):  # the numbers come or go: another height
            self.refresh(layout=True)
        else:
            self.repaint_changes()

    def watch_steps_per_sec(self) -> None:
        self.repaint_changes()

    def render(self) -> RenderResult:
        label, style = STATE_STYLES[self.state]
        r = self.record
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.past:  # what the keys do there: the message line
            label, style = PAST
        text.append("state  ", "dim").append(label, style)
        if r is None:
            return text
        text.append("\nstep   ", "dim").append(f"{r.step:>6}")
        if self.epoch is not None:  # minibatches: an epoch is several steps
            text.append("  epoch ", "dim").append(f"{self.epoch}")
        text.append("\n          loss     acc", "dim")
        text.append("\ntrain  ", "dim").append(f"{loss_text(r.train_loss)}  {r.train_acc:>6.1%}")
        text.append("\nval    ", "dim").append(f"{loss_text(r.val_loss)}  {r.val_acc:>6.1%}")
        speed = "     —" if self.steps_per_sec is None else f"{self.steps_per_sec:>6.0f}"
        text.append("\nspeed  ", "dim").append(speed).append("  steps/s", "dim")
        if self.speed_setting is not None:  # the limit x set (none said: as fast as it goes)
            text.append(f" ≤{self.speed_setting:g}")
        return text


__all__ = ["MetricsPanel", "RunState"]
