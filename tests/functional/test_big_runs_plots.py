"""Plots of big and long runs: the boundary bins its points once per size, and the loss
curve's thinning keeps what it has drawn."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rich.style import Style

import tui.widgets.boundary as boundary
from micrograd.config import Config
from micrograd.run import Record
from micrograd.training import Trainer, forward_numpy
from tests.pilot_helpers import wait_until
from tui.app import MicrogradApp
from tui.palette import POINT_MARKERS, WRONG_STYLE, to_cells
from tui.session import Progress
from tui.widgets.loss_curve import HISTORY_LIMIT, LossCurve, thin
from tui.widgets.plotting import PlotTheme

THEME = PlotTheme((30, 30, 30), (220, 220, 220))


def test_the_boundary_bins_the_points_once_per_plot_size(monkeypatch):
    trainer = Trainer(Config(n=2000))
    points = boundary.PlotPoints(trainer.train_split)
    binned = []
    monkeypatch.setattr(
        boundary, "to_cells", lambda xy, *a: binned.append(len(xy)) or to_cells(xy, *a)
    )
    canvas = boundary.Canvas(53, 21, THEME, False, Style())
    boundary.draw(canvas, trainer.layers(), points)
    first = sum(binned)
    assert first >= len(trainer.train_split)  # the first drawing at this size bins them
    trainer.step()
    boundary.draw(canvas, trainer.layers(), points)
    assert sum(binned) == first  # a redraw with new weights does not


def test_the_points_cells_are_each_class_s_with_wrong_points_reversed():
    trainer = Trainer(Config(n=2000))
    for _ in range(3):
        trainer.step()
    weights = trainer.layers()
    cols, rows = 37, 15
    glyphs, styles = boundary.base_cells(
        weights, boundary.PlotPoints(trainer.train_split), cols, rows, no_color=False
    )
    xy = np.array([x for x, _ in trainer.train_split])
    labels = np.array([y for _, y in trainer.train_split])
    wrong = forward_numpy(weights, xy).argmax(axis=1) != labels
    expected: dict[tuple[int, int], tuple[int, bool]] = {}
    for k in range(3):  # a later class draws over an earlier one; any wrong point shows
        cells = [tuple(c) for c in to_cells(xy[labels == k], cols, rows).tolist()]
        for (c, r), bad in zip(cells, wrong[labels == k].tolist()):
            was = expected.get((c, r))
            expected[(c, r)] = (k, bad or (was is not None and was[0] == k and was[1]))
    assert expected
    for (c, r), (k, bad) in expected.items():
        line = rows - 1 - r
        assert glyphs[line][c] == POINT_MARKERS[k]
        assert bool(styles[line][c].reverse) == bad
        assert (styles[line][c] == styles[line][c] + WRONG_STYLE) == bad


# ------------------------------------------------------------------ the loss curve


def noisy_records(count: int, spikes: dict[int, float]) -> list[Record]:
    """A falling loss with a little noise, and a few spikes."""
    rng = random.Random(7)
    out = []
    for k in range(count):
        loss = spikes.get(k, (1.0 + 0.1 * rng.random()) / (1 + k / 100))
        out.append(Record(k, loss, 0.5, 1.05 * loss, 0.5))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("spike", [137, 611, 1500])
def test_a_spike_once_drawn_stays_drawn_as_the_run_grows(spike):
    records = noisy_records(4000, {spike: 5.0})
    seen = False
    for n in range(spike + 1, len(records) + 1, 3):
        kept = {r.step for r in thin(records[:n], 80)}
        assert len(kept) <= 80
        if seen:
            assert spike in kept, f"the spike at step {spike} vanished at step {n - 1}"
        seen = seen or spike in kept
    assert seen


def test_a_point_drawn_stays_until_its_bucket_merges():
    """Between two redraws at the same bucket width only the newest bucket can change."""
    records = noisy_records(3000, {})
    before = thin(records[:1000], 60)
    after = thin(records[:1010], 60)  # the same width: 1000 and 1010 steps, 16 a bucket
    older = [r.step for r in before[:-2]]
    assert set(older) <= {r.step for r in after}


async def test_the_app_keeps_a_bounded_history_with_its_spikes():
    """A long run's records reach the app by the ten thousand; it keeps HISTORY_LIMIT of
    them at most, the spike among them, and the curve draws from them."""
    steps, spike = 5 * HISTORY_LIMIT, 1234
    app = MicrogradApp(Config())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        generation = app.session.generation
        for start in range(1, steps + 1, 1000):
            chunk = [
                Record(k, 9.0 if k == spike else 1 / k, 0.5, 1 / k, 0.5)
                for k in range(start, start + 1000)
            ]
            app.on_progress(Progress(generation, chunk, app.snapshot, None))
        await pilot.pause()
        assert len(app.history) <= HISTORY_LIMIT
        assert app.history[0].step == 0 and app.history[-1].step == steps
        assert spike in {r.step for r in app.history}
        assert app.query_one(LossCurve).history is app.history
        await wait_until(pilot, lambda: app.plots_drawn)
