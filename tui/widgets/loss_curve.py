"""The loss curve: training and validation loss over the steps so far."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from tui.messages import Record

TRAIN_COLOR, VAL_COLOR = 6, 5
"""Plotext colour codes: ANSI cyan for training, magenta for validation."""

MIN_SIZE = (16, 5)


def thin(records: Sequence[Record], most: int) -> list[Record]:
    """At most `most` records, evenly spaced, always keeping the first and the last."""
    if len(records) <= most:
        return list(records)
    stride = (len(records) - 1) / (most - 1)
    return [records[round(i * stride)] for i in range(most)]


def positive(x: float) -> bool:
    """A loss that a log axis can show: finite and above zero."""
    return math.isfinite(x) and x > 0


class LossCurve(PlotextPlot):
    """Train and validation loss against step, from the app's history."""

    history: reactive[Sequence[Record]] = reactive((), always_update=True)
    """Every step's record so far, step 0 first."""

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
            return Text("")
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)  # as PlotextPlot.render does: see its comment
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        records = thin(self.history, 2 * width)
        # A diverging run can report inf or nan: plot only the finite values. The loss is
        # drawn on a log axis (log10, labelled in plain numbers): it falls by orders of
        # magnitude, and on a linear axis it hugs the bottom after a few dozen steps.
        train = [(r.step, math.log10(r.train_loss)) for r in records if positive(r.train_loss)]
        val = [(r.step, math.log10(r.val_loss)) for r in records if positive(r.val_loss)]
        if train or val:
            logs = [y for _, y in train + val]
            low, high = math.floor(min(logs)), math.ceil(max(logs))
            if high - low < 1:
                high = low + 1
            plt.xlim(0, max(records[-1].step, 1))
            plt.ylim(low, high)
            decades = list(range(low, high + 1))
            step = max(1, math.ceil(len(decades) / (2 if height < 12 else 4)))
            shown = decades[::step]
            plt.yticks(shown, [f"{10.0**k:g}" for k in shown])
            no_color = self.app.no_color  # then the curves differ by marker, not colour
            for series, color, marker in (
                (train, TRAIN_COLOR, "braille"),
                (val, VAL_COLOR, "•" if no_color else "braille"),
            ):
                if series:
                    steps, losses = zip(*series)
                    plt.plot(
                        list(steps),
                        list(losses),
                        marker=marker,
                        color="default" if no_color else color,
                    )
        plt.xfrequency(3)
        return Text.from_ansi(plt.build(), no_wrap=True, end="")


def legend(no_color: bool = False) -> Text:
    """Names the two curves (the border subtitle of the panel)."""
    if no_color:
        return Text("━ train  • val")
    return Text.assemble(("━ train", "cyan"), "  ", ("━ val", "magenta"))


__all__ = ["LossCurve", "legend", "thin"]
