"""The graph's tree: one sample's loss graph laid out from the loss down, its lines
(name, operands, values in a right-hand column) and the Tree widget that draws them;
shared by the graph view and the backprop walk."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from micrograd.introspect import GraphNode
from tui.widgets.numfmt import num

Path = tuple[int, ...]
"""Where a node hangs: the operand positions taken from the loss down to it."""

OPEN_DEPTH = 2
"""How many levels below the loss are open when the view first shows a graph."""

KIND_MARKS = {"param": "◆ ", "input": "▶ ", "const": "· ", "op": ""}
"""A glyph per leaf kind, so parameters, inputs and constants read without colour."""

KIND_STYLES = {"param": "bold cyan", "input": "bold green", "const": "dim", "op": "bold"}


@dataclass(frozen=True)
class Entry:
    """What one line of the tree stands for."""

    index: int
    """The graph node's index in the snapshot."""
    path: Path
    repeat: bool
    """A further use of a node that is shown in full (with its inputs) at its first use."""


def layout(
    nodes: Sequence[GraphNode], repeats: bool = True, root: int | None = None
) -> Iterator[Entry]:
    """The tree's entries in display order, depth first from root (the loss unless given)
    in operand order.

    Each node appears in full once, at its first use; with repeats, every further use
    appears as a childless repeat entry, so every edge of the graph is shown.
    """
    if not nodes:
        return
    seen: set[int] = set()
    stack = [Entry(len(nodes) - 1 if root is None else root, (), False)]
    while stack:
        entry = stack.pop()
        yield entry
        if entry.repeat:
            continue
        seen.add(entry.index)
        below = []
        for pos, child in enumerate(nodes[entry.index].children):
            if child not in seen:
                seen.add(child)
                below.append(Entry(child, (*entry.path, pos), False))
            elif repeats:
                below.append(Entry(child, (*entry.path, pos), True))
        stack.extend(reversed(below))


def formula(node: GraphNode, nodes: Sequence[GraphNode]) -> str:
    """How the node was made, in the names of its operands, e.g. `+#12 = +#9 + *#11`."""
    names = [nodes[c].name for c in node.children]
    if is_sum(node):
        rhs = f"sum of {len(names)} terms: {' + '.join(names)}"
    elif node.op in ("+", "*") and len(names) == 2:
        rhs = f"{names[0]} {node.op} {names[1]}"
    elif node.op.startswith("**") and names:
        rhs = f"{names[0]}{node.op}"
    elif names:
        rhs = f"{node.op}({', '.join(names)})"
    else:
        rhs = {"param": "a parameter", "input": "an input", "const": "a constant"}[node.kind]
    return f"{node.name} = {rhs}"


def is_sum(node: GraphNode) -> bool:
    """A staircase of + shown flattened: one node over three terms or more."""
    return node.op == "+" and len(node.children) > 2


def highlight(text: Text, query: str) -> None:
    """Reverse every case-insensitive occurrence of query in text."""
    if query:
        text.highlight_words([query], style="reverse", case_sensitive=False)


def label(
    node: GraphNode, entry: Entry, compact: bool, query: str = "", loss: bool = False
) -> Text:
    """The tree part of a line: the node's name and what it is (its numbers are values())."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if entry.repeat:
        text.append("↪ ", style="dim")
    text.append(KIND_MARKS[node.kind], style=KIND_STYLES[node.kind])
    text.append(node.name, style=KIND_STYLES[node.kind])
    highlight(text, query)
    if is_sum(node):
        text.append(f" sum of {len(node.children)} terms", style="dim")
    if compact:
        return text
    if loss:
        text.append(" loss", style="bold magenta")
    elif node.kind == "input":
        text.append(f" {node.kind}", style="dim")
    if entry.repeat:
        text.append(" (again)", style="dim")
    return text


VALUES_WIDTH = {False: 33, True: 23}
"""The value column's width, full and compact: two numbers of up to 10 characters each."""


def values(node: GraphNode, compact: bool) -> Text:
    """The right-hand part of a line: the node's data and grad, right-aligned."""
    if compact:
        return Text.assemble(f" {num(node.data):>10}", (f" {'∇' + num(node.grad):>11}", "italic"))
    return Text.assemble(
        (f" {'data ' + num(node.data):>15}", "dim"), (f"  {'grad ' + num(node.grad):>15}", "italic")
    )


class GraphTree(Tree[Entry]):
    """The tree of graph nodes; the screen owns its contents."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "cursor_parent", "Parent", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("l", "toggle_node", "Open/close", show=False),
        Binding("space", "app.toggle", "Train/Pause", show=False),
    ]
    """Vim keys beside the arrows; space stays the app's train/pause (enter opens nodes)."""

    values_width = 0
    """The columns kept on the right of every line for values_of (the screen sets it)."""

    values_of: Callable[[Entry], Text] | None = None
    """A line's data and grad, drawn in the right-hand column (the screen sets it)."""

    @property
    def tree_width(self) -> int:
        """The columns left of the value column: the part that scrolls sideways."""
        return max(1, self.scrollable_content_region.width - self.values_width)

    def get_label_width(self, node: TreeNode[Entry]) -> int:
        # each line is as wide as its tree part and the value column: scrolling sideways
        # then reaches the end of the widest tree part
        return super().get_label_width(node) + self.values_width

    def render_line(self, y: int) -> Strip:
        """The tree part, scrolled and cut with an ellipsis, then the fixed value column
        (left of the scrollbar)."""
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        line_no = y + scroll_y
        lines = self._tree_lines
        if line_no >= len(lines) or self.values_of is None:
            return super().render_line(y)
        tree_width = self.tree_width
        line = lines[line_no]
        strip = self._render_line(line_no, scroll_x, scroll_x + tree_width, self.rich_style)
        full = line._get_guide_width(self.guide_depth, self.show_root)
        full += super().get_label_width(line.node)
        if full > scroll_x + tree_width:  # cut on the right
            strip = Strip.join([strip.crop(0, tree_width - 1), self._ellipsis(strip, -1)])
        if scroll_x > 0:  # cut on the left
            strip = Strip.join([self._ellipsis(strip, 0), strip.crop(1, tree_width)])
        value_width = width - tree_width
        if value_width <= 0 or line.node.data is None:
            return strip
        text = self.values_of(line.node.data)
        text.truncate(value_width)
        text.pad_left(value_width - text.cell_len)
        text.stylize_before(self.rich_style)
        if self.cursor_line == line_no:
            text.stylize(self.get_component_rich_style("tree--cursor", partial=False))
        text.stylize(Style(meta={"line": line_no}))
        cells = Strip(list(text.render(self.app.console)))
        return Strip.join([strip, cells.adjust_cell_length(value_width, self.rich_style)])

    @staticmethod
    def _ellipsis(strip: Strip, at: int) -> Strip:
        """An ellipsis in the style of the strip's first (at=0) or last (at=-1) cell."""
        segments = [seg for seg in strip if seg.text]
        style = segments[at].style if segments else None
        return Strip([Segment("…", style)], 1)

    def reveal(self, node: TreeNode[Entry]) -> None:
        """Open the node's ancestors, put the cursor on it and scroll it into view."""
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        _ = self.last_line  # lay the lines out now, so the node has its line number
        self.move_cursor(node)
        self.call_after_refresh(self.scroll_to_node, node, animate=False)

    def action_scroll_right(self) -> None:
        """A quarter of the tree part a press (one column would take 40 presses)."""
        self.scroll_to(x=self.scroll_x + max(1, self.tree_width // 4), animate=False)

    def action_scroll_left(self) -> None:
        self.scroll_to(x=max(0, self.scroll_x - max(1, self.tree_width // 4)), animate=False)


__all__ = ["Entry", "GraphTree", "Path", "formula", "is_sum", "label", "layout", "values"]
