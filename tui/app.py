"""The Textual app: keys, layout, the training worker and the handlers of what it posts."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar, Literal

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from micrograd.training import Config, Diverged, Trainer
from tui.messages import Progress, Record, Snapshot, TrainingDiverged, TrainingStopped
from tui.widgets import BoundaryPlot, HelpScreen, LossCurve, MetricsPanel, ModelPanel, RunState
from tui.widgets.boundary import legend
from tui.widgets.loss_curve import legend as loss_legend

PANEL_INTERVAL = 0.1
"""Seconds between the worker's messages while running: about 10 panel updates a second."""

PLOT_INTERVAL = 0.3
"""Seconds between redraws of the boundary and the loss curve while running (the costliest
things to draw; the event loop shares the interpreter with the worker)."""

MAX_PENDING_STEPS = 8
"""Single-step presses queued beyond this are dropped, so holding `s` never runs away."""

MIN_SIZE = (60, 20)
"""Below this many columns x rows the app asks for a larger terminal (see app.tcss)."""

HEARTBEAT_ENV = "MICROGRAD_TUI_HEARTBEAT_LOG"
"""If set, a file the app appends time.monotonic() to 100 times a second (benchmarks)."""

Mode = Literal["train", "step", "reset"]


def record_of(trainer: Trainer, step: int, train_loss: float, train_acc: float) -> Record:
    """A step's record: the training numbers given, validation measured now."""
    val_loss, val_acc = trainer.evaluate(trainer.val_split)
    return Record(step, train_loss, train_acc, val_loss, val_acc)


def initial_record(trainer: Trainer) -> Record:
    """Step 0: both splits evaluated on the initial weights."""
    return record_of(trainer, 0, *trainer.evaluate(trainer.train_split))


class MicrogradApp(App[int]):
    """Train micrograd's MLP on the taichi data live: watch the boundary form."""

    TITLE = "micrograd-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere work

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Train/Pause"),
        Binding("s", "step", "Step"),
        Binding("r", "reset", "Reset"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    """The whole keyboard: nothing needs a mouse."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-too-narrow"),
        (MIN_SIZE[0], "-narrow"),
        (120, "-wide"),
    ]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-too-short"),
        (MIN_SIZE[1], "-short"),
        (40, "-tall"),
    ]

    state: reactive[RunState] = reactive("paused")
    """What the trainer is doing, as the learner sees it."""

    step_count: reactive[int] = reactive(0)
    """The step shown on screen (tests wait on it)."""

    def __init__(self, config: Config | None = None) -> None:
        # ansi_color: keep the class colours as ANSI red/yellow/green, so a 16-colour
        # terminal shows them as such instead of the nearest match to an RGB guess.
        super().__init__(ansi_color=True)
        self.config = config or Config()
        self.trainer = Trainer(self.config)
        """Owned by the worker while one runs: the main thread touches it only before."""
        names = [name for name, _ in self.trainer.model.named_parameters()]
        self.param_names = names
        """Parameter names in Snapshot order, e.g. layer1.neuron3.w0."""
        self.history: list[Record] = [initial_record(self.trainer)]
        """Every step's record since the last reset, step 0 first."""
        self.snapshot = Snapshot.of(self.trainer)
        """The model as last reported by the worker."""
        self._generation = 0
        self._keep_training = threading.Event()
        self._pending_steps = 0
        self._pending_lock = threading.Lock()
        self._trainer_lock = threading.Lock()
        self._plots_due = 0.0

    # ------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        splits = self.trainer.train_split, self.trainer.val_split, self.trainer.test_split
        with Horizontal(id="main"):
            with Vertical(id="plot-box") as box:
                box.border_title = "decision boundary"
                box.border_subtitle = legend(self.no_color)
                yield BoundaryPlot(self.trainer.train_split, self.snapshot.weights, id="boundary")
            with Vertical(id="side"):
                yield MetricsPanel(id="metrics").data_bind(MicrogradApp.state)
                yield ModelPanel(
                    self.config,
                    len(self.param_names),
                    (len(splits[0]), len(splits[1]), len(splits[2])),
                    id="model",
                )
                yield LossCurve(id="loss")
        yield Static(id="message")
        yield Static(
            f"Enlarge the terminal to at least {MIN_SIZE[0]}x{MIN_SIZE[1]} (q quits)",
            id="too-small",
        )
        yield Footer()

    def on_mount(self) -> None:
        gc.freeze()  # the app's long-lived objects: the GC need not scan them again
        self.query_one("#metrics").border_title = "training"
        self.query_one("#model").border_title = "model"
        self.query_one("#loss").border_title = "loss"
        self.query_one("#loss").border_subtitle = loss_legend(self.no_color)
        self.query_one(MetricsPanel).record = self.history[-1]
        self.query_one(LossCurve).history = self.history
        self.show_message(self.hint())
        heartbeat = os.environ.get(HEARTBEAT_ENV)
        if heartbeat:
            self._heartbeat = open(heartbeat, "a", buffering=1)  # noqa: SIM115
            self.set_interval(0.01, self._beat)

    def _beat(self) -> None:
        """One line per timer tick: benchmarks read the event loop's liveness from it."""
        self._heartbeat.write(f"{time.monotonic()}\n")

    def hint(self) -> str:
        return (
            f"Paused at step {self.step_count}. "
            "space trains, s takes one step, r resets, ? explains."
        )

    def show_message(self, text: str, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(error, "-error")

    # ------------------------------------------------------------ actions

    def action_toggle(self) -> None:
        """Train if paused, pause if training."""
        if self.state == "running":
            self.pause()
        else:
            self.play()

    def action_step(self) -> None:
        """Exactly one optimizer update; pauses first if training."""
        if self.state == "running":
            self.pause()
        with self._pending_lock:
            if self._pending_steps >= MAX_PENDING_STEPS:
                self.bell()
                return
            self._pending_steps += 1
        self.state = "stepping"
        self.run_trainer("step", self._generation)

    def action_reset(self) -> None:
        """Back to step 0 with the same seed: the same initial weights and boundary."""
        self._keep_training.clear()
        with self._pending_lock:
            self._pending_steps = 0
        self._generation += 1
        self.state = "paused"
        self.run_trainer("reset", self._generation)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self._keep_training.clear()
        self.workers.cancel_group(self, "trainer")
        self.exit(0)

    def play(self) -> None:
        with self._pending_lock:
            self._pending_steps = 0
        self._keep_training.set()
        self.state = "running"
        self.show_message("Training: space pauses, s pauses and takes one step.")
        self.run_trainer("train", self._generation)

    def pause(self) -> None:
        self._keep_training.clear()  # the worker abandons its step within a few samples
        self.state = "paused"
        self.show_message(self.hint())

    # ------------------------------------------------------------- worker

    @work(thread=True, exclusive=True, exit_on_error=False, group="trainer")
    def run_trainer(self, mode: Mode, generation: int) -> None:
        """Train, take the pending single steps, or reset; posts what changed.

        Runs in a thread. Only one runs at a time (exclusive, and the trainer lock for
        a cancelled one still finishing). It reads only thread-safe flags of the app and
        reaches the UI only through post_message.
        """
        worker = get_current_worker()

        def stale() -> bool:
            return worker.is_cancelled or generation != self._generation

        def should_stop() -> bool:
            time.sleep(0)  # hand the GIL to the event loop: keys stay quick mid-step
            return stale() or (mode == "train" and not self._keep_training.is_set())

        with self._trainer_lock:
            if stale():
                return
            trainer = self.trainer
            if mode == "reset":
                trainer.reset()
                record = initial_record(trainer)
                self.post_message(Progress(generation, [record], Snapshot.of(trainer), None))
                return
            records: list[Record] = []
            started = last_post = time.monotonic()
            steps_since_post = 0
            try:
                while not should_stop():
                    if mode == "step":
                        with self._pending_lock:
                            if self._pending_steps <= 0:
                                break
                    result = trainer.step(should_stop=should_stop)
                    if result is None:
                        break
                    if mode == "step":
                        with self._pending_lock:
                            self._pending_steps -= 1
                    records.append(
                        record_of(trainer, result.step, result.train_loss, result.train_acc)
                    )
                    steps_since_post += 1
                    now = time.monotonic()
                    if mode == "step" or now - last_post >= PANEL_INTERVAL:
                        speed = steps_since_post / max(now - last_post, 1e-9)
                        self.post_message(
                            Progress(
                                generation,
                                records,
                                Snapshot.of(trainer),
                                speed if mode == "train" and now > started else None,
                            )
                        )
                        records, last_post, steps_since_post = [], now, 0
            except Diverged as e:
                self.post_message(TrainingDiverged(generation, e.step, e.what))
            finally:
                if records:
                    self.post_message(Progress(generation, records, Snapshot.of(trainer), None))
                self.post_message(TrainingStopped(generation))

    # ----------------------------------------------------------- handlers

    @on(Progress)
    def on_progress(self, message: Progress) -> None:
        if message.generation != self._generation:
            return  # from before a reset
        records = message.records
        if records and records[0].step == 0:
            self.history = []
        self.history.extend(records)
        self.snapshot = message.snapshot
        last = self.history[-1]
        self.step_count = last.step
        metrics = self.query_one(MetricsPanel)
        metrics.record = last
        metrics.steps_per_sec = message.steps_per_sec if self.state == "running" else None
        now = time.monotonic()
        if self.state != "running" or now >= self._plots_due:
            self.update_plots()
            self._plots_due = now + PLOT_INTERVAL
        if self.state != "running":
            self.show_message(self.hint())

    @on(TrainingDiverged)
    def on_training_diverged(self, message: TrainingDiverged) -> None:
        if message.generation != self._generation:
            return
        self._keep_training.clear()
        self.state = "diverged"
        self.show_message(
            f"Diverged at step {message.step}: {message.what}, so that update was not "
            f"applied (the weights of step {message.step - 1} are kept). The learning rate "
            f"{self.config.lr:g} is too high: press r to start over, or quit and rerun "
            f"with a lower --lr (say {self.config.lr / 10:g}).",
            error=True,
        )

    @on(TrainingStopped)
    def on_training_stopped(self, message: TrainingStopped) -> None:
        if message.generation != self._generation:
            return
        if self.state == "stepping":
            with self._pending_lock:
                done = self._pending_steps == 0
            if done:
                self.state = "paused"
        elif self.state == "running" and not self._keep_training.is_set():
            self.state = "paused"
        if self.state != "running":  # the plots catch up with the last snapshot
            self.update_plots()
            self.query_one(MetricsPanel).steps_per_sec = None

    def update_plots(self) -> None:
        self.query_one(BoundaryPlot).weights = self.snapshot.weights
        self.query_one(LossCurve).history = self.history

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "trainer" and event.state == WorkerState.ERROR:
            self._keep_training.clear()
            self.state = "paused"
            self.show_message(f"The training worker failed: {event.worker.error!r}", error=True)


def run_app(config: Config) -> int:
    """Run the app until the learner quits; returns the exit status."""
    # The worker is pure-Python and CPU-bound: a shorter GIL switch interval lets the
    # event loop in sooner after each of its waits, so keys and frames stay prompt.
    sys.setswitchinterval(0.001)
    app = MicrogradApp(config)
    status = app.run()
    return status if isinstance(status, int) else app.return_code or 0


__all__ = ["MicrogradApp", "run_app"]
