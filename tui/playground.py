"""The playground's keys: the learning rate's ladder, the speed, and the experiment screen's
settings, applied from the next step on or as a new run at step 0."""

from __future__ import annotations

from typing import Any, Protocol

from micrograd.training import Config, Trainer
from tui import wording
from tui.screens.experiment import ExperimentScreen, live_only
from tui.screens.main import MainScreen
from tui.session import RATE_LADDER, SPEEDS, TrainingSession, rate_rung
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
        if live_only(session.config, config):
            self.retune(**{name: getattr(config, name) for name in LIVE})
            return
        if app.state == "running":
            app.pause()
        trainer = Trainer(config)
        generation, counts = session.request_new_run(trainer)
        app.trainer, app.config, app.snapshot = trainer, config, Snapshot.of(trainer)
        app.param_names = [name for name, _ in trainer.model.named_parameters()]
        (x0, y0), label0 = trainer.train_split[0]
        session.sample = Sample((float(x0), float(y0)), label0, 0)
        app.state, app.step_count = "paused", 0

        def mounted() -> None:
            app.main_mounted()
            app.main.show_speed(session.speed)
            app.news = wording.new_run(config)
            app.show_message(*app.news)

        await app.main.show_run(trainer, app.snapshot.weights, counts, mounted)
        app.run_trainer("reset", generation)


__all__ = ["LIVE", "RATE_ENDS", "Host", "Playground"]
