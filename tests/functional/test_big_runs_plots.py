"""Plots of big and long runs: the boundary bins its points once per size, and the loss
curve's thinning keeps what it has drawn."""

from __future__ import annotations

import numpy as np
from rich.style import Style

import tui.widgets.boundary as boundary
from micrograd.config import Config
from micrograd.training import Trainer, forward_numpy
from tui.palette import POINT_MARKERS, WRONG_STYLE, to_cells
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
