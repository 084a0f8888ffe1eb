"""Run: a trainer and its records, one step-and-record, reset, save and load (milliseconds)."""

from __future__ import annotations

import math

from micrograd.config import Config
from micrograd.run import Record, Run, initial_record
from micrograd.training import Trainer

CONFIG = Config(n=30)


def test_a_step_appends_exactly_one_record_equal_to_the_trainers_numbers():
    run = Run(Trainer(CONFIG))
    reference = Trainer(CONFIG)
    result = reference.step()
    val = reference.evaluation(reference.val_split)

    record = run.step()

    assert record == Record(1, result.train_loss, result.train_acc, val.loss, val.accuracy)
    assert list(run.history) == [record]
    assert run.trainer.step_count == 1


def test_a_step_not_evaluated_records_the_training_numbers_only():
    run = Run(Trainer(CONFIG))
    expected = Trainer(CONFIG).step()
    record = run.step(evaluate=False)
    assert record == Record(1, expected.train_loss, expected.train_acc, None, None)
    assert list(run.history) == [record]


def test_a_stopped_step_records_nothing_and_changes_nothing():
    run = Run(Trainer(CONFIG))
    run.step()
    before = [p.data for p in run.trainer.model.parameters()]

    assert run.step(should_stop=lambda: True) is None

    assert [r.step for r in run.history] == [1]
    assert run.trainer.step_count == 1
    assert [p.data for p in run.trainer.model.parameters()] == before


def test_reset_empties_the_history_and_returns_step_zeros_record():
    run = Run(Trainer(CONFIG))
    run.step()
    run.step()

    record = run.reset()

    assert list(run.history) == []
    assert record == initial_record(Trainer(CONFIG))
    assert record.step == 0 and run.trainer.step_count == 0


def test_a_run_kept_without_history_records_nothing():
    run = Run(Trainer(CONFIG), history=None)
    assert run.step() is not None and run.history is None
    run.reset()
    assert run.history is None


def test_the_history_is_bounded_by_the_limit():
    run = Run(Trainer(CONFIG), limit=4)
    for _ in range(9):
        run.step(evaluate=False)
    assert len(run.history) == 4
    assert run.history[0].step == 1 and run.history[-1].step == 9


def test_save_and_load_round_trip(tmp_path):
    run = Run(Trainer(CONFIG))
    for k in range(1, 5):
        run.step(evaluate=k % 2 == 0)  # steps not evaluated stay so through the file

    loaded = Run.load(run.save(tmp_path / "r.json"))

    assert list(loaded.history) == list(run.history)
    assert loaded.history[0].val_loss is None and loaded.history[1].val_loss is not None
    assert loaded.trainer.step_count == 4
    got = [p.data for p in loaded.trainer.model.parameters()]
    assert got == [p.data for p in run.trainer.model.parameters()]
    assert loaded.trainer.optimizer.m == run.trainer.optimizer.m
    # and it goes on exactly as the run it was saved from
    assert loaded.step() == run.step()


def test_save_new_never_replaces_another_run(tmp_path):
    first = Run(Trainer(CONFIG))
    first.step()
    other = Run(Trainer(Config(n=30, lr=0.01)))
    other.step()
    a = first.save_new(tmp_path, "r")
    b = other.save_new(tmp_path, "r")
    assert (a.name, b.name) == ("r.json", "r-2.json")
    assert Run.load(b).trainer.config.lr == 0.01


def test_a_metric_saved_as_null_loads_as_nan(tmp_path):
    run = Run(Trainer(CONFIG), [Record(1, math.nan, 0.5, math.inf, 0.5)])
    run.trainer.step()
    loaded = Run.load(run.save(tmp_path / "r.json"))
    assert math.isnan(loaded.history[0].train_loss)
    assert loaded.history[0].val_loss == math.inf  # saved as "inf", not null
