"""Trainer.retune: a new learning rate or weight decay from the next step on, no reset."""

from __future__ import annotations

import math

import pytest

from micrograd.config import ConfigError
from micrograd.training import Config, Trainer


def test_retune_changes_the_next_update_and_keeps_the_step_and_weights():
    trainer = Trainer(Config())
    before = [p.data for p in trainer.parameters]
    config = trainer.retune(lr=0.05, weight_decay=0.01)
    assert (config.lr, config.weight_decay, config.seed) == (0.05, 0.01, 42)
    assert trainer.config == config and trainer.step_count == 0
    assert [p.data for p in trainer.parameters] == before
    trainer.step()
    # AdamW's first update: m_hat = g, v_hat = g**2, so p -= lr * (g / (|g| + eps) + wd * p)
    for p0, p1, g in zip(before, (p.data for p in trainer.parameters), trainer.last_grads):
        expected = p0 - 0.05 * (g / (abs(g) + 1e-8) + 0.01 * p0)
        assert math.isclose(p1, expected, rel_tol=1e-12, abs_tol=1e-15)


def test_retune_keeps_what_it_is_not_given():
    trainer = Trainer(Config(lr=0.2, weight_decay=0.5))
    assert trainer.retune(lr=0.02).weight_decay == 0.5
    assert trainer.retune(weight_decay=0.0).lr == 0.02
    assert (trainer.optimizer.lr, trainer.optimizer.weight_decay) == (0.02, 0.0)


def test_a_bad_value_is_refused_and_changes_nothing():
    trainer = Trainer(Config())
    with pytest.raises(ConfigError, match="lr"):
        trainer.retune(lr=-1.0)
    assert trainer.config == Config() and trainer.optimizer.lr == 0.1
