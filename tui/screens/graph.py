"""The graph view: one sample's loss graph as an expandable tree, from the loss to the inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from micrograd.introspect import GraphNode
from tui.screens.help import quiet_app_keys
from tui.snapshots import GraphSnapshot
from tui.widgets.fitting import fitting
from tui.widgets.footer import KeysFooter
from tui.widgets.graph_tree import (
    OPEN_DEPTH,
    VALUES_WIDTH,
    Entry,
    GraphTree,
    Path,
    formula,
    is_sum,
    label,
    layout,
    values,
)
from tui.widgets.numfmt import num


class GraphScreen(Screen[None]):
    """The selected sample's loss, node by node: op, data and grad, from the loss to the inputs.

    Refreshes from each new GraphSnapshot and keeps what is open and where the cursor is.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,g,q", "close", "Close"),
        Binding("m", "toggle_compact", "Compact"),
        # priority: run as the app takes the key from the terminal, so the keys after it
        # in the same read already go to the search (see action_search)
        Binding("slash", "search", "Search", key_display="/", priority=True),
        Binding("greater_than_sign", "reroot", "Root", key_display=">"),
        Binding("less_than_sign,backspace", "unroot", "Up", key_display="<"),
        Binding("f", "toggle_flat", "Flat"),
        Binding("b", "walk", "Walk"),
        Binding("n", "next_match", "Next", show=False),
        Binding("N", "next_match(-1)", "Previous", show=False),
        Binding("e", "expand_all", "Open all", show=False),
        Binding("E", "collapse_all", "Close all", show=False),
        *quiet_app_keys("g"),
    ]
    """escape, q or g again closes (as in less and man), or goes back up a root; m
    compacts; / searches names, n/N step through matches; > shows the cursor's node as the
    root, < goes back up; f shows sums flat or as the engine's staircase of binary +; b
    walks the graph's forward and backward a node at a time."""

    compact: reactive[bool] = reactive(False, init=False)
    """Short lines (no words, narrower values) and no detail pane; every operand stays."""

    flat: reactive[bool] = reactive(True, init=False)
    """Each staircase of + (a neuron's w·x + b) as one "sum of N terms" node."""

    search_text: reactive[str] = reactive("", init=False)
    """The name search: matching names are highlighted."""

    def __init__(self, snapshot: GraphSnapshot | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot
        """The graph on screen (None until the worker has built one)."""
        self._by_path: dict[Path, TreeNode[Entry]] = {}
        self._roots: list[tuple[int, set[Path] | None, Path | None]] = []
        """The nodes re-rooted at, innermost last, each with the open paths and cursor of
        the view it replaced (restored when going back up)."""

    def compose(self) -> ComposeResult:
        yield Static(id="graph-title")
        yield GraphTree(Text("…"), id="graph-tree")
        yield Static(id="graph-detail")
        yield Static(id="graph-status")
        yield Input(placeholder="name, e.g. layer0.neuron2.w0 (enter jumps)", id="graph-search")
        yield KeysFooter()  # fits 80 columns

    def on_mount(self) -> None:
        tree = self.tree
        tree.guide_depth = 2
        tree.show_root = True
        tree.values_of = self._values_of
        tree.values_width = VALUES_WIDTH[self.compact]
        self._rebuild(opened=None, cursor=None)
        tree.focus()

    @property
    def tree(self) -> GraphTree:
        return self.query_one("#graph-tree", GraphTree)

    # ------------------------------------------------------------ contents

    @property
    def nodes(self) -> Sequence[GraphNode]:
        """The nodes as the tree shows them: sums flattened, or the engine's own."""
        if self.snapshot is None:
            return ()
        return self.snapshot.flat if self.flat else self.snapshot.nodes

    @property
    def root(self) -> int | None:
        """The node the tree starts from: the last re-rooted at, else the loss (None)."""
        return self._roots[-1][0] if self._roots else None

    def _values_of(self, entry: Entry) -> Text:
        return values(self.nodes[entry.index], self.compact)

    def update_snapshot(self, snapshot: GraphSnapshot) -> None:
        """Show a newer graph; what is open and the cursor stay where they were."""
        old, self.snapshot = self.snapshot, snapshot
        if old is None or old.structure != snapshot.structure:
            self._roots = [r for r in self._roots if r[0] < len(snapshot.nodes)]
        if old is not None and old.structure == snapshot.structure and self._by_path:
            self._relabel()
        elif not self._by_path:  # the first graph shown: open the first levels
            self._rebuild(opened=None, cursor=None)
        else:
            self._rebuild(*self._view_state())
        self._show_title()
        self._show_detail()

    def _view_state(self) -> tuple[set[Path], Path | None]:
        """The open nodes' paths and the cursor's path."""
        opened = {p for p, node in self._by_path.items() if node.is_expanded}
        cursor = self.tree.cursor_node
        return opened, (cursor.data.path if cursor and cursor.data else None)

    def _rebuild(self, opened: set[Path] | None, cursor: Path | None) -> None:
        """Build the tree afresh; reopen the paths given (None: the first levels)."""
        tree = self.tree
        tree.clear()
        self._by_path = {}
        snap = self.snapshot
        if snap is None or not snap.nodes:
            tree.root.set_label(Text("computing the graph…", style="dim"))
            tree.root.data = None
            tree.root.allow_expand = False
            self._show_title()
            self._show_detail()
            return
        nodes = self.nodes
        tree.values_width = VALUES_WIDTH[self.compact]
        for entry in layout(nodes, root=self.root):
            text = label(
                nodes[entry.index],
                entry,
                self.compact,
                self.search_text,
                loss=entry.index == len(nodes) - 1,
            )
            has_children = bool(nodes[entry.index].children) and not entry.repeat
            if not entry.path:
                node = tree.root
                node.set_label(text)
                node.data = entry
                node.allow_expand = has_children
            else:
                parent = self._by_path[entry.path[:-1]]
                node = parent.add(text, data=entry, allow_expand=has_children)
            self._by_path[entry.path] = node
            if opened is None and len(entry.path) < OPEN_DEPTH or opened and entry.path in opened:
                node.expand()
        if cursor is not None and cursor in self._by_path:
            self._jump(self._by_path[cursor])
        else:
            tree.move_cursor(tree.root)
        self._show_title()
        self._show_detail()

    def _relabel(self) -> None:
        """New numbers on the same structure: change the labels only."""
        assert self.snapshot is not None
        nodes = self.nodes
        self.tree.refresh()  # the value column is drawn from the snapshot, not the labels
        for node in self._by_path.values():
            entry = node.data
            assert entry is not None
            node.set_label(
                label(
                    nodes[entry.index],
                    entry,
                    self.compact,
                    self.search_text,
                    loss=entry.index == len(nodes) - 1,
                )
            )

    def entries(self) -> list[Entry]:
        """Every entry in the tree, open or not, in display order."""
        return [node.data for node in self._by_path.values() if node.data is not None]

    def label_of(self, path: Path) -> str:
        """The plain text of the line at path, its values too (tests read lines through this)."""
        node = self._by_path[path]
        assert node.data is not None
        return f"{node.label}  {self._values_of(node.data).plain.strip()}"

    def path_of(self, name: str) -> Path | None:
        """The path of the full entry of the node named name, if any."""
        if self.snapshot is None:
            return None
        for path, node in self._by_path.items():
            entry = node.data
            if entry and not entry.repeat and self.nodes[entry.index].name == name:
                return path
        return None

    # ------------------------------------------------------------- display

    def _show_title(self) -> None:
        snap = self.snapshot
        title = self.query_one("#graph-title", Static)
        if snap is None or not snap.nodes:
            title.update("graph of one sample · waiting for the trainer")
            return
        (x, y), loss = snap.point, snap.nodes[-1]
        head = f"at ({x:+.2f}, {y:+.2f}) class {snap.target} · step {snap.step} · "
        head += f"loss {num(loss.data)}"
        rest = fitting([f"{head} · {len(snap.nodes)} nodes", head], self.size.width - 8)
        if self.root is not None:  # where the view is, first: the rest may be cut
            rest = f"below {snap.nodes[self.root].name} (< up) · {rest}"
        title.update(Text.assemble(("graph ", "bold"), rest, no_wrap=True, overflow="ellipsis"))

    def on_resize(self) -> None:
        self._show_title()

    def _show_detail(self) -> None:
        """The cursor's node in full: its formula, numbers, and the chain rule to its inputs."""
        detail = self.query_one("#graph-detail", Static)
        detail.display = not self.compact
        cursor = self.tree.cursor_node
        if self.snapshot is None or cursor is None or cursor.data is None:
            detail.update("")
            return
        nodes = self.nodes
        node = nodes[cursor.data.index]
        lines = [
            Text(formula(node, nodes), style="bold", no_wrap=True, overflow="ellipsis"),
            Text.assemble(
                ("data ", "dim"), num(node.data), ("  grad ", "dim"), num(node.grad),
                ("  = ∂loss/∂" + node.name, "dim"), no_wrap=True, overflow="ellipsis",
            ),
        ]  # fmt: skip
        if is_sum(node) and len(set(node.local)) == 1:  # every term's local derivative is 1
            d = node.local[0]
            lines.append(
                Text.assemble(
                    ("  → each of its terms", "dim"), ("  local ", "dim"), num(d),
                    ("  × grad ", "dim"), num(node.grad), ("  = ", "dim"), num(d * node.grad),
                    no_wrap=True, overflow="ellipsis",
                )
            )  # fmt: skip
        for c, d in zip(node.children, node.local):  # the engine's local derivatives
            if is_sum(node) and len(set(node.local)) == 1:
                break
            child = nodes[c]
            lines.append(
                Text.assemble(
                    ("  → ", "dim"), child.name, ("  local ", "dim"), num(d),
                    ("  × grad ", "dim"), num(node.grad), ("  = ", "dim"), num(d * node.grad),
                    no_wrap=True, overflow="ellipsis",
                )
            )  # fmt: skip
        if not node.children:
            what = {
                "param": "its grad here is this sample's alone, not the batch's",
                "input": "a coordinate of the sample",
                "const": "a number the loss uses (max logit, -1, 0)",
            }.get(node.kind, "")
            lines.append(Text(f"  {what}", style="dim"))
        detail.update(Text("\n").join(lines))

    @on(Tree.NodeHighlighted)
    def _on_highlight(self) -> None:
        self._show_detail()

    def watch_compact(self) -> None:
        self._rebuild(*self._view_state())

    def watch_flat(self) -> None:
        """The same node stays under the cursor, its way down opened (the paths change)."""
        cursor = self.tree.cursor_node
        index = cursor.data.index if cursor is not None and cursor.data else None
        # the roots stay; the views saved under them had the other paths: first levels
        self._roots = [(root, None, None) for root, _, _ in self._roots]
        self._rebuild(opened=None, cursor=None)
        self._jump_to_index(index)

    def _jump_to_index(self, index: int | None) -> None:
        """Put the cursor on the full entry of node index, if the tree shows it."""
        for node in self._by_path.values():
            if node.data is not None and node.data.index == index and not node.data.repeat:
                self._jump(node)
                return

    # -------------------------------------------------------------- search

    def matches(self) -> list[TreeNode[Entry]]:
        """Full entries whose name contains the query, in display order."""
        if not self.search_text or self.snapshot is None:
            return []
        q = self.search_text.lower()
        nodes = self.nodes
        return [
            node
            for node in self._by_path.values()
            if node.data and not node.data.repeat and q in nodes[node.data.index].name.lower()
        ]

    def watch_search_text(self) -> None:
        if self.snapshot is not None:
            self._relabel()
        self._show_status()

    def _show_status(self, at: int | None = None) -> None:
        status = self.query_one("#graph-status", Static)
        status.display = bool(self.search_text)
        found = len(self.matches())
        where = f"{at + 1}/{found}" if at is not None and found else f"{found}"
        if not found:
            status.update(f"/{self.search_text}: no match")
            return
        status.update(
            f"/{self.search_text}: {where} match{'es' if found != 1 else ''} · n next, N back"
        )

    def _jump(self, node: TreeNode[Entry]) -> None:
        """Open the node's ancestors and put the cursor on it."""
        self.tree.reveal(node)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`/` opens the search, except typed in it (a priority binding sees every key)."""
        return action != "search" or self.focused is not self.query_one("#graph-search")

    def action_search(self) -> None:
        """Open the search and focus it now. The keys that came in the same read as `/`
        (typed fast, pasted, or bunched by an ssh link) are the query: `/` is a priority
        binding and the focus moves at once (`Widget.focus()` would wait for the queue),
        so they go to the search, not to the view's keys (`r` resets, `w` saves)."""
        search = self.query_one("#graph-search", Input)
        search.display = True
        search.value = self.search_text
        self.set_focus(search)

    @on(Input.Changed, "#graph-search")
    def _on_search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()

    @on(Input.Submitted, "#graph-search")
    def _on_search_submitted(self) -> None:
        self._close_search()
        self.action_next_match(1)

    def _close_search(self) -> None:
        """Hide the search and give the keys back to the tree at once (as action_search)."""
        self.query_one("#graph-search", Input).display = False
        self.set_focus(self.tree)

    def action_next_match(self, direction: int = 1) -> None:
        """Move to the next (or previous) match after the cursor, wrapping around."""
        found = self.matches()
        if not found:
            self._show_status()
            if self.search_text:
                self.app.bell()
            return
        order = list(self._by_path.values())
        rank = {id(n): i for i, n in enumerate(order)}
        cursor = self.tree.cursor_node
        here = rank.get(id(cursor), -1) if cursor is not None else -1
        ranks = [rank[id(n)] for n in found]
        if direction > 0:
            at = next((i for i, r in enumerate(ranks) if r > here), 0)
        else:
            at = next((i for i in reversed(range(len(ranks))) if ranks[i] < here), len(ranks) - 1)
        self._jump(found[at])
        self._show_status(at)

    # ------------------------------------------------------------- actions

    def action_walk(self) -> None:
        """Walk this graph's forward and backward one event a press (training pauses)."""
        from tui.screens.stepper import StepperScreen

        snap = self.snapshot
        if snap is None or not snap.nodes:
            self.app.bell()
            return
        if getattr(self.app, "state", None) == "running":
            self.app.pause()  # type: ignore[attr-defined]
        (x, y) = snap.point
        title = f"({x:+.2f}, {y:+.2f}) class {snap.target} · step {snap.step}'s weights"
        self.app.push_screen(StepperScreen(snap.nodes, title, (snap.point, snap.target)))

    def action_toggle_compact(self) -> None:
        self.compact = not self.compact

    def action_toggle_flat(self) -> None:
        self.flat = not self.flat

    def action_reroot(self) -> None:
        """Show the cursor's node as the root, its first levels open."""
        cursor = self.tree.cursor_node
        if cursor is None or cursor.data is None or not cursor.data.path:
            self.app.bell()  # nothing, or already the root
            return
        self._roots.append((cursor.data.index, *self._view_state()))
        self._rebuild(opened=None, cursor=None)

    def action_unroot(self) -> bool:
        """Back to the view re-rooted from, as it was; False if the root is the loss."""
        if not self._roots:
            return False
        _, opened, cursor = self._roots.pop()
        self._rebuild(opened, cursor)
        return True

    def action_expand_all(self) -> None:
        cursor = self.tree.cursor_node
        if cursor is not None:
            cursor.expand_all()

    def action_collapse_all(self) -> None:
        self.tree.root.collapse_all()
        self.tree.root.expand()
        self.tree.move_cursor(self.tree.root)

    def action_close(self) -> None:
        """Cancel the search if it is open (its query, highlights and status go too, so no
        "/relu: no match" is left under a tree with no search open), else go back up from a
        re-rooted view, else close the view."""
        search = self.query_one("#graph-search", Input)
        if search.display and search.has_focus:
            self._close_search()
            self.search_text = ""
        elif not self.action_unroot():
            self.dismiss()


__all__ = ["GraphScreen"]
