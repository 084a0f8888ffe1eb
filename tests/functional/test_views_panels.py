"""The probe, the class view and the metrics: the model's probabilities at a point, the
confusion matrix, the numbers of a step."""

import math

from rich.console import Console
from views_host import ViewsHost

from micrograd.introspect import confusion_matrix, per_class_accuracy
from tui.snapshots import ClassSnapshot, Sample, Snapshot, misclassified
from tui.widgets.class_view import ClassView, matrix_table
from tui.widgets.probe import ProbePanel, in_cell, nearest, probabilities

SIZE = (80, 24)


def test_probe_probabilities_equal_the_library_exactly():
    app = ViewsHost("panels")
    t = app.trainer
    weights = Snapshot.of(t).weights
    for x in [(0.0, 0.0), (1.5, -0.25), (-2.0, 2.0), (0.123, -1.987), *[p for p, _ in t.val_split]]:
        assert probabilities(weights, x) == t.probabilities(x)


def test_nearest_point_within_radius():
    points = [([0.0, 0.0], 0), ([1.0, 0.0], 1), ([1.05, 0.0], 2)]
    assert nearest(points, 1.04, 0.0, 0.1) == 2
    assert nearest(points, 0.5, 0.0, 0.1) is None
    assert nearest(points, 0.05, 0.05, 0.1) == 0


def test_in_cell_finds_the_point_drawn_in_the_cursors_cell_only():
    # cells 0.1 across and 0.25 tall, as at 80x24: a point two columns away is not
    # under the cursor, though it is nearer than a cell's height
    points = [([0.2, 0.0], 0), ([0.04, 0.1], 1), ([0.0, 0.12], 2)]
    # both others are in the cell; (0, 0.12) is nearer its centre, counted in cells
    assert in_cell(points, 0.0, 0.0, 0.1, 0.25) == 2
    assert in_cell(points, 0.0, 0.0, 0.1, 0.05) is None  # now all three are a row off
    assert in_cell(points, 0.1, 0.0, 0.1, 0.25) is None  # (0.2, 0) is the next column's
    assert in_cell(points, 0.2, 0.0, 0.1, 0.25) == 0
    assert nearest(points, 0.1, 0.0, 0.19) == 0  # the old rule's pick, two columns off


async def test_probe_follows_the_cursor_and_predicts_like_the_library():
    app = ViewsHost("panels")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        probe = app.query_one(ProbePanel)
        t = app.trainer
        assert probe.cursor == (0.0, 0.0)
        await pilot.press("right", "right", "l", "up", "k", "k", "down", "j", "h")
        assert probe.cursor == (0.2, 0.1)
        assert probe.probabilities() == t.probabilities([0.2, 0.1])
        assert probe.predicted() == t.predict([0.2, 0.1])
        await pilot.press(*["left"] * 30)
        assert probe.cursor == (-2.0, 0.1)  # clamped to the plot
        assert probe.probabilities() == t.probabilities([-2.0, 0.1])
        shown = probe.render()
        text = render_text(shown)
        for p in t.probabilities([-2.0, 0.1]):
            assert f"{p:.3f}" in text


async def test_enter_selects_a_data_point_or_a_probe_point_with_a_label():
    app = ViewsHost("panels")
    selected: list[Sample] = []
    async with app.run_test(size=SIZE, message_hook=record(selected)) as pilot:
        await pilot.pause()
        probe = app.query_one(ProbePanel)
        t = app.trainer
        (px, py), cls = t.train_split[3]
        probe.cursor = (round(px, 1), round(py, 1))  # within one step of point 3
        i = in_cell(t.train_split, *probe.cursor, probe.step, probe.step_y)
        await pilot.press("enter")
        (qx, qy), qcls = t.train_split[i]
        assert probe.sample == Sample((qx, qy), qcls, i)
        await pilot.press(str((qcls + 1) % 3))  # relabel: now a probe point at the same place
        assert probe.sample == Sample((qx, qy), (qcls + 1) % 3, None)
        probe.cursor = (1.9, -1.9)  # the data live inside the disk of radius 2
        await pilot.press("enter", "2")
        assert probe.sample == Sample((1.9, -1.9), 2, None)
        await pilot.pause()
        assert selected[-1] == probe.sample
        assert len(selected) == 4


def record(into: list):
    seen: list = []  # the messages themselves, so their ids are never reused

    def hook(message) -> None:  # a bubbling message passes the hook once per node
        if isinstance(message, ProbePanel.Selected) and not any(m is message for m in seen):
            seen.append(message)
            into.append(message.sample)

    return hook


def render_text(renderable, width: int = 40) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_class_view_shows_the_validation_confusion_matrix():
    app = ViewsHost("panels")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        t = app.trainer
        counts = confusion_matrix(t, t.val_split)
        view = app.query_one(ClassView)
        assert [list(r) for r in view.snapshot.counts] == counts
        lines = render_text(view.render()).splitlines()
        for k, (row, acc) in enumerate(zip(counts, per_class_accuracy(counts))):
            line = next(ln for ln in lines if ln.split()[1:2] == [str(k)])  # "o 0  2 0 1  67%"
            assert line.split()[2:5] == [str(n) for n in row]
            assert line.split()[5] == ("—" if math.isnan(acc) else f"{acc:.0%}")
        total, right = sum(map(sum, counts)), sum(counts[i][i] for i in range(3))
        assert f"{right / total:.0%}" in lines[-1]
        wrong = misclassified(Snapshot.of(t).weights, t.val_split)
        assert len(wrong) == total - right
        t.step()
        view.update_snapshot(ClassSnapshot.of(t))
        assert [list(r) for r in view.snapshot.counts] == confusion_matrix(t, t.val_split)


def test_class_view_with_an_empty_class():
    snap = ClassSnapshot(0, ((3, 0, 0), (0, 0, 0), (1, 0, 2)))
    text = render_text(matrix_table(snap))
    assert "—" in text and "100%" in text and "83%" in text


def test_class_view_columns_stay_put_as_accuracies_reach_100_percent():
    """The acc column widened by one when a row first showed 100%, moving its header."""
    before = render_text(matrix_table(ClassSnapshot(1, ((2, 1, 0), (0, 2, 1), (1, 0, 3)))))
    after = render_text(matrix_table(ClassSnapshot(2, ((3, 0, 0), (0, 3, 0), (0, 0, 4)))))
    assert "100%" in after and "100%" not in before
    assert before.splitlines()[0] == after.splitlines()[0]  # the header row


def metrics_lines(train_loss: float, val_loss: float) -> list[str]:
    from micrograd.run import Record
    from tui.widgets.metrics import MetricsPanel

    panel = MetricsPanel()
    panel.record = Record(853, train_loss, 1.0, val_loss, 0.425)
    console = Console(width=40, record=True, color_system=None)
    console.print(panel.render())
    return console.export_text().splitlines()


def test_the_metrics_show_a_tiny_loss_as_itself_not_zero():
    """Late in a run the panel read `train 0.0000 100.0%` while the loss was 3e-7."""
    lines = metrics_lines(3.04e-7, 0.00099)
    assert "train  3.0e-07  100.0%" in lines
    assert "val    9.9e-04   42.5%" in lines
    assert "train   1.0122  100.0%" in metrics_lines(1.0122, 0.0)  # the tutorial's digits
    assert "val     0.0000   42.5%" in metrics_lines(1.0122, 0.0)  # exactly 0 reads as 0
    assert "train  138.646  100.0%" in metrics_lines(138.6456, 0.0)  # not 1.4e+02


def test_the_accuracy_column_stays_put_whatever_the_loss():
    """A diverging run's loss of 138.6456 pushed the accuracy one column right."""
    columns = set()
    for loss in (1.0122, 138.6456, 99.99996, 3e-7, 0.0, math.inf, math.nan):
        train = next(line for line in metrics_lines(loss, loss) if line.startswith("train"))
        columns.add(train.index("%"))
    assert len(columns) == 1, columns
