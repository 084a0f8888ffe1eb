"""The experiment screen (e): the run's settings, a row each, edited and checked in place."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from micrograd.config import Config, ConfigError
from tui.widgets.footer import KeysFooter

Kind = Literal["int", "number", "list", "choice"]


@dataclass(frozen=True)
class Field:
    """One row: a Config field, how it is typed in, and whether it changes without a reset."""

    name: str
    label: str
    kind: Kind
    hint: str
    live: bool = False
    """Changed from the next step on (else: a new run at step 0)."""
    choices: tuple[str, ...] = ()


FIELDS = (
    Field("dataset", "dataset", "choice", "←→ the points' shape", choices=(
        "taichi", "spiral", "blobs", "moons", "circles", "xor")),
    Field("noise", "noise", "number", "0 to 0.5: how far points stray"),
    Field("n", "points", "int", "how many: train, validation, test"),
    Field("split", "train share", "number", "0.1 to 0.9; the rest: half val, half test"),
    Field("seed", "seed", "int", "the data and the first weights (r: new)"),
    Field("features", "features", "list", "x,y,x2,y2,xy,sinx,siny"),
    Field("hidden", "hidden", "list", "layer sizes, e.g. 8 or 16,16; 0: none"),
    Field("activation", "activation", "choice", "←→ each hidden neuron's", choices=(
        "tanh", "relu", "sigmoid", "linear")),
    Field("optimizer", "optimizer", "choice", "←→ how a step moves", choices=(
        "adamw", "sgd", "momentum")),
    Field("lr", "learning rate", "number", "from the next step", live=True),
    Field("weight_decay", "weight decay", "number", "from the next step", live=True),
    Field("batch_size", "batch size", "int", "blank: full batch; next step", live=True),
)  # fmt: skip
"""Every setting the screen may show, in order; a Config without the field has no row."""


def fields_of(config: Config) -> list[Field]:
    """The rows for this Config's fields (the core's fields decide which exist)."""
    names = {f.name for f in dataclasses.fields(config)}
    return [f for f in FIELDS if f.name in names]


def shown(field: Field, value: object) -> str:
    """A value as the row shows it and as it is typed."""
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse(field: Field, text: str) -> object:
    """The typed text as the field's value; ValueError (a one-line why) if it is none."""
    text = text.strip()
    if field.kind == "choice":
        return text
    if field.kind == "list":
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if field.name == "hidden":
            if parts == ["0"]:  # no hidden layer, as --hidden 0
                return ()
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"layer sizes are whole numbers, got {text!r}") from None
        return tuple(parts)
    if field.kind == "int":
        if text in ("", "full") and field.name == "batch_size":  # as --batch-size full
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"must be a whole number, got {text!r}") from None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"must be a number, got {text!r}") from None


def candidate(config: Config, texts: dict[str, str]) -> tuple[Config | None, str | None, str]:
    """The Config the texts make from config: (it, None, ""), or (None, the field at
    fault, why in one line)."""
    values = {}
    for field in fields_of(config):
        try:
            values[field.name] = parse(field, texts[field.name])
        except ValueError as e:
            return None, field.name, f"{field.label}: {e}"
    try:
        return dataclasses.replace(config, **values), None, ""
    except ConfigError as e:
        label = {f.name: f.label for f in FIELDS}
        names = e.names(lambda name: label.get(name, name))
        return None, e.field.split(",")[0], f"{names}: {e.message}"
    except (TypeError, ValueError) as e:
        return None, None, " ".join(str(e).split())


def live_only(old: Config, new: Config) -> bool:
    """Do old and new differ only in fields that change without a reset?"""
    live = {f.name for f in FIELDS if f.live}
    return all(
        getattr(old, f.name) == getattr(new, f.name)
        for f in dataclasses.fields(old)
        if f.name not in live
    )


TYPED = set("0123456789.,-+eE") | set("abcdefghijklmnopqrstuvwxyz")
"""Characters a row's text takes while it is being edited."""


class ExperimentScreen(ModalScreen[Config | None]):
    """The settings of the run as rows; dismissed with the Config to apply, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply", key_display="^s"),
    ]
    """^s applies, escape cancels; the arrows, enter and typing are on_key's (in the order
    typed: a key typed ahead is taken after the characters before it)."""

    MOVES: ClassVar[dict[str, tuple[str, int]]] = {
        "up": ("move", -1),
        "down": ("move", 1),
        "left": ("cycle", -1),
        "right": ("cycle", 1),
    }
    """Arrows move between rows and cycle a choice row's value; enter edits."""

    def __init__(self, config: Config, seeds: random.Random | None = None) -> None:
        super().__init__()
        self.config = config
        self.fields = fields_of(config)
        self.texts = {f.name: shown(f, getattr(config, f.name)) for f in self.fields}
        self.row = 0
        self.editing = False
        self.seeds = seeds or random.Random()
        """Where r draws a new seed from (injectable: tests draw a known one)."""
        self.problem: tuple[str | None, str] = (None, "")

    def compose(self) -> ComposeResult:
        with Vertical(id="experiment-box") as box:
            box.border_title = "experiment"
            box.border_subtitle = "↑↓ move · enter edit · ←→ choose · r seed"
            yield Static(id="experiment-rows")
            yield Static(id="experiment-problem")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        """Draw the rows, the cursor's reversed, and check the candidate Config."""
        _, field, why = candidate(self.config, self.texts)
        self.problem = (field, why)
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, width=13)
        table.add_column(no_wrap=True, width=16, overflow="ellipsis")
        table.add_column(no_wrap=True, overflow="ellipsis", style="dim")
        for i, f in enumerate(self.fields):
            text = self.texts[f.name] or ("full" if f.name == "batch_size" else "")
            if f.kind == "choice":
                text = f"‹ {text} ›"
            if i == self.row and self.editing:
                text += "▏"
            bad = "✗ " if field == f.name else ""
            style = "reverse" if i == self.row else ""
            table.add_row(Text(f.label, style), Text(bad + text, style), f.hint)
        self.query_one("#experiment-rows", Static).update(table)
        if why:
            note = Text(f"✗ {why}", style="bold")
        elif self.changed() is None:
            note = Text("No change yet.")
        elif live_only(self.config, self.changed()):
            note = Text("^s applies from the next step on, keeping the step.")
        else:
            note = Text("^s starts a new run at step 0 with these settings.")
        problem = self.query_one("#experiment-problem", Static)
        problem.update(note)
        problem.set_class(bool(why), "-error")

    def changed(self) -> Config | None:
        """The candidate Config if it is valid and differs from the run's, else None."""
        config, _, _ = candidate(self.config, self.texts)
        return None if config is None or config == self.config else config

    @property
    def field(self) -> Field:
        return self.fields[self.row]

    def action_move(self, rows: int) -> None:
        self.editing = False
        self.row = (self.row + rows) % len(self.fields)
        self.show()

    def action_cycle(self, step: int) -> None:
        """←→ on a choice row: the previous or next choice."""
        field = self.field
        if field.kind != "choice":
            return
        i = (
            field.choices.index(self.texts[field.name])
            if self.texts[field.name] in field.choices
            else 0
        )
        self.texts[field.name] = field.choices[(i + step) % len(field.choices)]
        self.show()

    def action_enter(self) -> None:
        """enter: start editing the row (a choice row: its next choice), or end the edit."""
        if self.field.kind == "choice":
            self.action_cycle(1)
            return
        self.editing = not self.editing
        self.show()

    def on_key(self, event: events.Key) -> None:
        """Typing edits the row (the first character replaces its text); r and a act
        when no row is being edited."""
        char = event.character or ""
        if event.key in self.MOVES:
            action, step = self.MOVES[event.key]
            event.stop()
            getattr(self, f"action_{action}")(step)
            return
        if event.key == "enter":
            event.stop()
            self.action_enter()
            return
        if not self.editing and char == "r":
            self.texts["seed"] = str(self.seeds.randrange(1, 2**31))
        elif not self.editing and char == "a":
            self.action_apply()
        elif event.key == "backspace" and self.field.kind != "choice":
            if not self.editing:
                self.editing = True
            self.texts[self.field.name] = self.texts[self.field.name][:-1]
        elif len(char) == 1 and char in TYPED and self.field.kind != "choice":
            if not self.editing:
                self.editing, self.texts[self.field.name] = True, ""
            self.texts[self.field.name] += char
        else:
            return
        event.stop()
        event.prevent_default()
        self.show()

    def action_apply(self) -> None:
        """Dismiss with the new Config; a bad value is refused (the bell, its reason stays)."""
        if self.problem[1]:
            self.app.bell()
            return
        self.dismiss(self.changed())

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["FIELDS", "ExperimentScreen", "Field", "candidate", "fields_of", "live_only"]
