"""The backprop walk: a graph's forward and backward one event a press, then the AdamW update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.widgets.tree import TreeNode

from micrograd.expr import EXAMPLE, ExprError, parse
from micrograd.introspect import GraphNode
from micrograd.stepper import (
    CURRENT,
    DONE,
    NOT_REACHED,
    PARTIAL,
    UpdatePlan,
    UpdateUnavailable,
    Walk,
    graph_nodes,
    update_plan,
)
from tui.screens.help import quiet_app_keys
from tui.widgets.footer import KeysFooter
from tui.widgets.graph_tree import Entry, GraphTree, layout
from tui.widgets.numfmt import num

STATUS_MARKS = {NOT_REACHED: "○ ", CURRENT: "» ", PARTIAL: "◐ ", DONE: "● "}
"""A glyph per status, so the walk reads without colour."""

STATUS_STYLES = {NOT_REACHED: "dim", CURRENT: "bold reverse", PARTIAL: "cyan", DONE: "green"}

WHY = {
    "start": "n steps: forward first, each node after the nodes it reads",
    "forward": "forward: topological order, so a node's inputs are known before it",
    "backward": "backward: reverse order, so out.grad is whole before it flows down; += sums uses",
    "end": "backward done: every grad is backward()'s. u: the batch's gradient and the update",
}


class StepperScreen(Screen[None]):
    """A walk over a graph: the tree shows each node's status, the cursor the current one,
    and a pane the current event's arithmetic. From a sample's graph (with the run's
    trainer at hand), u then shows the batch's gradient and the next AdamW update."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Leave"),
        Binding("n", "move(1)", "Next"),
        Binding("b", "move(-1)", "Back"),
        Binding("f", "forward_end", "Fwd end"),
        Binding("e", "end", "Bwd end"),
        Binding("home", "start", "Start", show=False),
        Binding("u", "update", "Update"),
        Binding("space", "app.toggle", "Train/Pause", show=False),
        *quiet_app_keys(""),
    ]
    """n next event, b back one, f the forward pass's end, e the backward's, home
    the start; u the batch and the update (a sample's walk); escape or q leaves."""

    def __init__(
        self,
        nodes: Sequence[GraphNode],
        title: str,
        sample: tuple[tuple[float, float], int] | None = None,
    ) -> None:
        super().__init__()
        self.walk = Walk(nodes)
        self.head = title
        """What is walked, e.g. the sample and the step its weights belong to."""
        self.sample = sample
        """The sample's point and target: the update page can be computed for it."""
        self.plan: UpdatePlan | None = None
        self.param = 0
        """The parameter the update page shows."""
        self.page = "walk"
        """"walk", or "update" (the batch's gradient and AdamW, a parameter at a time)."""
        self.landed: list[float] | None = None
        """Every parameter's value once the plan's step is taken (s), to set beside the plan."""
        self.run_step: int | None = None
        """The step the run is at (None until it moves while the walk is open)."""
        self._by_index: dict[int, TreeNode[Entry]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="stepper-title")
        yield GraphTree(Text("…"), id="stepper-tree")
        yield Static(id="stepper-update")
        yield Static(id="stepper-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        tree = self.tree
        tree.guide_depth = 2
        tree.show_root = True
        tree.values_of = self._values_of
        tree.values_width = 23
        self.query_one("#stepper-update").display = False
        self._build()
        tree.focus()
        self._show()
        if self.sample is not None:  # the update page follows the run's steps (s)
            self.watch(self.app, "step_count", self._stepped, init=False)

    @property
    def tree(self) -> GraphTree:
        return self.query_one("#stepper-tree", GraphTree)

    # ------------------------------------------------------------ the tree

    def _build(self) -> None:
        tree = self.tree
        nodes = self.walk.nodes
        by_path: dict[tuple[int, ...], TreeNode[Entry]] = {}
        for entry in layout(nodes):
            has_children = bool(nodes[entry.index].children) and not entry.repeat
            if not entry.path:
                node = tree.root
                node.data = entry
                node.allow_expand = has_children
            else:
                node = by_path[entry.path[:-1]].add("", data=entry, allow_expand=has_children)
            by_path[entry.path] = node
            if not entry.repeat:
                self._by_index[entry.index] = node
            if len(entry.path) < 1:
                node.expand()
        self._relabel()

    def _relabel(self) -> None:
        statuses = self.walk.statuses()
        nodes = self.walk.nodes
        for node in self._by_index.values():
            self._label(node, statuses, nodes)
        for node in self._repeats():
            self._label(node, statuses, nodes)
        self.tree.refresh()

    def _repeats(self) -> list[TreeNode[Entry]]:
        found = []
        stack = [self.tree.root]
        while stack:
            node = stack.pop()
            if node.data is not None and node.data.repeat:
                found.append(node)
            stack.extend(node.children)
        return found

    @staticmethod
    def _label(node: TreeNode[Entry], statuses: list[str], nodes: Sequence[GraphNode]) -> None:
        entry = node.data
        assert entry is not None
        status = statuses[entry.index]
        text = Text(no_wrap=True, overflow="ellipsis")
        if entry.repeat:
            text.append("↪ ", style="dim")
        text.append(STATUS_MARKS[status], style=STATUS_STYLES[status])
        text.append(nodes[entry.index].name, style=STATUS_STYLES[status])
        node.set_label(text)

    def _values_of(self, entry: Entry) -> Text:
        node = self.walk.nodes[entry.index]
        data = num(node.data) if self.walk.known(entry.index) else "?"
        grad = self._grads[entry.index] if self.walk.phase in ("backward", "end") else None
        return Text.assemble(
            f" {data:>10}", (f" {'' if grad is None else '∇' + num(grad):>11}", "italic")
        )

    def _follow(self) -> None:
        """Put the cursor on the current event's node, its way down opened."""
        event = self.walk.current
        node = self._by_index.get(event.node if event is not None else len(self.walk.nodes) - 1)
        if node is None:
            return
        self.tree.reveal(node)

    # -------------------------------------------------------------- words

    def _show(self) -> None:
        walk = self.walk
        self._grads = walk.grads()
        if self.page == "update":
            self._show_update()
            return
        self._relabel()
        self._follow()
        phase = walk.phase
        where = f"event {walk.position}/{walk.end}"
        self.query_one("#stepper-title", Static).update(
            Text.assemble(("walk ", "bold"), f"{self.head} · {where}", no_wrap=True,
                          overflow="ellipsis")
        )  # fmt: skip
        self.query_one("#stepper-detail", Static).update(
            Text.assemble((walk.describe(), "bold"), "\n", (WHY[phase], "dim"))
        )

    def _stepped(self) -> None:
        """A step was taken (or the run reset): once the app holds its snapshot (set
        after step_count, in the same handler), see whether it is the plan's step."""
        self.call_later(self._take_snapshot)

    def _take_snapshot(self) -> None:
        snapshot = self.app.snapshot  # type: ignore[attr-defined]
        self.run_step = snapshot.step
        if self.plan is not None and snapshot.step == self.plan.step:
            self.landed = list(snapshot.params)
        if self.page == "update":
            self._show()

    def _plan_title(self, plan: UpdatePlan) -> str:
        """Which step the page shows, and whether the run has taken it (s) or moved past."""
        where = f"parameter {self.param + 1}/{len(plan.params)} · n b move"
        if self.run_step is None or self.run_step == plan.step - 1:
            return f"AdamW step {plan.step} · {where}"
        if self.run_step == plan.step and self.landed is not None:
            same = sum(
                a.hex() == u.new.hex() for a, u in zip(self.landed, plan.params, strict=True)
            )
            taken = f"step {plan.step} taken: {same}/{len(plan.params)} as planned, to the bit"
            return f"{taken} · {where}"
        return f"AdamW step {plan.step}, but the run is at step {self.run_step}: u u recomputes"

    def _show_update(self) -> None:
        plan = self.plan
        title = self.query_one("#stepper-title", Static)
        table = self.query_one("#stepper-update", Static)
        detail = self.query_one("#stepper-detail", Static)
        if plan is None:
            title.update(Text.assemble(("update ", "bold"), "computing the batch's gradient…"))
            table.update("")
            detail.update("")
            return
        i = self.param
        title.update(
            Text.assemble(
                ("update ", "bold"), self._plan_title(plan), no_wrap=True, overflow="ellipsis"
            )
        )
        landed = self.landed if self.run_step == plan.step else None
        head = "  parameter             this sample     the batch     new value"
        if landed is not None:
            head += "    after s"
        rows = [Text(head, style="dim")]
        height = max(3, table.size.height - 1)
        top = max(0, min(i - height // 2, len(plan.params) - height))
        for k in range(top, min(len(plan.params), top + height)):
            u = plan.params[k]
            sample = "—" if u.sample_grad is None else num(u.sample_grad)
            mark = "▶" if k == i else " "
            line = f"{mark} {u.name:<20} {sample:>11}   {num(u.g):>11}   {num(u.new):>11}"
            if landed is not None:
                line += f"   {num(landed[k]):>8}"
            rows.append(Text(line, style="bold reverse" if k == i else ""))
        table.update(Text("\n").join(rows))
        lines = plan.lines(i)
        if i == len(plan.params) - 1:
            lines.append("the last parameter: s takes this step, and each value lands as shown")
        detail.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))

    # ------------------------------------------------------------- actions

    def action_move(self, by: int) -> None:
        if self.page == "update":
            if self.plan is not None:
                self.param = min(len(self.plan.params) - 1, max(0, self.param + by))
        elif not self.walk.step(by):
            self.app.bell()
        self._show()

    def action_forward_end(self) -> None:
        self._walk_page()
        self.walk.to_forward_end()
        self._show()

    def action_end(self) -> None:
        self._walk_page()
        self.walk.to_end()
        self._show()

    def action_start(self) -> None:
        self._walk_page()
        self.walk.to_start()
        self._show()

    def _walk_page(self) -> None:
        if self.page != "walk":
            self.page = "walk"
            self._page_shown()

    def _page_shown(self) -> None:
        update = self.page == "update"
        self.query_one("#stepper-update").display = update
        self.tree.display = not update
        self.query_one("#stepper-detail").set_class(update, "-update")

    def action_update(self) -> None:
        """The batch's gradient beside the sample's, then AdamW one parameter at a time."""
        if self.page == "update":
            self._walk_page()
            self._show()
            return
        if self.sample is None:
            self.notify_line("an expression has no optimizer: u is for a sample's walk")
            return
        next_step = self.app.step_count + 1  # type: ignore[attr-defined]
        if self.plan is not None and self.plan.step != next_step:  # the run moved on
            self.plan, self.landed, self.param = None, None, 0
        self.page = "update"
        self._page_shown()
        self._show()
        if self.plan is None:
            self.compute_plan()

    def notify_line(self, text: str) -> None:
        self.app.bell()
        self.query_one("#stepper-detail", Static).update(Text(text, style="bold"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="stepper")
    def compute_plan(self) -> None:
        """The next update, where the trainer lives (the trainer worker is paused)."""
        session = self.app.session  # type: ignore[attr-defined]
        with session.holding_trainer() as trainer:
            try:
                plan: UpdatePlan | str = update_plan(trainer, self.sample)
            except UpdateUnavailable as e:
                plan = str(e)
        self.app.call_from_thread(self._plan_ready, plan)

    def _plan_ready(self, plan: UpdatePlan | str) -> None:
        if isinstance(plan, str):
            self._walk_page()
            self._show()
            self.notify_line(plan)
            return
        self.plan = plan
        self._show()

    def action_close(self) -> None:
        self.dismiss()


class ExpressionScreen(Screen[None]):
    """A line for an expression of the learner's own; enter walks it (a bad one is said
    in one line)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Leave")]

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(("expression ", "bold"), "name numbers, then compute; enter walks it"),
            id="expression-title",
        )
        yield Input(EXAMPLE, id="expression-input")
        yield Static(
            "+ - * /, ** a number, tanh( ) relu( ) exp( ) log( ), parentheses; ; or a new "
            "line between statements; the last one is the output.",
            id="expression-help",
        )
        yield Static(id="expression-error")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#expression-input")
    def _walk(self, event: Input.Submitted) -> None:
        error = self.query_one("#expression-error", Static)
        try:
            expr = parse(event.value)
        except ExprError as e:
            error.update(Text(str(e), style="bold red"))
            self.app.bell()
            return
        error.update("")
        expr.output.backward()  # the engine's grads on the nodes: the walk's end must match
        nodes = graph_nodes(expr.output, expr.names)
        self.app.push_screen(StepperScreen(nodes, f"{expr.output_name} = {num(expr.output.data)}"))

    def action_close(self) -> None:
        self.dismiss()


__all__ = ["ExpressionScreen", "StepperScreen"]
