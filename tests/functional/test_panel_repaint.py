"""The side panels send what changed: new numbers repaint only the lines (and columns) that
differ from those shown, and nothing when the panel would look the same."""

from __future__ import annotations

from pilot_helpers import SIZE, settle, step
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget
from views_host import trained

from micrograd.run import Record
from micrograd.training import Config
from tui.app import MicrogradApp
from tui.snapshots import ClassSnapshot, Sample, Snapshot
from tui.widgets.class_view import ClassView
from tui.widgets.metrics import MetricsPanel
from tui.widgets.model_panel import ModelPanel
from tui.widgets.probe import ProbePanel

RECORD = Record(step=7, train_loss=0.5, train_acc=0.75, val_loss=0.625, val_acc=0.5)
COUNTS = ((10, 0, 0), (0, 10, 0), (0, 0, 10))


class Host(App[None]):
    def __init__(self, *panels: Widget) -> None:
        super().__init__()
        self.panels = panels

    def compose(self) -> ComposeResult:
        yield from self.panels


def spy(widget: Widget, monkeypatch) -> list[tuple[Region, ...]]:
    """The regions of every repainting refresh of widget from now on (() for all of it)."""
    calls: list[tuple[Region, ...]] = []
    real = widget.refresh

    def refresh(*regions: Region, **kwargs):
        if kwargs.get("repaint", True):
            calls.append(regions)
        return real(*regions, **kwargs)

    monkeypatch.setattr(widget, "refresh", refresh)
    return calls


def rows(calls: list[tuple[Region, ...]]) -> set[int]:
    """The lines the calls repaint (fails on a whole-widget refresh)."""
    assert all(calls), f"a whole-panel refresh: {calls}"
    return {region.y for regions in calls for region in regions}


async def test_metrics_unchanged_on_screen_repaints_nothing(monkeypatch) -> None:
    panel = MetricsPanel()
    async with Host(panel).run_test(size=SIZE) as pilot:
        panel.record, panel.state, panel.steps_per_sec = RECORD, "running", 120.2
        await pilot.pause()
        calls = spy(panel, monkeypatch)
        panel.steps_per_sec = 120.4  # shown as 120, as before
        panel.record = Record(8, 0.50001, 0.75, 0.625, 0.5)  # the loss shown as 0.5000
        await pilot.pause()
        assert calls == [(Region(12, 1, 1, 1),)]  # the step's last digit alone


async def test_metrics_one_changed_number_repaints_only_its_line(monkeypatch) -> None:
    panel = MetricsPanel()
    async with Host(panel).run_test(size=SIZE) as pilot:
        panel.record = RECORD
        await pilot.pause()
        calls = spy(panel, monkeypatch)
        panel.record = Record(7, 0.5, 0.75, 0.125, 0.5)  # val 0.6250 -> 0.1250
        await pilot.pause()
        assert calls == [(Region(10, 4, 1, 1),)]  # the one digit
        assert panel.render_line(4).text.startswith("val     0.1250   50.0%")


async def test_class_view_ignores_a_new_step_with_the_same_counts(monkeypatch) -> None:
    view = ClassView(ClassSnapshot(1, COUNTS))
    async with Host(view).run_test(size=SIZE) as pilot:
        await pilot.pause()
        calls = spy(view, monkeypatch)
        renders = spy_renders(view, monkeypatch)
        view.update_snapshot(ClassSnapshot(2, COUNTS))
        await pilot.pause()
        assert calls == [] and renders == []  # not even rendered again


async def test_class_view_repaints_only_the_lines_whose_counts_changed(monkeypatch) -> None:
    view = ClassView(ClassSnapshot(1, COUNTS))
    async with Host(view).run_test(size=SIZE) as pilot:
        await pilot.pause()
        calls = spy(view, monkeypatch)
        view.update_snapshot(ClassSnapshot(2, ((10, 0, 0), (0, 10, 0), (1, 0, 9))))
        await pilot.pause()
        assert rows(calls) == {3, 4}  # class 2's row and the overall accuracy
        assert "90%" in view.render_line(3).text and "97%" in view.render_line(4).text


async def test_probe_repaints_nothing_for_the_same_weights_and_one_line_for_a_sample(
    monkeypatch,
) -> None:
    trainer = trained()
    weights = Snapshot.of(trainer).weights
    points = trainer.train_split
    probe = ProbePanel(points, weights)
    async with Host(probe).run_test(size=SIZE) as pilot:
        probe.sample = Sample((0.5, 0.5), 1)
        await pilot.pause()
        calls = spy(probe, monkeypatch)
        probe.update_snapshot(Snapshot.of(trainer).weights)  # equal, copied anew
        await pilot.pause()
        assert calls == []
        probe.sample = Sample((0.5, 0.5), 2)
        await pilot.pause()
        assert rows(calls) == {4}  # the sample's line, under the head and three bars


async def test_training_repaints_the_panels_by_lines_and_the_model_panel_never(
    monkeypatch,
) -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=(200, 60)) as pilot:  # every panel shows
        await settle(pilot)
        await step(pilot, app)
        spied = {cls: spy(app.query_one(cls), monkeypatch) for cls in (MetricsPanel, ProbePanel)}
        model = spy(app.query_one(ModelPanel), monkeypatch)
        for _ in range(3):
            await step(pilot, app)
        assert model == []
        for cls, calls in spied.items():
            assert calls and rows(calls), cls  # repainted, and only by lines
        assert 1 in rows(spied[MetricsPanel])  # the step number's line
        for cls in (MetricsPanel, ProbePanel, ClassView):  # what a full repaint would show
            panel = app.query_one(cls)
            region = Region(0, 0, *panel.outer_size)
            shown = panel.render_lines(region)
            panel.refresh()
            await pilot.pause()
            assert panel.render_lines(region) == shown, cls


def spy_renders(widget: Widget, monkeypatch) -> list[None]:
    calls: list[None] = []
    real = widget.render

    def render():
        calls.append(None)
        return real()

    monkeypatch.setattr(widget, "render", render)
    return calls
