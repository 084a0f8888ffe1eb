"""The Textual app: keys, layout, the training worker and the handlers of what it posts."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from micrograd.run import Record, record_history
from micrograd.training import OVERFLOWING_WEIGHTS, Config, Trainer
from tui import wording
from tui.lean import lean_driver
from tui.messages import SessionNews
from tui.runtime import (
    DaemonThreads,
    TerminalGuard,
    draw_in_ascii_if_needed,
    forget_closed_drawings,
    lower_priority,
)
from tui.screens.help import HelpScreen
from tui.screens.main import (
    HORIZONTAL_BREAKPOINTS,
    SLOT_ROWS,
    SLOTS,
    VERTICAL_BREAKPOINTS,
    MainScreen,
    slots_shown,
)
from tui.session import (
    MAX_PENDING_STEPS,
    CheckProgress,
    FirstNumbers,
    Mode,
    Progress,
    RunSaved,
    TrainingDiverged,
    TrainingSession,
    TrainingStopped,
    View,
    ViewSnapshots,
    one_line,
)
from tui.snapshots import Sample, Snapshot
from tui.widgets.boundary import BoundaryPlot
from tui.widgets.class_view import ClassView
from tui.widgets.loss_curve import HISTORY_LIMIT, LossCurve
from tui.widgets.loss_curve import legend as loss_legend
from tui.widgets.metrics import MetricsPanel, RunState
from tui.widgets.probe import ProbePanel

if TYPE_CHECKING:  # the inside views load when one first opens: the first frame skips them
    from tui.snapshots import GraphSnapshot

KEY_ANSWER_LIMIT = 0.1
"""Seconds after a key at most until the worker goes on at full speed, should no frame
be drawn for the key (one that changes nothing on screen)."""

WORKER_NICE = 10
"""How much nicer than the app the training thread runs (Linux, per thread). With cores to
spare nothing changes; when they are short (2 cores, other programs busy), the event loop,
the input thread and the terminal get one first: steadier frames and key answers, while
training then slows (by ~30% against two busy loops on 2 cores)."""

HEARTBEAT_ENV = "MICROGRAD_TUI_HEARTBEAT_LOG"
"""If set, a file the app appends time.monotonic() to 100 times a second (benchmarks)."""

TITLES = {
    "metrics": "training",
    "model": "model",
    "probe": "probe",
    "classes": "validation classes",
    "loss": "loss",
}
"""Each panel's title, on its frame."""

PROBE_ACTIONS = {"probe", "select", "label", "cycle_panel"}
"""Actions that act on the main screen only (the view screens use these keys)."""


class MicrogradApp(App[int]):
    """Train micrograd's MLP on the taichi data live: watch the boundary form."""

    TITLE = "micrograd-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere work

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Train/Pause"),
        # help and quit next: a footer narrower than its 78 columns keeps them in sight
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("s", "step", "Step"),
        Binding("r", "reset", "Reset"),
        Binding("w", "save", "Save"),
        Binding("g", "graph", "Graph"),
        Binding("p", "params", "Params"),
        Binding("c", "gradcheck", "Check"),
        Binding("v", "cycle_panel", "Panel", show=False),  # its panels say "v next"
        Binding("left,h", "probe(-1, 0)", "Probe", show=False),
        Binding("right,l", "probe(1, 0)", "Probe", show=False),
        Binding("up,k", "probe(0, 1)", "Probe", show=False),
        Binding("down,j", "probe(0, -1)", "Probe", show=False),
        Binding("enter", "select", "Select", show=False),
        Binding("0", "label(0)", "Label 0", show=False),
        Binding("1", "label(1)", "Label 1", show=False),
        Binding("2", "label(2)", "Label 2", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    """The whole keyboard: nothing needs a mouse."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = VERTICAL_BREAKPOINTS

    # The app's own reactives repaint nothing: a repaint of the app is one of the whole
    # screen, and the widgets that show these refresh themselves.

    state: reactive[RunState] = reactive("paused", repaint=False)
    """What the trainer is doing, as the learner sees it (the metrics panel shows it)."""

    step_count: reactive[int] = reactive(0, repaint=False)
    """The step shown on screen (tests wait on it)."""

    slot: reactive[str] = reactive("probe", init=False, repaint=False)
    """Which of SLOTS the side column shows in short terminals."""

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
        (x0, y0), label0 = trainer.train_split[0]
        self.session = TrainingSession(
            trainer,
            [Record.from_json(h) for h in history or []],
            Sample((float(x0), float(y0)), label0, 0),
            lambda news: self.post_message(SessionNews(news)),
            save_dir,
        )
        """The run and the worker's protocol: the app's keys request, its workers run it."""
        self.trainer = trainer
        """The session's: touched here only before a worker runs, and by the views."""
        self.save_dir = self.session.save_dir
        names = [name for name, _ in self.trainer.model.named_parameters()]
        self.param_names = names
        """Parameter names in Snapshot order, e.g. layer1.neuron3.w0."""
        self._measure_later = self.session.measures_later()
        """Are the start's numbers measured after the first frame (see EAGER_START)?"""
        history, self._class_counts = self.session.first_numbers(self._measure_later)
        self.history = record_history(history, HISTORY_LIMIT)
        """The steps' records since the last reset, step 0 first (a loaded run: its own),
        bounded: a long run's older ones thinned to the loudest (see record_history); and
        the validation's class counts."""
        self.set_reactive(MicrogradApp.step_count, self.trainer.step_count)
        self.snapshot = Snapshot.of(self.trainer)
        """The model as last reported by the worker."""
        self._last_graph: GraphSnapshot | None = None
        self._view_screens: dict[View, Screen] = {}
        """The open inside views' screens, to hand each its snapshots."""

    # ------------------------------------------------------------- layout

    def get_default_screen(self) -> Screen:
        trainer = self.trainer
        splits = trainer.train_split, trainer.val_split, trainer.test_split
        return MainScreen(
            self.config,
            trainer.train_split,
            self.snapshot.weights,
            self._class_counts,
            (len(splits[0]), len(splits[1]), len(splits[2])),
            len(self.param_names),
            on_mounted=self.main_mounted,
            on_resized=self.sync_side,
        )

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
        heartbeat = os.environ.get(HEARTBEAT_ENV)
        if heartbeat:
            self._heartbeat = open(heartbeat, "a", buffering=1)  # noqa: SIM115
            self.set_interval(0.01, self._beat)

    def main_mounted(self) -> None:
        """The main screen's widgets are there: show the run in them."""
        for panel, title in TITLES.items():
            self.query_one(f"#{panel}").border_title = title
        self.query_one(MetricsPanel).state = self.state
        self.query_one(ProbePanel).sample = self.session.sample
        self.watch_slot(self.slot)
        self.query_one("#plot-box").border_subtitle = self.main.plot_legend()
        self.query_one("#loss").border_subtitle = loss_legend(self.no_color)
        self.query_one(MetricsPanel).record = self.history[-1]
        self.query_one(LossCurve).history = self.history
        self.show_message(*self.hint())
        if self._measure_later:
            self.show_message(*wording.measuring(self.config.n))
            self.measure_start(self.session.generation)
        if self.trainer.outputs_overflow():  # a run file's weights: diverged already
            step = self.trainer.step_count + 1
            news = TrainingDiverged(self.session.generation, step, OVERFLOWING_WEIGHTS)
            self.post_message(SessionNews(news))

    def first_frame_shown(self) -> None:
        """The collector back on (the entry turns it off for start-up); what start-up made
        lives as long as the app, so it need not scan that again."""
        gc.freeze()
        gc.enable()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            # As the key arrives, before it is passed down the screen and back up to its
            # binding: the worker waits until the frame with the key's answer is drawn.
            self.session.key_arrived()
            self.call_after_refresh(self.session.key_answered)
            self.set_timer(KEY_ANSWER_LIMIT, self.session.key_answered)  # a key that draws nothing
        await super().on_event(event)

    def _beat(self) -> None:
        """One line per timer tick: benchmarks read the event loop's liveness from it."""
        self._heartbeat.write(f"{time.monotonic()}\n")

    def hint(self) -> tuple[str, ...]:
        """What the keys do while paused (and s presses dropped), longest first."""
        return wording.paused(self.step_count, self.session.dropped_steps, MAX_PENDING_STEPS)

    def show_message(self, *texts: str, error: bool = False) -> None:
        """Say texts (the same news, longest first) on the main screen's message line."""
        self.main.show_message(*texts, error=error)

    # ------------------------------------------------------------ actions

    def action_toggle(self) -> None:
        """Train if paused, pause if training."""
        if self.state != "running" and self.at_last_step():
            return
        if self.state == "running":
            self.pause()
        else:
            self.play()

    def action_step(self) -> None:
        """Exactly one optimizer update; pauses first if training."""
        if self.at_last_step():
            return
        if self.state == "running":
            self.pause()
        if not self.session.request_step():  # the queue is full
            self.bell()
            self.show_message(*self.hint())  # says so until the next burst
            return
        self.state = "stepping"
        self.run_trainer("step", self.session.generation)

    def at_last_step(self) -> bool:
        """At the last step a run file can count (runs.LAST_STEP)? Then say so: no
        update is taken, so every run stays one that saves and loads."""
        if not self.session.at_last_step():
            return False
        self.bell()
        self.show_message(*wording.last_step(self.step_count), error=True)
        return True

    def action_reset(self) -> None:
        """Back to step 0 with the same seed: the same initial weights and boundary."""
        generation = self.session.request_reset()
        self.state = "paused"
        self.run_trainer("reset", generation)

    def action_save(self) -> None:
        """Save the run (config, step, weights, optimizer state, history) as JSON."""
        self.session.request_save()
        if self.state != "running":  # else the training loop saves between two steps
            self.save_between_steps()

    def stop_for_signal(self, signum: int) -> None:
        """SIGTERM, SIGHUP (or the terminal gone) or SIGINT: stop the worker and leave,
        restoring the terminal (self.terminal exits anyway should that hang)."""
        self.session.stop()
        self.workers.cancel_group(self, "trainer")
        self.exit(128 + signum)

    def redraw(self) -> None:
        """Draw the whole screen again (after a stop, a shell may have written over it)."""
        self.screen.refresh(self.screen.region)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_graph(self) -> None:
        """The selected sample's loss graph, node by node, live."""
        from tui.screens.graph import GraphScreen

        graph = self._last_graph
        if graph is not None and not self.explains(graph):
            graph = None
        self.open_view("graph", GraphScreen(graph))

    def action_params(self) -> None:
        """Every parameter with its grad, AdamW moments and last update, live."""
        from tui.screens.params import ParamTableScreen

        self.open_view("params", ParamTableScreen())

    def action_gradcheck(self) -> None:
        """Autograd against central differences, at most once a second while training."""
        from tui.screens.gradcheck import GradCheckScreen

        self.open_view("gradcheck", GradCheckScreen())

    def action_cycle_panel(self) -> None:
        """Short terminals: show the next of the probe, class and model panels."""
        shown = slots_shown(self.size.height)
        if shown == "none":
            self.show_message(*wording.no_room_for_panels(SLOT_ROWS))
        elif shown == "all":
            self.show_message(*wording.ALL_PANELS_SHOWN)
        else:
            self.slot = SLOTS[(SLOTS.index(self.slot) + 1) % len(SLOTS)]

    def action_probe(self, dx: int, dy: int) -> None:
        """Move the probe's crosshair one plot cell."""
        self.main.fit_probe().action_move(dx, dy)

    def action_select(self) -> None:
        """Select the data point under the crosshair, else a probe point there."""
        self.main.fit_probe().action_select()

    def action_label(self, target: int) -> None:
        self.query_one(ProbePanel).action_label(target)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The probe's keys and v act on the main screen only; the views open from the
        main screen or from another view, not from the help. While the terminal is too
        small for the main screen (it asks to be enlarged) only quitting works: a key
        there would change what cannot be seen."""
        main = self.main
        if self.screen is main and main.too_small:
            return action == "quit"
        if action in PROBE_ACTIONS:
            return self.screen is main
        if action in ("graph", "params", "gradcheck"):
            return not isinstance(self.screen, HelpScreen)
        return True

    def open_view(self, view: View, screen: Screen) -> None:
        """Show a view's screen (in place of another view's) and have its numbers computed."""
        if self.screen in self._view_screens.values():
            self.screen.dismiss()
        self._view_screens[view] = screen
        self.push_screen(screen, callback=lambda _: self.close_view(view, screen))
        self.set_views(self.session.open_views | {view}, view)

    def close_view(self, view: View, screen: Screen) -> None:
        if self._view_screens.get(view) is screen:  # not a newer screen of the same view
            del self._view_screens[view]
            self.set_views(self.session.open_views - {view})

    def set_views(self, views: frozenset[View], new: View | None = None) -> None:
        """Publish the open views, and compute a newly opened one as soon as the trainer
        is free: a view that opened while the last queued step finished would else wait
        for the next step."""
        self.session.open_views = views
        if new is not None:  # at once if idle; else when the worker lets go of the trainer
            self.run_views(new, self.session.generation)

    def watch_slot(self, slot: str) -> None:
        self.main.show_slot(slot)
        self.sync_side()

    def watch_state(self, state: RunState) -> None:
        for panel in self.main.query(MetricsPanel):  # none before the screen's compose
            panel.state = state

    def sync_side(self) -> None:
        """The slot's hints for this size; the class view is computed while it shows: in
        its slot, or in a tall terminal."""
        self.main.show_slot(self.slot)
        slots = slots_shown(self.size.height)
        shown = (self.slot == "classes" and slots == "one") or slots == "all"
        if shown and "classes" not in self.session.open_views:
            self.set_views(self.session.open_views | {"classes"}, "classes")
        elif not shown and "classes" in self.session.open_views:
            self.set_views(self.session.open_views - {"classes"})

    def pop_screen(self) -> AwaitComplete:
        """Close the top screen (a view, the help), and let go of its widgets' drawings."""
        closed = super().pop_screen()
        forget_closed_drawings()
        return closed

    async def action_quit(self) -> None:
        self.session.stop()
        self.workers.cancel_group(self, "trainer")
        self.exit(0)

    def play(self) -> None:
        self.session.play()
        self.state = "running"
        self.show_message(*wording.TRAINING)
        self.run_trainer("train", self.session.generation)

    def pause(self) -> None:
        self.session.pause()
        self.state = "paused"
        self.show_message(*self.hint())

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
        if message.record is not None and self.history[-1].step == message.record.step:
            self.history[-1] = message.record
        if message.step_zero is not None and self.history[0].step == 1:
            self.history.insert(0, message.step_zero)
        self._class_counts = message.classes
        self.query_one(ClassView).update_snapshot(message.classes)
        self.query_one(MetricsPanel).record = self.history[-1]
        self.query_one(LossCurve).history = self.history
        if self.state == "paused":
            self.show_message(*self.hint())

    @work(thread=True, exclusive=True, exit_on_error=False, group="views")
    def run_views(self, view: View, generation: int) -> None:
        """While paused: compute a view that just opened (the trainer worker is idle)."""
        worker = get_current_worker()
        self.session.compute_view(view, generation, lambda: worker.is_cancelled)

    def on_check_progress(self, message: CheckProgress) -> None:
        from tui.screens.gradcheck import GradCheckScreen  # loaded: its view is open

        screen = self._view_screens.get("gradcheck")
        if message.generation == self.session.generation and isinstance(screen, GradCheckScreen):
            screen.show_progress(message.done, message.total, message.waits_for_pause)

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
            ViewSnapshots: self.on_view_snapshots,
            CheckProgress: self.on_check_progress,
            FirstNumbers: self.on_first_numbers,
        }
        handlers[type(news)](news)

    def on_progress(self, message: Progress) -> None:
        if message.generation != self.session.generation:
            return  # from before a reset
        records = message.records
        if records and records[0].step == 0:
            self.history = record_history(limit=HISTORY_LIMIT)
        self.history.extend(records)
        self.snapshot = message.snapshot
        last = self.history[-1]
        self.step_count = last.step
        metrics = self.query_one(MetricsPanel)
        metrics.record = last
        metrics.steps_per_sec = message.steps_per_sec if self.state == "running" else None
        self.main.show_plots(self.snapshot.weights, self.history, now=self.state != "running")
        if self.state not in ("running", "diverged"):  # keep what divergence said
            self.show_message(*self.hint())

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
        if message.what == OVERFLOWING_WEIGHTS:  # as loaded: no learning rate made them
            self.show_message(*wording.loaded_weights_overflow(message.step), error=True)
        else:
            texts = wording.diverged(message.step, message.what, self.config)
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
            self.main.show_plots(self.snapshot.weights, self.history)
            self.query_one(MetricsPanel).steps_per_sec = None

    @property
    def plots_drawn(self) -> bool:
        """Do the plots show the latest snapshot (see MainScreen.plots_drawn)?"""
        return self.main.plots_drawn

    def on_view_snapshots(self, message: ViewSnapshots) -> None:
        """Show the views' new numbers, timing it: the worker spaces the next ones by it."""
        if message.generation != self.session.generation:
            return
        started = time.perf_counter()
        self.show_views(message)
        self.session.view_show_cost = time.perf_counter() - started

    def show_views(self, message: ViewSnapshots) -> None:
        """Hand each open view its new numbers; a graph of another sample is dropped."""
        graph = message.graph
        if graph is not None and self.explains(graph):
            self._last_graph = graph
        else:
            graph = None
        for view, snapshot in (
            ("graph", graph),
            ("params", message.params),
            ("gradcheck", message.gradcheck),
        ):
            screen = self._view_screens.get(view)
            if screen is not None and snapshot is not None:
                screen.update_snapshot(snapshot)
        if message.classes is not None:
            self._class_counts = message.classes
            self.query_one(ClassView).update_snapshot(message.classes)

    def explains(self, graph: GraphSnapshot) -> bool:
        """Is graph the selected sample's?"""
        sample = self.session.sample
        return graph.point == sample.point and graph.target == sample.target

    @on(ProbePanel.Moved)
    def on_probe_moved(self, message: ProbePanel.Moved) -> None:
        self.query_one(BoundaryPlot).cursor = message.cursor

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
    # The worker is pure-Python and CPU-bound: a shorter GIL switch interval lets the
    # event loop in sooner after each of its waits, so keys and frames stay prompt.
    sys.setswitchinterval(0.001)
    draw_in_ascii_if_needed(sys.__stderr__)  # Textual draws on stderr
    app = MicrogradApp(config, trainer=trainer, history=history, save_dir=save_dir)
    app.driver_class = lean_driver(app.driver_class)  # send only the cells that changed
    try:
        status = app.run()
    finally:
        app.terminal.restore()  # cooked mode back, whatever Textual left
    # Leave the heap to the OS: the interpreter's last collection would walk every node
    # of the run's graphs (over a second at n = 20,000) before the shell got the prompt.
    gc.freeze()
    return status if isinstance(status, int) else app.return_code or 0


__all__ = ["MicrogradApp", "run_app"]
