"""The parameter table: every weight's value, last gradient, AdamW moments and last update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tui.screens.help import quiet_app_keys
from tui.snapshots import ParamRow, ParamSnapshot
from tui.widgets.fitting import fitting
from tui.widgets.footer import KeysFooter
from tui.widgets.numfmt import num, sci

SortKey = Literal["place", "grad", "update"]

COLUMNS = ("name", "value", "grad", "m", "v", "update")
"""The table's column keys, left to right."""

WIDTHS = {"name": 18, "value": 10, "grad": 10, "m": 10, "v": 8, "update": 10}

NARROW = 80
"""Below this many columns the table leaves out AdamW's m and v: all six, with the cells'
padding and the scroll bar, take 80; without them the rest fit 60."""


def columns_for(width: int) -> tuple[str, ...]:
    """The columns shown in a screen this wide."""
    return COLUMNS if width >= NARROW else tuple(k for k in COLUMNS if k not in ("m", "v"))


MAX_ROWS = 300
"""The most rows the table holds: a bigger model's first MAX_ROWS in the chosen order
(place, |grad| or |update|). Textual's DataTable lays out and updates every row it
holds on the event loop, so all of a big model's rows would stall the keys at every
snapshot."""

NONE = "—"
"""A grad or an update before the first step."""


def sort_key(key: SortKey, row: ParamRow, place: int) -> tuple[float, float]:
    """What the rows are ordered by, largest first (place: the row's parameter order,
    which also orders equals, e.g. before the first step)."""
    value = {"grad": row.grad, "update": row.update}.get(key)
    return (0.0 if value is None else abs(value), -place)


class ParamTableScreen(Screen[None]):
    """Every parameter of the model, live: sort by |grad| or |update| to see who moves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,p,q", "close", "Close"),
        Binding("d", "sort('grad')", "|grad|"),
        Binding("u", "sort('update')", "|update|"),
        Binding("o", "sort('place')", "place"),
        *quiet_app_keys("p"),
    ]
    """d and u sort by |grad| and |update|, largest first; o restores the model's order."""

    sort_by: reactive[SortKey] = reactive("place", init=False)
    """The order of the rows."""

    def __init__(self, snapshot: ParamSnapshot | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        """The numbers on screen (None until the worker has copied them)."""
        self.columns: tuple[str, ...] = ()
        """The columns shown (see columns_for); none until mounted."""

    def compose(self) -> ComposeResult:
        yield Static(id="params-title")
        yield DataTable(id="params-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()  # fits 80 columns

    def on_mount(self) -> None:
        self._fit_columns(self.app.size.width)
        self.table.focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns(event.size.width)
        self._show_title()

    def _fit_columns(self, width: int) -> None:
        columns = columns_for(width)
        if columns == self.columns:
            return
        self.columns = columns
        self._fill(rebuild=True)

    @property
    def table(self) -> DataTable:
        return self.query_one("#params-table", DataTable)

    def update_snapshot(self, snapshot: ParamSnapshot) -> None:
        """Show newer numbers; the order and the cursor's parameter are kept."""
        old, self.snapshot = self.snapshot, snapshot
        if len(snapshot.rows) > MAX_ROWS:  # the same parameters shown: update them in place
            same = {r.name for r in self.shown_rows()} == {k.value for k in self.table.rows}
        else:
            same = old is not None and [r.name for r in old.rows] == [r.name for r in snapshot.rows]
        self._fill(rebuild=not same)

    def shown_rows(self) -> Sequence[ParamRow]:
        """The rows the table holds: every one, or a bigger model's first MAX_ROWS in
        the chosen order (see MAX_ROWS)."""
        rows = self.snapshot.rows if self.snapshot is not None else ()
        if len(rows) <= MAX_ROWS:
            return rows
        order = sorted(
            range(len(rows)), key=lambda i: sort_key(self.sort_by, rows[i], i), reverse=True
        )
        return [rows[i] for i in order[:MAX_ROWS]]

    def row_names(self) -> list[str]:
        """The parameters' names in the order shown."""
        table = self.table
        return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

    def _cells(self, row: ParamRow) -> dict[str, Text | str]:
        return {
            "name": row.name,
            "value": Text(num(row.value), justify="right"),
            "grad": Text(NONE if row.grad is None else num(row.grad), justify="right"),
            "m": Text(num(row.m), justify="right"),
            "v": Text(sci(row.v), justify="right"),
            "update": Text(NONE if row.update is None else num(row.update), justify="right"),
        }

    def _fill(self, rebuild: bool) -> None:
        table = self.table
        snap = self.snapshot
        cursor_key = None
        if table.row_count:
            cursor_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if rebuild:
            if tuple(key.value for key in table.columns) == self.columns:
                table.clear()
            else:
                table.clear(columns=True)
                for key in self.columns:
                    label = Text(key, justify="left" if key == "name" else "right")
                    table.add_column(label, key=key, width=WIDTHS[key])
            for row in self.shown_rows():
                cells = self._cells(row)
                table.add_row(*(cells[k] for k in self.columns), key=row.name)
        else:
            assert snap is not None
            for row in self.shown_rows():
                for key, cell in self._cells(row).items():
                    if key != "name" and key in self.columns:
                        table.update_cell(row.name, key, cell)
        self._sort()
        if cursor_key is not None and cursor_key.value in table.rows:
            table.move_cursor(row=table.get_row_index(cursor_key), animate=False)
        self._show_title()

    def _sort(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        by_name = {r.name: (i, r) for i, r in enumerate(snap.rows)}

        def key(name: str) -> float:
            place, row = by_name[name]
            return sort_key(self.sort_by, row, place)

        self.table.sort("name", key=key, reverse=True)

    def _show_title(self) -> None:
        snap = self.snapshot
        order = {"place": "model order", "grad": "|grad| first", "update": "|update| first"}
        if snap is None:
            text = " · waiting for the trainer"
        else:
            head = f" · step {snap.step} · {order[self.sort_by]}"
            total = len(snap.rows)
            count = f"{total}" if total <= MAX_ROWS else f"first {MAX_ROWS} of {total:,}"
            # the grads are the last update's, taken before it: c checks the current weights
            whose = f"step {snap.step}'s" if snap.stepped else "— until a step"
            text = fitting(
                [
                    f" · {count}{head} · grad, update: {whose}",
                    *([f" · {count}{head}"] if total > MAX_ROWS else []),
                    f"{head} · grad, update: {whose}",
                    f"{head} · grads: {whose}",
                    head,
                ],
                self.app.size.width - len("parameters") - 2,
            )
        self.query_one("#params-title", Static).update(Text.assemble(("parameters", "bold"), text))

    def watch_sort_by(self) -> None:
        if self.snapshot is not None and len(self.snapshot.rows) > MAX_ROWS:
            self._fill(rebuild=True)  # another order: other parameters come first
        self._sort()
        self._show_title()
        self.table.move_cursor(row=0, animate=False)

    def action_sort(self, key: SortKey) -> None:
        self.sort_by = key

    def action_close(self) -> None:
        self.dismiss()


__all__ = ["MAX_ROWS", "ParamTableScreen"]
