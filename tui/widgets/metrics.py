"""The metrics panel: run state, step and epoch, train/validation loss and accuracy, speed."""

from __future__ import annotations

from typing import Literal

from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from tui.messages import Record

RunState = Literal["paused", "running", "diverged", "stepping"]

STATE_STYLES: dict[str, tuple[str, str]] = {
    "paused": ("‖ paused", "bold"),
    "running": ("▶ running", "bold green"),
    "stepping": ("→ stepping", "bold"),
    "diverged": ("✗ diverged", "bold red"),
}


class MetricsPanel(Widget):
    """The numbers of the current step, as a small table."""

    state: reactive[RunState] = reactive("paused")
    """What the trainer is doing."""

    record: reactive[Record | None] = reactive(None)
    """The latest step's losses and accuracies (step 0: the initial model)."""

    steps_per_sec: reactive[float | None] = reactive(None)
    """Measured speed while running; None when paused (so still frames are reproducible)."""

    def render(self) -> RenderResult:
        label, style = STATE_STYLES[self.state]
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        r = self.record
        table.add_row("state", Text(label, style=style), "")
        if r is None:
            table.add_row("step", "—", "")
        else:
            table.add_row("step", f"{r.step}", Text(f"epoch {r.step}", style="dim"))
        table.add_row("", Text("loss", style="dim"), Text("acc", style="dim"))
        if r is None:
            table.add_row("train", "—", "—")
            table.add_row("val", "—", "—")
        else:
            table.add_row("train", f"{r.train_loss:.4f}", f"{r.train_acc:.1%}")
            table.add_row("val", f"{r.val_loss:.4f}", f"{r.val_acc:.1%}")
        speed = "—" if self.steps_per_sec is None else f"{self.steps_per_sec:.0f}"
        table.add_row("speed", speed, Text("steps/s", style="dim"))
        return table


__all__ = ["MetricsPanel", "RunState"]
