"""The network's health by hand: dead and saturated shares, histograms, update ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd.health import (
    Ratios,
    dead_share,
    hidden_activations,
    histogram,
    layer_health,
    layer_slices,
    map_points,
    ratio_history,
    saturated_share,
    update_ratios,
    zero_lines,
)
from micrograd.run import Run
from micrograd.training import Config, Layers, Trainer

POINTS = [([-1.0, 0.0], 0), ([0.0, 1.0], 1), ([0.5, -1.0], 0), ([1.5, 2.0], 1)]


def relu_model() -> Layers:
    # neuron 0 is relu(x): dead where x <= 0 (2 of the 4 points); neuron 1 is
    # relu(y - 10): dead on every point of the plane
    return Layers(
        [([[1.0, 0.0], [0.0, 1.0]], [0.0, -10.0]), ([[1.0, 1.0]], [0.0])], ("x", "y"), "relu"
    )


def test_dead_shares_by_hand() -> None:
    (health,) = layer_health(relu_model(), POINTS, None)
    assert health.dead == (0.5, 1.0)
    assert health.saturated == (0.0, 0.0)
    assert health.gradients is None


def test_tanh_saturation_by_hand() -> None:
    # tanh(2x) at x = -1, 0, 0.5, 1.5: -0.964, 0, 0.762, 0.995 -> only the last > 0.97
    # tanh(4y) at y = 0, 1, -1, 2: 0, 0.9993, -0.9993, 0.99999 -> 3 of 4
    layers = Layers(
        [([[2.0, 0.0], [0.0, 4.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])], ("x", "y"), "tanh"
    )
    (health,) = layer_health(layers, POINTS, None)
    assert health.saturated == (0.25, 0.75)
    assert health.dead == (0.0, 0.0)


def test_sigmoid_saturation_both_ends() -> None:
    # sigmoid(10x): x = -1 -> 4.5e-5 (< 0.03), 0 -> 0.5, 0.5 -> 0.9933 (> 0.97), 1.5 -> ~1
    outs = hidden_activations(
        Layers([([[10.0, 0.0]], [0.0]), ([[1.0]], [0.0])], ("x", "y"), "sigmoid"),
        np.array([p for p, _ in POINTS]),
    )[0]
    assert saturated_share("sigmoid", outs).tolist() == [0.75]
    assert dead_share("sigmoid", outs).tolist() == [0.0]


def test_activations_follow_features() -> None:
    # one neuron reading x² only: at (1.5, 2) it is 2.25 (linear: no squashing)
    layers = Layers([([[1.0, 0.0]], [0.5]), ([[1.0]], [0.0])], ("x2", "y"), "linear")
    outs = hidden_activations(layers, np.array([[1.5, 2.0], [-1.0, 0.0]]))
    assert outs[0].ravel().tolist() == [2.25 + 0.5, 1.5]


def test_map_points_cover_the_square_top_row_first() -> None:
    pts = map_points(3, 2)
    assert pts.tolist() == [[-2, 2], [0, 2], [2, 2], [-2, -2], [0, -2], [2, -2]]


def test_histogram_by_hand() -> None:
    counts, lo, hi = histogram(np.array([0.0, 0.1, 0.5, 1.0, math.nan]), bins=2)
    assert (counts, lo, hi) == ((2, 2), 0.0, 1.0)
    assert histogram(np.array([3.0, 3.0]), bins=3) == ((2, 0, 0), 3.0, 3.0)


def test_layer_slices_follow_parameters_order() -> None:
    trainer = Trainer(Config(hidden=(8,), n=40))
    assert layer_slices(trainer.layers()) == [slice(0, 24), slice(24, 51)]
    assert len(trainer.parameters) == 51


def test_update_ratio_by_hand() -> None:
    # layer 0 moves from (1, -2, 1) (w0, w1, b) by (0.01, 0.02, -0.03): mean |u| 0.02,
    # mean |before| 4/3: log10(0.015); layer 1 is not moved: -inf
    after = Layers([([[1.01, -1.98]], [0.97]), ([[2.0]], [0.0])])
    ratios = update_ratios(after, [0.01, 0.02, -0.03, 0.0, 0.0])
    assert ratios[0] == pytest.approx(math.log10(0.02 / (4 / 3)))
    assert ratios[1] == -math.inf


def test_one_adamw_step_ratio_by_hand() -> None:
    # AdamW's first step moves each parameter by -lr (g / (|g| + eps) + wd p): lr, very
    # nearly, for every parameter with a gradient (plus the decay's lr * wd * p)
    config = Config(hidden=(4,), n=40, lr=0.01, weight_decay=0.0)
    run = Run(Trainer(config))
    before = [p.data for p in run.trainer.parameters]
    run.step()
    grads = run.trainer.last_grads
    assert grads is not None
    expected = []
    for part in layer_slices(run.trainer.layers()):
        moved = [0.01 * abs(g) / (abs(g) + 1e-8) for g in grads[part]]
        expected.append(math.log10(sum(moved) / sum(abs(b) for b in before[part])))
    (ratios,) = list(run.ratios)
    assert ratios.step == 1
    assert ratios.per_layer == pytest.approx(expected)


def test_ratios_are_bounded_and_restart_after_a_reset() -> None:
    run = Run(Trainer(Config(hidden=(2,), n=40)))
    for _ in range(3):
        run.step()
    assert [r.step for r in run.ratios] == [1, 2, 3]
    run.reset()
    assert list(run.ratios) == []
    history = ratio_history((Ratios(s, (0.0,)) for s in range(1, 1000)), limit=20)
    assert len(history) <= 20 and history[0].step == 1 and history[-1].step == 999


def test_zero_lines_by_hand() -> None:
    # x - 0.5 = 0 crosses between x = 0 and x = 1: the x = 0 column of each row; the
    # second neuron, y = 0, passes through the middle row's cells themselves
    layers = Layers([([[1.0, 0.0], [0.0, 1.0]], [-0.5, 0.0]), ([[1.0, 1.0]], [0.0])])
    found = zero_lines(layers, [-1.0, 0.0, 1.0], [1.0, 0.0, -1.0])
    assert found.tolist() == [
        [False, True, False],
        [True, True, True],
        [False, True, False],
    ]
    squared = Layers(list(layers), ("x2", "y"), "tanh")
    assert zero_lines(squared, [0.0], [0.0]) is None
