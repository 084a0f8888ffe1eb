"""What the screens call things: one counting rule, a probe panel that shows only what
was chosen, a legend that looks like the plot, no number that repeats another."""

from __future__ import annotations

from rich.console import Console
from rich.style import Style
from textual.widgets import Static

from micrograd.nn import MLP
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, settle, step
from tui.app import MicrogradApp
from tui.palette import legend
from tui.screens.help import help_text
from tui.widgets.metrics import MetricsPanel
from tui.widgets.probe import ProbePanel, in_cell


def text_of(renderable, width: int = 60) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_parameters_are_counted_from_0_as_samples_and_classes_are_and_help_says_so() -> None:
    """layer1.neuron1.w0 mixed 1-based layers and neurons with 0-based weights, samples
    and classes; now the output layer's neuron k is class k's logit."""
    from micrograd.data import RNG

    names = [name for name, _ in MLP(2, [8, 3], RNG(1)).named_parameters()]
    assert names[0] == "layer0.neuron0.w0" and names[2] == "layer0.neuron0.b"
    assert names[-9] == "layer1.neuron2.w0" and names[-2] == "layer1.neuron2.w7"
    assert names[-1] == "layer1.neuron2.b"  # 3 classes: neurons 0, 1, 2 of the last layer
    shown = " ".join(text_of(help_text(), 100).split())
    assert "counted from 0: layer0 is the first hidden layer" in shown
    assert "neuron k gives class k's logit" in shown


async def test_the_probe_shows_a_sample_only_once_one_is_selected() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        probe = app.query_one(ProbePanel)
        assert "sample" not in text_of(probe.render()) and probe.sample is None
        (px, py), _ = app.trainer.train_split[3]
        probe.cursor = (round(px, 1), round(py, 1))
        i = in_cell(app.trainer.train_split, *probe.cursor, probe.step, probe.step_y)
        await pilot.press("enter")
        await pilot.pause()
        assert f"sample #{i} " in text_of(probe.render())


def test_the_wrong_swatch_is_drawn_as_a_wrong_point_is() -> None:
    """The plot draws a wrong class-0 point as its glyph, bold, in red, reversed (see
    boundary.base_cells); the legend's swatch was reversed without a colour: blue on the
    frame."""
    for no_color, color in ((False, "red"), (True, None)):
        text = legend(no_color)
        at = text.plain.index("o wrong")
        styles = [s.style for s in text.spans if s.start <= at < s.end]
        assert styles == [Style(bold=True, color=color, reverse=True)], styles


async def test_the_training_panel_shows_no_epoch_that_repeats_the_step() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        shown = text_of(app.query_one(MetricsPanel).render())
        assert "step        1" in shown and "epoch" not in shown
        assert "epoch" not in str(app.query_one("#message", Static).render())
        assert Trainer().step().step == 1  # one step is one epoch (the whole batch)
