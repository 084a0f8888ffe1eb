"""The neurons view: every hidden neuron's map over the plane, its weights, the network's health."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from micrograd.health import RATIO_GUIDE, LayerHealth, Ratios
from tui.screens.help import quiet_app_keys
from tui.snapshots import NeuronSnapshot
from tui.widgets.footer import KeysFooter
from tui.widgets.numfmt import num

if TYPE_CHECKING:
    import numpy as np

RAMP = " .:-=+*#%@"
"""Without colour, a cell's glyph by its value, lowest to highest (as the legend shows)."""

SCALE = ("bright_blue", "blue", "cyan", "bright_black", "yellow", "red", "bright_red")
"""With colour, a full block's colour by its value: negative blue, near zero grey,
positive yellow to red (16-colour safe), each end its bright colour; the same ends as the
ramp's."""

TILE_COLS, TILE_ROWS = 16, 8
"""A small map's cells: every other column and row of the snapshot's maps."""

TILE_WIDTH, TILE_HEIGHT = TILE_COLS + 2, TILE_ROWS + 3
"""A tile on screen: its map, a label line above and a weights line below, a gap (so
80x24 holds 2 rows of 4)."""

DEAD_SHARE = 0.95
"""A ReLU at 0 on at least this share of the training data is flagged dead: it barely
learns again (at the start each is 0 on about half the plane, as it should be)."""

SATURATED_SHARE = 0.95
"""A tanh or sigmoid saturated on at least this share of the training data is flagged:
on nearly every point its gradient is nearly 0, so it barely learns, as a dead ReLU."""

MOSTLY_SATURATED = 0.5
"""A tanh or sigmoid saturated on at least this share (and not flagged) shows the share
above its map, dim: a fact, not a fault (a confident model saturates; the tutorial's own
run does on 70-80% of its points by step 100, at 100% accuracy)."""

BARS = " ▁▂▃▄▅▆▇█"
"""A histogram's bars, by count over the largest count."""

NO_COLOR_BARS = " .:-=+*#@"


def scaled(activation: str, values: np.ndarray, reach: float) -> np.ndarray:
    """Values on the scale's [-1, 1]: tanh's as they are, sigmoid's (0, 1) stretched,
    relu's and linear's over the largest |value| of their layer (reach)."""
    import numpy as np

    if activation == "tanh":
        t = values
    elif activation == "sigmoid":
        t = 2 * values - 1
    else:
        t = values / reach if reach > 0 else np.zeros_like(values)
    return np.clip(np.nan_to_num(t, nan=0.0), -1, 1)


def level(t: float, levels: int) -> int:
    """The step of [-1, 1] that t falls in, of levels equal steps."""
    return min(levels - 1, int((t + 1) / 2 * levels))


def map_text(t: np.ndarray, no_color: bool) -> list[Text]:
    """A map's lines, top first: each cell a ramp glyph (NO_COLOR) or a coloured block."""
    lines = []
    for row in t.tolist():
        line = Text()
        if no_color:
            line.append("".join(RAMP[level(v, len(RAMP))] for v in row))
        else:  # a run of one colour is one span: fewer style changes to draw and send
            levels = [level(v, len(SCALE)) for v in row]
            start = 0
            for i in range(1, len(levels) + 1):
                if i == len(levels) or levels[i] != levels[start]:
                    line.append("█" * (i - start), SCALE[levels[start]])
                    start = i
        lines.append(line)
    return lines


def scale_text(lo: str, hi: str, no_color: bool) -> Text:
    """`lo ███████ hi`: the scale's colours (or the ramp, reversed) between its ends."""
    text = Text(f"{lo} ")
    if no_color:
        text.append(RAMP, "reverse")
    else:
        for colour in SCALE:
            text.append("█", colour)
    return text.append(f" {hi}")


def scale_legend(activation: str, reach: float, no_color: bool) -> Text:
    """The scale from its lowest value to its highest, e.g. `-1.0000 ███████ +1.0000`."""
    lo, hi = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}.get(activation, (-reach, reach))
    return scale_text(num(lo), num(hi), no_color)


def tiles_legend(activation: str, no_color: bool) -> Text:
    """The small maps' scale, for the title: tanh's `-1 ███████ +1`, sigmoid's `0 … 1`,
    relu's and linear's `-max … +max` (each layer over its largest |output|)."""
    lo, hi = {"tanh": ("-1", "+1"), "sigmoid": ("0", "1")}.get(activation, ("-max", "+max"))
    return scale_text(lo, hi, no_color)


def percent(share: float) -> str:
    """A share of the data as a whole percent, rounded down: a share under a threshold
    never reads as the threshold (94.9% is `94%`, not the flag's `95%`), nor one short of
    all as `100%`."""
    return f"{math.floor(share * 100 + 1e-9)}%"


def flag(health: LayerHealth, neuron: int) -> str:
    """What is wrong with a neuron, if anything: `dead 62%` or `sat 90%`."""
    if health.dead[neuron] >= DEAD_SHARE:
        return f"dead {percent(health.dead[neuron])}"
    if health.saturated[neuron] >= SATURATED_SHARE:
        return f"sat {percent(health.saturated[neuron])}"
    return ""


def flags_text(health: LayerHealth, width: int) -> str:
    """A layer's flagged neurons in width cells, every one of them named or counted: each
    with its share (`n0 dead 98%, n5 sat 71%`), else grouped by share (`dead 100% n2 n3 ·
    dead 98% n0`), else their names by flag (`dead n0 n2 n3 · sat n5`), else how many of
    each (the maps' titles and enter say which)."""
    flagged = [(ni, flag(health, ni)) for ni in range(len(health.dead)) if flag(health, ni)]
    if not flagged:
        return ""
    full = ", ".join(f"n{ni} {what}" for ni, what in flagged)
    if len(full) <= width:
        return full
    by_share: dict[str, list[int]] = {}
    for ni, what in sorted(flagged, key=lambda f: (f[1].split()[0], -int(f[1].split()[1][:-1]))):
        by_share.setdefault(what, []).append(ni)
    shares = " · ".join(
        f"{what} " + " ".join(f"n{ni}" for ni in found) for what, found in by_share.items()
    )
    if len(shares) <= width:
        return shares
    kinds = {
        kind: [ni for ni, what in flagged if what.startswith(kind)] for kind in ("dead", "sat")
    }
    names = " · ".join(
        f"{kind} " + " ".join(f"n{ni}" for ni in found) for kind, found in kinds.items() if found
    )
    if len(names) <= width:
        return names
    words = {"dead": "dead", "sat": "saturated"}
    return ", ".join(f"{len(found)} {words[kind]}" for kind, found in kinds.items() if found)


def short(v: float, signed: bool = True) -> str:
    """A number in at most 5 or 6 characters, every digit shown a true one: one decimal
    under 10 (`+0.7`), none under 1000 (`-21`), else a power of ten (`+3e4`)."""
    sign = "+" if signed else ""
    if not math.isfinite(v):
        return f"{v:{sign}}"
    if abs(v) < 9.95:
        return f"{v:{sign}.1f}"
    if abs(v) < 999.5:
        return f"{v:{sign}.0f}"
    mantissa, exponent = f"{v:{sign}.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def weights_line(row: Sequence[float], bias: float, width: int) -> str:
    """A neuron's weights and bias in width cells, never a number cut short: each with
    one decimal (`+5.0 -1.9 b-2.6`), each as short as it reads (`+13 -21 b+17`), else
    their count and reach (`32w |w|≤0.2 b-12`), then without the count."""
    top = max((abs(w) for w in row), default=0.0)
    for line in (
        " ".join(f"{w:+.1f}" for w in row) + f" b{bias:+.1f}",
        " ".join(short(w) for w in row) + f" b{short(bias)}",
        f"{len(row)}w |w|≤{short(top, signed=False)} b{short(bias)}",
        f"|w|≤{short(top, signed=False)} b{short(bias)}",
    ):
        if len(line) <= width:
            return line
    return f"b{short(bias)}"[:width]


def weight_columns(
    row: Sequence[float], inputs: Sequence[str], width: int, height: int
) -> list[Text]:
    """A neuron's weights in height lines of width cells, filled down then across
    (`w0 +0.1234  w14 -0.0066`) under a line naming their inputs in order: a neuron of
    32 inputs at 80x24 has 14 lines for them. What does not fit is counted in the last
    cell (the params view, p, lists every one)."""
    last = len(row) - 1
    said = f"w0…w{last}: the weights on ({inputs[0]})…({inputs[last]})" if row else ""
    cells = [f"w{i} {num(w)}" for i, w in enumerate(row)]
    rows = max(1, height - 1)
    cell = max(map(len, cells), default=0) + 2
    across = max(1, width // cell)
    if len(cells) > rows * across:
        kept = rows * across - 1
        cells = [*cells[:kept], f"+{len(row) - kept} more (p)"]
    lines = [Text(said[:width], "dim")]
    for r in range(min(rows, len(cells))):
        lines.append(Text("".join(f"{c:<{cell}}" for c in cells[r::rows]).rstrip()))
    return lines


def histogram_line(
    name: str, hist: tuple[tuple[int, ...], float, float] | None, no_color: bool
) -> Text:
    """`  act  ▁▃█▅▂ [-1, 1]`: a histogram as one line of bars with its range."""
    if hist is None:
        return Text(f"  {name:<4} — until a step")
    counts, lo, hi = hist
    top = max(counts) or 1
    bars = NO_COLOR_BARS if no_color else BARS
    shown = "".join(bars[math.ceil(c / top * (len(bars) - 1))] for c in counts)
    return (
        Text(f"  {name:<4} ")
        .append(shown, "reverse" if no_color else "green")
        .append(f" [{num(lo)}, {num(hi)}]")
    )


def ratios_line(ratios: Ratios, width: int) -> Text:
    """The newest step's ratios as numbers, `step 100: L0 -2.07  L1 -2.02` (log10 of
    mean |update| / mean |value| over each layer's weights and biases; `—` for a layer
    the step left as it was, or one all zeros), in width cells."""
    values = [
        f"L{li} {v:+.2f}" if math.isfinite(v) else f"L{li} —"
        for li, v in enumerate(ratios.per_layer)
    ]
    line = f"  step {ratios.step}: " + "  ".join(values)
    if len(line) > width:
        line = f"step {ratios.step}: " + " ".join(values)
    return Text(line[:width], "dim")


def ratio_plot(
    ratios: Sequence[Ratios], width: int, height: int, lo: float = -6.0, hi: float = 0.0
) -> list[Text]:
    """The update-to-data ratio per layer over the steps (log10, from lo to hi), one
    digit per layer at each column's latest step, the 1e-3 guide a dotted line."""
    plot = [[" "] * width for _ in range(height)]

    def row_of(v: float) -> int:
        return round((hi - min(hi, max(lo, v))) / (hi - lo) * (height - 1))

    guide = row_of(RATIO_GUIDE)
    plot[guide] = ["·"] * width
    shown = list(ratios)
    if len(shown) > width:  # one column a stride of steps: its last
        shown = [shown[round((i + 1) * len(shown) / width) - 1] for i in range(width)]
    for col, r in enumerate(shown):
        for li, v in enumerate(r.per_layer):
            if math.isfinite(v):
                plot[row_of(v)][col] = str(li)
    labels = {0: f"1e{hi:.0f}", guide: "1e-3", height - 1: f"1e{lo:.0f}"}
    return [Text(f"{labels.get(i, ''):>5} ").append("".join(row)) for i, row in enumerate(plot)]


class NeuronsScreen(Screen[None]):
    """Every hidden neuron's output over the plane, live; enter enlarges one, h shows the
    network's health."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n,q", "close", "Close"),
        Binding("left", "select(-1)", "Neuron", show=False),
        Binding("right", "select(1)", "Neuron", show=False),
        Binding("up", "select_row(-1)", "Neuron", show=False),
        Binding("down", "select_row(1)", "Neuron", show=False),
        Binding("pageup", "page(-1)", "Page", show=False),
        Binding("pagedown", "page(1)", "Page", show=False),
        Binding("enter", "enlarge", "Enlarge"),
        Binding("h", "health", "Health"),
        *quiet_app_keys(""),
    ]
    """Arrows select a neuron (pages follow), enter enlarges it, h shows the health."""

    selected: reactive[int] = reactive(0, init=False)
    """The selected neuron, counted over every hidden layer."""
    enlarged: reactive[bool] = reactive(False, init=False)
    """Is the selected neuron's map shown large?"""
    showing_health: reactive[bool] = reactive(False, init=False)
    """Does the view show the health instead of the maps?"""

    def __init__(self, step_zero_loss: Callable[[], float | None] = lambda: None) -> None:
        super().__init__()
        self.snapshot: NeuronSnapshot | None = None
        """The numbers on screen (None until the worker has copied them)."""
        self.step_zero_loss = step_zero_loss

    def compose(self) -> ComposeResult:
        yield Static(id="neurons-title")
        yield Static(id="neurons-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.show()

    def on_resize(self, event: events.Resize) -> None:
        self.show()

    def update_snapshot(self, snapshot: NeuronSnapshot) -> None:
        """Show newer numbers; the selection stays (within a new run's neurons)."""
        self.snapshot = snapshot
        self.set_reactive(
            NeuronsScreen.selected, min(self.selected, max(0, len(self.neurons()) - 1))
        )
        self.show()

    # ------------------------------------------------------------ what is where

    def neurons(self) -> list[tuple[int, int]]:
        """(layer, neuron) of every hidden neuron, in order."""
        snap = self.snapshot
        if snap is None:
            return []
        return [(li, ni) for li, m in enumerate(snap.maps) for ni in range(m.shape[2])]

    def grid(self) -> tuple[int, int]:
        """(tiles across, tiles down) a page holds at this size."""
        width, height = self.app.size
        return max(1, width // TILE_WIDTH), max(1, (height - 2) // TILE_HEIGHT)

    @property
    def per_page(self) -> int:
        across, down = self.grid()
        return across * down

    @property
    def page(self) -> int:
        return self.selected // self.per_page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.neurons()) / self.per_page))

    def reach(self, layer: int) -> float:
        """The largest |output| of a layer over its map (relu's and linear's scale)."""
        import numpy as np

        assert self.snapshot is not None
        values = self.snapshot.maps[layer]
        finite = values[np.isfinite(values)]
        return float(np.abs(finite).max()) if finite.size else 0.0

    # ------------------------------------------------------------ drawing

    def show(self) -> None:
        if not self.is_mounted:
            return
        snap = self.snapshot
        title = Text("neurons", "bold")
        if snap is None:
            title.append(" · waiting for the trainer")
            body = Text()
        else:
            act = snap.layers.activation
            count = len(self.neurons())
            title.append(f" · step {snap.step} · {act} · {count} hidden")
            if not count:
                body = Text("No hidden layer: the inputs go straight to the logits.")
            elif self.showing_health:
                title.append(" · health")
                body = self.health_text(snap)
            elif self.enlarged:
                body = self.enlarged_text(snap)
            else:
                title.append(f" · page {self.page + 1}/{self.pages}")
                legend = tiles_legend(act, self.app.no_color)
                if title.cell_len + 3 + legend.cell_len < self.app.size.width - 1:
                    title.append(" · ").append_text(legend)  # the maps' colours or glyphs
                body = self.tiles_text(snap)
        # both keep their size (one row; the rest of the screen): no layout to redo
        self.query_one("#neurons-title", Static).update(title, layout=False)
        self.query_one("#neurons-body", Static).update(body, layout=False)

    def tile(self, snap: NeuronSnapshot, layer: int, neuron: int, selected: bool) -> list[Text]:
        """A neuron's small map with its name and flag above and its weights below."""
        t = scaled(snap.layers.activation, snap.maps[layer][::2, ::2, neuron], self.reach(layer))
        name = f"L{layer} n{neuron}"
        warn = flag(snap.health[layer], neuron)
        label = Text(name, "reverse bold" if selected else "bold")
        saturated = snap.health[layer].saturated[neuron]
        if warn:
            label.append(" ").append(
                warn, "bold red" if not self.app.no_color else "bold underline"
            )
        elif saturated >= MOSTLY_SATURATED:
            label.append(f" sat {percent(saturated)}", "dim")
        label.truncate(TILE_COLS)
        rows, biases = snap.layers[layer]
        weights = Text(weights_line(rows[neuron], biases[neuron], TILE_COLS), "dim")
        return [label, *map_text(t, self.app.no_color), weights]

    def tiles_text(self, snap: NeuronSnapshot) -> Text:
        across, down = self.grid()
        neurons = self.neurons()
        first = self.page * self.per_page
        lines: list[Text] = []
        for r in range(down):
            row = neurons[first + r * across : first + (r + 1) * across]
            if not row:
                break
            tiles = [
                self.tile(snap, li, ni, first + r * across + k == self.selected)
                for k, (li, ni) in enumerate(row)
            ]
            for i in range(TILE_HEIGHT - 1):
                line = Text()
                for tile in tiles:
                    cell = tile[i].copy()
                    cell.pad_right(TILE_WIDTH - cell.cell_len)
                    line.append_text(cell)
                lines.append(line)
            lines.append(Text())
        return Text("\n").join(lines)

    def enlarged_text(self, snap: NeuronSnapshot) -> Text:
        """The selected neuron's map at full size, with its numbers beside it."""
        layer, neuron = self.neurons()[self.selected]
        act = snap.layers.activation
        reach = self.reach(layer)
        t = scaled(act, snap.maps[layer][:, :, neuron], reach)
        rows, biases = snap.layers[layer]
        health = snap.health[layer]
        inputs = (
            snap.layers.features
            if layer == 0
            else [f"L{layer - 1} n{i}" for i in range(len(rows[neuron]))]
        )
        title = Text(f"layer{layer}.neuron{neuron}", "bold")
        bias = Text(f"bias  {num(biases[neuron])}")
        shares = [
            Text(f"dead on {percent(health.dead[neuron])} of the training data"),
            Text(f"saturated on {percent(health.saturated[neuron])}"),
        ]
        legend = scale_legend(act, reach, self.app.no_color)
        weights = [
            Text(f"w{i} {num(w)}  ({source})")
            for i, (w, source) in enumerate(zip(rows[neuron], inputs))
        ]
        height = self.app.size.height - 3
        side = [title, bias, *weights, Text(""), *shares, Text(""), legend]
        if len(side) > height:  # the weights in columns under the rest, so none is lost
            side = [title, bias, *shares, legend, Text("")]
            room = self.app.size.width - t.shape[1] - 2
            side += weight_columns(rows[neuron], inputs, room, height - len(side))
        lines = []
        maps = map_text(t, self.app.no_color)
        for i in range(max(len(maps), min(len(side), height))):
            line = maps[i].copy() if i < len(maps) else Text(" " * t.shape[1])
            line.append("  ")
            if i < len(side):
                line.append_text(side[i])
            lines.append(line)
        return Text("\n").join(lines[:height])

    def health_text(self, snap: NeuronSnapshot) -> Text:
        """Flags per layer, the histograms, the ratio plot, the step-0 loss."""
        no_color = self.app.no_color
        classes = len(snap.layers[-1][1])
        lines = []
        zero = self.step_zero_loss()
        lines.append(
            Text(
                f"step-0 loss {'—' if zero is None else f'{zero:.4f}'}"
                f" · ln({classes}) = {math.log(classes):.4f} (a model that guesses evenly)"
            )
        )
        height = self.app.size.height - 3
        shown = range(len(snap.health))
        if 1 + 3 * len(snap.health) + 6 > height:  # not all layers and a plot: a window
            fit = max(1, (height - 7) // 3)
            first = min(self.neurons()[self.selected][0], len(snap.health) - fit)
            shown = range(max(0, first), max(0, first) + fit)
            lines.append(
                Text(
                    f"layers {shown.start}-{shown.stop - 1} of {len(snap.health)}: ↑↓ others", "dim"
                )
            )
        for li in shown:
            health = snap.health[li]
            line = Text(f"layer{li} ", "bold").append(f"{len(health.dead)} neurons · ")
            flags = flags_text(health, self.app.size.width - len(line))
            line.append(
                flags or f"none dead or saturated on {DEAD_SHARE:.0%} of the data",
                "bold red" if flags and not no_color else "",
            )
            line.truncate(self.app.size.width)
            lines.append(line)
            lines.append(histogram_line("act", health.activations, no_color))
            lines.append(histogram_line("grad", health.gradients, no_color))
        room = height - len(lines) - 1
        if room >= 3:
            lines.append(Text("update / data per layer (log10; digit = layer, · = 1e-3)", "bold"))
            if room >= 4 and snap.ratios:  # a row spans 3/4 of a decade or more: the numbers
                lines.append(ratios_line(snap.ratios[-1], self.app.size.width))
                room -= 1
            lines.extend(ratio_plot(snap.ratios, max(10, self.app.size.width - 7), min(room, 9)))
        return Text("\n").join(lines)

    # ------------------------------------------------------------ keys

    def watch_selected(self) -> None:
        self.show()

    def watch_enlarged(self) -> None:
        self.show()

    def watch_showing_health(self) -> None:
        self.show()

    def action_select(self, by: int) -> None:
        count = len(self.neurons())
        if count:
            self.selected = min(count - 1, max(0, self.selected + by))

    def action_select_row(self, by: int) -> None:
        """A row of tiles up or down; in the health, the next layer's first neuron."""
        if not self.showing_health:
            self.action_select(by * self.grid()[0])
            return
        neurons = self.neurons()
        if neurons:
            layer = min(max(0, neurons[self.selected][0] + by), neurons[-1][0])
            self.selected = neurons.index((layer, 0))

    def action_page(self, by: int) -> None:
        self.action_select(by * self.per_page)

    def action_enlarge(self) -> None:
        self.showing_health = False
        self.enlarged = not self.enlarged and bool(self.neurons())

    def action_health(self) -> None:
        self.showing_health = not self.showing_health

    def action_close(self) -> None:
        self.dismiss()


__all__ = ["NeuronsScreen"]
