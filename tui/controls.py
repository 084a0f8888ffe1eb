"""The run's own keys: train and pause, a step or a burst of them, reset (or back to a
loaded run's step), and quitting: each asked of the session, with the run state it leaves
and what the message line says (once, where a key would lose something)."""

from __future__ import annotations

from typing import Any, Protocol

from tui import wording
from tui.screens.main import MainScreen
from tui.session import TrainingSession


class Host(Protocol):
    """What the controls read and set of the app (tui.app.MicrogradApp)."""

    session: TrainingSession
    main: MainScreen
    state: Any
    step_count: Any
    config: Any

    def bell(self) -> None: ...
    def show_message(self, *texts: str, error: bool = False) -> None: ...
    def hint(self) -> tuple[str, ...]: ...
    def run_trainer(self, mode: Any, generation: int) -> Any: ...


class Controls:
    """space, s, S, C, r, R and q: requests to the session; the worker does the rest."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.session = app.session
        self.asked: str | None = None
        """The key that just asked to be pressed again (q: steps unsaved; r: which step
        a loaded run goes back to); any other key forgets it."""

    def key_pressed(self, key: str) -> None:
        """A key arrived: a question asked by another key is forgotten."""
        if key != self.asked:
            self.asked = None

    def toggle(self) -> None:
        """Train if paused, pause if training (a burst under way: cancel it)."""
        app = self.app
        if app.state != "running" and self.at_last_step():
            return
        if app.state == "stepping":
            self.session.cancel_steps()
        elif app.state == "running":
            self.pause()
        else:
            self.play()

    def step(self, count: int = 1) -> None:
        """Exactly one optimizer update (s), or a burst of count (S, C); pauses first if
        training."""
        app = self.app
        if self.at_last_step():
            return
        if app.state == "running":
            self.pause()
        if count > 1 and not self.session.request_steps(count):
            app.bell()
            app.show_message(*wording.burst_refused(self.session.pending_steps))
            return
        if count == 1 and not self.session.request_step():  # the queue is full
            app.bell()
            app.show_message(*app.hint())  # says so until the next burst
            return
        app.state = "stepping"
        app.run_trainer("step", self.session.generation)

    def at_last_step(self) -> bool:
        """At the last step a run file can count (runs.LAST_STEP)? Then say so: no
        update is taken, so every run stays one that saves and loads."""
        if not self.session.at_last_step():
            return False
        self.app.bell()
        self.app.show_message(*wording.last_step(self.app.step_count), error=True)
        return True

    def reset(self, to_loaded: bool = False) -> None:
        """Back to step 0 with the same seed: the same initial weights and boundary; or
        (R) to a loaded run's step. A loaded run's r past that step first offers both."""
        app, loaded = self.app, self.session.loaded
        if loaded is None and to_loaded:
            app.show_message(*wording.NOT_LOADED)
            return
        # away from the loaded step: at another, or at it in the past (the run goes on)
        away = loaded is not None and self.session.end != loaded.step
        if away and not to_loaded and self.asked != "r":
            self.asked = "r"
            app.show_message(*wording.reset_choice(app.config.seed, loaded.step))
            return
        generation = self.session.request_reset(to_loaded)
        app.state = "paused"
        app.run_trainer("reset", generation)

    def may_quit(self) -> bool:
        """q on the main screen: yes, unless steps are unsaved and q has not said so yet
        (then it says so)."""
        unsaved = self.session.unsaved_steps()
        if unsaved and self.asked != "q" and not self.app.main.too_small:
            self.asked = "q"
            self.app.show_message(*wording.unsaved(unsaved))
            return False
        return True

    def play(self) -> None:
        """Train. space's answer is step 1: the worker takes it at once, not after the
        frame of a key's answer, and the state shows with it (MainScreen.show_running)."""
        self.session.play()
        self.session.key_answered()
        self.app.run_trainer("train", self.session.generation)
        self.app.state = "running"
        self.app.main.show_running(*wording.TRAINING)

    def pause(self) -> None:
        self.session.pause()
        self.app.state = "paused"
        self.app.show_message(*self.app.hint())


__all__ = ["Controls", "Host"]
