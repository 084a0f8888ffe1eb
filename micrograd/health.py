"""The network's health: every hidden neuron's map and its dead or saturated share, the
layers' activation and gradient histograms, the update-to-data ratio per layer."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

from micrograd.data import LIMIT, Point
from micrograd.runs import History
from micrograd.training import Layers, feature_columns, numpy_activation, split_arrays

if TYPE_CHECKING:  # numpy is imported where it computes
    import numpy as np

MAP_COLS, MAP_ROWS = 32, 16
"""Each neuron's map samples the plot's square at this many columns and rows (cells are
about twice as tall as wide, so the map is square on screen)."""

SATURATED = 0.97
"""A tanh is saturated where |tanh| > 0.97, a sigmoid below 0.03 or above 0.97: there its
local derivative (1 - t², s (1 - s)) is under 6% of its largest, and learning stalls."""

BINS = 10
"""Bars of each histogram."""

RATIO_GUIDE = -3.0
"""log10 of the update-to-data ratio a healthy run keeps near (1e-3)."""

MAX_RATIOS = 400
"""Steps of ratios kept: the first, the newest half and a thinned middle (a History)."""


def hidden_activations(layers: Layers, xy: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's outputs at the points xy of shape (k, 2): one array of shape
    (k, width) per hidden layer, from the plain weights (no Value graph)."""
    import numpy as np

    act = feature_columns(layers.features, np.asarray(xy, dtype=float).reshape(-1, 2))
    outs = []
    with np.errstate(over="ignore", invalid="ignore"):
        for rows, biases in layers[:-1]:
            b = np.asarray(biases, dtype=float)
            w = np.asarray(rows, dtype=float).reshape(len(b), -1)
            # einsum, not @: a small matmul wakes BLAS's threads, which on a loaded
            # machine take the cores the training thread needs
            act = numpy_activation(layers.activation, np.einsum("kj,ij->ki", act, w) + b)
            outs.append(act)
    return outs


def map_points(cols: int = MAP_COLS, rows: int = MAP_ROWS) -> np.ndarray:
    """The centres of a map's cells, top row first (y = LIMIT), left to right: shape
    (rows * cols, 2)."""
    import numpy as np

    xs = np.linspace(-LIMIT, LIMIT, cols)
    ys = np.linspace(LIMIT, -LIMIT, rows)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def dead_share(activation: str, outs: np.ndarray) -> np.ndarray:
    """Per neuron (column of outs), the share of the points where it is dead: a ReLU at
    exactly 0, passing no gradient back. Other activations are never dead (zeros)."""
    import numpy as np

    if activation != "relu" or len(outs) == 0:
        return np.zeros(outs.shape[1])
    return (outs <= 0).mean(axis=0)


def saturated_share(activation: str, outs: np.ndarray) -> np.ndarray:
    """Per neuron, the share of the points where it is saturated (see SATURATED)."""
    import numpy as np

    if len(outs) == 0:
        return np.zeros(outs.shape[1])
    if activation == "tanh":
        return (np.abs(outs) > SATURATED).mean(axis=0)
    if activation == "sigmoid":
        return ((outs < 1 - SATURATED) | (outs > SATURATED)).mean(axis=0)
    return np.zeros(outs.shape[1])


def histogram(values: np.ndarray, bins: int = BINS) -> tuple[tuple[int, ...], float, float]:
    """(counts, lo, hi): the finite values counted in bins equal bins from their least to
    their largest (all in the first bin if they are equal; no bins' counts if none)."""
    import numpy as np

    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return (0,) * bins, 0.0, 0.0
    lo, hi = float(v.min()), float(v.max())
    if hi == lo:
        return (len(v),) + (0,) * (bins - 1), lo, hi
    counts, _ = np.histogram(v, bins=bins, range=(lo, hi))
    return tuple(int(c) for c in counts), lo, hi


def layer_slices(layers: Sequence[tuple[Sequence[object], Sequence[float]]]) -> list[slice]:
    """Where each layer's parameters lie in the model's parameters() order (each neuron
    its weights, then its bias)."""
    slices, start = [], 0
    for rows, biases in layers:
        size = sum(len(row) + 1 for row in rows) if rows else len(biases)
        slices.append(slice(start, start + size))
        start += size
    return slices


def update_ratios(layers: Layers, update: Sequence[float]) -> tuple[float, ...]:
    """Per layer, log10 of the update-to-data ratio of the step that made the weights
    layers by moving them update: mean |update| / mean |value before the update| over the
    layer's parameters (a ratio of means: a weight that happens to be near 0 does not
    swamp it). -inf for a layer the step did not move, +inf for one that was all zeros."""
    after = [x for rows, biases in layers for row, b in zip(rows, biases) for x in (*row, b)]
    ratios = []
    for part in layer_slices(layers):
        moved = [abs(u) for u in update[part]]
        before = [abs(a - u) for a, u in zip(after[part], update[part])]
        num, den = sum(moved) / len(moved), sum(before) / len(before)
        if num == 0:
            ratios.append(-math.inf)
        elif den == 0:
            ratios.append(math.inf)
        else:
            ratios.append(math.log10(num / den))
    return tuple(ratios)


def zero_lines(layers: Layers, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray | None:
    """The cells of the grid xs × ys (rows ys, as given) that a first-layer neuron's zero
    line w0 x + w1 y + b = 0 passes through: a cell whose sum is 0, or whose sum and the
    sum of the cell right of it or below it have opposite signs. None unless the model
    reads x, y: with other features the lines are curves in another space."""
    import numpy as np

    if tuple(layers.features) != ("x", "y") or len(layers) < 2:
        return None
    gx, gy = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    rows, biases = layers[0]
    found = np.zeros(gx.shape, dtype=bool)
    for (w0, w1), b in zip(rows, biases):
        sign = np.sign(w0 * gx + w1 * gy + b)
        found |= sign == 0
        across = sign[:, 1:] * sign[:, :-1] < 0
        down = sign[1:, :] * sign[:-1, :] < 0
        found[:, :-1] |= across
        found[:-1, :] |= down
    return found


@dataclass(frozen=True, slots=True)
class Ratios:
    """One step's update-to-data ratios, log10 per layer (hidden layers, then the output)."""

    step: int
    per_layer: tuple[float, ...]

    @property
    def loudest(self) -> float:
        finite = [r for r in self.per_layer if math.isfinite(r)]
        return max(finite, default=-math.inf)


def ratio_history(ratios: Iterable[Ratios] = (), limit: int = MAX_RATIOS) -> History[Ratios]:
    """A run's ratios, bounded as its records are: the first, the newest half and the
    middle thinned to the largest per stride, so a jump stays drawn."""
    return History(
        ratios, limit, step=attrgetter("step"), prefer=lambda new, kept: new.loudest > kept.loudest
    )


@dataclass(frozen=True)
class LayerHealth:
    """One hidden layer on the training data: each neuron's dead and saturated shares,
    and the histograms of its outputs and of its parameters' last gradients."""

    dead: tuple[float, ...]
    saturated: tuple[float, ...]
    activations: tuple[tuple[int, ...], float, float]
    gradients: tuple[tuple[int, ...], float, float] | None
    """None before the first step."""


def layer_health(
    layers: Layers, split: Sequence[Point], grads: Sequence[float] | None
) -> list[LayerHealth]:
    """Every hidden layer's health over split (see LayerHealth)."""
    import numpy as np

    xy = split_arrays(split)[0] if split else np.zeros((0, 2))
    outs = hidden_activations(layers, xy)
    slices = layer_slices(layers)
    result = []
    for i, out in enumerate(outs):
        g = None if grads is None else histogram(np.asarray(grads[slices[i]], dtype=float))
        result.append(
            LayerHealth(
                tuple(dead_share(layers.activation, out).tolist()),
                tuple(saturated_share(layers.activation, out).tolist()),
                histogram(out),
                g,
            )
        )
    return result


__all__ = [
    "BINS",
    "MAP_COLS",
    "MAP_ROWS",
    "MAX_RATIOS",
    "RATIO_GUIDE",
    "SATURATED",
    "LayerHealth",
    "Ratios",
    "dead_share",
    "hidden_activations",
    "histogram",
    "layer_health",
    "layer_slices",
    "map_points",
    "ratio_history",
    "saturated_share",
    "update_ratios",
    "zero_lines",
]
