"""The Textual app: keys, layout, the training worker and the handlers of what it posts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from micrograd.run import Record
from micrograd.training import OVERFLOWING_WEIGHTS, Config, Trainer
from tui import wording
from tui.controls import Controls
from tui.messages import SessionNews
from tui.playground import Playground
from tui.rewind import Rewinder
from tui.runtime import (
    DaemonThreads,
    TerminalGuard,
    collect_from_now,
    forget_closed_drawings,
    heartbeat,
    lower_priority,
    run_in_terminal,
)
from tui.screens.experiment import ExperimentScreen
from tui.screens.help import HelpScreen
from tui.screens.main import (
    HORIZONTAL_BREAKPOINTS,
    SLOT_ROWS,
    VERTICAL_BREAKPOINTS,
    MainScreen,
    slots_shown,
)
from tui.session import (
    KEY_ANSWER_LIMIT,
    MAX_PENDING_STEPS,
    WORKER_NICE,
    Branched,
    CheckProgress,
    FirstNumbers,
    Mode,
    Progress,
    Replaying,
    Retuned,
    Rewound,
    RunSaved,
    TrainingDiverged,
    TrainingSession,
    TrainingStopped,
    View,
    ViewSnapshots,
    one_line,
)
from tui.snapshots import Sample, Snapshot
from tui.views import OpenViews
from tui.widgets.loss_curve import HISTORY_LIMIT
from tui.widgets.metrics import RunState
from tui.widgets.probe import ProbePanel


class MicrogradApp(App[int]):
    """Train micrograd's MLP on the taichi data live: watch the boundary form."""

    TITLE = "micrograd-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere work

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Train/Pause"),
        # help and quit next: a footer narrower than its 78 columns keeps them in sight
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "leave", "Quit"),
        Binding("s", "step", "Step"),
        Binding("r", "reset", "Reset"),
        Binding("R", "reset(True)", "Loaded step", show=False),
        Binding("w", "save", "Save"),
        Binding("g", "graph", "Graph"),
        Binding("p", "params", "Params"),
        Binding("c", "gradcheck", "Check"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    """The keys of every screen (the main screen's own: MainScreen.BINDINGS)."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = VERTICAL_BREAKPOINTS

    # The app's own reactives repaint nothing: a repaint of the app is one of the whole
    # screen, and the widgets that show these refresh themselves.

    state: reactive[RunState] = reactive("paused", repaint=False)
    """What the trainer is doing, as the learner sees it (the metrics panel shows it)."""

    step_count: reactive[int] = reactive(0, repaint=False)
    """The step shown on screen (tests wait on it)."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        trainer: Trainer | None = None,
        history: list[dict] | None = None,
        save_dir: str | os.PathLike[str] = ".",
    ) -> None:
        """A new run of config, or the loaded run trainer (with its saved history)."""
        # ansi_color: keep the class colours as ANSI red/yellow/green, so a 16-colour
        # terminal shows them as such instead of the nearest match to an RGB guess.
        super().__init__(ansi_color=True)
        self.terminal = TerminalGuard.of_stdio()
        """The terminal's settings as found, its signals and its hang-up (a real one only)."""
        trainer = trainer if trainer is not None else Trainer(config or Config())
        self.config = trainer.config
        self.session = TrainingSession(
            trainer,
            [Record.from_json(h) for h in history or []],
            Sample.first(trainer),
            lambda news: self.post_message(SessionNews(news)),
            save_dir,
            HISTORY_LIMIT,
        )
        """The run and the worker's protocol: the app's keys request, its workers run it."""
        self.trainer = trainer
        """The session's: touched here only before a worker runs, and by the views."""
        self.save_dir = self.session.save_dir
        self.param_names = [name for name, _ in trainer.model.named_parameters()]
        """Parameter names in Snapshot order, e.g. layer1.neuron3.w0."""
        self._measure_later = self.session.measures_later()
        """Are the start's numbers measured after the first frame (see EAGER_START)?"""
        self._first_class_counts = self.session.show_start(self._measure_later)
        self.set_reactive(MicrogradApp.step_count, self.trainer.step_count)
        self.snapshot = Snapshot.of(self.trainer)
        """The model as last reported by the worker."""
        self.views = OpenViews(
            self, self.session, self.run_views, lambda counts: self.main.show_classes(counts)
        )
        """Which inside views are open, and their screens."""
        self.playground = Playground(self)
        """The learning rate's ladder, the speed, the experiment screen's settings."""
        self.rewinder = Rewinder(self)
        """The rewind keys: a past step shown, a branch from it."""
        self.controls = Controls(self)
        """space, s, S, C, r, R, q: the run's own keys."""
        self.news: tuple[str, ...] = ()
        """What the paused message line says until the next key, in place of the hint."""

    # ------------------------------------------------------------- layout

    def get_default_screen(self) -> Screen:
        return MainScreen.of(
            self.trainer,
            self.snapshot.weights,
            self._first_class_counts,
            on_mounted=self.main_mounted,
            on_resized=self.sync_side,
        )

    @property
    def history(self) -> list[Record]:
        """The records shown, step 0 first, since the last reset (a loaded run: its own),
        bounded: a long run's older ones thinned to the loudest (see record_history)."""
        return self.session.shown  # type: ignore[return-value]

    @property
    def main(self) -> MainScreen:
        """The main screen, under any view."""
        main = self.screen_stack[0]
        assert isinstance(main, MainScreen)
        return main

    def on_mount(self) -> None:
        self.call_after_refresh(self.first_frame_shown)
        asyncio.get_running_loop().set_default_executor(DaemonThreads())  # never waits
        if not self.is_headless:  # a real terminal (Pilot tests have none, nor their signals)
            self.terminal.install(self.stop_for_signal, self.redraw)
        beat = heartbeat()
        if beat is not None:
            self.set_interval(0.01, beat)

    def first_frame_shown(self) -> None:
        collect_from_now()

    def main_mounted(self) -> None:
        """The main screen's widgets are there: show the run in them."""
        self.main.show_start(self.state, self.history)
        self.main.show_marks(self.session.marks)  # a loaded run's settings changes
        self.sync_side()
        self.show_message(*self.hint())
        if self._measure_later:
            self.show_message(*wording.measuring(self.config.n))
            self.measure_start(self.session.generation)
        if self.trainer.outputs_overflow():  # a run file's weights: diverged already
            step = self.trainer.step_count + 1
            news = TrainingDiverged(self.session.generation, step, OVERFLOWING_WEIGHTS, True)
            self.post_message(SessionNews(news))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            # As the key arrives, before it is passed down the screen and back up to its
            # binding: the worker waits until the frame with the key's answer is drawn.
            self.session.key_arrived()
            self.controls.key_pressed(event.key)
            self.news = ()
            self.call_after_refresh(self.session.key_answered)
            self.set_timer(KEY_ANSWER_LIMIT, self.session.key_answered)  # a key that draws nothing
        await super().on_event(event)

    def on_cursor_position(self, event: events.CursorPosition) -> None:
        """The terminal's answer to the plots' status query (see tui.pacing)."""
        self.main.terminal_answered()

    def hint(self) -> tuple[str, ...]:
        """What the keys do while paused (and s presses dropped), longest first."""
        past = self.rewinder.hint()
        return past or wording.paused(
            self.step_count, self.session.dropped_steps, MAX_PENDING_STEPS
        )

    def show_message(self, *texts: str, error: bool = False) -> None:
        """Say texts (the same news, longest first) on the main screen's message line."""
        self.main.show_message(*texts, error=error)

    # ------------------------------------------------------------ actions

    def action_toggle(self) -> None:
        """Train if paused, pause if training."""
        self.controls.toggle()

    def action_step(self, count: int = 1) -> None:
        """One optimizer update (s), or a burst of count (S, C)."""
        self.controls.step(count)

    def action_reset(self, to_loaded: bool = False) -> None:
        """Back to step 0 (r), or to a loaded run's step (R)."""
        self.controls.reset(to_loaded)

    def action_save(self) -> None:
        """Save the run (config, step, weights, optimizer state, history) as JSON."""
        self.session.request_save()
        if self.state != "running":  # else the training loop saves between two steps
            self.save_between_steps()

    def stop_for_signal(self, signum: int) -> None:
        """SIGTERM, SIGHUP (or the terminal gone) or SIGINT: stop the worker and leave,
        restoring the terminal (self.terminal exits anyway should that hang)."""
        self.leave(128 + signum)

    def leave(self, status: int) -> None:
        """Stop the training worker and exit with status."""
        self.session.stop()
        self.workers.cancel_group(self, "trainer")
        self.exit(status)

    def redraw(self) -> None:
        """Draw the whole screen again (after a stop, a shell may have written over it)."""
        self.screen.refresh(self.screen.region)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_graph(self) -> None:
        """The selected sample's loss graph, node by node, live."""
        self.views.open("graph")

    def action_params(self) -> None:
        """Every parameter with its grad, AdamW moments and last update, live."""
        self.views.open("params")

    def action_gradcheck(self) -> None:
        """Autograd against central differences, at most once a second while training."""
        self.views.open("gradcheck")

    @property
    def slot(self) -> str:
        """Which of the probe, class and model panels the side column shows (short ones)."""
        return self.main.slot

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The views open from the main screen or from another view, not from the help.
        While the terminal is too small for the main screen (it asks to be enlarged) only
        quitting works: a key there would change what cannot be seen."""
        if self.screen is self.main and self.main.too_small:
            return action in ("quit", "leave")
        if isinstance(self.screen, ExperimentScreen):  # its keys type: only ctrl+q, ctrl+c
            return action == "quit"
        if action in ("graph", "params", "gradcheck"):
            return not isinstance(self.screen, HelpScreen)
        return True

    def watch_state(self, state: RunState) -> None:
        if state != "running":  # "running" shows with the next step (see play)
            self.main.show_state(state)

    def sync_side(self) -> None:
        """The class view is computed while it shows (in its slot, or all panels shown);
        what v said of the panels, if this size makes it untrue, gives way."""
        self.views.show_class_view(self.main.shows_classes())
        news = {"none": wording.no_room_for_panels(SLOT_ROWS), "all": wording.ALL_PANELS_SHOWN}
        said = self.main.said
        if said in news.values() and said != news.get(slots_shown(self.size.height)):
            self.show_message(*(wording.TRAINING if self.state == "running" else self.hint()))

    def pop_screen(self) -> AwaitComplete:
        """Close the top screen (a view, the help), and let go of its widgets' drawings."""
        closed = super().pop_screen()
        forget_closed_drawings()
        return closed

    async def action_leave(self) -> None:
        """q on the main screen: quit, once unsaved steps were said (ctrl+q, ctrl+c and
        the stop signals quit at once)."""
        if self.controls.may_quit():
            await self.action_quit()

    async def action_quit(self) -> None:
        self.leave(0)

    def play(self) -> None:
        self.controls.play()

    def pause(self) -> None:
        self.controls.pause()

    # ------------------------------------------------------------- worker

    @work(thread=True, exclusive=True, exit_on_error=False, group="trainer")
    def run_trainer(self, mode: Mode, generation: int) -> None:
        """Train, take the pending single steps, or reset (see TrainingSession.run)."""
        worker = get_current_worker()
        lower_priority(WORKER_NICE)
        self.session.run(mode, generation, lambda: worker.is_cancelled)

    @work(thread=True, exit_on_error=False, group="start")
    def measure_start(self, generation: int) -> None:
        """A big model's start, measured after the first frame."""
        self.session.measure_start(generation)

    def on_first_numbers(self, message: FirstNumbers) -> None:
        if message.generation != self.session.generation:
            return
        self.session.show_first_numbers(message)
        self.main.show_classes(message.classes)
        self.main.show_records(self.history)
        if self.state == "paused":
            self.show_message(*self.hint())

    @work(thread=True, exclusive=True, exit_on_error=False, group="views")
    def run_views(self, view: View, generation: int) -> None:
        """While paused: compute a view that just opened (the trainer worker is idle)."""
        worker = get_current_worker()
        self.session.compute_view(view, generation, lambda: worker.is_cancelled)

    @work(thread=True, exit_on_error=False, group="save")
    def save_between_steps(self) -> None:
        """Save once no step is under way (a running worker saves between its steps)."""
        self.session.save_between_steps()

    # ----------------------------------------------------------- handlers

    @on(SessionNews)
    def on_session_news(self, message: SessionNews) -> None:
        """Hand the session's news to its handler (a method named for its type)."""
        news = message.news
        handlers: dict[type, Callable] = {
            Progress: self.on_progress,
            RunSaved: self.on_run_saved,
            TrainingDiverged: self.on_training_diverged,
            TrainingStopped: self.on_training_stopped,
            ViewSnapshots: self.views.show,
            CheckProgress: self.views.show_check_progress,
            FirstNumbers: self.on_first_numbers,
            Retuned: self.on_retuned,
            **self.playground.news_handlers(),  # the data's edits
            Rewound: self.rewinder.show,
            Replaying: self.rewinder.replaying,
            Branched: self.rewinder.branched,
        }
        handlers[type(news)](news)

    def on_progress(self, message: Progress) -> None:
        if message.generation != self.session.generation:
            return  # from before a reset
        self.step_count = self.session.show_records(message.records).step
        self.main.show_marks(self.session.marks, self.session.abandoned)
        self.snapshot = message.snapshot
        running = self.state == "running"
        speed = message.steps_per_sec if running else None
        self.main.show_progress(self.snapshot, self.history, speed, now=not running)
        if self.state not in ("running", "diverged"):  # keep what divergence said
            self.show_message(*(self.news or self.hint()))

    def on_retuned(self, message: Retuned) -> None:
        if message.generation == self.session.generation:
            self.session.marks.append(message.step)
            self.main.show_marks(self.session.marks)

    def on_run_saved(self, message: RunSaved) -> None:
        if message.path is None:
            self.show_message(*wording.not_saved(str(message.error)), error=True)
        else:
            self.show_message(*wording.saved(message.path))

    def on_training_diverged(self, message: TrainingDiverged) -> None:
        if message.generation != self.session.generation:
            return
        self.session.pause()
        self.state = "diverged"
        texts = wording.diverged(message.step, message.what, self.config, message.given)
        self.show_message(*texts, error=True)

    def on_training_stopped(self, message: TrainingStopped) -> None:
        if message.generation != self.session.generation:
            return
        if self.state == "stepping":
            if self.session.steps_done():
                self.state = "paused"
        elif self.state == "running" and not self.session.keep_training.is_set():
            self.state = "paused"
        if self.state != "running":  # the plots catch up with the last snapshot
            self.main.show_stopped(self.snapshot.weights, self.history)

    @property
    def plots_drawn(self) -> bool:
        """Do the plots show the latest snapshot (see MainScreen.plots_drawn)?"""
        return self.main.plots_drawn

    @on(ProbePanel.Selected)
    def on_probe_selected(self, message: ProbePanel.Selected) -> None:
        self.session.sample = sample = message.sample
        if self.state == "diverged":  # keep what divergence said
            return
        self.show_message(*wording.selected(sample))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed says so in the message line (their errors end no worker
        but their own: exit_on_error=False)."""
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "trainer":
            self.session.pause()
            self.state = "paused"
        group = "training" if event.worker.group == "trainer" else event.worker.group
        self.show_message(*wording.worker_failed(group, one_line(event.worker.error)), error=True)


def run_app(
    config: Config,
    trainer: Trainer | None = None,
    history: list[dict] | None = None,
    save_dir: str | os.PathLike[str] = ".",
) -> int:
    """Run the app until the learner quits; returns the exit status.

    trainer and history resume a loaded run; save_dir is where `w` writes runs.
    """
    return run_in_terminal(
        lambda: MicrogradApp(config, trainer=trainer, history=history, save_dir=save_dir)
    )


__all__ = ["MicrogradApp", "run_app"]
