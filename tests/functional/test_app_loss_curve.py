"""The loss curve: a log axis labelled in plain numbers, no crash on inf or nan, drawn by a
thread after the frame."""

from __future__ import annotations

import math

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

from micrograd.run import Record
from tests.pilot_helpers import wait_until
from tui.widgets import LossCurve
from tui.widgets.loss_curve import thin, y_label, y_ticks


class CurveHost(App[None]):
    def compose(self) -> ComposeResult:
        yield LossCurve(id="loss")


def records(losses: list[float]) -> list[Record]:
    return [Record(k, loss, 0.5, loss, 0.5) for k, loss in enumerate(losses)]


def y_labels(text: str) -> dict[str, int]:
    """Each y label of a drawn curve and its row."""
    return {
        line.split("┤")[0].strip(): i for i, line in enumerate(text.splitlines()) if "┤" in line
    }


async def test_the_loss_axis_is_logarithmic_with_decade_labels() -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([5.0 * 0.9**k for k in range(93)])  # 5 down to ~0.0003
        await wait_until(pilot, lambda: curve.drawn)
        rows = y_labels(curve.drawing.text.plain)
        # the ends are the largest and smallest loss drawn; whole decades between them
        assert list(rows) == ["5.00", "1", "0.1", "0.01", "0.001", "3.1e-4"], rows
        # equal decades get equal heights: a log axis, not a linear one
        gaps = [rows["0.1"] - rows["1"], rows["0.01"] - rows["0.1"], rows["0.001"] - rows["0.01"]]
        assert max(gaps) - min(gaps) <= 1 and min(gaps) > 0
        # the first loss is drawn on the top label's row, the last on the bottom's
        lines = curve.drawing.text.plain.splitlines()
        assert lines[rows["5.00"]].split("┤")[1].strip()[0] != " "
        assert lines[rows["3.1e-4"]].split("┤")[1].rstrip()[-1] != " "


@pytest.mark.parametrize(
    ("losses", "top", "bottom"),
    [
        ([1.0684, 1.0122], "1.07", "1.01"),  # the tutorial's first two steps
        ([1.0684, 0.0002], "1.07", "2.0e-4"),
        ([1.0684, 1.0664], "1.068", "1.066"),  # both read 1.07 (--hidden 16,16 --n 1000)
    ],
)
async def test_a_short_panel_labels_the_largest_and_smallest_loss(
    losses: list[float], top: str, bottom: str
) -> None:
    """The loss panel at 80x24 has two rows: labelled with the two decades that happened
    to fall on them, the first step read as a loss of 10 and the next as 0.1."""
    app = CurveHost()
    async with app.run_test(size=(40, 5)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records(losses)
        await wait_until(pilot, lambda: curve.drawn)
        assert list(y_labels(curve.drawing.text.plain)) == [top, bottom]


async def test_the_curve_keeps_its_left_edge_as_the_loss_falls() -> None:
    """The labels' width changed with the loss (0.0001, then 1e-05): the curve moved."""
    app = CurveHost()
    async with app.run_test(size=(40, 8)) as pilot:
        curve = app.query_one(LossCurve)
        edges = set()
        for last in (1.0, 0.5, 0.05, 0.0002, 1e-5, 3e-7):
            curve.history = records([2.0, last])
            await wait_until(pilot, lambda: curve.drawn)
            text = curve.drawing.text.plain
            edges |= {line.index("┤") for line in text.splitlines() if "┤" in line}
        assert len(edges) == 1, edges


def test_y_labels_take_six_columns_and_round_honestly() -> None:
    for loss, shown in [
        (12345, "1.2e4"),
        (123.4, "123"),
        (12.34, "12.3"),
        (1.0684, "1.07"),
        (0.9999, "1.00"),
        (0.152, "0.152"),
        (0.0152, "0.0152"),
        (0.00143, "0.0014"),
        (0.000143, "1.4e-4"),
    ]:
        assert y_label(math.log10(loss), end=True) == shown.rjust(6)
    for decade, shown in [(-5, "1e-5"), (-3, "0.001"), (0, "1"), (2, "100"), (5, "1e5")]:
        assert y_label(decade, end=False) == shown.rjust(6)


def test_decades_too_close_to_a_label_are_left_out() -> None:
    low, high = math.log10(0.003), math.log10(1.5)
    assert y_ticks(low, high, rows=2) == [low, high]  # two rows: the ends only
    assert y_ticks(low, high, rows=40) == [low, -2, -1, 0, high]  # room for every decade
    # on 20 rows, 1 (0) is 1.2 rows below 1.5: too close to its label
    assert y_ticks(low, high, rows=20) == [low, -2, -1, high]


@pytest.mark.parametrize("last", [0, 1, 11, 4837])
async def test_the_step_axis_is_labelled_in_whole_steps(last: int) -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([0.9**k for k in range(last + 1)])
        await wait_until(pilot, lambda: curve.drawn)
        lines = curve.drawing.text.plain.splitlines()
        below = lines[next(i for i, line in enumerate(lines) if "└" in line) + 1]
        labels = below.split()
        assert labels[0] == "0" and labels[-1] == str(max(last, 1))
        assert all(label.isdigit() for label in labels), labels  # no "5.5" steps


async def test_inf_nan_and_zero_losses_are_skipped_not_fatal() -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([1.0, 0.5, math.inf, math.nan, 0.0, 0.25])
        await wait_until(pilot, lambda: curve.drawn)
        assert "┤" in curve.drawing.text.plain


async def test_the_curve_is_drawn_by_a_thread_after_the_frame() -> None:
    app = CurveHost()
    async with app.run_test(size=(60, 20)) as pilot:
        curve = app.query_one(LossCurve)
        await wait_until(pilot, lambda: curve.drawn)
        curve.history = records([1.0, 0.5, 0.25])
        assert not curve.drawn  # asked for, not drawn on the event loop
        await wait_until(pilot, lambda: curve.drawn)
        assert "┤" in curve.drawing.text.plain
        assert len(curve.lines()) == curve.size.height


@pytest.mark.parametrize(("size", "why"), [((40, 4), "too short"), ((12, 10), "too narrow")])
async def test_a_panel_too_small_for_a_curve_says_so(size: tuple[int, int], why: str) -> None:
    """At 80x23 the loss panel is a row short of a curve: it showed an empty box."""
    app = CurveHost()
    async with app.run_test(size=size) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([1.0, 0.5, 0.25])
        await wait_until(pilot, lambda: curve.drawn)
        assert tuple(curve.size) == size
        rows = [curve.render_line(y).text for y in range(curve.size.height)]
        assert [row.strip() for row in rows if row.strip()] == [why]
        assert all(len(row) == size[0] for row in rows)


def test_thin_keeps_the_ends_and_at_most_that_many() -> None:
    rs = records([1.0] * 1000)
    kept = thin(rs, 50)
    assert 50 // 4 <= len(kept) <= 50 and kept[0] is rs[0] and kept[-1] is rs[-1]


def curve_colours(text: Text) -> dict[str, int]:
    """How many of the curve's glyphs (braille cells) each ANSI colour draws."""
    names = {6: "cyan", 5: "magenta"}  # TRAIN_COLOR, VAL_COLOR
    counts: dict[str, int] = {}
    for span in text.spans:
        color = span.style.color if isinstance(span.style, Style) else None
        name = names.get(color.number) if color is not None else None
        glyphs = sum("\u2800" <= c <= "\u28ff" for c in text.plain[span.start : span.end])
        if name and glyphs:
            counts[name] = counts.get(name, 0) + glyphs
    return counts


async def test_the_training_curve_is_drawn_over_validation_where_they_coincide() -> None:
    """At 80x24 the two losses share most cells: the validation curve, drawn last, hid
    the training curve (1 cell of 25 showed it after 886 steps)."""
    app = CurveHost()
    async with app.run_test(size=(40, 12)) as pilot:
        curve = app.query_one(LossCurve)
        curve.history = records([1.1 * 0.97**k for k in range(60)])  # val = train
        await wait_until(pilot, lambda: curve.drawn)
        colours = curve_colours(curve.drawing.text)
        assert colours.get("cyan", 0) > 10 and "magenta" not in colours, colours
        # where validation parts from training, it shows
        parted = [Record(k, 1.1 * 0.97**k, 0.5, 1.1 * 0.99**k, 0.5) for k in range(60)]
        curve.history = parted
        await wait_until(pilot, lambda: curve.drawn)
        colours = curve_colours(curve.drawing.text)
        assert colours.get("cyan", 0) > 10 and colours.get("magenta", 0) > 5, colours


def test_a_late_adamw_spike_keeps_its_column_and_height_between_redraws() -> None:
    """The default run's loss falls to ~1e-6 and jumps back to ~0.1 at step 2812: drawn
    again after every step, the spike stays one cell, where its step and loss put it."""
    from tui.widgets.loss_curve import CurveCanvas, draw, thin
    from tui.widgets.plotting import PlotTheme

    spike_step = 2812
    losses = [max(1.05 * 0.995**k, 1e-6) for k in range(3000)]
    losses[spike_step] = 0.1
    history = records(losses)
    width, height = 32, 14  # the curve at 80x24 with no side panel: 10 rows of plot
    canvas = CurveCanvas(width, height, PlotTheme((0, 0, 0), (255, 255, 255)), True, True, Style())
    cells = []
    for last in range(spike_step + 1, 3000, 7):
        text = draw(canvas, thin(history[: last + 1], 2 * width)).plain.splitlines()
        top = next(i for i, line in enumerate(text) if "┌" in line)
        left = text[top].index("┌") + 1
        plot = [line[left:-1] for line in text[top + 1 : top + 1 + height - 5]]
        cols = len(plot[0])
        late = int(2000 / last * (cols - 1)) + 1  # right of step 2000 all else is < 1e-4
        rows_drawn = [
            (i, c) for i, line in enumerate(plot) for c in range(late, cols) if line[c] != " "
        ]
        row, col = min(rows_drawn)  # the highest cell drawn late in the run: the spike
        expected_col = spike_step / last * (cols - 1)
        assert abs(col - expected_col) <= 1, (last, col, expected_col)
        cells.append((row, col))
    rows = {row for row, _ in cells}
    assert len(rows) == 1, rows  # the same height in every redraw
    assert all(abs(a[1] - b[1]) <= 1 for a, b in zip(cells, cells[1:]))
