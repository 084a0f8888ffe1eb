"""The gradient check: autograd against central differences for every parameter, flagged."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tui.screens.help import quiet_app_keys
from tui.snapshots import TOLERANCE, GradCheckSnapshot, checkable
from tui.widgets.fitting import fitting
from tui.widgets.footer import KeysFooter
from tui.widgets.numfmt import num, sci

COLUMNS = (("name", 18), ("autograd", 10), ("numeric", 10), ("rel error", 9), ("", 1))
"""Labels and widths: with the cells' padding and the scroll bar they take 60 columns."""


class GradCheckScreen(Screen[None]):
    """Is backprop right? Each parameter's autograd gradient next to central differences."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,c,q", "close", "Close"),
        Binding("e", "toggle_sort", "Sort by error"),
        *quiet_app_keys("c"),
    ]
    """e puts the largest relative errors first (and back)."""

    worst_first: reactive[bool] = reactive(False, init=False)
    """Rows ordered by relative error, largest first, instead of by place in the model."""

    def __init__(self, snapshot: GradCheckSnapshot | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        """The check on screen (None while the worker computes it)."""

    def compose(self) -> ComposeResult:
        yield Static(id="gradcheck-title")
        yield Static(id="gradcheck-summary")
        yield DataTable(id="gradcheck-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()  # fits 80 columns

    def on_mount(self) -> None:
        table = self.table
        for label, width in COLUMNS:
            key = label or "flag"
            table.add_column(Text(label, justify="left" if key == "name" else "right"), key=key,
                             width=width)  # fmt: skip
        self._fill()
        table.focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#gradcheck-table", DataTable)

    def show_progress(self, done: int, total: int, waits_for_pause: float = 0.0) -> None:
        """While the first check is computed: how far it has got (total 0: not known), or
        that it waits for a pause (it would take about waits_for_pause s)."""
        if self.snapshot is not None:
            return
        if waits_for_pause:
            text = f" · about {waits_for_pause:.0f} s: it runs when training pauses"
        else:
            text = " · computing…" + (f" {done} of {total} parameters" if total else "")
        self.query_one("#gradcheck-title", Static).update(
            Text.assemble(("gradient check", "bold"), text)
        )

    def update_snapshot(self, snapshot: GradCheckSnapshot) -> None:
        """Show a newer check."""
        self.snapshot = snapshot
        self._fill()

    def _fill(self) -> None:
        snap = self.snapshot
        table = self.table
        table.clear()
        summary = self.query_one("#gradcheck-summary", Static)
        if snap is None:
            self.show_progress(0, 0)
            summary.update("")
            return
        self._show_title()
        summary.update(self.summary(self.app.size.width - 2))
        summary.set_class(bool(snap.flagged), "-bad")
        checks = list(snap.checks)
        if self.worst_first:
            checks.sort(key=lambda c: -c.rel_error if c.rel_error == c.rel_error else -1e300)
        for c in checks:
            bad = not c.rel_error <= TOLERANCE
            style = "bold red" if bad else ""
            flag = Text("✗" if bad else "✓", justify="right", style=style or "green")
            if not checkable(c):  # nothing to compare with: no verdict
                style, flag = "dim", Text("?", justify="right", style="dim")
            table.add_row(
                Text(c.name, style=style),
                Text(num(c.autograd), justify="right"),
                Text(num(c.numeric), justify="right"),
                Text(sci(c.rel_error), justify="right", style=style),
                flag,
                key=c.name,
            )

    def on_resize(self, event: events.Resize) -> None:
        if self.snapshot is not None:
            self.query_one("#gradcheck-summary", Static).update(self.summary(event.size.width - 2))
            self._show_title()

    def _show_title(self) -> None:
        snap = self.snapshot
        assert snap is not None
        # the gradients at the current weights: those the next step will use (the
        # parameters view shows the last step's, taken before it)
        at, n = f" · at step {snap.step}'s weights", snap.split_size
        uses = f" (step {snap.step + 1} uses these grads)"
        order = " · worst first" if self.worst_first else ""
        text = fitting(
            [
                f"{at}{uses} · mean loss over {n} training samples{order}",
                f"{at}{uses}{order}",
                f"{at} · {n} training samples{order}",
                f"{at}{order}",
                f" · step {snap.step}{order}",
            ],
            self.app.size.width - len("gradient check") - 2,
        )
        self.query_one("#gradcheck-title", Static).update(
            Text.assemble(("gradient check", "bold"), text, no_wrap=True, overflow="ellipsis")
        )

    def summary(self, width: int = 80) -> str:
        """The largest relative error and how many parameters are over the tolerance, in
        width columns if it can (the parameter's name goes first)."""
        snap = self.snapshot
        if snap is not None and snap.split_size == 0:
            return fitting(
                [
                    "no training points: no loss to check (a adds some, N regenerates)",
                    "no training points: nothing to check",
                ],
                width,
            )
        if snap is None or snap.worst is None:
            return ""
        worst, flagged = snap.worst, snap.flagged
        if snap.uncheckable:  # not autograd's failure: say what is wrong instead
            marked, loss = len(snap.uncheckable), f"{snap.loss:g}"
            return fitting(
                [
                    f"training loss {loss} at these weights: no central differences to compare "
                    f"with ({marked} of {len(snap.checks)} marked ?). r resets the run.",
                    f"training loss {loss} here: nothing to compare with ({marked} marked ?); "
                    "r resets.",
                    f"loss {loss}: {marked} unchecked (?); r resets.",
                ],
                width,
            )
        if not flagged:
            tail = f" · all {len(snap.checks)} ≤ {TOLERANCE:g} ✓"
        else:
            tail = f" · {len(flagged)} of {len(snap.checks)} > {TOLERANCE:g} ✗"
        head = f"max rel error {sci(worst.rel_error)}"
        return fitting([f"{head} ({worst.name}){tail}", f"{head}{tail}"], width)

    def watch_worst_first(self) -> None:
        self._fill()

    def action_toggle_sort(self) -> None:
        self.worst_first = not self.worst_first

    def action_close(self) -> None:
        self.dismiss()


__all__ = ["GradCheckScreen"]
