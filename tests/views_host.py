"""A small host app for the inside views' tests: a seeded trainer a few steps in, one view."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from micrograd.training import Config, Trainer
from tui.screens.gradcheck import GradCheckScreen
from tui.screens.graph import GraphScreen
from tui.screens.params import ParamTableScreen
from tui.snapshots import ClassSnapshot, GradCheckSnapshot, GraphSnapshot, ParamSnapshot, Snapshot
from tui.widgets.class_view import ClassView
from tui.widgets.probe import ProbePanel

STEPS = 5
"""Steps taken before the views are shown (deterministic: seed 42, the tutorial's defaults)."""

SAMPLE = 0
"""The training sample the graph view shows."""


def trained(steps: int = STEPS) -> Trainer:
    """The tutorial's trainer after a few full-batch AdamW steps."""
    trainer = Trainer(Config())
    for _ in range(steps):
        trainer.step()
    return trainer


def graph_snapshot(trainer: Trainer) -> GraphSnapshot:
    x, y = trainer.train_split[SAMPLE]
    return GraphSnapshot.of(trainer, x, y)


class ViewsHost(App[None]):
    """Shows the probe and class panels, and pushes one inside view built from snapshots.

    view: "graph", "params", "gradcheck", or "panels" (nothing pushed).
    """

    CSS_PATH = ["../tui/app.tcss"]

    def __init__(self, view: str = "graph", trainer: Trainer | None = None) -> None:
        super().__init__(ansi_color=True)
        self.view = view
        self.trainer = trainer or trained()

    def compose(self) -> ComposeResult:
        t = self.trainer
        yield ProbePanel(t.train_split, Snapshot.of(t).weights, id="probe")
        yield ClassView(ClassSnapshot.of(t), id="classes")
        yield Static("host", id="host")
        yield Footer()

    def make_screen(self) -> Screen | None:
        t = self.trainer
        if self.view == "graph":
            return GraphScreen(graph_snapshot(t))
        if self.view == "params":
            return ParamTableScreen(ParamSnapshot.of(t))
        if self.view == "gradcheck":
            return GradCheckScreen(GradCheckSnapshot.of(t))
        if self.view == "panels":
            return None
        raise ValueError(f"no view {self.view!r}")

    def on_mount(self) -> None:
        self.query_one(ProbePanel).focus()
        screen = self.make_screen()
        if screen is not None:
            self.push_screen(screen)


app = ViewsHost()
