"""The Textual app: keys, layout, the training worker and the handlers of what it posts."""

from __future__ import annotations

import asyncio
import gc
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual import events, on, work
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from micrograd.run import Record
from micrograd.training import OVERFLOWING_WEIGHTS, Config, Trainer, param_count
from tui.messages import SessionNews
from tui.palette import LIMIT, POINT_MARKERS, legend
from tui.runtime import DaemonThreads, TerminalGuard, draw_in_ascii_if_needed, lower_priority
from tui.screens.help import HelpScreen
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
    from_dict,
    initial_record,
    one_line,
)
from tui.snapshots import ClassSnapshot, Sample, Snapshot
from tui.widgets.boundary import BoundaryPlot
from tui.widgets.class_view import ClassView
from tui.widgets.fitting import fitting
from tui.widgets.footer import KeysFooter
from tui.widgets.loss_curve import LossCurve
from tui.widgets.loss_curve import legend as loss_legend
from tui.widgets.metrics import MetricsPanel, RunState
from tui.widgets.model_panel import ModelPanel
from tui.widgets.plotting import after_next_frame
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

PLOT_INTERVAL = 0.3
"""Seconds between redraws of the boundary and the loss curve while running, however fast
the steps come (the drawing thread shares the interpreter with the worker and the loop)."""

MIN_SIZE = (60, 20)
"""Below this many columns x rows the app asks for a larger terminal (see app.tcss)."""

HEARTBEAT_ENV = "MICROGRAD_TUI_HEARTBEAT_LOG"
"""If set, a file the app appends time.monotonic() to 100 times a second (benchmarks)."""

EAGER_START = 2_000_000
"""Up to this many parameters x points the start's numbers (step 0's losses, the class
counts) are measured before the first frame (at most ~0.2 s); a bigger model's after
it, in a worker, so the screen is not blank for seconds (8 s at 6 layers of 32 and
n = 20,000)."""

SLOTS = ("probe", "classes", "model")
"""The panels that share the side column's slot in short terminals, in `v` order."""

SLOT_ROWS = 24
"""From this many rows the side column has room for one of SLOTS above the loss curve;
below, it shows the training panel and the loss curve only."""

TALL = 40
"""From this many rows the side column shows all of SLOTS at once."""

TRAINING_HINT = "Training: space pauses, s pauses and takes one step."

PROBE_ACTIONS = {"probe", "select", "label", "cycle_panel"}
"""Actions that act on the main screen only (the view screens use these keys)."""


def size_classes(
    size: tuple[int, int],
    horizontal: list[tuple[int, str]],
    vertical: list[tuple[int, str]],
) -> dict[str, bool]:
    """Each breakpoint class and whether a screen of size has it: per axis, the class of
    the largest breakpoint the size reaches (Textual's rule on a resize)."""
    classes: dict[str, bool] = {}
    for extent, breakpoints in zip(size, (horizontal, vertical)):
        reached = [(at, name) for at, name in breakpoints if extent >= at]
        on = max(reached)[1] if reached else None
        classes.update((name, name == on) for _, name in breakpoints)
    return classes


class MainScreen(Screen):
    """The app's main screen, which takes a size's classes (the app's breakpoints) before
    it is laid out for that size.

    Textual's own resize handler lays a screen out for the new size first and sets the new
    size's classes after: a frame showed the old size's layout at the new size, e.g. at
    130x44 a 34-column side column with three panels. This handler runs before Textual's.
    """

    def on_resize(self, event: events.Resize) -> None:
        self.take_size_classes(event.size)
        self.query_one(KeysFooter).fit(event.size.width)  # its own resize comes a frame later
        app = self.app
        if isinstance(app, MicrogradApp):
            app.fit_to_size()

    def take_size_classes(self, size: tuple[int, int]) -> None:
        app = self.app
        classes = size_classes(size, app.HORIZONTAL_BREAKPOINTS, app.VERTICAL_BREAKPOINTS)
        was_too_small = self.too_small
        self.update_classes(classes, animate=False)
        if self.too_small != was_too_small:
            app.refresh_bindings()  # the keys a too-small screen ignores come or go

    @property
    def too_small(self) -> bool:
        """Too small to show the app: it asks to be enlarged (see app.tcss)."""
        return self.has_class("-too-narrow") or self.has_class("-too-short")


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

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-too-narrow"),
        (MIN_SIZE[0], "-narrow"),
        (120, "-wide"),
    ]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-too-short"),
        (MIN_SIZE[1], "-cramped"),
        (SLOT_ROWS, "-short"),
        (TALL, "-tall"),
    ]

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
            [from_dict(h) for h in history or []],
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
        self._measure_later = param_count(self.config.hidden) * self.config.n > EAGER_START
        """Are the start's numbers measured after the first frame (see EAGER_START)?"""
        first = (
            Record(self.trainer.step_count, *[math.nan] * 4)  # until measured
            if self._measure_later
            else initial_record(self.trainer)
        )
        self.history: list[Record] = list(self.session.run_history) or [first]
        """Every step's record since the last reset, step 0 first (a loaded run: its own)."""
        if self.history[0].step == 1 and not self._measure_later:
            # a loaded run's: its step 0 again, from the seed
            self.history.insert(0, initial_record(Trainer(self.config)))
        self.set_reactive(MicrogradApp.step_count, self.trainer.step_count)
        self.snapshot = Snapshot.of(self.trainer)
        """The model as last reported by the worker."""
        self._plots_due = 0.0
        self._plots_asked = self._plots_shown = 0
        """Plot updates asked for and done: one update serves all asked before it."""
        self._class_counts = (
            ClassSnapshot(self.trainer.step_count, ((0,) * 3,) * 3)  # until measured
            if self._measure_later
            else ClassSnapshot.of(self.trainer)
        )
        self._last_graph: GraphSnapshot | None = None
        self._view_screens: dict[View, Screen] = {}
        """The open inside views' screens, to hand each its snapshots."""
        self._message: tuple[tuple[str, ...], bool] = ((), False)
        """The message line's wordings and whether it is an error (kept for a resize)."""

    # ------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        # Textual sets the breakpoint classes on the first resize, after the first layout:
        # that layout (the first frame) would be the wrong one, e.g. at 80x24 every side
        # panel stacked and the loss curve off screen. Set them before anything is laid out.
        main = self.screen
        assert isinstance(main, MainScreen)
        main.take_size_classes(self.size)
        splits = self.trainer.train_split, self.trainer.val_split, self.trainer.test_split
        with Horizontal(id="main"):
            with Vertical(id="plot-box") as box:
                box.border_title = "decision boundary"
                yield BoundaryPlot(self.trainer.train_split, self.snapshot.weights, id="boundary")
            with Vertical(id="side"):
                yield MetricsPanel(id="metrics").data_bind(MicrogradApp.state)
                probe = ProbePanel(
                    self.trainer.train_split, self.snapshot.weights, id="probe", classes="slot"
                )
                probe.can_focus = False  # its keys are the app's: they work in any slot
                yield probe
                yield ClassView(self._class_counts, id="classes", classes="slot")
                yield ModelPanel(
                    self.config,
                    len(self.param_names),
                    (len(splits[0]), len(splits[1]), len(splits[2])),
                    id="model",
                    classes="slot",
                )
                yield LossCurve(id="loss")
        yield Static(id="message")
        yield Static(
            f"Enlarge the terminal to at least {MIN_SIZE[0]}x{MIN_SIZE[1]} (q quits)",
            id="too-small",
        )
        yield KeysFooter()  # every key fits in 80 columns

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def on_mount(self) -> None:
        self.call_after_refresh(self.first_frame_shown)
        asyncio.get_running_loop().set_default_executor(DaemonThreads())  # never waits
        if not self.is_headless:  # a real terminal (Pilot tests have none, nor their signals)
            self.terminal.install(self.stop_for_signal, self.redraw)
        self.query_one("#metrics").border_title = "training"
        self.query_one("#model").border_title = "model"
        self.query_one("#probe").border_title = "probe"
        self.query_one("#classes").border_title = "validation classes"
        self.query_one(ProbePanel).sample = self.session.sample
        self.watch_slot(self.slot)
        self.query_one("#plot-box").border_subtitle = self.plot_legend()
        self.query_one("#loss").border_title = "loss"
        self.query_one("#loss").border_subtitle = loss_legend(self.no_color)
        self.query_one(MetricsPanel).record = self.history[-1]
        self.query_one(LossCurve).history = self.history
        self.show_message(*self.hint())
        if self._measure_later:
            self.show_message(
                f"Measuring the model on {self.config.n:,} points for its first numbers…",
                "Measuring the model's first numbers…",
            )
            self.measure_start(self.session.generation)
        if self.trainer.outputs_overflow():  # a run file's weights: diverged already
            step = self.trainer.step_count + 1
            news = TrainingDiverged(self.session.generation, step, OVERFLOWING_WEIGHTS)
            self.post_message(SessionNews(news))
        heartbeat = os.environ.get(HEARTBEAT_ENV)
        if heartbeat:
            self._heartbeat = open(heartbeat, "a", buffering=1)  # noqa: SIM115
            self.set_interval(0.01, self._beat)

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
        """What the keys do while paused, longest wording first (see show_message); and
        how many s presses the full queue dropped, until the next burst of them."""
        paused = f"Paused at step {self.step_count}."
        if dropped := self.session.dropped_steps:
            presses = "press was" if dropped == 1 else "presses were"
            return (
                f"{paused} {dropped} s {presses} dropped: at most {MAX_PENDING_STEPS} steps queue.",
                f"{paused} {dropped} s dropped (queue full).",
                paused,
            )
        return (
            f"{paused} space trains, s takes one step, r resets, ? explains.",
            f"{paused} space trains, s steps, ? help.",  # 60 columns
            paused,
        )

    def show_message(self, *texts: str, error: bool = False) -> None:
        """The line under the plot: hints, errors. One row whatever the text, so a message
        never moves the layout: of texts (the same news, longest first) it shows the first
        that fits the line, else the last, cut with an ellipsis (see app.tcss)."""
        self._message = texts, error
        message = self.query_one("#message", Static)
        text = fitting(texts, self.size.width - message.styles.gutter.width)
        message.update(Content(text), layout=False)  # Content: a path is not markup
        message.set_class(error, "-error")

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
        self.show_message(
            f"Step {self.step_count} is the last a run can count: w saves it, r starts again.",
            "The last step a run can count: w saves, r resets.",
            "Last step: w saves, r resets.",
            error=True,
        )
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
        shown = self.slots_shown()
        if shown == "none":
            self.show_message(f"No room for the side panels: v shows them from {SLOT_ROWS} rows.")
        elif shown == "all":
            self.show_message("The side panels are all shown (v cycles them in short terminals).")
        else:
            self.slot = SLOTS[(SLOTS.index(self.slot) + 1) % len(SLOTS)]

    def slots_shown(self) -> Literal["none", "one", "all"]:
        """How many of SLOTS the side column has room for at self.size (see app.tcss)."""
        rows = self.size.height
        return "none" if rows < SLOT_ROWS else "all" if rows >= TALL else "one"

    def action_probe(self, dx: int, dy: int) -> None:
        """Move the probe's crosshair one plot cell."""
        self.fit_probe().action_move(dx, dy)

    def action_select(self) -> None:
        """Select the data point under the crosshair, else a probe point there."""
        self.fit_probe().action_select()

    def action_label(self, target: int) -> None:
        self.query_one(ProbePanel).action_label(target)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The probe's keys and v act on the main screen only; the views open from the
        main screen or from another view, not from the help. While the terminal is too
        small for the main screen (it asks to be enlarged) only quitting works: a key
        there would change what cannot be seen."""
        main = self.screen_stack[0]
        if self.screen is main and isinstance(main, MainScreen) and main.too_small:
            return action == "quit"
        if action in PROBE_ACTIONS:
            return self.screen is main
        if action in ("graph", "params", "gradcheck"):
            return not isinstance(self.screen, HelpScreen)
        return True

    def fit_probe(self) -> ProbePanel:
        """The probe, its steps set to one cell of the plot as last drawn."""
        probe = self.query_one(ProbePanel)
        cols, rows = self.query_one(BoundaryPlot).canvas_size or (41, 17)
        probe.step = round(2 * LIMIT / max(cols - 1, 1), 10)
        probe.step_y = round(2 * LIMIT / max(rows - 1, 1), 10)
        return probe

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
        """Publish the open views; if the worker is idle, compute a newly opened one now."""
        self.session.open_views = views
        if new is not None and self.state in ("paused", "diverged"):
            self.run_views(new, self.session.generation)

    def watch_slot(self, slot: str) -> None:
        self.query_one("#side").set_classes(f"-show-{slot}")
        self.sync_side()

    def plot_legend(self) -> Text:
        """The plot's legend, as much of it as fits on the plot's frame."""
        side = self.query_one("#side").styles.width
        side_width = int(side.value) if side is not None else 0
        # a frame's subtitle has its two corners and a line and a space on either side
        return legend(self.no_color, width=self.size.width - side_width - 6)

    def fit_to_size(self) -> None:
        """The side column's hints and views, the plot's legend and the message's
        wording, for self.size.

        Called by the main screen as it is resized, before it is laid out for the new
        size. (On the app's own resize, self.size was still the old one; and an update
        made then was drawn before the screen's new layout: shrunk from 130x44 to 80x24,
        a frame showed the 130-column layout cut off at 80.)"""
        self.sync_side()
        self.query_one("#plot-box").border_subtitle = self.plot_legend()
        texts, error = self._message
        if texts:  # the wording that fits the new width
            self.show_message(*texts, error=error)

    def sync_side(self) -> None:
        """Name the next panel `v` shows (short terminals only); the class view is open
        while it shows: in its slot, or in a tall terminal."""
        slots = self.slots_shown()
        following = SLOTS[(SLOTS.index(self.slot) + 1) % len(SLOTS)]
        for name in SLOTS:
            self.query_one(f"#{name}").border_subtitle = f"v {following}" if slots == "one" else ""
        shown = (self.slot == "classes" and slots == "one") or slots == "all"
        if shown and "classes" not in self.session.open_views:
            self.set_views(self.session.open_views | {"classes"}, "classes")
        elif not shown and "classes" in self.session.open_views:
            self.set_views(self.session.open_views - {"classes"})

    def pop_screen(self) -> AwaitComplete:
        """Close the top screen (a view, the help) and let go of what Textual cached for
        drawing its widgets.

        Textual's StylesCache.get_inner_outer is an lru_cache on a method (meant as a
        class method): its 1024 entries each keep a StylesCache, and with it a widget's
        rendered lines, alive after the widget is gone: ~140 KB for each time the help
        closed, until 1024 entries were reached. The entries are two Style objects each,
        cheap to make again for the screen that stays."""
        closed = super().pop_screen()
        StylesCache.get_inner_outer.cache_clear()
        return closed

    async def action_quit(self) -> None:
        self.session.stop()
        self.workers.cancel_group(self, "trainer")
        self.exit(0)

    def play(self) -> None:
        self.session.play()
        self.state = "running"
        self.show_message(TRAINING_HINT)
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
            self.schedule_plots()
            self._plots_due = now + PLOT_INTERVAL
        if self.state not in ("running", "diverged"):  # keep what divergence said
            self.show_message(*self.hint())

    def on_run_saved(self, message: RunSaved) -> None:
        if message.error is not None:
            self.show_message(f"Not saved: {message.error}.", error=True)
        else:
            path = message.path
            name = os.path.basename(path)
            self.show_message(
                f"Saved {path}; resume with: micrograd-tui --load {path}",
                f"Saved {path}; resume with --load {path}",
                f"Saved {path}: micrograd-tui --load it to resume.",
                f"Saved {path}: --load it to resume.",
                f"Saved {name}: --load it to resume.",
                f"Saved {name} (--load resumes it)",
                f"Saved {name}",
            )

    def on_training_diverged(self, message: TrainingDiverged) -> None:
        if message.generation != self.session.generation:
            return
        self.session.pause()
        self.state = "diverged"
        step, lr, wd = message.step, self.config.lr, self.config.weight_decay
        if message.what == OVERFLOWING_WEIGHTS:  # as loaded: no learning rate made them
            self.show_message(
                f"Diverged: the loaded weights of step {step - 1} make the model's outputs "
                "overflow, so no step can be taken. r starts the run over from step 0.",
                f"Diverged: step {step - 1}'s loaded weights overflow; r starts over.",
                "Loaded weights overflow; r starts over.",
                error=True,
            )
            return
        kept = (
            f"Diverged at step {step}: {message.what}, so that update was not applied (the "
            f"weights of step {step - 1} are kept)."
        )
        if self.config.decay_overshoots:  # decay alone flips the weights' sign and grows them
            self.show_message(
                f"{kept} The weight decay {wd:g} is too high for the learning rate {lr:g}: "
                "quit and rerun with a lower --weight-decay (r replays this run, which "
                "diverges again).",
                f"Diverged at step {step}: weight decay {wd:g} too high for lr {lr:g}; rerun "
                "with less.",
                f"Diverged at step {step}, step {step - 1} kept: weight decay too high; rerun "
                "with less.",
                f"Diverged at step {step}: weight decay too high; rerun with less.",
                error=True,
            )
            return
        self.show_message(
            f"{kept} The learning rate {lr:g} is too high: quit and rerun with a lower --lr "
            f"(say {lr / 10:g}); r replays this run, which diverges again.",
            f"Diverged at step {step}: learning rate {lr:g} too high; rerun with "
            f"--lr {lr / 10:g} (r replays it).",
            # the panel shows step - 1, the weights kept: say so where it fits
            f"Diverged at step {step}, step {step - 1} kept: learning rate too high; rerun "
            f"with --lr {lr / 10:g}.",
            f"Diverged at step {step}: learning rate too high; rerun with --lr {lr / 10:g}.",
            f"Diverged at step {step}: learning rate too high; rerun with a lower --lr.",
            f"Diverged at step {step}: lr too high; rerun with a lower --lr.",
            error=True,
        )

    def on_training_stopped(self, message: TrainingStopped) -> None:
        if message.generation != self.session.generation:
            return
        if self.state == "stepping":
            if self.session.steps_done():
                self.state = "paused"
        elif self.state == "running" and not self.session.keep_training.is_set():
            self.state = "paused"
        if self.state != "running":  # the plots catch up with the last snapshot
            self.schedule_plots()
            self.query_one(MetricsPanel).steps_per_sec = None

    def schedule_plots(self) -> None:
        """Update the plots and the probe after the next frame: the frame that shows the
        run state (a key's answer) is drawn first."""
        self._plots_asked += 1
        after_next_frame(self, self.update_plots)

    def update_plots(self) -> None:
        """Show the last snapshot in the plots (the drawing thread draws them) and the probe."""
        if self._plots_shown == self._plots_asked:
            return  # an earlier call showed it
        self._plots_shown = self._plots_asked
        self.query_one(BoundaryPlot).weights = self.snapshot.weights
        self.query_one(ProbePanel).update_snapshot(self.snapshot.weights)
        self.query_one(LossCurve).history = self.history

    @property
    def plots_drawn(self) -> bool:
        """Do the plots show the latest snapshot at their size (no drawing under way)?"""
        plot, curve = self.query_one(BoundaryPlot), self.query_one(LossCurve)
        return self._plots_shown == self._plots_asked and plot.drawn and curve.drawn

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
        # said on the message line too: at 60x20 the probe panel, which shows it, is hidden
        (x, y), k = sample.point, sample.target
        what = "probe point" if sample.index is None else f"sample #{sample.index}"
        glyph = POINT_MARKERS[k]
        self.show_message(
            f"Selected {what} at ({x:+.2f}, {y:+.2f}), class {glyph} {k}: g shows its loss "
            "graph, 0 1 2 change its class.",
            f"Selected {what} ({x:+.2f}, {y:+.2f}) {glyph} {k}: g graphs it.",
            f"Selected {what}, class {k}: g graphs it.",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed says so in the message line (their errors end no worker
        but their own: exit_on_error=False)."""
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "trainer":
            self.session.pause()
            self.state = "paused"
            self.show_message(f"The training worker failed: {event.worker.error!r}", error=True)
        else:
            what = f"The {event.worker.group} worker failed"
            self.show_message(f"{what}: {one_line(event.worker.error)}", error=True)


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
    try:
        status = app.run()
    finally:
        app.terminal.restore()  # cooked mode back, whatever Textual left
    # Leave the heap to the OS: the interpreter's last collection would walk every node
    # of the run's graphs (over a second at n = 20,000) before the shell got the prompt.
    gc.freeze()
    return status if isinstance(status, int) else app.return_code or 0


__all__ = ["MicrogradApp", "run_app"]
