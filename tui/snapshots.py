"""The plain data the worker copies out of the trainer for the app: numbers, never Values."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from micrograd.data import Point
from micrograd.health import (
    MAP_COLS,
    MAP_ROWS,
    LayerHealth,
    Ratios,
    hidden_activations,
    layer_health,
    map_points,
)
from micrograd.introspect import (
    GradCheck,
    GraphNode,
    flatten_sums,
    gradient_check,
    per_class_accuracy,
    sample_graph,
)
from micrograd.training import Layers, Trainer, forward_numpy

if TYPE_CHECKING:  # numpy is imported where it computes: the app's first frame does without it
    import numpy as np

Weights = Layers
"""(rows of W, b) per layer, a row per neuron: what the boundary and the probe are computed
from. Plain floats, not numpy arrays: the app's first frame shows the probe before numpy loads."""


@dataclass(frozen=True)
class Sample:
    """The point the graph view explains: a data point, or a probe point with a chosen label."""

    point: tuple[float, float]
    target: int
    index: int | None = None
    """Its index in the probe's points if it is a data point."""

    @classmethod
    def first(cls, trainer: Trainer) -> Sample:
        """The training split's first point, selected at the start (with none, all
        cleared: a probe point of class 0 at the centre)."""
        if not trainer.train_split:
            return cls((0.0, 0.0), 0)
        (x, y), label = trainer.train_split[0]
        return cls((float(x), float(y)), label, 0)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The model after a step, copied out of the Trainer so the UI can keep it."""

    step: int
    weights: Weights
    params: list[float]
    """Every parameter's value, in `model.named_parameters()` order."""
    adam_m: list[float]
    """AdamW's first moments, in the same order."""
    adam_v: list[float]
    """AdamW's second moments, in the same order."""
    epoch: int | None = None
    """Passes over the training split completed, with minibatches (None: full batches,
    where each step is one)."""

    @classmethod
    def of(cls, trainer: Trainer) -> Snapshot:
        """Copy the trainer's current state (call it from the thread that owns the trainer)."""
        opt = trainer.optimizer
        return cls(
            step=trainer.step_count,
            weights=trainer.layers(),
            params=[p.data for p in opt.params],
            adam_m=list(opt.m),
            adam_v=list(opt.v),
            epoch=None if trainer.config.batch_size is None else trainer.epoch_count,
        )


@dataclass(frozen=True)
class ClassSnapshot:
    """The validation split's confusion matrix at one step."""

    step: int
    counts: tuple[tuple[int, ...], ...]
    """counts[true][predicted]."""

    @classmethod
    def of(cls, trainer: Trainer) -> ClassSnapshot:
        """The validation split's counts (call it where the trainer lives): from the pass
        that evaluated the step's validation loss, if it is at these weights."""
        return cls(trainer.step_count, trainer.evaluation(trainer.val_split).counts)

    @property
    def accuracy(self) -> list[float]:
        """Per-class accuracy (recall); NaN for a class with no samples."""
        return per_class_accuracy([list(row) for row in self.counts])


def misclassified(weights: Weights, points: Sequence[Point]) -> list[int]:
    """Indices of the points the model with these weights gets wrong (numpy, any thread)."""
    if not points:
        return []
    import numpy as np  # here, not at the top: the app's first frame does without numpy

    xy = np.array([x for x, _ in points], dtype=float)
    labels = np.array([y for _, y in points])
    wrong = forward_numpy(weights, xy).argmax(axis=1) != labels
    return [int(i) for i in np.flatnonzero(wrong)]


@dataclass(frozen=True)
class GraphSnapshot:
    """One sample's graph as plain data: what the worker hands the graph view."""

    step: int
    point: tuple[float, float]
    target: int
    nodes: tuple[GraphNode, ...]
    """In topological order, the loss last (see micrograd.introspect.sample_graph)."""

    @classmethod
    def of(cls, trainer: Trainer, point: Sequence[float], target: int) -> GraphSnapshot:
        """Build, run and backprop the sample's own graph (call it where the trainer lives)."""
        x = (float(point[0]), float(point[1]))
        snap = cls(trainer.step_count, x, target, tuple(sample_graph(trainer, x, target)))
        _ = snap.flat  # flattened here, in the worker, not in the view
        return snap

    @cached_property
    def flat(self) -> tuple[GraphNode, ...]:
        """The same nodes with each staircase of + read as one sum (see flatten_sums)."""
        return tuple(flatten_sums(list(self.nodes)))

    @cached_property
    def structure(self) -> tuple[tuple[str, str, str, tuple[int, ...]], ...]:
        """Everything but the numbers: equal structures can be relabelled in place."""
        return tuple((n.op, n.kind, n.name, n.children) for n in self.nodes)


@dataclass(frozen=True)
class ParamRow:
    """One parameter as plain numbers."""

    name: str
    value: float
    grad: float | None
    """Its gradient of the mean training loss in the last step (None: no step taken)."""
    m: float
    """AdamW's first moment."""
    v: float
    """AdamW's second moment."""
    update: float | None
    """How much the last step moved it, new value - old value (None: no step taken)."""


@dataclass(frozen=True)
class ParamSnapshot:
    """Every parameter after a step: what the worker hands the parameter table."""

    step: int
    rows: tuple[ParamRow, ...]

    @property
    def stepped(self) -> bool:
        """Whether the rows hold a step's grads and updates (not before the first step
        since the start, a reset or a load)."""
        return all(r.grad is not None for r in self.rows)

    @classmethod
    def of(cls, trainer: Trainer) -> ParamSnapshot:
        """Copy the parameters and the optimizer state (call it where the trainer lives)."""
        opt = trainer.optimizer
        named = trainer.model.named_parameters()
        return cls.from_arrays(
            trainer.step_count,
            [name for name, _ in named],
            [p.data for _, p in named],
            trainer.last_grads,
            opt.m,
            opt.v,
            trainer.last_update,
        )

    @classmethod
    def from_arrays(
        cls,
        step: int,
        names: Sequence[str],
        values: Sequence[float],
        grads: Sequence[float] | None,
        m: Sequence[float],
        v: Sequence[float],
        updates: Sequence[float] | None,
    ) -> ParamSnapshot:
        """From aligned sequences (lists or numpy arrays) in named_parameters() order;
        grads and updates None if no step has been taken."""
        unknown = [None] * len(names)
        columns = (names, values, unknown if grads is None else grads, m, v)
        columns += (unknown if updates is None else updates,)
        if len({len(c) for c in columns}) != 1:
            raise ValueError(f"ParamSnapshot: lengths differ: {[len(c) for c in columns]}")
        rows = tuple(
            ParamRow(n, float(a), maybe(g), float(mm), float(vv), maybe(u))
            for n, a, g, mm, vv, u in zip(*columns)
        )
        return cls(step, rows)


def maybe(x: float | None) -> float | None:
    return None if x is None else float(x)


TOLERANCE = 1e-6
"""A parameter whose relative error exceeds this is flagged."""


@dataclass(frozen=True)
class GradCheckSnapshot:
    """Every parameter's autograd and numeric gradient at one step."""

    step: int
    checks: tuple[GradCheck, ...]
    split_size: int
    """How many training samples the mean loss was taken over."""
    loss: float | None = None
    """The mean training loss at the weights checked, if some parameter could not be
    checked (the summary then names it); else None, saving an evaluation a check."""

    @classmethod
    def of(
        cls,
        trainer: Trainer,
        should_stop: Callable[[], bool] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> GradCheckSnapshot | None:
        """Run the check (two evaluations per parameter; call it where the trainer lives);
        None if should_stop() turned true first. progress(done, total) counts parameters."""
        if not trainer.train_split:  # all cleared: no loss, nothing to check
            return cls(trainer.step_count, (), 0)
        checks = gradient_check(trainer, should_stop=should_stop, progress=progress)
        if checks is None:
            return None
        loss = None
        if not all(map(checkable, checks)):
            loss = trainer.evaluate(trainer.train_split)[0]
        return cls(trainer.step_count, tuple(checks), len(trainer.train_split), loss)

    @property
    def worst(self) -> GradCheck | None:
        """The check with the largest relative error (NaN counts as the largest)."""
        if not self.checks:
            return None
        return max(self.checks, key=lambda c: c.rel_error if c.rel_error == c.rel_error else 1e300)

    @property
    def flagged(self) -> list[GradCheck]:
        """Checks over the tolerance (or NaN), central differences permitting."""
        return [c for c in self.checks if not c.rel_error <= TOLERANCE and checkable(c)]

    @property
    def uncheckable(self) -> list[GradCheck]:
        """Checks whose central difference is not a number: the loss was not finite
        around the weight (e.g. the last weights of a diverged run), so there is
        nothing to compare the autograd gradient with."""
        return [c for c in self.checks if not checkable(c)]


def checkable(c: GradCheck) -> bool:
    return math.isfinite(c.numeric)


@dataclass(frozen=True, eq=False)
class NeuronSnapshot:
    """Every hidden neuron after a step: its map over the plot's square, its weights, and
    the layers' health: what the worker hands the neurons view."""

    step: int
    layers: Layers
    """The whole model's weights (hidden layers, then the output)."""
    maps: tuple[np.ndarray, ...]
    """Per hidden layer, its neurons' outputs at the map's cells: shape (MAP_ROWS,
    MAP_COLS, width), top row first."""
    health: tuple[LayerHealth, ...]
    ratios: tuple[Ratios, ...]
    """The update-to-data ratios of the steps recorded up to this one, oldest first (at a
    past step, not the steps the run took after it)."""

    @classmethod
    def of(cls, trainer: Trainer, ratios: Sequence[Ratios] = ()) -> NeuronSnapshot:
        """Compute it from the trainer's weights (call it where the trainer lives)."""
        layers = trainer.layers()
        outs = hidden_activations(layers, map_points())
        maps = tuple(o.reshape(MAP_ROWS, MAP_COLS, -1) for o in outs)
        health = layer_health(layers, trainer.train_split, trainer.last_grads)
        step = trainer.step_count
        kept = tuple(r for r in ratios if r.step <= step)
        return cls(step, layers, maps, tuple(health), kept)


__all__ = [
    "Sample",
    "TOLERANCE",
    "ClassSnapshot",
    "GradCheckSnapshot",
    "GraphSnapshot",
    "NeuronSnapshot",
    "ParamRow",
    "ParamSnapshot",
    "Snapshot",
    "Weights",
    "checkable",
    "misclassified",
]
