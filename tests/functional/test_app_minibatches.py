"""Minibatches on screen: the training panel shows step and epoch (only with a batch
size), the model panel the engine a step runs on, the live settings after a change
and the activation only where a hidden layer has one."""

from __future__ import annotations

from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, settle, step
from tui.app import MicrogradApp
from tui.widgets.metrics import MetricsPanel
from tui.widgets.model_panel import ModelPanel, describe, lines
from tui.widgets.probe import ProbePanel


def training_text(app: MicrogradApp) -> str:
    return str(app.query_one(MetricsPanel).render())


def model_text(app: MicrogradApp) -> str:
    panel = app.query_one(ModelPanel)
    return " ".join(str(line) for line in panel.render().columns[0]._cells)


async def test_with_minibatches_the_training_panel_shows_the_epoch():
    # 80 training points in batches of 32: steps 1 2 3 are epoch 1 (32 + 32 + 16)
    app = MicrogradApp(Config(batch_size=32))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "step        0  epoch 0" in training_text(app)
        for _ in range(4):
            await step(pilot, app)
        reference = Trainer(Config(batch_size=32))
        for _ in range(4):
            reference.step()
        assert reference.epoch_count == 1
        assert "step        4  epoch 1" in training_text(app)


async def test_with_full_batches_there_is_no_epoch_until_a_batch_size_is_set():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        assert "epoch" not in training_text(app)
        app.playground.retune(batch_size=20)  # what the experiment screen applies live
        await pilot.pause(0.05)
        assert "batch 20" in model_text(app)  # at once
        for _ in range(4):
            await step(pilot, app)
        # step 1 was an epoch of its own; steps 2-5 take 20 of the 80 points each
        assert "step        5  epoch 2" in training_text(app)
        app.playground.retune(batch_size=None)
        await step(pilot, app)
        assert "epoch" not in training_text(app) and "batch" not in model_text(app)


def test_the_model_panel_names_the_engine_as_the_trainer_decides():
    for config, train in [
        (Config(), 80),  # the tutorial's: the fused path on lists
        (Config(n=400), 320),  # from 256 points a batch: numpy columns
        (Config(n=400, batch_size=64), 320),  # a batch of 64: lists again
    ]:
        trainer = Trainer(config)
        assert len(trainer.train_split) == train
        split = lines(config, 0, (train, 1, 1))[-1]
        assert split.endswith(f" · {trainer.engine}"), split
        assert trainer.engine == ("numpy" if train == 320 and not config.batch_size else "fused")
    assert Trainer(Config(), fast=False).engine == "textbook"


async def test_the_model_panel_shows_the_engine_after_edits_change_the_batch():
    app = MicrogradApp(Config(n=320))  # 256 training points: numpy columns
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v", "v")  # the model panel in the slot
        assert "split 256/32/32 · numpy" in model_text(app)
        (x, y), _ = app.trainer.train_split[0]
        app.query_one(ProbePanel).cursor = (x, y)
        await pilot.press("d")  # a point fewer: under 256, lists
        await settle(pilot)
        assert len(app.trainer.train_split) == 255 and app.trainer.engine == "fused"
        assert "split 255/32/32 · fused" in model_text(app)


def test_the_model_panel_names_an_activation_only_where_a_hidden_layer_has_one():
    assert lines(Config(activation="relu"), 59, (80, 10, 10))[0].startswith("MLP 2→8→3 relu ·")
    assert lines(Config(activation="relu", hidden=()), 9, (80, 10, 10))[0].startswith("MLP 2→3 ·")


def shown_lines(config: Config, width: int = 30) -> list[str]:
    """The model panel's lines as a side column of width columns shows them."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    console.print(describe(config, 371, (400, 50, 50), width=width))
    return console.export_text().splitlines()


def test_at_80x24_the_model_panel_keeps_the_batch_and_each_optimizers_own_update_in_sight():
    shown = shown_lines(Config(batch_size=64, hidden=(16, 16)))
    assert shown[1].rstrip() == "AdamW lr 0.1 · wd 0.0001"
    assert shown[2].startswith("  batch 64 · β 0.9/0.95")
    assert "batch" not in " ".join(shown_lines(Config()))
    assert shown_lines(Config(optimizer="sgd"))[2].strip() == "p -= lr (g + wd p)"
    assert shown_lines(Config(optimizer="momentum"))[2].strip() == "v = 0.9 v + g + wd p"
