"""Trainer.evaluation: loss, accuracy and confusion counts in one pass, numpy for big
splits, the same floats as the plain-Python Trainer.evaluate."""

from __future__ import annotations

import pytest

import micrograd.training as training
from micrograd.config import Config
from micrograd.introspect import confusion_matrix
from micrograd.run import step_record
from micrograd.training import NUMPY_FROM, Trainer
from tui.snapshots import ClassSnapshot

BIG = Config(n=3000, hidden=(16, 16))
"""Its validation split (300 points) is evaluated with numpy."""


@pytest.mark.parametrize("config", [Config(), BIG], ids=["plain", "numpy"])
def test_evaluation_is_evaluate_to_the_last_bit_with_the_confusion_counts(config):
    trainer = Trainer(config)
    assert (len(trainer.val_split) >= NUMPY_FROM) == (config is BIG)
    for _ in range(4):
        for split in (trainer.val_split, trainer.train_split):
            evaluation = trainer.evaluation(split)
            assert (evaluation.loss, evaluation.accuracy) == trainer.evaluate(split)  # exactly
            assert [list(row) for row in evaluation.counts] == confusion_matrix(trainer, split)
        trainer.step()


def test_weights_that_overflow_evaluate_point_by_point():
    trainer = Trainer(BIG)
    trainer.model.layers[-1].neurons[0].b.data = 1e308
    trainer.model.layers[-1].neurons[1].b.data = -1e308
    evaluation = trainer.evaluation(trainer.val_split)
    assert (evaluation.loss, evaluation.accuracy) == trainer.evaluate(trainer.val_split)


def test_a_step_and_its_class_counts_take_one_pass_over_validation(monkeypatch):
    """The app's step: its record's validation numbers, then the class view's counts,
    from one numpy pass; none point by point."""
    trainer = Trainer(BIG)
    passes, points = [], []
    numpy_pass, floats = training.evaluate_numpy, training.forward_floats
    monkeypatch.setattr(training, "evaluate_numpy", lambda *a: passes.append(1) or numpy_pass(*a))
    monkeypatch.setattr(training, "forward_floats", lambda *a: points.append(1) or floats(*a))
    record = step_record(trainer)
    classes = ClassSnapshot.of(trainer)
    assert (len(passes), len(points)) == (1, 0)
    assert (record.val_loss, record.val_acc) == Trainer.evaluate(trainer, trainer.val_split)
    assert [list(row) for row in classes.counts] == confusion_matrix(trainer, trainer.val_split)
