"""The help screen: what the keys do and what the picture shows."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.palette import legend
from tui.widgets.footer import KeysFooter

KEYS = [
    ("space", "train / pause"),
    ("s", "one optimizer update (pauses first if training)"),
    ("r", "reset to step 0: same seed, same initial weights"),
    ("R", "a loaded run: back to its loaded step (r asks)"),
    ("w", "save the run as JSON; --load FILE resumes it"),
    ("arrows", "move the probe's crosshair ╋ a cell (or hjkl)"),
    ("enter", "select the data point under ╋, else a probe point"),
    ("0 1 2", "what if it were this class? (as a probe point)"),
    ("+ -", "learning rate up/down a 1-2-5 ladder, next step on"),
    ("x", "speed: 1, 5, 20 steps/s or as fast as it goes"),
    ("S C", "take 10 or 100 steps (space or r cancels them)"),
    ("[ ]", "rewind: a step back / on through the whole run"),
    ("{ }", "  ten steps back / on; home: step 0, end: now"),
    ("", "  a past step shows everywhere; space or s there"),
    ("", "  branches (the old future stays drawn, faint)"),
    ("e", "experiment: every setting, checked as typed; ^s applies"),
    ("a 0/1/2", "add a training point of that class at ╋"),
    ("d", "delete the training point under ╋"),
    ("D N", "clear every training point; regenerate the data"),
    ("g", "one sample's loss graph (m compact, / search)"),
    ("", "  there: n N next/previous match, e E open/shut"),
    ("", "  > re-roots at the cursor, < or esc back up"),
    ("", "  f: sums flat or the engine's binary +; ←→ scroll"),
    ("", "  b: walk it a node a press; n next, b back,"),
    ("", "  f e: end of fwd / bwd; u: batch grad, AdamW"),
    ("p", "all parameters, grads, AdamW m v, updates"),
    ("", "  there: d u sort by |grad| |update|, o by place"),
    ("c", "gradient check against central differences"),
    ("", "  there: e puts the worst first"),
    ("X", "an expression of your own, walked the same way"),
    ("n", "every hidden neuron's map over the plane, live"),
    ("", "  there: arrows select, enter enlarges, h health"),
    ("", "  (dead/saturated, histograms, update/data ratio)"),
    ("z", "the first layer's zero lines over the plot"),
    ("v", "side slot (24-39 rows): probe, classes, model,"),
    ("", "  or no panel: the loss curve takes its rows"),
    ("t", "draw the training points, validation points, none"),
    ("y", "the loss curve's axis: log or linear"),
    ("?", "this help"),
    ("q", "close a view or this help (as esc); on the main"),
    ("", "  screen quit: unsaved steps? it says so, q again quits"),
    ("ctrl+c", "quit at once (also ctrl+q)"),
]

ABOUT = (
    "Each step is one epoch: the whole training split goes forward through the "
    "MLP, the mean cross-entropy loss is backpropagated through micrograd's Value "
    "graph, and AdamW updates every weight once.\n\n"
    "The plot shades every cell of [-2, 2]² by the class the model predicts there. "
    "The glyphs o x + are the training points, one glyph per true class; a reversed "
    "glyph is a point the model misclassifies.\n\n"
    "The probe panel shows the model's three probabilities at the crosshair; the class "
    "panel, the validation split's confusion matrix (rows true, columns predicted). "
    "The loss panel plots the training and validation loss on a log scale, from the "
    "largest loss so far (its top label) to the smallest (its bottom label).\n\n"
    "Late in a run the training loss can jump from ~1e-6 back to ~0.1 and fall again "
    "(step 2812 of the default run): AdamW, not a bug. Its update is lr·m/(√v + ε): "
    "when the gradients are tiny, m and √v are tiny alike, m/√v stays of order 1, and "
    "every step still moves the weights by up to about lr, until one step overshoots. "
    "The parameter table (p) shows it: grads of ~1e-7 beside updates of ~0.01.\n\n"
    "A step's training loss and accuracy are those of its own forward pass, at the "
    "weights before its update (as the tutorial prints them): step 1 shows step 0's. "
    "Validation is measured after the update.\n\n"
    "Everything is counted from 0: layer0 is the first hidden layer, neuron0 a layer's "
    "first neuron, w0 its first weight, sample #0 the first training point, class 0 the "
    "first class (o). The last layer's neuron k gives class k's logit."
)


def help_text(no_color: bool = False) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in KEYS:
        table.add_row(key, what)
    table.add_row("", "")
    table.add_row("plot", legend(no_color))
    table.add_row("", "")
    table.add_row("", Text(ABOUT))
    return table


APP_KEYS_OFF_VIEW_FOOTERS = {
    "r": ("reset", "Reset"),
    "w": ("save", "Save"),
    "g": ("graph", "Graph"),
    "p": ("params", "Params"),
    "c": ("gradcheck", "Check"),
    "S": ("step(10)", "10 steps"),
    "C": ("step(100)", "100 steps"),
}
"""App keys that keep working in the inside views but leave their one-line footers, so
each view's own keys, space, s, ? and q fit 80 columns (? lists them all)."""


def quiet_app_keys(own: str) -> list[BindingType]:
    """The app keys of APP_KEYS_OFF_VIEW_FOOTERS, hidden, but not the view's own key own."""
    return [
        Binding(key, f"app.{action}", label, show=False)
        for key, (action, label) in APP_KEYS_OFF_VIEW_FOOTERS.items()
        if key != own
    ]


class HelpScroll(VerticalScroll):
    """The help's text, scrolled a line per press without animation: a burst of presses
    (a held key, keys typed ahead) scrolls as many lines; an animated scroll would aim
    each press at the line after the one shown, so five Downs moved one line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "lines(1)", "Down", show=False),
        Binding("up,k", "lines(-1)", "Up", show=False),
        Binding("pagedown", "pages(1)", "Page down", show=False),
        Binding("pageup", "pages(-1)", "Page up", show=False),
        Binding("home", "scroll_to_y(0)", "Top", show=False),
        Binding("end", "scroll_to_y(-1)", "End", show=False),
    ]
    """The arrows, j/k as in less, a page, the ends."""

    def action_lines(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_target_y + lines, animate=False, immediate=True)

    def action_pages(self, pages: int) -> None:
        self.action_lines(pages * max(1, self.scrollable_content_region.height - 1))

    def action_scroll_to_y(self, y: int) -> None:
        self.scroll_to(y=self.max_scroll_y if y < 0 else y, animate=False, immediate=True)


class HelpScreen(ModalScreen[None]):
    """The keys, the legend and a few lines on what one step does; any close key dismisses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q,enter,space", "dismiss", "Close", show=True),
    ]
    """Every reasonable way out closes the help (q does not quit from here); the footer
    names the first, esc."""

    def compose(self) -> ComposeResult:
        with HelpScroll(id="help-box") as box:
            box.border_title = "micrograd-tui · help"
            box.border_subtitle = "↑↓ jk scroll · esc q to close"  # 80x24 shows part of it
            yield Static(help_text(self.app.no_color), id="help-text")
        # Its own footer: the main screen's would list keys that do nothing here.
        yield KeysFooter()


__all__ = ["HelpScreen", "quiet_app_keys"]
