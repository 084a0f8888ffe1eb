"""The class view: the validation confusion matrix and each class's accuracy, in a panel."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive

from tui.palette import class_name
from tui.snapshots import ClassSnapshot
from tui.widgets.panel import LinePanel


def matrix_table(snapshot: ClassSnapshot) -> Table:
    """Rows: true class; columns: predicted class; then the row's accuracy."""
    k = len(snapshot.counts)
    table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False)
    table.add_column(Text("true\\pred", style="dim"), no_wrap=True)
    for j in range(k):
        table.add_column(class_name(j), justify="right", no_wrap=True)
    # as wide as "100%" from the start, so the columns stay put as the accuracies rise
    table.add_column(Text("acc", style="dim"), justify="right", no_wrap=True, min_width=4)
    for i, (row, acc) in enumerate(zip(snapshot.counts, snapshot.accuracy)):
        cells: list[Text] = []
        for j, n in enumerate(row):
            if i == j:
                style = "bold"
            elif n:
                style = "bold red reverse"
            else:
                style = "dim"
            cells.append(Text(str(n), style=style))
        shown = "—" if math.isnan(acc) else f"{acc:.0%}"
        table.add_row(class_name(i), *cells, Text(shown))
    total = sum(sum(row) for row in snapshot.counts)
    right = sum(snapshot.counts[i][i] for i in range(k))
    overall = f"{right / total:.0%}" if total else "—"  # as wide as a row's: fits 80x24
    table.add_row(Text("all", style="dim"), *[""] * k, Text(overall, style="bold"))
    return table


class ClassView(LinePanel):
    """Which classes the model confuses on the validation split, refreshed after steps:
    only when the counts change, and then only the lines that changed."""

    DEFAULT_CSS = """
    ClassView {
        height: auto;
    }
    """

    snapshot: reactive[ClassSnapshot | None] = reactive(None, repaint=False)
    """The confusion matrix shown; None until the worker has counted."""

    def __init__(
        self,
        snapshot: ClassSnapshot | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(ClassView.snapshot, snapshot)

    def update_snapshot(self, snapshot: ClassSnapshot) -> None:
        """Show a newer matrix."""
        self.snapshot = snapshot

    def watch_snapshot(self, old: ClassSnapshot | None, new: ClassSnapshot | None) -> None:
        if (old is None) != (new is None) or (old and new and len(old.counts) != len(new.counts)):
            self.refresh(layout=True)  # the table comes or goes, or has more rows
        elif old and new and old.counts != new.counts:  # not for a new step number alone
            self.repaint_changes()

    def render(self) -> RenderResult:
        if self.snapshot is None:
            return Text("validation classes: counting…", style="dim")
        return matrix_table(self.snapshot)


__all__ = ["ClassView"]
