"""The app at each terminal size and after a resize: every panel, hint and message fits
the size, and no frame is laid out for an old one."""

from __future__ import annotations

import pytest
from textual.screen import Screen
from textual.widgets import Static

from micrograd.training import Config
from tests.pilot_helpers import SIZE, settle, step, wait_until
from tui.app import MicrogradApp
from tui.widgets import ClassView, LossCurve

SHORT, TALL = SIZE, (130, 44)


def hints(app: MicrogradApp) -> dict[str, str]:
    """The `v` hint on each slot panel's bottom edge."""
    return {name: str(app.query_one(f"#{name}").border_subtitle) for name in app_slots()}


def app_slots() -> tuple[str, ...]:
    return ("probe", "classes", "model")


def message(app: MicrogradApp) -> str:
    return str(app.query_one("#message", Static).render())


async def test_growing_tall_shows_the_class_view_with_the_current_step() -> None:
    """Grown from 80x24 to a tall terminal the class view appeared, but the worker was
    never asked for it: it kept step 0's matrix while the step count went on."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SHORT) as pilot:
        await step(pilot, app)
        await pilot.resize_terminal(*TALL)
        await settle(pilot)
        view = app.query_one(ClassView)
        assert view.display and view.region.height > 0
        await wait_until(pilot, lambda: view.snapshot is not None and view.snapshot.step == 1)
        for _ in range(2):
            await step(pilot, app)
        await wait_until(pilot, lambda: view.snapshot is not None and view.snapshot.step == 3)
        assert hints(app) == {name: "" for name in app_slots()}  # all shown: nothing to cycle


async def test_shrinking_back_names_the_next_panel_again() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=TALL) as pilot:
        await settle(pilot)
        assert hints(app) == {name: "" for name in app_slots()}
        await pilot.resize_terminal(*SHORT)
        await settle(pilot)
        assert hints(app)["probe"] == "v classes"
        await step(pilot, app)  # the class view, hidden again, is no longer computed
        assert "classes" not in app.session.open_views


@pytest.mark.parametrize(("start", "end"), [((60, 20), (100, 30)), ((100, 30), (60, 20))])
async def test_the_paused_hint_is_reworded_for_the_new_width(
    start: tuple[int, int], end: tuple[int, int]
) -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=start) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(*end)
        await settle(pilot)
        shown = message(app)
        line = app.query_one("#message", Static)
        assert len(shown) <= line.content_size.width
        full = "space trains, s takes one step, r resets, ? explains."
        assert (full in shown) == (end[0] >= 80), shown


async def test_no_layout_after_a_resize_uses_the_old_sizes_classes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Textual lays a screen out for its new size before it sets the new size's classes:
    one frame showed the old layout at the new size (e.g. a 34-column side column and
    only three panels at 130x44)."""
    widths: list[tuple[int, int]] = []
    refresh_layout = Screen._refresh_layout

    def recording(self: Screen, *args: object, **kwargs: object) -> None:
        refresh_layout(self, *args, **kwargs)
        if isinstance(self.app, MicrogradApp) and self is self.app.screen_stack[0]:
            widths.append((self.size.width, self.query_one("#side").region.width))

    monkeypatch.setattr(Screen, "_refresh_layout", recording)
    app = MicrogradApp(Config())
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        for size in (TALL, SHORT, TALL):
            await pilot.resize_terminal(*size)
            await settle(pilot)
    expected = {SHORT[0]: 34, TALL[0]: 56}
    assert {w for w, _ in widths} == set(expected)
    assert all(side == expected[w] for w, side in widths), widths


@pytest.mark.parametrize("size", [(60, 20), (80, 23)])
async def test_a_cramped_terminal_keeps_the_loss_curve_whole(size: tuple[int, int]) -> None:
    """Under 24 rows the probe panel left the loss curve no room: at 60x20 the loss panel
    was cut off at the bottom and said "too short"; at 80x23 it was a row short."""
    app = MicrogradApp(Config())
    async with app.run_test(size=size) as pilot:
        await step(pilot, app)
        side = [w.id for w in app.query("#side > *") if w.display]
        assert side == ["metrics", "loss"]
        loss = app.query_one("#loss")
        assert loss.region.bottom <= app.query_one("#main").region.bottom
        curve = app.query_one(LossCurve)
        assert len(curve.lines()) == curve.size.height
        assert "┤" in curve.drawing.text.plain  # a curve with its axis, not "too short"
        assert hints(app) == {name: "" for name in app_slots()}
        await pilot.press("v")
        assert "24 rows" in message(app)
        assert [w.id for w in app.query("#side > *") if w.display] == side


async def test_v_in_a_tall_terminal_says_every_panel_is_shown() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=TALL) as pilot:
        await settle(pilot)
        await pilot.press("v")
        assert "all shown" in message(app)
        assert app.slot == "probe"


def footer_shown(app: MicrogradApp) -> list[str]:
    """The keys the footer shows, each checked to be whole on screen."""
    from textual.widgets._footer import FooterKey

    shown = [k for k in app.screen.query(FooterKey) if k.display]
    for key in shown:
        text = f"{key.key_display} {key.description}"
        assert key.region.right <= app.screen.size.width, (text, key.region)
        assert key.region.width >= len(text), (text, key.region)
    return [k.key_display for k in shown]


EVERY_KEY = ["space", "?", "q", "s", "r", "w", "g", "p", "c"]


async def test_a_narrow_footer_shows_whole_keys_only() -> None:
    """From 60 to 77 columns the footer's last key was cut off mid-word ("g Grap")."""
    app = MicrogradApp(Config())
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        assert footer_shown(app) == ["space", "?", "q", "s", "r", "w"]  # 60 columns exactly
        await pilot.resize_terminal(61, 20)  # and g Graph in 61 (no blank after the last)
        await settle(pilot)
        assert footer_shown(app) == EVERY_KEY[:7]
        await pilot.resize_terminal(*SHORT)
        await settle(pilot)
        assert footer_shown(app) == EVERY_KEY
        await pilot.resize_terminal(70, 20)
        await settle(pilot)
        assert footer_shown(app) == EVERY_KEY[:8]


@pytest.mark.parametrize("key", ["g", "p", "c", "question_mark"])
async def test_a_view_footer_at_60_columns_shows_whole_keys(key: str) -> None:
    from textual.widgets._footer import FooterKey

    app = MicrogradApp(Config())
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause(0.3)
        assert footer_shown(app)[0] == "esc"  # back to the main screen's keys
        hidden = [k for k in app.screen.query(FooterKey) if not k.display]
        assert all(k.region.width == 0 for k in hidden)


def legend_fits(app: MicrogradApp, numbered: bool) -> None:
    box = app.query_one("#plot-box")
    shown = box._border_subtitle.plain  # the Content Textual draws (the property gives markup)
    assert len(shown) <= box.region.width - 6, shown  # corners, lines, spaces
    assert all(mark in shown for mark in ("o", "x", "+", "wrong")), shown
    assert ("2" in shown) == numbered, shown


LEGENDS = [((60, 20), False), (SHORT, True), (TALL, True)]


@pytest.mark.parametrize(("size", "numbered"), LEGENDS)
async def test_the_plot_legend_fits_its_frame(size: tuple[int, int], numbered: bool) -> None:
    """At 60 columns the legend was cut to `o ██ 0  x ██ 1  + …`: class 2 and the mark of
    a wrong prediction were lost. Narrow, it drops the class numbers instead."""
    app = MicrogradApp(Config())
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        legend_fits(app, numbered)


@pytest.mark.parametrize(("size", "numbered"), LEGENDS)
async def test_the_plot_legend_fits_its_frame_after_a_resize(
    size: tuple[int, int], numbered: bool
) -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=TALL if size == SHORT else SHORT) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(*size)
        await settle(pilot)
        legend_fits(app, numbered)


def title_of(app: MicrogradApp, name: str) -> str:
    widget = app.screen.query_one(f"#{name}-title")
    text = str(widget.render())
    assert len(text) <= widget.content_region.width, text  # whole, not cut
    return text


@pytest.mark.slow
async def test_view_titles_at_60_columns_keep_what_matters() -> None:
    """At 60 columns the views' titles were cut at the end: the parameters view lost
    whose grads it shows, the gradient check its sort order, the graph its node count
    (leaving a dangling ·)."""
    app = MicrogradApp(Config())
    async with app.run_test(size=(60, 20)) as pilot:
        await step(pilot, app)
        await pilot.press("p", "d")
        await wait_until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None)
        await pilot.pause(0.1)
        assert title_of(app, "params").endswith("|grad| first · grads: step 1's")
        await pilot.press("escape", "c")
        await wait_until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None)
        await pilot.press("e")
        await pilot.pause(0.1)
        assert title_of(app, "gradcheck").endswith("· worst first")
        await pilot.press("escape", "g")
        await wait_until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None)
        await pilot.pause(0.1)
        title = title_of(app, "graph")
        assert "loss +" in title and not title.endswith("·"), title
        await pilot.resize_terminal(*SHORT)  # room again: the longest wording comes back
        await pilot.pause(0.2)
        assert title_of(app, "graph").endswith(" nodes")


@pytest.mark.parametrize(
    ("said_at", "then", "kept_at"),
    [((80, 22), (80, 30), (70, 23)), ((80, 42), (80, 30), (100, 45))],
)
async def test_what_v_said_of_the_panels_goes_when_a_resize_makes_it_untrue(
    said_at: tuple[int, int], then: tuple[int, int], kept_at: tuple[int, int]
) -> None:
    """v says "no room" under 24 rows and "all shown" from 40; at 80x30, one panel in
    the slot, neither is true: the paused hint replaces it. A resize that keeps it true
    (another width) keeps it."""
    app = MicrogradApp(Config())
    async with app.run_test(size=said_at) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        said = message(app)
        assert "No room" in said or "all shown" in said
        await pilot.resize_terminal(*kept_at)
        await pilot.pause(0.1)
        assert message(app) == said
        await pilot.resize_terminal(*then)
        await pilot.pause(0.1)
        assert message(app).startswith("Paused at step 0."), message(app)
