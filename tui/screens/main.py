"""MainScreen: the plot, the side panels, the message line and the footer, laid out by size."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar, Literal, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from micrograd.config import Config
from micrograd.data import Point
from micrograd.run import Record
from micrograd.training import Trainer
from tui import wording
from tui.pacing import QUERY, LinkGate
from tui.palette import LIMIT, legend
from tui.snapshots import ClassSnapshot, Snapshot, Weights
from tui.widgets.boundary import POINTS_SHOWN, BoundaryPlot, PointsShown
from tui.widgets.class_view import ClassView
from tui.widgets.fitting import fitting
from tui.widgets.footer import KeysFooter
from tui.widgets.loss_curve import LossCurve
from tui.widgets.loss_curve import legend as loss_legend
from tui.widgets.metrics import MetricsPanel, RunState
from tui.widgets.model_panel import ModelPanel
from tui.widgets.plotting import ThreadDrawnPlot, after_next_frame
from tui.widgets.probe import ProbePanel, in_cell, nearest

MIN_SIZE = (60, 20)
"""Below this many columns x rows the app asks for a larger terminal (see app.tcss)."""

SLOTS = ("probe", "classes", "model")
"""The panels that share the side column's slot in short terminals, in `v` order."""

NO_SLOT = "none"
"""The slot's last state in `v` order: no panel, the loss curve takes its rows (at
80x24 the curve's 2 rows of plot become 10)."""

CYCLE = (*SLOTS, NO_SLOT)
"""What `v` cycles through in short terminals."""

SLOT_ROWS = 24
"""From this many rows the side column has room for one of SLOTS above the loss curve;
below, it shows the training panel and the loss curve only."""

TALL = 40
"""From this many rows the side column shows all of SLOTS at once."""

TITLES = {
    "metrics": "training",
    "model": "model",
    "probe": "probe",
    "classes": "validation classes",
    "loss": "loss",
}
"""Each panel's title, on its frame."""

PLOT_INTERVAL = 0.3
"""Seconds between redraws of the boundary and the loss curve while running, however fast
the steps come (the drawing thread shares the interpreter with the worker and the loop)."""

FIRST_STEP_WAIT = 0.1
"""Most seconds the run state "running" waits for the first step's numbers, to show them
in one frame (see show_running)."""

HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_SIZE[0], "-narrow"), (120, "-wide")]
VERTICAL_BREAKPOINTS = [
    (0, "-too-short"),
    (MIN_SIZE[1], "-cramped"),
    (SLOT_ROWS, "-short"),
    (TALL, "-tall"),
]


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


def slots_shown(rows: int) -> Literal["none", "one", "all"]:
    """How many of SLOTS the side column has room for in a screen of rows (see app.tcss)."""
    return "none" if rows < SLOT_ROWS else "all" if rows >= TALL else "one"


def plot_title(shown: PointsShown) -> str:
    """The plot's title: which points it draws, and the key that changes them."""
    # at most 39 columns: the plot's frame at 80 columns holds no more
    what = {"training": "training points", "validation": "validation", "none": "no points"}
    return f"decision boundary · {what[shown]} (t)"


def loss_title(log: bool) -> str:
    """The loss panel's title: its axis, and the key that changes it."""
    return "loss · log (y: linear)" if log else "loss · linear (y: log)"


Shown = TypeVar("Shown", bound=Callable[..., None])


def unless_covered(method: Shown) -> Shown:
    """A MainScreen method that changes what the screen shows, made at once while the
    screen can be seen; while a full-screen view covers it, only the latest call is kept,
    and made when the screen shows again (MainScreen.on_screen_resume), or before the next
    such call if that comes first (the stack pops before the screen hears it). Drawing what
    nobody sees would take the training thread's time: Textual repaints the view over every
    change below it, and the plots are drawn in Python.

    Each such method, given the same arguments (by count and name), sets the same things
    from them alone: so the latest call of each kind, made in the order of those calls,
    leaves the screen as every call would have."""

    @functools.wraps(method)
    def deferred(self: MainScreen, *args: Any, **kwargs: Any) -> None:
        if not self.covered:
            # the view may have closed before this screen heard it shows again: the
            # kept calls are older than this one, so they come first
            self.show_kept()
            method(self, *args, **kwargs)
            return
        kind = (method.__name__, len(args), *sorted(kwargs))
        self._deferred.pop(kind, None)  # to the end: the order of the latest calls
        self._deferred[kind] = functools.partial(method, self, *args, **kwargs)

    return deferred  # type: ignore[return-value]


class MainScreen(Screen):
    """The app's main screen, which takes a size's classes (the app's breakpoints) before
    it is laid out for that size.

    Textual's own resize handler lays a screen out for the new size first and sets the new
    size's classes after, so a frame would show the old size's layout at the new size.
    This handler runs before Textual's, and hands the app the new size (on_resized) while
    the screen is still to be laid out for it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "cycle_panel", "Panel", show=False),  # its panels say "v next"
        Binding("y", "loss_axis", "Log/linear", show=False),  # the loss frame says which
        Binding("t", "points", "Points", show=False),  # the plot's title says which
        Binding("left,h", "probe(-1, 0)", "Probe", show=False),
        Binding("right,l", "probe(1, 0)", "Probe", show=False),
        Binding("up,k", "probe(0, 1)", "Probe", show=False),
        Binding("down,j", "probe(0, -1)", "Probe", show=False),
        Binding("enter", "select", "Select", show=False),
        Binding("0", "label(0)", "Label 0", show=False),
        Binding("1", "label(1)", "Label 1", show=False),
        Binding("2", "label(2)", "Label 2", show=False),
        Binding("plus,equals_sign", "rate(1)", "lr up", show=False, key_display="+"),
        Binding("minus", "rate(-1)", "lr down", show=False, key_display="-"),
        Binding("x", "speed", "Speed", show=False),  # the training panel says which
        Binding("S", "app.step(10)", "10 steps", show=False),
        Binding("C", "app.step(100)", "100 steps", show=False),
        Binding("e", "experiment", "Experiment", show=False),
        Binding("X", "expression", "Expression", show=False),
        Binding("n", "neurons", "Neurons", show=False),
        Binding("z", "zero_lines", "Zero lines", show=False),
        Binding("a", "add", "Add point", show=False),  # then a class: 0 1 2
        Binding("d", "remove", "Delete point", show=False),
        Binding("D", "edit('clear')", "Clear points", show=False),
        Binding("N", "edit('regenerate')", "Regenerate", show=False),
        Binding("left_square_bracket", "rewind(-1)", "Step back", show=False, key_display="["),
        Binding("right_square_bracket", "rewind(1)", "Step on", show=False, key_display="]"),
        Binding("left_curly_bracket", "rewind(-10)", "10 back", show=False, key_display="{"),
        Binding("right_curly_bracket", "rewind(10)", "10 on", show=False, key_display="}"),
        Binding("home", "rewind_to(0)", "Step 0", show=False),
        Binding("end", "rewind_to", "Now", show=False),
    ]
    """The keys of this screen only: the views keep their own arrows, enter and digits
    (the live keys' actions are the app's: they reach the session)."""

    def __init__(
        self,
        config: Config,
        points: list[Point],
        weights: Weights,
        class_counts: ClassSnapshot,
        split_sizes: tuple[int, int, int],
        num_params: int,
        on_mounted: Callable[[], None],
        on_resized: Callable[[], None],
        val_points: list[Point] | None = None,
    ) -> None:
        super().__init__(id="_default")
        self.config = config
        self.points = points
        self.val_points = val_points or []
        self.weights = weights
        self.class_counts = class_counts
        self.split_sizes = split_sizes
        self.num_params = num_params
        self.on_mounted = on_mounted
        self.on_resized = on_resized
        self.slot = "probe"
        """Which of SLOTS the side column shows in short terminals (`v` the next)."""
        self._running_due: tuple[str, ...] | None = None
        """The message to show with "running" once the first step's numbers come."""
        self._message: tuple[tuple[str, ...], bool] = ((), False)
        """The message line's wordings and whether it is an error (kept for a resize)."""
        self._plots: tuple[Weights, list[Record]] = (weights, [])
        """What the plots are to show next: the weights and the history."""
        self._plots_due = 0.0
        self._plots_asked = self._plots_shown = 0
        """Plot updates asked for and done: one update serves all asked before it."""
        self.gate = LinkGate()
        """Paces the periodic plot updates by the terminal's answers (see tui.pacing)."""
        self._held = False
        """A periodic plot update waits for the gate."""
        self._asking = False
        """A status query is to be written after the coming frame."""
        self._probe_fitted: tuple[int, int] | None = None
        """The plot size the probe's steps and cursor were last fitted to."""
        self.epoch: int | None = None
        """The epochs done at the start, with minibatches (the training panel shows them)."""
        self.adding = False
        """Did `a` just ask which class to add (the next 0 1 2 says; any other key cancels)?"""
        self._deferred: dict[tuple[object, ...], Callable[[], None]] = {}
        """While covered: the latest call of each unless_covered kind, in call order."""

    @classmethod
    def of(
        cls,
        trainer: Trainer,
        weights: Weights,
        class_counts: ClassSnapshot,
        on_mounted: Callable[[], None],
        on_resized: Callable[[], None],
    ) -> MainScreen:
        """The main screen of trainer's run (read now, before any worker holds it)."""
        splits = trainer.train_split, trainer.val_split, trainer.test_split
        screen = cls(
            trainer.config,
            trainer.train_split,
            weights,
            class_counts,
            (len(splits[0]), len(splits[1]), len(splits[2])),
            len(trainer.optimizer.params),
            on_mounted,
            on_resized,
            val_points=trainer.val_split,
        )
        screen.epoch = None if trainer.config.batch_size is None else trainer.epoch_count
        return screen

    async def show_run(
        self, trainer: Trainer, weights: Weights, counts: ClassSnapshot, on_mounted: Callable
    ) -> None:
        """A new run (the experiment screen's): its data and model in newly made widgets,
        then on_mounted, as for the first run."""
        splits = trainer.train_split, trainer.val_split, trainer.test_split
        self.config, self.points, self.val_points = trainer.config, splits[0], splits[1]
        self.split_sizes = (len(splits[0]), len(splits[1]), len(splits[2]))
        self.num_params = len(trainer.optimizer.params)
        self.weights, self.class_counts, self.on_mounted = weights, counts, on_mounted
        self.epoch = None if trainer.config.batch_size is None else 0
        self._plots, self._running_due, self._probe_fitted = (weights, []), None, None
        await self.recompose()
        self.on_mount()

    def compose(self) -> ComposeResult:
        # Textual sets the breakpoint classes on the first resize, after the first layout:
        # that layout (the first frame) would be the wrong one, e.g. at 80x24 every side
        # panel stacked and the loss curve off screen. Set them before anything is laid out.
        self.take_size_classes(self.app.size)
        with Horizontal(id="main"):
            with Vertical(id="plot-box") as box:
                box.border_title = plot_title("training")
                yield BoundaryPlot(
                    self.points, self.weights, val_points=self.val_points, id="boundary"
                )
            with Vertical(id="side"):
                metrics = MetricsPanel(id="metrics")
                metrics.set_reactive(MetricsPanel.epoch, self.epoch)
                yield metrics
                probe = ProbePanel(self.points, self.weights, id="probe", classes="slot")
                probe.can_focus = False  # its keys are the app's: they work in any slot
                probe.val_points = self.val_points
                yield probe
                yield ClassView(self.class_counts, id="classes", classes="slot")
                yield ModelPanel(
                    self.config, self.num_params, self.split_sizes, id="model", classes="slot"
                )
                yield LossCurve(id="loss")
        yield Static(id="message")
        yield Static(
            f"Enlarge the terminal to at least {MIN_SIZE[0]}x{MIN_SIZE[1]} (q quits)",
            id="too-small",
        )
        yield KeysFooter()  # every key fits in 80 columns

    def on_mount(self) -> None:
        for panel, title in TITLES.items():
            self.query_one(f"#{panel}").border_title = title
        self.query_one("#plot-box").border_subtitle = self.plot_legend()
        self.query_one("#loss").border_subtitle = loss_legend(self.app.no_color)
        self.show_slot()
        self.on_mounted()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the terminal is too small for this screen (it asks to be enlarged) its
        keys do nothing: they would change what cannot be seen."""
        return not self.too_small

    def action_cycle_panel(self) -> None:
        """Short terminals: show the next of the probe, class and model panels."""
        self.next_slot()

    def action_points(self) -> None:
        """Draw the training points, the validation points, or none over the boundary."""
        self.show_message(*wording.points_shown(self.cycle_points()))

    def action_loss_axis(self) -> None:
        """The loss curve's y axis: log or linear."""
        self.toggle_loss_axis()

    def action_probe(self, dx: int, dy: int) -> None:
        """Move the probe's crosshair one plot cell."""
        self.fit_probe().action_move(dx, dy)

    def action_select(self) -> None:
        """Select the data point under the crosshair, else a probe point there."""
        self.fit_probe().action_select()

    def action_label(self, target: int) -> None:
        """After a: add a training point of class target at the crosshair. Else: what if
        the selected point were of class target (a probe point)?"""
        if self.adding:
            self.adding = False
            self.app.playground.add(target)  # type: ignore[attr-defined]
        else:
            self.query_one(ProbePanel).action_label(target)

    def action_add(self) -> None:
        """a: ask which class the point to add at the crosshair is of (0 1 2 then)."""
        self.adding = True
        self.show_message(*wording.add_which(self.config.classes))

    def on_key(self, event: events.Key) -> None:
        if event.key not in ("a", "0", "1", "2"):  # a class the data lack says so
            self.adding = False  # a key other than a class: no point added

    def action_remove(self) -> None:
        """d: delete the training point under the crosshair."""
        self.app.playground.remove()  # type: ignore[attr-defined]

    def action_edit(self, kind: str) -> None:
        """D clears every training point, N regenerates the data from the seed."""
        self.app.playground.edit(kind)  # type: ignore[attr-defined]

    def crosshair(self) -> tuple[float, float]:
        """Where the probe's crosshair is: the centre of a plot cell."""
        return self.fit_probe().cursor

    def training_point_under_crosshair(self) -> Point | None:
        """The training point drawn in the crosshair's cell (the one nearest its centre),
        or None (none there, or the plot draws no training points: t)."""
        probe = self.fit_probe()
        if self.query_one(BoundaryPlot).shown_points != "training":
            return None  # what cannot be seen is not deleted
        i = in_cell(self.points, *probe.cursor, probe.step, probe.step_y)
        return None if i is None else self.points[i]

    def show_data(self, train: list[Point], val: list[Point], test_size: int) -> None:
        """The training data after an edit: the plot's and the probe's points, the model
        panel's split sizes."""
        if train == self.points and val == self.val_points:
            return  # a reset's data, as shown
        self.points, self.val_points = train, val
        self.split_sizes = (len(train), len(val), test_size)
        plot, probe = self.query_one(BoundaryPlot), self.query_one(ProbePanel)
        plot.points, plot.val_points = train, val
        plot.redraw()
        probe.points, probe.val_points = train, val
        sample = probe.sample
        if sample is not None and sample.index is not None:  # the indices moved: the point's
            i = nearest(train, *sample.point, radius=0.0)  # own now, or a probe point if gone
            own = i is not None and train[i][1] == sample.target
            probe.sample = replace(sample, index=i if own else None)
        panel = self.query_one(ModelPanel)
        panel.described = (*panel.described[:2], self.split_sizes)
        panel.refresh(layout=True)

    def action_rate(self, rungs: int) -> None:
        """+ and -: the learning rate a rung up or down (the app's Playground)."""
        self.app.playground.rate(rungs)  # type: ignore[attr-defined]

    def action_speed(self) -> None:
        """x: the next speed setting."""
        self.app.playground.speed()  # type: ignore[attr-defined]

    def action_experiment(self) -> None:
        """e: the experiment screen."""
        self.app.playground.experiment()  # type: ignore[attr-defined]

    def action_neurons(self) -> None:
        """n: every hidden neuron's map and the network's health, live."""
        self.app.views.open("neurons")  # type: ignore[attr-defined]

    def action_zero_lines(self) -> None:
        """z: the first layer's zero lines over the plot, or not (a model reading x, y)."""
        plot = self.query_one(BoundaryPlot)
        if self.config.features != ("x", "y"):
            self.show_message(*wording.ZERO_LINES_UNAVAILABLE)
            return
        plot.zero_lines = not plot.zero_lines
        self.show_message(
            *(wording.ZERO_LINES_SHOWN if plot.zero_lines else wording.ZERO_LINES_HIDDEN)
        )

    def action_expression(self) -> None:
        """X: an expression of the learner's own, walked forward and backward."""
        from tui.screens.stepper import ExpressionScreen

        self.app.push_screen(ExpressionScreen())

    def action_rewind(self, steps: int) -> None:
        """[ ] { }: a step or ten back or on through the run (the app's Rewinder)."""
        self.app.rewinder.by(steps)  # type: ignore[attr-defined]

    def action_rewind_to(self, step: int | None = None) -> None:
        """home: step 0; end: the run's present."""
        self.app.rewinder.to(step)  # type: ignore[attr-defined]

    @property
    def covered(self) -> bool:
        """Is a full-screen view over this screen? (A dialog, a ModalScreen, shows it.)"""
        stack = self.app.screen_stack
        above = stack[stack.index(self) + 1 :] if self in stack else []
        return any(not isinstance(screen, ModalScreen) for screen in above)

    def on_screen_resume(self) -> None:
        """Shown again: make what changed while covered show, the plots at once."""
        self.show_kept()

    def show_kept(self) -> None:
        """Make the calls kept while covered (see unless_covered), in their order, and
        the plots at once; none are left to make later, after newer calls."""
        kept, self._deferred = self._deferred, {}
        for call in kept.values():
            call()
        if kept:
            self.show_plots(*self._plots)

    @on(ProbePanel.Moved)
    def on_probe_moved(self, message: ProbePanel.Moved) -> None:
        self.query_one(BoundaryPlot).cursor = message.cursor

    def show_start(self, state: RunState, history: list[Record]) -> None:
        """The run as it starts: its state and its records so far (the probe shows no
        sample until one is selected)."""
        self.show_state(state)
        self.show_records(history)

    def show_state(self, state: RunState) -> None:
        self._running_due = None
        for panel in self.query(MetricsPanel):  # none before compose
            panel.state = state

    def show_running(self, *message: str) -> None:
        """Show the run state "running" and message with the next step's numbers
        (show_progress), so they come in one frame: space's answer is step 1. Or after
        FIRST_STEP_WAIT, should that step take longer (a big model)."""
        self._running_due = message
        self.set_timer(FIRST_STEP_WAIT, self._show_running)

    def _show_running(self) -> None:
        if self._running_due is not None:
            message = self._running_due
            self.show_state("running")
            self.show_message(*message)

    @unless_covered
    def show_records(self, history: list[Record]) -> None:
        """The newest record in the training panel and the history in the loss curve, now."""
        self.query_one(MetricsPanel).record = history[-1]
        self.query_one(LossCurve).history = history

    @unless_covered
    def show_progress(
        self, snapshot: Snapshot, history: list[Record], steps_per_sec: float | None, now: bool
    ) -> None:
        """The newest record, epoch and speed in the training panel now, the plots soon
        (see show_plots)."""
        metrics = self.query_one(MetricsPanel)
        metrics.record = history[-1]
        metrics.epoch = snapshot.epoch
        metrics.steps_per_sec = steps_per_sec
        metrics.past = False  # the worker's steps and resets are the run's present
        self.query_one(LossCurve).cursor = None
        self.show_plots(snapshot.weights, history, now=now)
        self._show_running()

    @unless_covered
    def show_past(
        self, weights: Weights, history: list[Record], record: Record, past: int | None
    ) -> None:
        """A step brought back: its numbers in the training panel (marked if past), its
        model in the plots and the probe, a cursor at it on the loss curve (past: the step,
        None at the present)."""
        metrics = self.query_one(MetricsPanel)
        metrics.record, metrics.past, metrics.steps_per_sec = record, past is not None, None
        self.query_one(LossCurve).cursor = past
        self.show_plots(weights, history)

    @unless_covered
    def show_branch(self, abandoned: list[tuple[Record, ...]], marks: list[int]) -> None:
        """A branch: no step is past any more; the futures abandoned drawn faint."""
        self.query_one(MetricsPanel).past = False
        curve = self.query_one(LossCurve)
        curve.cursor, curve.abandoned, curve.marks = None, tuple(abandoned), tuple(marks)

    @unless_covered
    def show_stopped(self, weights: Weights, history: list[Record]) -> None:
        """Training stopped: the plots catch up with the last snapshot; no speed."""
        self.show_plots(weights, history)
        self.query_one(MetricsPanel).steps_per_sec = None

    def show_config(self, config: Config) -> None:
        """New settings (a live key's): the model panel shows them."""
        panel = self.query_one(ModelPanel)
        panel.described = (config, *panel.described[1:])
        panel.refresh(layout=True)

    def show_speed(self, setting: float | None) -> None:
        """The speed setting, in the training panel."""
        self.query_one(MetricsPanel).speed_setting = setting

    @unless_covered
    def show_marks(
        self, steps: list[int], abandoned: list[tuple[Record, ...]] | None = None
    ) -> None:
        """The steps after which settings changed, marked on the loss curve; and the
        futures branches abandoned (if given), drawn faint."""
        curve = self.query_one(LossCurve)
        curve.marks = tuple(steps)
        if abandoned is not None and tuple(abandoned) != curve.abandoned:
            curve.abandoned = tuple(abandoned)

    @unless_covered
    def show_classes(self, counts: ClassSnapshot) -> None:
        """The validation's class counts, in the class view."""
        self.class_counts = counts
        self.query_one(ClassView).update_snapshot(counts)

    def shows_classes(self) -> bool:
        """Does the side column show the class view (in the slot, or all panels)?"""
        slots = slots_shown(self.app.size.height)
        return (self.slot == "classes" and slots == "one") or slots == "all"

    def next_slot(self) -> None:
        """`v`: show the next of SLOTS in the slot, or none (short terminals), or say why not."""
        shown = slots_shown(self.app.size.height)
        if shown == "none":
            self.show_message(*wording.no_room_for_panels(SLOT_ROWS))
        elif shown == "all":
            self.show_message(*wording.ALL_PANELS_SHOWN)
        else:
            self.slot = CYCLE[(CYCLE.index(self.slot) + 1) % len(CYCLE)]
            self.show_slot()
            self.on_resized()

    def on_resize(self, event: events.Resize) -> None:
        self.take_size_classes(event.size)
        self.query_one(KeysFooter).fit(event.size.width)  # its own resize comes a frame later
        self.show_slot()
        self.on_resized()
        self.query_one("#plot-box").border_subtitle = self.plot_legend()
        texts, error = self._message
        if texts:  # the wording that fits the new width
            self.show_message(*texts, error=error)

    def take_size_classes(self, size: tuple[int, int]) -> None:
        classes = size_classes(size, HORIZONTAL_BREAKPOINTS, VERTICAL_BREAKPOINTS)
        was_too_small = self.too_small
        self.update_classes(classes, animate=False)
        if self.too_small != was_too_small:
            self.app.refresh_bindings()  # the keys a too-small screen ignores come or go

    @property
    def too_small(self) -> bool:
        """Too small to show the app: it asks to be enlarged (see app.tcss)."""
        return self.has_class("-too-narrow") or self.has_class("-too-short")

    def show_message(self, *texts: str, error: bool = False) -> None:
        """The line under the plot: hints, errors. One row whatever the text, so a message
        never moves the layout: of texts (the same news, longest first) it shows the first
        that fits the line, else the last, cut with an ellipsis (see app.tcss)."""
        self._message = texts, error
        message = self.query_one("#message", Static)
        text = fitting(texts, self.app.size.width - message.styles.gutter.width)
        message.update(Content(text), layout=False)  # Content: a path is not markup
        message.set_class(error, "-error")

    @property
    def said(self) -> tuple[str, ...]:
        """The message line's wordings (none before the first message)."""
        return self._message[0]

    def plot_legend(self) -> Text:
        """The plot's legend, as much of it as fits on the plot's frame."""
        side = self.query_one("#side").styles.width
        side_width = int(side.value) if side is not None else 0
        # a frame's subtitle has its two corners and a line and a space on either side
        width = self.app.size.width - side_width - 6
        return legend(self.app.no_color, width=width, classes=self.config.classes)

    def show_plots(self, weights: Weights, history: list[Record], now: bool = True) -> None:
        """Have the plots and the probe show weights and history after the next frame
        (the frame that shows the run state, a key's answer, is drawn first); unless now,
        at most every PLOT_INTERVAL s and when the link has room (self.gate)."""
        self._plots = weights, history
        moment = time.monotonic()
        if not now:
            self._held = self.gate.wait() > 0
            if self._held or moment < self._plots_due:
                return
        self._plots_due = moment + PLOT_INTERVAL
        self._plots_asked += 1
        after_next_frame(self, self._update_plots)

    def _update_plots(self) -> None:
        if self._plots_shown == self._plots_asked:
            return  # an earlier call showed it
        self._plots_shown = self._plots_asked
        weights, history = self._plots
        self.query_one(BoundaryPlot).weights = weights
        self.query_one(ProbePanel).update_snapshot(weights)
        self.query_one(LossCurve).history = history

    @on(ThreadDrawnPlot.Sent)
    def _plot_sent(self) -> None:
        if not self._asking:  # one query for the plots of one frame
            self._asking = True
            self.call_after_refresh(self._ask_terminal)  # after the frame's bytes

    def _ask_terminal(self) -> None:
        """Write the status query after the plot frame just written; a terminal that may
        not answer gets its next frame after the gate's answer limit anyway."""
        self._asking = False
        driver = self.app._driver  # Textual has no public write to the terminal
        if driver is None or self.app.is_headless:
            return  # nothing to pace: no terminal answers
        driver.write(QUERY)
        self.gate.ask()
        self.set_timer(self.gate.wait(), self._release)

    def terminal_answered(self) -> None:
        """The terminal answered a status query: the frames before it have arrived."""
        if self.gate.answer():
            self.set_timer(self.gate.wait(), self._release)

    def _release(self) -> None:
        """Show the plot update that waited for the gate, if it is open now (and the
        screen can be seen: else on_screen_resume draws the plots)."""
        if self._held and self.gate.wait() <= 0 and not self.covered:
            self.show_plots(*self._plots, now=False)

    @property
    def plots_drawn(self) -> bool:
        """Do the plots show the latest weights at their size (no drawing under way)? Not
        before compose has made them."""
        plots = [*self.query(BoundaryPlot), *self.query(LossCurve)]
        done = self._plots_shown == self._plots_asked
        drawn = done and len(plots) == 2 and all(plot.drawn for plot in plots)
        return drawn and self._probe_fitted == plots[0].canvas_size  # crosshair on a centre

    def fit_probe(self) -> ProbePanel:
        """The probe, its steps set to one cell of the plot as last drawn and its cursor
        on that cell's centre."""
        probe = self.query_one(ProbePanel)
        size = self.query_one(BoundaryPlot).canvas_size
        self._probe_fitted = size
        cols, rows = size or (41, 17)
        probe.fit(round(2 * LIMIT / max(cols - 1, 1), 10), round(2 * LIMIT / max(rows - 1, 1), 10))
        return probe

    @on(BoundaryPlot.Sized)
    def on_boundary_sized(self) -> None:
        """The plot's cells changed (the first drawing, a resize): the probe moves to the
        centre of the cell its crosshair is drawn in."""
        self.fit_probe()

    def show_slot(self) -> None:
        """Show the slot in the side column (short terminals) and name the panel `v` shows
        next (with no panel, on the loss curve's frame)."""
        slot = self.slot
        self.query_one("#side").set_classes(f"-show-{slot}")
        following = CYCLE[(CYCLE.index(slot) + 1) % len(CYCLE)]
        one = slots_shown(self.app.size.height) == "one"
        for name in SLOTS:
            hint = "v no panel" if following == NO_SLOT else f"v {following}"
            self.query_one(f"#{name}").border_subtitle = hint if one else ""
        curve = self.query_one(LossCurve)
        hint = f"v {following}  " if one and slot == NO_SLOT else ""
        self.query_one("#loss").border_subtitle = Text(hint).append_text(
            loss_legend(self.app.no_color)
        )
        self.query_one("#loss").border_title = loss_title(curve.log_axis)

    def cycle_points(self) -> PointsShown:
        """Draw the next of the training points, the validation points, none; the plot's
        title says which (and t)."""
        plot = self.query_one(BoundaryPlot)
        shown = POINTS_SHOWN[(POINTS_SHOWN.index(plot.shown_points) + 1) % len(POINTS_SHOWN)]
        plot.shown_points = self.query_one(ProbePanel).drawn_points = shown
        self.query_one("#plot-box").border_title = plot_title(shown)
        return shown

    def toggle_loss_axis(self) -> None:
        """The loss curve's axis from log to linear or back; its frame says which."""
        curve = self.query_one(LossCurve)
        curve.log_axis = not curve.log_axis
        self.query_one("#loss").border_title = loss_title(curve.log_axis)


__all__ = [
    "CYCLE",
    "MIN_SIZE",
    "NO_SLOT",
    "SLOTS",
    "SLOT_ROWS",
    "TALL",
    "TITLES",
    "MainScreen",
    "size_classes",
    "slots_shown",
]
