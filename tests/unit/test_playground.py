"""The playground's core: every setting exact against the textbook engine and by hand,
the datasets, the settings' validation, live retuning, data edits, and resumed runs."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest

from micrograd import RNG, Config, Trainer, Value, load_run, save_run
from micrograd.config import DATASETS, ConfigError
from micrograd.data import dataset, featurize
from micrograd.optim import SGD, Momentum
from micrograd.training import (
    EmptyData,
    evaluate_floats,
    evaluate_numpy,
    forward_floats,
    forward_numpy,
    split_arrays,
)


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def grads_and_loss(trainer: Trainer, split) -> tuple[float, list[float]]:
    for p in trainer.parameters:
        p.grad = 0.0
    loss, _, backward = trainer.loss_graph(split)
    backward(None)
    grads = [p.grad for p in trainer.parameters]
    for p in trainer.parameters:
        p.grad = 0.0
    return loss, grads


# ------------------------------------------------------ fast == textbook, every setting

SETTINGS = list(
    itertools.product(
        ("tanh", "relu", "sigmoid", "linear"),
        ("adamw", "sgd", "momentum"),
        (("x", "y"), ("x2", "y2", "xy"), ("x", "y", "x2", "y2", "xy", "sinx", "siny")),
        (None, 7),
    )
)


@pytest.mark.parametrize(
    "activation, optimizer, features, batch_size",
    SETTINGS,
    ids=[f"{a}-{o}-{'+'.join(f)}-b{b}" for a, o, f, b in SETTINGS],
)
def test_the_fast_path_trains_as_the_textbook_graph(activation, optimizer, features, batch_size):
    """Five steps of every activation x optimizer x features x batch setting: the same
    losses and weights, to 1e-12 relative, on a 3-class dataset with two hidden layers."""
    config = Config(
        dataset="spiral",
        n=40,
        noise=0.1,
        hidden=(5, 4),
        activation=activation,
        optimizer=optimizer,
        features=features,
        batch_size=batch_size,
        lr=0.05,
    )
    fast, textbook = Trainer(config), Trainer(config, fast=False)
    for _ in range(5):
        a, b = fast.step(), textbook.step()
        assert close(a.train_loss, b.train_loss), (a, b)
        assert a.train_acc == b.train_acc and a.epoch == b.epoch
    for p, q in zip(fast.parameters, textbook.parameters):
        assert close(p.data, q.data), (p.data, q.data)


@pytest.mark.parametrize("hidden", [(), (6,)])
@pytest.mark.parametrize("name", ["moons", "xor"])
def test_no_hidden_layer_and_two_classes_match_the_textbook_graph(hidden, name):
    config = Config(dataset=name, n=30, hidden=hidden, features=("x", "y", "xy"))
    fast, textbook = Trainer(config), Trainer(config, fast=False)
    assert len(fast.model.layers) == len(hidden) + 1
    assert len(fast.model.layers[-1].neurons) == 2
    f_loss, f_grads = grads_and_loss(fast, fast.train_split)
    t_loss, t_grads = grads_and_loss(textbook, textbook.train_split)
    assert close(f_loss, t_loss)
    assert all(close(f, t) for f, t in zip(f_grads, t_grads))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_every_forward_path_reads_the_features_and_the_activation(activation):
    """forward_floats, evaluate_floats, evaluate_numpy (bit for bit) and forward_numpy
    (to rounding) all give the trainer's model's logits and loss."""
    config = Config(n=300, features=("x", "sinx", "y2"), activation=activation, hidden=(4,))
    trainer = Trainer(config)
    for _ in range(3):
        trainer.step()
    layers = trainer.layers()
    x, y = trainer.val_split[0]
    textbook = [v.data for v in trainer.model([Value(f) for f in featurize(config.features, x)])]
    assert forward_floats(layers, x) == textbook
    import numpy as np

    numpy_logits = forward_numpy(layers, np.array([x]))[0]
    assert np.allclose(numpy_logits, textbook, rtol=1e-12, atol=1e-12)
    split = trainer.train_split
    assert evaluate_numpy(layers, *split_arrays(split)) == evaluate_floats(layers, split)
    assert evaluate_floats(layers, split).loss == trainer.evaluate(split)[0]


# ------------------------------------------------------------------- by hand


def test_sigmoid_and_its_local_derivative_by_hand():
    s = Value(0.0).sigmoid()
    assert s.data == 0.5 and s._local == (0.25,)  # s (1 - s) = 0.5 x 0.5
    x = Value(math.log(3))  # sigmoid(ln 3) = 3 / 4, its slope 3/4 x 1/4
    y = x.sigmoid()
    y.backward()
    assert close(y.data, 0.75) and close(x.grad, 3 / 16)
    assert Value(-1000.0).sigmoid().data == 0.0  # no overflow far out
    assert Value(1000.0).sigmoid().data == 1.0


@pytest.mark.parametrize("op", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize("at", [-1.3, -0.2, 0.7, 2.1])
def test_central_differences_agree_with_the_local_derivatives(op, at):
    h = 1e-6
    x = Value(at)
    getattr(x, op)().backward()
    numeric = (getattr(Value(at + h), op)().data - getattr(Value(at - h), op)().data) / (2 * h)
    assert abs(x.grad - numeric) < 1e-8


def one_param_step(optimizer_class, **kwargs):
    p = Value(2.0)
    opt = optimizer_class([p], **kwargs)
    return p, opt


def test_sgd_one_step_by_hand():
    p, opt = one_param_step(SGD, lr=0.1, weight_decay=0.5)
    p.grad = 3.0
    opt.step()
    assert p.data == 2.0 - 0.1 * (3.0 + 0.5 * 2.0)  # 1.6


def test_momentum_two_steps_by_hand():
    p, opt = one_param_step(Momentum, lr=0.1, momentum=0.9, weight_decay=0.0)
    p.grad = 3.0
    opt.step()
    assert opt.m == [3.0] and close(p.data, 2.0 - 0.3)  # v = 3, p = 1.7
    p.grad = 1.0
    opt.step()
    assert close(opt.m[0], 0.9 * 3.0 + 1.0) and close(p.data, 1.7 - 0.1 * 3.7)  # 1.33


@pytest.mark.parametrize("optimizer_class", [SGD, Momentum])
def test_a_non_finite_update_is_refused_and_changes_nothing(optimizer_class):
    p, opt = one_param_step(optimizer_class, lr=0.1)
    p.grad = math.inf
    with pytest.raises(FloatingPointError):
        opt.step()
    assert p.data == 2.0 and opt.t == 0 and opt.m == [0.0]


# ------------------------------------------------------------------- datasets


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_each_dataset_is_balanced_inside_the_square_and_deterministic(name, noise):
    parts = dataset(name, RNG(7), 90, noise)
    points = [p for part in parts for p in part]
    assert len(points) == 90 and [len(p) for p in parts] == [72, 9, 9]
    classes = Config(dataset=name).classes
    counts = [sum(1 for _, c in points if c == k) for k in range(classes)]
    assert counts == [90 // classes] * classes
    assert all(-2 <= v <= 2 for (x, y), _ in points for v in (x, y))
    assert dataset(name, RNG(7), 90, noise) == parts
    assert dataset(name, RNG(8), 90, noise) != parts


def test_taichi_is_the_tutorials_whatever_the_noise_default():
    from micrograd import taichi

    assert dataset("taichi", RNG(42), 100) == taichi(RNG(42), 100)


def test_the_datasets_pictures_by_hand():
    """Where each dataset puts its classes, read off its generator."""
    circles = [p for part in dataset("circles", RNG(3), 60) for p in part]
    for (x, y), c in circles:  # class 0 the ring of radius 1.6, class 1 of 0.8
        assert close(math.hypot(x, y), 1.6 if c == 0 else 0.8, 1e-9)
    for (x, y), c in [p for part in dataset("xor", RNG(3), 60) for p in part]:
        assert (x * y < 0) == c and min(abs(x), abs(y)) > 0.1
    for (x, y), c in [p for part in dataset("moons", RNG(3), 60) for p in part]:
        # undo the move and scale: class 0 on the unit circle's upper half, class 1 on
        # the one centred at (1, 0.5), lower half
        u, v = x / 1.2 + 0.5, y / 1.2 + 0.25
        cx, cy = (0, 0) if c == 0 else (1, 0.5)
        assert close(math.hypot(u - cx, v - cy), 1.0, 1e-9)
        assert (v >= 0) if c == 0 else (v <= 0.5)
    blobs = [p for part in dataset("blobs", RNG(3), 300) for p in part]
    centres = [
        (1.1 * math.cos(a), 1.1 * math.sin(a))
        for a in (math.pi / 2 + 2 * math.pi * k / 3 for k in range(3))
    ]
    nearest = [
        min(range(3), key=lambda k: math.hypot(x - centres[k][0], y - centres[k][1])) == c
        for (x, y), c in blobs
    ]
    assert sum(nearest) > 0.9 * len(blobs)
    spiral = [p for part in dataset("spiral", RNG(3), 60) for p in part]
    for (x, y), c in spiral:  # arm c: radius 1.8 t at angle 2 pi c / 3 + 4 t
        t = math.hypot(x, y) / 1.8
        a = 2 * math.pi * c / 3 + 4 * t
        assert abs(x - 1.8 * t * math.cos(a)) < 1e-9 and abs(y - 1.8 * t * math.sin(a)) < 1e-9


# ------------------------------------------------------------------ validation

BAD = [
    ("dataset", "mnist", "must be one of taichi, spiral, blobs, moons, circles, xor"),
    ("dataset", 3, "must be one of"),
    ("noise", -0.1, "must be a number from 0 to 0.5"),
    ("noise", 0.51, "must be a number from 0 to 0.5"),
    ("noise", math.nan, "must be a number from 0 to 0.5"),
    ("features", (), "must be one or more of x, y, x2, y2, xy, sinx, siny, each once"),
    ("features", ("x", "x"), "each once, got x,x"),
    ("features", ("x", "z"), "got x,z"),
    ("features", "xy", "must be one or more of"),
    ("activation", "elu", "must be one of tanh, relu, sigmoid, linear"),
    ("optimizer", "adam", "must be one of adamw, sgd, momentum"),
    ("batch_size", 0, "must be an integer from 1 to 20000"),
    ("batch_size", 2.0, "must be an integer from 1 to 20000"),
    ("batch_size", True, "must be an integer from 1 to 20000"),
    ("split", 0.95, "must be a training fraction from 0.1 to 0.9"),
    ("split", "0.8", "must be a training fraction"),
    ("hidden", (0,), "must be layer sizes from 1 to 1024"),
]


@pytest.mark.parametrize("field, value, words", BAD, ids=[f"{f}={v!r}" for f, v, _ in BAD])
def test_every_bad_setting_is_one_line_naming_its_field(field, value, words):
    with pytest.raises(ConfigError) as info:
        Config(**{field: value})
    assert info.value.field == field
    assert words in info.value.message and "\n" not in str(info.value)


def test_a_split_that_leaves_a_part_empty_names_split_and_n():
    with pytest.raises(ConfigError) as info:
        Config(n=6, split=0.1)
    assert info.value.field == "split,n"


def test_classes_and_sizes_follow_the_dataset_and_the_features():
    assert Config().sizes == [2, 8, 3] and Config().classes == 3
    assert Config(dataset="moons", hidden=(), features=("x2", "y2", "xy")).sizes == [3, 2]
    assert [Config(dataset=d).classes for d in DATASETS] == [3, 3, 3, 2, 2, 2]


# -------------------------------------------------------- retune and data edits


def test_retune_changes_lr_decay_and_batch_from_the_next_step_keeping_the_state():
    a, b = Trainer(Config(optimizer="momentum")), Trainer(Config(optimizer="momentum"))
    a.step(), b.step()
    config = a.retune(lr=0.02, weight_decay=0.0, batch_size=10)
    assert (
        config
        == a.config
        == dataclasses.replace(b.config, lr=0.02, weight_decay=0.0, batch_size=10)
    )
    assert a.optimizer.m == b.optimizer.m and a.optimizer.lr == 0.02
    fresh = Trainer(config)  # the same update rule, but from a's own state
    for p, q in zip(fresh.parameters, a.parameters):
        p.data = q.data
    fresh.optimizer.m = list(a.optimizer.m)
    fresh.optimizer.t = a.optimizer.t
    assert a.step().train_loss == fresh.step().train_loss
    assert a.retune(batch_size=None).batch_size is None
    with pytest.raises(ConfigError):
        a.retune(lr=-1)
    assert a.config.lr == 0.02


def test_added_points_are_trained_on_at_once_fast_and_textbook():
    fast, textbook = Trainer(Config(n=20)), Trainer(Config(n=20), fast=False)
    fast.step(), textbook.step()
    for t in (fast, textbook):
        assert t.add_point((1.5, -1.5), 2) == 16
    a, b = fast.step(), textbook.step()
    assert close(a.train_loss, b.train_loss)
    unedited = Trainer(Config(n=20))
    unedited.step()
    assert a.train_loss != unedited.step().train_loss  # the new point counts


def test_remove_clear_and_regenerate():
    trainer = Trainer(Config(n=20))
    first = list(trainer.train_split)
    trainer.remove_point(0)
    assert trainer.train_split == first[1:]
    trainer.clear_points()
    assert trainer.train_split == []
    with pytest.raises(EmptyData):
        trainer.step()
    assert trainer.step_count == 0
    assert math.isnan(trainer.evaluation(trainer.train_split).loss)
    trainer.regenerate()
    assert trainer.train_split == first and not trainer.edited
    assert trainer.step().step == 1


@pytest.mark.parametrize(
    "point, label, words",
    [
        ((2.5, 0), 0, "[-2, 2]"),
        ((0, math.nan), 0, "[-2, 2]"),
        ((0, 0), 3, "0 to 2"),
        ((0, 0), -1, "0 to 2"),
    ],
)
def test_a_bad_point_is_refused(point, label, words):
    trainer = Trainer()
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        trainer.add_point(point, label)
    assert len(trainer.train_split) == 80


def test_two_class_labels_are_0_and_1():
    trainer = Trainer(Config(dataset="moons", n=20))
    with pytest.raises(ValueError):
        trainer.add_point((0, 0), 2)
    trainer.add_point((0, 0), 1)


# ------------------------------------------------------------------ resumed runs


def test_minibatch_epochs_are_passes_over_the_training_split():
    trainer = Trainer(Config(n=50, batch_size=15))  # 40 training points: 15, 15, 10
    epochs = [trainer.step().epoch for _ in range(6)]
    assert epochs == [0, 0, 1, 1, 1, 2]
    full = Trainer()
    assert [full.step().epoch for _ in range(2)] == [1, 2]


@pytest.mark.parametrize("fast", [True, False])
def test_save_and_load_resumes_an_edited_minibatch_momentum_spiral_exactly(tmp_path, fast):
    """N steps + save + load + M steps == N + M steps, bit for bit."""
    config = Config(dataset="spiral", n=60, noise=0.2, optimizer="momentum", batch_size=9)
    uninterrupted = Trainer(config, fast=fast)
    for _ in range(3):
        uninterrupted.step()
    uninterrupted.add_point((0.5, -1.25), 1)
    for _ in range(2):
        uninterrupted.step()
    save_run(tmp_path / "run.json", uninterrupted, [])
    loaded, _ = load_run(tmp_path / "run.json", fast=fast)
    assert loaded.config == config and loaded.train_split == uninterrupted.train_split
    for _ in range(7):
        a, b = uninterrupted.step(), loaded.step()
        assert (a.train_loss, a.train_acc, a.epoch) == (b.train_loss, b.train_acc, b.epoch)
    assert [p.data for p in loaded.parameters] == [p.data for p in uninterrupted.parameters]
    assert loaded.optimizer.m == uninterrupted.optimizer.m


def test_the_default_run_is_still_the_tutorials():
    trainer = Trainer()
    first = trainer.step().train_loss
    for _ in range(99):
        last = trainer.step()
    assert first == 1.0122152826497564 and last.train_loss == 0.03906091113485402


def test_momentum_with_weight_decay_by_hand():
    p, opt = one_param_step(Momentum, lr=0.1, momentum=0.5, weight_decay=0.25)
    p.grad = 1.0
    opt.step()  # v = 1 + 0.25 x 2 = 1.5, p = 2 - 0.15
    assert opt.m == [1.5] and close(p.data, 1.85)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("hidden", [(), (6, 5)])
def test_numpy_columns_train_bit_for_bit_as_the_lists(monkeypatch, activation, hidden):
    """A batch of NUMPY_FROM samples or more runs on numpy arrays: the same floats as
    the list path, every loss, weight and optimizer state."""
    import micrograd.fused

    config = Config(
        dataset="spiral", n=400, hidden=hidden, activation=activation, features=("x", "y", "sinx")
    )
    columns, lists = Trainer(config), Trainer(config)
    for _ in range(4):
        monkeypatch.setattr(micrograd.fused, "NUMPY_FROM", 256)
        a = columns.step()
        monkeypatch.setattr(micrograd.fused, "NUMPY_FROM", 10**9)
        b = lists.step()
        assert a == b
    assert [p.data for p in columns.parameters] == [p.data for p in lists.parameters]
    assert columns.optimizer.v == lists.optimizer.v


def test_numpy_columns_match_the_textbook_graph():
    config = Config(dataset="blobs", n=330, hidden=(5,), activation="sigmoid")
    fast, textbook = Trainer(config), Trainer(config, fast=False)
    assert len(fast.train_split) >= 256
    f_loss, f_grads = grads_and_loss(fast, fast.train_split)
    t_loss, t_grads = grads_and_loss(textbook, textbook.train_split)
    assert close(f_loss, t_loss) and all(close(f, t) for f, t in zip(f_grads, t_grads))
