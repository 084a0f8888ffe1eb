"""The inside views wired into the real app at 80x24: started paused and driven with `s`,
so every number is compared exactly with the library's for the same seed."""

from __future__ import annotations

import math
import time

import pytest
from textual import events
from textual.pilot import Pilot

from micrograd.introspect import confusion_matrix, sample_graph
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui.app import MicrogradApp
from tui.screens import GradCheckScreen, GraphScreen, ParamTableScreen
from tui.screens.help import HelpScreen
from tui.screens.neurons import NeuronsScreen
from tui.snapshots import TOLERANCE
from tui.widgets import BoundaryPlot, ClassView, ProbePanel
from tui.widgets.metrics import MetricsPanel
from tui.widgets.probe import in_cell, next_centre


def trained(steps: int) -> Trainer:
    trainer = Trainer(Config())
    for _ in range(steps):
        trainer.step()
    return trainer


async def test_g_shows_the_first_samples_graph_and_follows_each_step() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        (x, y), target = app.trainer.train_split[0]
        nodes = sample_graph(Trainer(Config()), (x, y), target)
        assert len(screen.snapshot.nodes) == len(nodes) == 159
        assert screen.snapshot.nodes == tuple(nodes)
        deep = screen.path_of("layer0.neuron0.w0")
        assert deep is not None
        node = screen._by_path[deep]
        while node.parent is not None:  # open the way down to a first-layer weight
            node.parent.expand()
            node = node.parent
        await pilot.pause()
        screen.tree.move_cursor(screen._by_path[deep])
        await pilot.pause()
        assert screen.tree.cursor_node is screen._by_path[deep]
        opened = {p for p, n in screen._by_path.items() if n.is_expanded}
        await step(pilot, app)
        assert app.screen is screen and screen.snapshot.step == 1
        expected = sample_graph(trained(1), (x, y), target)
        assert screen.snapshot.nodes == tuple(expected)
        assert screen.snapshot.nodes[-1].data != nodes[-1].data  # the loss moved
        assert f"{expected[-1].data:+.4f}" in screen.label_of(())
        assert {p for p, n in screen._by_path.items() if n.is_expanded} == opened
        assert screen.tree.cursor_node is screen._by_path[deep]
        await pilot.press("escape")
        assert not isinstance(app.screen, GraphScreen)
        assert "graph" not in app.session.open_views


async def test_the_graph_trees_lines_show_off_the_cursors_branch() -> None:
    """With ANSI colours Textual's guide colour is transparent, and Tree hides transparent
    guides: once the cursor left the root, the other branches' lines were blanks."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause(0.3)
        tree = app.screen.query_one("#graph-tree")
        await pilot.press("down")  # the cursor on log#156: the const's line is off its branch
        await pilot.pause(0.1)
        lines = [tree.render_line(y).text for y in range(4)]
        assert lines[1].startswith("├ ▼ log#156"), lines
        assert lines[2].startswith("│ └ "), lines
        assert lines[3].startswith("└ · const"), lines


async def test_p_lists_every_parameter_with_the_last_steps_grads() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ParamTableScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        assert screen.table.row_count == 51 == len(app.param_names)
        await step(pilot, app)
        await step(pilot, app)
        rows = screen.snapshot.rows
        assert screen.snapshot.step == 2
        assert [r.name for r in rows] == app.param_names
        assert [r.grad for r in rows] == app.trainer.last_grads
        assert [r.update for r in rows] == app.trainer.last_update
        assert [r.value for r in rows] == [p.data for p in app.trainer.model.parameters()]
        assert [r.m for r in rows] == list(app.trainer.optimizer.m)


async def test_c_checks_every_gradient_against_central_differences() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        snap = screen.snapshot
        assert snap.step == 1 and len(snap.checks) == 51
        assert snap.worst is not None and snap.worst.rel_error < TOLERANCE
        assert not snap.flagged
        await step(pilot, app)  # a single step refreshes it at once
        assert screen.snapshot.step == 2
        await pilot.press("p")  # another view replaces it
        assert isinstance(app.screen, ParamTableScreen)
        assert len(app.screen_stack) == 2
        await settle(pilot)
        assert app.session.open_views == {"params"}


@pytest.mark.slow
async def test_the_probe_shows_the_library_probabilities_at_the_crosshair() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        probe = app.query_one(ProbePanel)
        plot = app.query_one(BoundaryPlot)
        centre = (-2 + 4 * 20 / 39, 0.0)  # of the cell (0, 0) is drawn in: 40 x 17 cells
        assert probe.cursor == pytest.approx(centre) and plot.cursor == probe.cursor
        await pilot.press("right", "right", "l", "up", "k", "down", "h")
        await pilot.pause()
        cols, rows = plot.canvas_size
        x, y = probe.cursor
        start = drawn_cell(plot, (0.0, 0.0))
        assert drawn_cell(plot, (x, y)) == (start[0] + 2, start[1] + 1)
        assert x == pytest.approx(-2 + 4 * (start[0] + 2) / (cols - 1))  # a cell's centre
        assert plot.cursor == probe.cursor
        assert probe.probabilities() == app.trainer.probabilities([x, y])
        assert probe.predicted() == app.trainer.predict([x, y])
        await pilot.press(*["left"] * 40)
        assert probe.cursor[0] == -2.0  # clamped to the plot
        await step(pilot, app)  # the probe follows the new weights
        assert probe.probabilities() == app.trainer.probabilities(list(probe.cursor))


def drawn_cell(plot: BoundaryPlot, point: tuple[float, float]) -> tuple[int, int]:
    """The (column, row from the bottom) of the plot cell where point is drawn."""
    import numpy as np

    from tui.palette import to_cells

    ((c, r),) = to_cells(np.array([point]), *plot.canvas_size).tolist()
    return c, r


async def test_the_crosshair_shows_on_a_wrong_point() -> None:
    """On a misclassified (reversed) point the crosshair reversed it back: only an
    underline was left to find it by."""
    from tui.palette import ON_POINT_STYLE, POINT_MARKERS

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        probe, plot = app.query_one(ProbePanel), app.query_one(BoundaryPlot)
        wrong = [
            (x, y) for (x, y), k in app.trainer.train_split if app.trainer.predict([x, y]) != k
        ]
        probe.cursor = tuple(wrong[0])
        await settle(pilot)
        cols, rows = plot.canvas_size
        c, r = drawn_cell(plot, probe.cursor)
        left, _, top, _ = plot.drawing.box
        line = plot.render_line(top + rows - 1 - r)
        cells = [(ch, seg.style) for seg in line for ch in seg.text]
        glyph, style = cells[left + c]
        assert glyph in POINT_MARKERS  # the point stays readable
        assert style.bgcolor == ON_POINT_STYLE.bgcolor and not style.reverse, style


async def test_each_arrow_moves_the_crosshair_one_drawn_cell() -> None:
    """From (0, 0), between two columns at 80x24, the first press skipped a column."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        probe = app.query_one(ProbePanel)
        plot = app.query_one(BoundaryPlot)
        cols, rows = plot.canvas_size
        assert cols % 2 == 0  # so 0 lies between two columns: the case that skipped
        for key, (dc, dr) in (("left", (-1, 0)), ("right", (1, 0)), ("up", (0, 1))):
            await pilot.press("r")  # back to (0, 0)
            await settle(pilot)
            probe.cursor = (0.0, 0.0)
            cells = [drawn_cell(plot, probe.cursor)]
            for _ in range(5):
                await pilot.press(key)
                cells.append(drawn_cell(plot, probe.cursor))
            steps = {(b[0] - a[0], b[1] - a[1]) for a, b in zip(cells, cells[1:])}
            assert steps == {(dc, dr)}, (key, cells)


async def on_sample(pilot: Pilot, app: MicrogradApp, i: int) -> tuple[float, float, int]:
    """After one step, the crosshair on training sample i: its x, y and class."""
    await step(pilot, app)
    (px, py), label = app.trainer.train_split[i]
    app.query_one(ProbePanel).cursor = (px, py)
    return px, py, label


async def test_enter_selects_a_sample_and_g_explains_it() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        px, py, label = await on_sample(pilot, app, 7)
        probe = app.query_one(ProbePanel)
        await pilot.press("enter")
        assert app.session.sample.index == 7 and app.session.sample.point == (px, py)
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        assert screen.snapshot.point == (px, py) and screen.snapshot.target == label
        assert screen.snapshot.nodes == tuple(sample_graph(trained(1), (px, py), label))
        await pilot.press("escape")
        probe.cursor = (1.9, -1.9)  # no data there: a probe point, labelled with 2
        await pilot.press("enter", "2")
        corner = (-2 + 4 * 38 / 39, -2.0)  # that cell's centre: the probe point is there
        assert probe.cursor == pytest.approx(corner)
        assert app.session.sample.index is None and app.session.sample.target == 2
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        assert screen.snapshot.point == probe.cursor and screen.snapshot.target == 2


def centre(v: float, step: float) -> float:
    """The centre of the plot cell v is drawn in."""
    return next_centre(next_centre(v, 1, step), -1, step)


async def test_enter_does_not_select_a_point_drawn_in_another_cell() -> None:
    """Enter on an empty cell selected a sample drawn two columns away: the reach was
    0.75 of a cell's height (0.19 at 80x24), nearly two cells' width."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        probe = app.main.fit_probe()
        w, h = probe.step, probe.step_y
        points = app.trainer.train_split
        for (px, py), _ in points:  # an empty cell two columns left, within 0.75 h
            x, y = next_centre(px, -2, w), centre(py, h)
            near = math.dist((px, py), (x, y)) <= 0.75 * max(w, h)
            if near and x > -2 and in_cell(points, x, y, w, h) is None:
                break
        else:
            pytest.fail("no such point in the data")
        probe.cursor = (x, y)
        await pilot.press("enter")
        sample = app.session.sample
        assert sample.index is None and sample.point == (x, y)  # a probe point
        probe.cursor = (centre(px, w), y)  # on the point's own cell
        await pilot.press("enter")
        assert app.session.sample.index == in_cell(points, *probe.cursor, w, h) is not None


async def test_a_probe_point_starts_as_the_model_sees_it_and_a_data_point_comes_back() -> None:
    """A new probe point took whatever class was pressed last (2, say), and a data point
    relabelled and then given its own class again stayed a probe point."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        _, _, label = await on_sample(pilot, app, 7)
        probe = app.query_one(ProbePanel)
        await pilot.press("enter", str((label + 1) % 3))
        assert app.session.sample.index is None  # relabelled: a probe point
        await pilot.press(str(label))
        sample = app.session.sample
        assert sample.index == 7 and sample.target == label  # sample #7 again
        probe.cursor = (1.9, -1.9)  # no data there
        await pilot.press("2", "enter")
        assert app.session.sample.index is None
        assert app.session.sample.target == app.trainer.predict([1.9, -1.9])


async def test_selecting_says_so_where_the_probe_panel_is_hidden() -> None:
    """At 60x20 the probe panel, which names the selected sample, is hidden: enter and
    0 1 2 changed nothing visible, and the line below still read "No room …"."""
    from tests.functional.test_app_resize import message

    app = MicrogradApp(Config())
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        assert not app.query_one(ProbePanel).region.height  # hidden
        probe = app.query_one(ProbePanel)
        (px, py), label = app.trainer.train_split[7]
        probe.cursor = (px, py)
        await pilot.press("enter")
        assert message(app).startswith(f"Selected sample #7 ({px:+.2f}, {py:+.2f})"), message(app)
        await pilot.press("2")
        assert message(app) == f"Selected probe point ({px:+.2f}, {py:+.2f}) + 2: g graphs it."
        await pilot.resize_terminal(130, 44)
        await settle(pilot)
        assert "0 1 2 change its class" in message(app)  # the whole wording where it fits


async def test_the_class_view_is_the_validation_confusion_matrix() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ClassView)
        assert not view.display or not view.region  # 80x24: the probe has the slot
        await pilot.press("v")
        await settle(pilot)
        assert app.slot == "classes" and view.region
        t = app.trainer
        assert [list(r) for r in view.snapshot.counts] == confusion_matrix(t, t.val_split)
        for _ in range(3):
            await step(pilot, app)
            assert view.snapshot.step == app.step_count
            assert [list(r) for r in view.snapshot.counts] == confusion_matrix(t, t.val_split)
        await pilot.press("v")
        await settle(pilot)
        assert app.slot == "model" and "classes" not in app.session.open_views


@pytest.mark.slow
async def test_views_refresh_while_training() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await pilot.press("space")
        await wait_until(pilot, lambda: screen.snapshot is not None and screen.snapshot.step >= 3)
        await pilot.press("space")
        await settle(pilot)
        assert screen.snapshot.step == app.step_count == app.trainer.step_count
        (x, y), target = app.trainer.train_split[0]
        assert screen.snapshot.nodes == tuple(sample_graph(app.trainer, (x, y), target))


async def test_reset_drops_the_views_stale_numbers() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ParamTableScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0)
        await settle(pilot)
        assert screen.snapshot.step == 0
        assert [r.grad for r in screen.snapshot.rows] == [None] * 51
        assert_no_step_shown(screen)


def assert_no_step_shown(screen: ParamTableScreen) -> None:
    """Grad and update read as dashes, not as +0.0000 (a step that moved nothing)."""
    table = screen.table
    columns = [str(c.label) for c in table.columns.values()]
    grad, update = columns.index("grad"), columns.index("update")
    for i in range(table.row_count):
        row = table.get_row_at(i)
        assert str(row[grad]) == str(row[update]) == "—", row
    title = str(screen.query_one("#params-title").render())
    assert "grad, update: — until a step" in title, title


async def open_params(pilot: Pilot, app: MicrogradApp) -> ParamTableScreen:
    """Press p once the app is idle; the parameters view with its first numbers."""
    await settle(pilot)
    await pilot.press("p")
    screen = app.screen
    assert isinstance(screen, ParamTableScreen)
    await wait_until(pilot, lambda: screen.snapshot is not None)
    return screen


async def test_p_before_the_first_step_shows_no_grads() -> None:
    """At step 0 every grad and update read +0.0000, and after --load too; c showed the
    real gradients meanwhile."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_params(pilot, app)
        assert_no_step_shown(screen)
        await step(pilot, app)
        await wait_until(pilot, lambda: screen.snapshot.step == 1)
        assert [r.grad for r in screen.snapshot.rows] == app.trainer.last_grads
        assert "grad, update: step 1's" in str(screen.query_one("#params-title").render())


async def test_p_after_loading_a_run_shows_no_grads(tmp_path) -> None:
    from micrograd.runs import load_run, save_run

    trainer = Trainer(Config())
    trainer.step()
    trainer.step()
    path = tmp_path / "run.json"
    save_run(path, trainer, [])
    loaded, history = load_run(path)
    app = MicrogradApp(loaded.config, trainer=loaded, history=history)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_params(pilot, app)
        assert screen.snapshot.step == 2
        assert_no_step_shown(screen)


async def test_a_long_gradient_check_shows_how_far_it_has_got(monkeypatch) -> None:
    """With a bigger model the check took seconds and its view said only "computing…"."""
    import tui.session
    from tui.screens.gradcheck import GradCheckScreen

    monkeypatch.setattr(tui.session, "PROGRESS_INTERVAL", 0.0)  # report every parameter
    shown: list[tuple[int, int]] = []
    show = GradCheckScreen.show_progress

    def record(self: GradCheckScreen, done: int, total: int, waits: float = 0.0) -> None:
        shown.append((done, total))
        show(self, done, total, waits)

    monkeypatch.setattr(GradCheckScreen, "show_progress", record)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        counted = [done for done, total in shown if total]
        assert counted and all(total == 51 for _, total in shown if total)
        assert counted == sorted(counted) and counted[-1] <= 51
        title = str(screen.query_one("#gradcheck-title").render())
        assert "computing" not in title  # the check itself replaced it


async def test_the_check_says_its_grads_are_the_next_steps_and_p_the_last_ones() -> None:
    """After 3 steps, c and p both said "step 3" but showed different gradients: c's are
    at the current weights (step 4 will use them), p's were taken before step 3."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await step(pilot, app)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        await pilot.pause(0.1)
        title = str(screen.query_one("#gradcheck-title").render())
        assert "at step 3's weights (step 4 uses these grads)" in title, title
        await pilot.press("e")  # the sort order still fits beside it at 80 columns
        await pilot.pause(0.1)
        title = str(screen.query_one("#gradcheck-title").render())
        assert title.endswith("(step 4 uses these grads) · worst first"), title


@pytest.mark.slow
async def test_slow_views_are_updated_less_often_while_training(monkeypatch) -> None:
    """A big model's views (hundreds of rows or tree nodes) were refreshed every 0.1 s:
    training slowed to a crawl and esc took over a second. Now a view's snapshots are
    spaced by twenty times what they cost (VIEW_SHARE)."""
    calls: list[float] = []
    fill = ParamTableScreen.update_snapshot

    def slow(self: ParamTableScreen, snapshot) -> None:  # a view that takes 50 ms to show
        calls.append(time.monotonic())
        busy = time.thread_time() + 0.05  # CPU time: what a view's cost is
        while time.thread_time() < busy:
            pass
        fill(self, snapshot)

    monkeypatch.setattr(ParamTableScreen, "update_snapshot", slow)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p", "space")
        await wait_until(pilot, lambda: app.step_count >= 5)
        start = time.monotonic()
        await pilot.pause(1.5)
        await pilot.press("space")
        recent = [t for t in calls if start <= t <= start + 1.5]
        assert len(recent) <= 4, len(recent)  # 0.05 s each: every 0.5 s or more, not 0.1


@pytest.mark.slow
async def test_a_gradient_check_too_long_for_training_waits_for_a_pause(monkeypatch) -> None:
    """With --hidden 16,16 --n 1000 a check takes ~30 s: run between two steps it stalled
    training, and its view said "computing…" all along."""
    import tui.session

    monkeypatch.setattr(tui.session, "CHECK_BUDGET", 0.0)  # every check is too long
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 3)
        await pilot.press("c")
        screen = app.screen
        title = screen.query_one("#gradcheck-title")
        await wait_until(pilot, lambda: "runs when training pauses" in str(title.render()))
        steps = app.step_count
        await wait_until(pilot, lambda: app.step_count > steps + 5)  # training goes on
        assert screen.snapshot is None
        await pilot.press("space")
        await wait_until(pilot, lambda: screen.snapshot is not None)  # checked at the pause
        assert screen.snapshot.step == app.step_count


@pytest.mark.slow
@pytest.mark.parametrize("keys", [("ctrl+c",), ("q", "q", "q")])
async def test_quit_while_training_with_the_gradient_check_open(keys: tuple[str, ...]) -> None:
    """ctrl+c quits from the view at once; q closes it, says the steps are unsaved, quits."""
    app = MicrogradApp(Config(n=1000))  # one check takes most of a second here
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 2)
        workers = list(app.workers)
        await pilot.press(*keys[:-1])
        started = time.monotonic()
        await pilot.press(keys[-1])
    assert time.monotonic() - started < 2.5
    assert app.return_code == 0
    assert all(w.is_finished for w in workers)


@pytest.mark.parametrize("key", ["g", "p", "c"])
async def test_every_key_of_a_view_footer_fits_80_columns(key: str) -> None:
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause(0.3)
        footer = app.screen.query_one(Footer)
        keys = list(footer.query(FooterKey))
        shown = {k.key for k in keys}
        assert {"escape", "s", "question_mark"} <= shown
        assert app.screen.active_bindings["q"].binding.action == "close"  # q closes, as esc
        assert all(k.region.width and k.region.right <= SIZE[0] for k in keys), [
            (k.key, k.region) for k in keys
        ]


@pytest.mark.slow
async def test_opening_and_closing_views_leaves_nothing_of_them_behind() -> None:
    # Every view opened or closed changes the main screen's bindings, and its footer
    # composes its keys again: the keys it replaced must go. And a closed view's widgets
    # must not stay reachable through Textual's drawing caches (their rendered lines).
    import gc

    from textual._styles_cache import StylesCache
    from textual.widgets._footer import FooterKey

    def removed_keys() -> int:
        gc.collect()
        return sum(isinstance(o, FooterKey) and not o.is_attached for o in gc.get_objects())

    def styles_caches() -> int:
        gc.collect()
        return sum(isinstance(o, StylesCache) for o in gc.get_objects())

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = len(app.query(FooterKey))

        async def open_and_close_each_view() -> None:
            for key in "gpc?":
                await pilot.press(key)
                await settle(pilot)
                await pilot.press("escape")
                await settle(pilot)

        await open_and_close_each_view()
        caches = styles_caches()
        for _ in range(8):
            await open_and_close_each_view()
        # 8 x 4 views recomposed the main footer (9 keys) 64 times and more: 576 keys
        assert removed_keys() < shown, "replaced footer keys are kept alive"
        # each view has tens of widgets, each with a StylesCache: 32 views' would be ~700
        assert styles_caches() - caches < 20, "closed views' widgets are kept alive"


async def test_a_view_opened_as_the_last_queued_step_ends_still_gets_its_numbers() -> None:
    """Opened between the worker's last views and its TrainingStopped (the app still
    'stepping'), the graph view waited for the next step, after a key flood."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: idle(app))
        app.state = "stepping"  # as the last step ends: its views posted, no worker left
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, GraphScreen))
        await wait_until(pilot, lambda: app.screen.snapshot is not None)


async def test_a_search_typed_in_one_burst_goes_to_the_search_not_the_keys(tmp_path) -> None:
    """Keys that reach the app in one read (typed fast, pasted, or bunched by a slow ssh
    link) after `/` are the query: `w` and `r` in it neither save nor reset the run."""
    app = MicrogradApp(Config(), save_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await step(pilot, app)
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        await settle(pilot)  # the tree built from it

        def burst(*keys: str) -> None:  # as the driver posts what one read brought
            for key in keys:
                char = {"slash": "/", "enter": "\r"}.get(key, key)
                app.post_message(events.Key(key, char))

        typed = "layer0.neuron2.w"
        burst("slash", *typed, "enter")
        search = screen.query_one("#graph-search")
        await wait_until(  # the whole burst handled: typed in, and the search ended
            pilot, lambda: screen.search_text == typed and not search.display
        )
        await settle(pilot)
        assert app.step_count == 3  # r did not reset
        assert list(tmp_path.iterdir()) == []  # w did not save
        assert len(screen.matches()) == 2  # w0, w1
        assert screen.tree.cursor_node in screen.matches()  # enter jumped to one


async def test_the_views_cadence_counts_drawing_them_not_only_handing_them_out(
    monkeypatch,
) -> None:
    """The neurons view's maps cost little to hand out and more to draw (Textual renders
    them after the handler): the worker spaces the views by both, up to the frame that
    shows them, so drawing them cannot take training's time unmeasured."""
    from textual.widgets import Static

    render = Static.render

    def slow_render(self: Static):  # the maps' drawing: 50 ms of CPU
        if self.id == "neurons-body":
            busy = time.thread_time() + 0.05
            while time.thread_time() < busy:
                pass
        return render(self)

    monkeypatch.setattr(Static, "render", slow_render)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, NeuronsScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None)
        await step(pilot, app)
        await wait_until(pilot, lambda: screen.snapshot.step == 1)
        await wait_until(pilot, lambda: app.session.view_show_cost >= 0.05)


async def test_nothing_is_drawn_under_a_view_and_all_of_it_when_it_closes() -> None:
    """While a full-screen view covers the main screen, its panels and plots keep what
    they showed (Textual would repaint the view over each change under it, and the plots
    are drawn in Python: that took training's time); closing the view shows the latest,
    as the last calls left it (here: paused, so no speed)."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        metrics, plot = app.main.query_one(MetricsPanel), app.main.query_one(BoundaryPlot)
        await pilot.press("n")
        assert isinstance(app.screen, NeuronsScreen) and app.main.covered
        record, weights = metrics.record, plot.weights
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 20)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.state == "paused")
        await wait_until(pilot, lambda: all(w.is_finished for w in app.workers))
        await pilot.pause(0.2)
        assert metrics.record is record and plot.weights is weights
        await pilot.press("escape")
        assert not app.main.covered
        await settle(pilot)
        assert metrics.record.step == app.step_count == app.trainer.step_count >= 20
        assert metrics.steps_per_sec is None and metrics.state == "paused"
        assert plot.weights == app.snapshot.weights != weights


@pytest.mark.slow
async def test_a_dialog_leaves_the_main_screen_live_under_it() -> None:
    """A dialog (help) shows the main screen around it: that keeps being drawn."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        metrics = app.main.query_one(MetricsPanel)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 5)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and not app.main.covered
        shown = metrics.record.step
        await wait_until(pilot, lambda: metrics.record.step > shown + 10)
        await pilot.press("escape", "space")
        await settle(pilot)


async def test_calls_kept_under_a_view_leave_the_screen_as_all_of_them_would() -> None:
    """The latest call of each kind is kept: show_marks with the abandoned futures and
    without them are two kinds (one sets more than the other)."""
    from micrograd.run import initial_record
    from tui.widgets.loss_curve import LossCurve

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        curve = app.main.query_one(LossCurve)
        await pilot.press("n")
        assert app.main.covered
        future = (initial_record(app.trainer),)
        app.main.show_marks([1, 2], [future])
        app.main.show_marks([3])
        assert curve.marks == () and curve.abandoned == ()
        await pilot.press("escape")
        await settle(pilot)
        assert curve.marks == (3,) and curve.abandoned == (future,)


async def test_a_call_made_before_the_screen_hears_it_shows_again_wins_over_kept_ones() -> None:
    """A view closes (the screen stack pops at once) but the main screen hears that it
    shows again (ScreenResume) only when its own queue gets there: news the app handles
    meanwhile is shown at once. The calls kept while covered are older: made after it,
    they would bring back stale numbers (here: the marks) until the next news, and a
    pause has none."""
    from tui.widgets.loss_curve import LossCurve

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        curve = app.main.query_one(LossCurve)
        await pilot.press("n")
        assert app.main.covered
        app.main.show_marks([1])  # kept: the view covers the screen
        app.pop_screen()  # the view closes; ScreenResume is queued, not yet heard
        assert not app.main.covered
        app.main.show_marks([1, 2])  # newer news, handled before the resume
        await settle(pilot)
        assert curve.marks == (1, 2)


@pytest.mark.slow
async def test_a_view_opened_after_a_costly_one_is_not_spaced_by_its_cost(monkeypatch) -> None:
    """The views' snapshots are spaced by twenty times what the last ones cost to show: a
    big model's graph view (0.5-0.8 s to draw) closed, the neurons view opened next had
    its first maps ~5 s later and its next ~8 s after that. The open views changed, so
    the cost measured for the others says nothing of them: the next ones are due now."""
    from tui.views import OpenViews

    shown = OpenViews.shown

    def costly_params(self: OpenViews, started: float, *views) -> None:  # a 2 s drawing
        shown(self, started, *views)
        if "params" in self.session.open_views:
            self.session.view_show_cost = 2.0

    monkeypatch.setattr(OpenViews, "shown", costly_params)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p", "space")
        await wait_until(pilot, lambda: app.session.views_due > time.monotonic() + 5)
        await pilot.press("escape", "n")
        screen = app.screen
        assert isinstance(screen, NeuronsScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None, timeout=8)
        first = screen.snapshot.step
        await wait_until(pilot, lambda: screen.snapshot.step > first, timeout=8)
        await pilot.press("space")
        await settle(pilot)


@pytest.mark.slow
async def test_a_branch_taken_and_paused_under_a_view_shows_when_it_closes() -> None:
    """At a past step, a view opened and space pressed there: the run branches and trains
    under the view. Closed after a pause, the main screen shows the branch's present (no
    past mark, no cursor, its speed gone), the old future faint, each number the run's."""
    from tui.widgets.loss_curve import LossCurve

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await wait_until(pilot, lambda: app.step_count == 10 and idle(app))
        await pilot.press("left_curly_bracket")
        await wait_until(pilot, lambda: app.session.viewing == 0 and idle(app))
        metrics, curve = app.main.query_one(MetricsPanel), app.main.query_one(LossCurve)
        assert metrics.past and curve.cursor == 0
        await pilot.press("p", "space")
        await wait_until(pilot, lambda: app.step_count >= 20)
        await pilot.press("space", "escape")
        await settle(pilot)
        assert app.session.viewing is None and app.step_count == app.trainer.step_count
        assert metrics.record == app.history[-1] and metrics.record.step == app.step_count
        assert not metrics.past and curve.cursor is None and metrics.steps_per_sec is None
        assert [r.step for r in curve.abandoned[0]] == list(range(11))
        assert list(curve.history) == list(app.history)
        assert app.main.query_one(BoundaryPlot).weights == app.snapshot.weights
