"""The playground's keys: the learning rate's ladder, the speed, the experiment screen's
settings (from the next step on, or as a new run at step 0) and the data's edits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from micrograd.training import Config, Trainer
from tui import wording
from tui.screens.experiment import ExperimentScreen, live_only
from tui.screens.main import MainScreen
from tui.session import (
    RATE_LADDER,
    SPEEDS,
    DataEdited,
    Edit,
    EditKind,
    NoTrainingPoints,
    TrainingSession,
    rate_rung,
)
from tui.snapshots import Sample, Snapshot

RATE_ENDS = RATE_LADDER[0], RATE_LADDER[-1]

LIVE = ("lr", "weight_decay", "batch_size")
"""The settings that change without a reset (Trainer.retune)."""


class Host(Protocol):
    """What the playground reads and sets of the app (tui.app.MicrogradApp)."""

    session: TrainingSession
    main: MainScreen
    config: Config
    trainer: Trainer
    snapshot: Snapshot
    param_names: list[str]
    state: Any
    step_count: Any
    news: tuple[str, ...]

    def bell(self) -> None: ...
    def show_message(self, *texts: str, error: bool = False) -> None: ...
    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
    def call_after_refresh(self, callback: Any, *args: Any) -> bool: ...
    def pause(self) -> None: ...
    def main_mounted(self) -> None: ...
    def run_trainer(self, mode: Any, generation: int) -> Any: ...
    def run_worker(self, work: Any, **options: Any) -> Any: ...


class Playground:
    """Changes to the experiment the app's keys ask for, through its session: the worker
    applies them between two steps, never in the middle of one."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.session = app.session

    def rate(self, rungs: int) -> None:
        """+ and -: the learning rate a rung up or down the 1-2-5 ladder, from the next step."""
        lr = rate_rung(self.session.config.lr, rungs)
        if lr is None:
            self.app.bell()
            self.app.show_message(*wording.rate_bound(self.session.config.lr, *RATE_ENDS))
        else:
            self.retune(lr=lr)

    def retune(self, **changes: float | None) -> None:
        """New settings that need no reset, from the next step on: said and shown at once."""
        app = self.app
        app.config = self.session.request_retune(**changes)
        app.main.show_config(app.config)
        app.show_message(*wording.retuned(app.config, app.step_count + 1))

    def speed(self) -> None:
        """x: the next speed setting (1, 5, 20 steps/s, or as fast as it goes)."""
        speed = SPEEDS[(SPEEDS.index(self.session.speed) + 1) % len(SPEEDS)]
        self.session.set_speed(speed)
        self.app.main.show_speed(speed)
        self.app.show_message(*wording.speed(speed))

    def experiment(self) -> None:
        """e: the experiment screen; what it applies comes back to experiment_done."""
        self.app.push_screen(ExperimentScreen(self.session.config), self.experiment_done)

    def experiment_done(self, config: Config | None) -> None:
        """Apply the experiment screen's Config: live settings from the next step on, the
        rest as a new run at step 0."""
        if config is not None:  # once the experiment screen is gone
            self.app.call_after_refresh(self.apply, config)

    async def apply(self, config: Config) -> None:
        app, session = self.app, self.session
        old = session.config
        if live_only(old, config):
            self.retune(**{name: getattr(config, name) for name in LIVE})
            return
        if app.state == "running":
            app.pause()
        trainer = Trainer(config)
        generation, counts = session.request_new_run(trainer)
        app.trainer, app.config, app.snapshot = trainer, config, Snapshot.of(trainer)
        app.param_names = [name for name, _ in trainer.model.named_parameters()]
        session.sample = Sample.first(trainer)
        app.state, app.step_count = "paused", 0

        def mounted() -> None:
            app.main_mounted()
            app.main.show_speed(session.speed)
            app.news = wording.new_run(config, old)
            app.show_message(*app.news)

        await app.main.show_run(trainer, app.snapshot.weights, counts, mounted)
        app.run_trainer("reset", generation)

    # ------------------------------------------------------------ the data

    def add(self, label: int) -> None:
        """a then a class: a training point of that class at the crosshair."""
        classes = self.session.config.classes
        if not 0 <= label < classes:
            self.app.bell()
            self.app.show_message(*wording.no_such_class(label, classes))
            return
        self.edit("add", self.app.main.crosshair(), label)

    def remove(self) -> None:
        """d: the training point under the crosshair, if any."""
        point = self.app.main.training_point_under_crosshair()
        if point is None:
            self.app.bell()
            self.app.show_message(*wording.NO_POINT_HERE)
            return
        (x, y), label = point
        self.edit("remove", (float(x), float(y)), label)

    def edit(
        self, kind: EditKind, point: tuple[float, float] | None = None, label: int | None = None
    ) -> None:
        """Ask the session for an edit of the data, made between two steps: by the worker
        training, else by a worker of its own (it waits for one still finishing)."""
        self.session.request_edit(Edit(kind, point, label))
        if self.app.state != "running":
            self.app.run_worker(
                self.session.edit_between_steps, thread=True, group="edit", exit_on_error=False
            )

    def news_handlers(self) -> dict[type, Callable[[Any], None]]:
        """The session's news about the data, and their handlers."""
        return {DataEdited: self.edited, NoTrainingPoints: self.no_points}

    def edited(self, news: DataEdited) -> None:
        """The worker edited the data: the plot, the probe and the panels show the new
        splits, the loss curve marks the step, the message line says what was done."""
        app, session = self.app, self.session
        if news.generation != session.generation:
            return
        app.main.show_data(list(news.train), list(news.val), news.test_size)
        if news.done:
            session.marks.append(news.step)
            app.main.show_marks(session.marks)
        if news.refused is not None:
            app.bell()
            app.show_message(*wording.edit_refused(news.refused[1]), error=True)
        elif news.done:
            app.news = wording.edited(news.done[-1], len(news.train), news.step + 1)
            app.show_message(*app.news)

    def no_points(self, news: NoTrainingPoints) -> None:
        """A step found no training points: say how to get some."""
        if news.generation == self.session.generation:
            self.app.bell()
            self.app.news = wording.NO_TRAINING_POINTS
            self.app.show_message(*self.app.news, error=True)


__all__ = ["LIVE", "RATE_ENDS", "Host", "Playground"]
