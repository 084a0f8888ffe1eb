"""The app with every playground setting from the command line: each dataset (3 or 2
classes), each activation, features other than x and y, no hidden layer, minibatches."""

from __future__ import annotations

import pytest

from micrograd.config import DATASETS
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, settle, step
from tui.app import MicrogradApp
from tui.widgets import BoundaryPlot
from tui.widgets.boundary import class_grid
from tui.widgets.probe import ProbePanel

CONFIGS = [
    *(Config(dataset=name, n=60, noise=0.1) for name in DATASETS),
    *(Config(activation=a, features=("x", "y", "x2", "y2")) for a in ("relu", "sigmoid", "linear")),
    Config(dataset="circles", hidden=(), features=("x2", "y2"), optimizer="sgd"),
    Config(dataset="spiral", hidden=(6, 6), optimizer="momentum", batch_size=16),
]


@pytest.mark.parametrize(
    "config",
    CONFIGS,
    ids=[
        f"{c.dataset}-{c.activation}-{'+'.join(c.features)}-h{len(c.hidden)}-{c.optimizer}"
        f"-b{c.batch_size}"
        for c in CONFIGS
    ],
)
async def test_the_app_starts_steps_and_draws_with_every_setting(config: Config) -> None:
    """Two steps with s: the library's numbers, a boundary predicted through the
    features and activation, a legend and probe bars of the dataset's classes."""
    reference = Trainer(config)
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(2):
            await step(pilot, app)
            assert app.history[-1].train_loss == reference.step().train_loss
        plot = app.query_one(BoundaryPlot)
        drawing = plot.drawing
        assert drawing is not None and drawing.classes is not None
        rows, cols = len(drawing.classes), len(drawing.classes[0])
        assert drawing.classes == class_grid(reference.layers(), cols, rows)
        labels = {k for row in drawing.classes for k in row}
        assert labels <= set(range(config.classes))
        legend = app.screen.plot_legend().plain
        assert (" 2 " in legend or "+██" in legend) == (config.classes == 3), legend
        probe = app.query_one(ProbePanel)
        assert len(probe.probabilities()) == config.classes
        await pilot.press("2")  # a class a 2-class dataset lacks: no probe point
        await settle(pilot)
        if config.classes == 2:
            assert probe.sample is None or probe.sample.target < 2
