"""OpenViews: which inside views are open, their screens, and handing them their snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from tui.session import CheckProgress, TrainingSession, View, ViewSnapshots

if TYPE_CHECKING:  # the inside views load when one first opens: the first frame skips them
    from tui.snapshots import ClassSnapshot, GraphSnapshot


class OpenViews:
    """The inside views (graph, parameters, gradient check, neurons, the class view) the worker
    computes snapshots for: opened and closed on the event loop, published to the session
    (session.open_views), and shown when the worker's ViewSnapshots arrive.
    """

    def __init__(
        self,
        app: App,
        session: TrainingSession,
        compute: Callable[[View, int], object],
        show_classes: Callable[[ClassSnapshot], None],
    ) -> None:
        self.app = app
        self.session = session
        self.compute = compute
        """Computes a newly opened view while paused (the app's run_views worker)."""
        self.show_classes = show_classes
        """Shows the validation's class counts (the main screen's class view)."""
        self.screens: dict[View, Screen] = {}
        """The open inside views' screens, to hand each its snapshots."""
        self.last_graph: GraphSnapshot | None = None
        """The selected sample's graph as last computed: a graph view that opens shows it."""

    def open(self, view: View) -> None:
        """Show a new screen of view (in place of another view's), its numbers computed."""
        screen = self.new_screen(view)
        if self.app.screen in self.screens.values():
            self.app.screen.dismiss()
        self.screens[view] = screen
        self.app.push_screen(screen, callback=lambda _: self.close(view, screen))
        self.publish(self.session.open_views | {view}, view)

    def new_screen(self, view: View) -> Screen:
        """A screen of view, its module loaded now (the first frame does without them)."""
        if view == "graph":
            from tui.screens.graph import GraphScreen

            return GraphScreen(self.current_graph())  # the graph at hand, if the sample's
        if view == "params":
            from tui.screens.params import ParamTableScreen

            return ParamTableScreen()
        if view == "neurons":
            from tui.screens.neurons import NeuronsScreen

            return NeuronsScreen(self.step_zero_loss)
        from tui.screens.gradcheck import GradCheckScreen

        return GradCheckScreen()

    def close(self, view: View, screen: Screen) -> None:
        if self.screens.get(view) is screen:  # not a newer screen of the same view
            del self.screens[view]
            self.publish(self.session.open_views - {view})

    def publish(self, views: frozenset[View], new: View | None = None) -> None:
        """Publish the open views, and compute a newly opened one as soon as the trainer
        is free: a view that opened while the last queued step finished would else wait
        for the next step."""
        session = self.session
        if views != session.open_views:  # what the others cost to show says nothing of these
            session.view_show_cost = session.views_due = 0.0
        session.open_views = views
        if new is not None:  # at once if idle; else when the worker lets go of the trainer
            self.compute(new, self.session.generation)

    def show_class_view(self, shown: bool) -> None:
        """The class view is computed while it shows (in its slot, or in a tall terminal)."""
        if shown and "classes" not in self.session.open_views:
            self.publish(self.session.open_views | {"classes"}, "classes")
        elif not shown and "classes" in self.session.open_views:
            self.publish(self.session.open_views - {"classes"})

    def step_zero_loss(self) -> float | None:
        """The training loss at step 0 as shown (None if the curve starts later)."""
        shown = self.session.shown
        return shown[0].train_loss if shown and shown[0].step == 0 else None

    def current_graph(self) -> GraphSnapshot | None:
        """The last graph if it is the selected sample's (a graph view opens on it)."""
        graph = self.last_graph
        return graph if graph is not None and self.explains(graph) else None

    def explains(self, graph: GraphSnapshot) -> bool:
        """Is graph the selected sample's?"""
        sample = self.session.sample
        return graph.point == sample.point and graph.target == sample.target

    def show(self, message: ViewSnapshots) -> None:
        """Show the views' new numbers, timing it up to the frame that draws them: the worker
        spaces the next ones by it (see TrainingSession.views_due)."""
        if message.generation != self.session.generation:
            return
        started = time.thread_time()
        self.hand_out(message)
        self.app.call_after_refresh(self.shown, started, self.session.open_views)

    def shown(self, started: float, views: frozenset[View]) -> None:
        """The views' new numbers are drawn: what handing them out and drawing them cost the
        event loop spaces the next (its CPU time: waiting for the training thread's turn
        with the interpreter is not a cost of the views; anything else the loop did
        meanwhile counts, so it errs long). Not if other views opened or closed since
        (views: those open when they were handed out)."""
        if views == self.session.open_views:
            self.session.view_show_cost = time.thread_time() - started

    def hand_out(self, message: ViewSnapshots) -> None:
        """Hand each open view its new numbers; a graph of another sample is dropped."""
        graph = message.graph
        if graph is not None and self.explains(graph):
            self.last_graph = graph
        else:
            graph = None
        for view, snapshot in (
            ("graph", graph),
            ("params", message.params),
            ("gradcheck", message.gradcheck),
            ("neurons", message.neurons),
        ):
            screen = self.screens.get(view)
            if screen is not None and snapshot is not None:
                screen.update_snapshot(snapshot)  # type: ignore[attr-defined]
        if message.classes is not None:
            self.show_classes(message.classes)

    def show_check_progress(self, message: CheckProgress) -> None:
        """How far the gradient check has got, in its view if that is open."""
        from tui.screens.gradcheck import GradCheckScreen  # loaded: its view is open

        screen = self.screens.get("gradcheck")
        if message.generation == self.session.generation and isinstance(screen, GradCheckScreen):
            screen.show_progress(message.done, message.total, message.waits_for_pause)


__all__ = ["OpenViews"]
