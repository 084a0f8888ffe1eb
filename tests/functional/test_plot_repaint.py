"""The plots send what changed: a new drawing repaints only the lines (and columns) that
differ from the lines shown, and nothing when it equals them."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip

from tui.widgets.plotting import ThreadDrawnPlot, changed_span

WIDTH, HEIGHT = 12, 3
RED, GREEN = Style(color="red"), Style(color="green")


@dataclass(frozen=True)
class Canvas:
    width: int
    height: int


@dataclass(frozen=True)
class Drawing:
    canvas: Canvas
    lines: list[Strip]


def drawing(*rows: list[tuple[str, Style]]) -> Drawing:
    lines = [Strip([Segment(text, style) for text, style in row]) for row in rows]
    return Drawing(Canvas(WIDTH, HEIGHT), lines)


class Plot(ThreadDrawnPlot):
    DEFAULT_CSS = f"Plot {{ width: {WIDTH}; height: {HEIGHT}; }}"

    def job(self) -> None:
        return None  # the tests hand it drawings

    def lines_of(self, drawing: Drawing) -> list[Strip]:
        return drawing.lines


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Plot()


def present(plot: Plot, d: Drawing) -> None:
    """Show d as if the drawing thread had just drawn it for the latest request."""
    plot._requested += 1
    plot.show(ThreadDrawnPlot.Drawn(plot._requested, d))


FIRST = drawing(
    [("████", RED), ("████████", GREEN)],
    [("████████", RED), ("████", GREEN)],
    [(" 0┤", None), ("█████████", GREEN)],
)


def spy(plot: Plot, monkeypatch) -> list[tuple[Region, ...]]:
    calls: list[tuple[Region, ...]] = []
    real = plot.refresh

    def refresh(*regions: Region, **kwargs):
        calls.append(regions)
        return real(*regions, **kwargs)

    monkeypatch.setattr(plot, "refresh", refresh)
    return calls


async def test_an_unchanged_drawing_repaints_nothing(monkeypatch) -> None:
    async with Host().run_test(size=(40, 10)) as pilot:
        plot = pilot.app.query_one(Plot)
        await pilot.pause()
        present(plot, FIRST)
        await pilot.pause()
        calls = spy(plot, monkeypatch)
        same = drawing(  # equal lines, made anew (as each drawing makes them)
            [("████", RED), ("████████", GREEN)],
            [("████████", RED), ("████", GREEN)],
            [(" 0┤", None), ("█████████", GREEN)],
        )
        present(plot, same)
        await pilot.pause()
        assert calls == []
        assert plot.drawing is same and plot.drawn


async def test_one_changed_line_repaints_only_its_changed_cells(monkeypatch) -> None:
    async with Host().run_test(size=(40, 10)) as pilot:
        plot = pilot.app.query_one(Plot)
        await pilot.pause()
        present(plot, FIRST)
        await pilot.pause()
        calls = spy(plot, monkeypatch)
        present(  # line 1: columns 6 and 7 turn green
            plot,
            drawing(
                [("████", RED), ("████████", GREEN)],
                [("██████", RED), ("██████", GREEN)],
                [(" 0┤", None), ("█████████", GREEN)],
            ),
        )
        await pilot.pause()
        assert calls == [(Region(6, 1, 2, 1),)]
        assert plot.render_line(1).text == "█" * 12


async def test_a_first_drawing_and_a_new_size_repaint_the_whole_plot(monkeypatch) -> None:
    async with Host().run_test(size=(40, 10)) as pilot:
        plot = pilot.app.query_one(Plot)
        await pilot.pause()
        calls = spy(plot, monkeypatch)
        present(plot, FIRST)
        assert calls == [()]


def test_changed_span() -> None:
    a = Strip([Segment("ab", RED), Segment("cdef", GREEN)])
    assert changed_span(a, Strip([Segment("abcdef", RED)])) == (2, 6)
    assert changed_span(a, Strip([Segment("ab", RED), Segment("cXef", GREEN)])) == (3, 4)
    assert (
        changed_span(a, Strip([Segment("a", RED), Segment("b", RED), Segment("cdef", GREEN)]))[1]
        == 0
    )  # the same cells, split differently: nothing to repaint
    wide = Strip([Segment("ab", RED), Segment("字f", GREEN)])
    assert changed_span(a, wide) == (0, 6)  # a wide character: the whole line
