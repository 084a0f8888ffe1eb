"""Trainer: one optimisation step, evaluation and prediction; no threads, no UI."""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import reduce
from itertools import repeat
from operator import add
from typing import TYPE_CHECKING

from micrograd.config import (  # noqa: F401 (re-exported: the names callers know)
    MAX_LAYERS,
    MAX_N,
    MAX_NEURON_POINTS,
    MAX_PARAM_POINTS,
    MAX_PARAMS,
    MAX_WIDTH,
    MIN_N,
    NUM_CLASSES,
    Config,
    param_count,
    size_problem,
)
from micrograd.data import RNG, Point, taichi
from micrograd.engine import Value
from micrograd.fused import FusedGraph
from micrograd.losses import cross_entropy, softmax
from micrograd.nn import MLP
from micrograd.optim import AdamW

if TYPE_CHECKING:  # numpy is imported where it computes: the app's first frame does without it
    import numpy as np
    from numpy.typing import ArrayLike

StopCheck = Callable[[], bool] | None
Backward = Callable[[StopCheck], bool]

INPUT_BOUND = 2.0
"""The largest |coordinate| the model is asked about: the data lie in the disk of radius
2, and the boundary plot and the probe in the square [-2, 2]²."""

OUTPUT_BOUND = sys.float_info.max / 8
"""Weights whose every neuron's |b| + sum |w_i| x |input_i| stays below this keep every
sum of the forward pass, each logit and the logits' differences finite (with room for
rounding); above it, some point of the plot would give inf or NaN."""

OVERFLOWING_WEIGHTS = "the weights make the model's outputs overflow"
"""What Diverged says of weights that came from outside (a run file) and overflow."""


@dataclass(frozen=True)
class StepResult:
    """What one update did: the forward pass that produced it, and its number."""

    step: int
    train_loss: float
    train_acc: float


@dataclass(frozen=True)
class Evaluation:
    """The model on a split: mean loss, accuracy, and counts[true][predicted]."""

    loss: float
    accuracy: float
    counts: tuple[tuple[int, ...], ...]


NUMPY_FROM = 256
"""From this many points Trainer.evaluation computes with numpy (2,000 points with hidden
16,16: ~8 ms, against ~150 ms for the loss and the counts point by point)."""


class Diverged(ArithmeticError):
    """A step would have made the loss or the weights non-finite; nothing was changed."""

    def __init__(self, step: int, what: str, config: Config) -> None:
        self.step = step
        self.what = what
        lr, wd = config.lr, config.weight_decay
        advice = (
            f"Try a lower weight decay (now {wd:g}; with lr {lr:g} it overshoots zero)"
            if config.decay_overshoots
            else f"Try a lower learning rate (now {lr:g})"
        )
        super().__init__(f"diverged at step {step}: {what}; the update was not applied. {advice}.")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend the cyclic GC for a block: our graphs hold no cycles, so it only costs time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def argmax(xs: Sequence[float]) -> int:
    """Index of the first largest value (numpy's rule)."""
    return xs.index(max(xs))  # max() keeps the first of equals; index() finds the first


class Trainer:
    """Trains an MLP on the taichi dataset with full-batch AdamW: one step is one epoch.

    fast=True (the default) evaluates a FusedGraph of the training split (kept while
    the split is the same list): each neuron's output over the whole batch, a layer at a
    time, with no node objects; fast=False builds the tutorial's graph node for node each
    step and calls Value.backward(). Both give the same numbers.
    """

    def __init__(self, config: Config | None = None, fast: bool = True) -> None:
        self.config = config or Config()
        self.fast = fast
        self.reset()

    def reset(self) -> None:
        """Back to step 0: the same data and the same initial weights, from the seed."""
        cfg = self.config
        rng = RNG(cfg.seed)
        self.train_split, self.val_split, self.test_split = taichi(rng, cfg.n)
        self.model = MLP(2, [*cfg.hidden, NUM_CLASSES], rng)
        self.optimizer = AdamW(
            self.model.parameters(), cfg.lr, cfg.betas, cfg.eps, cfg.weight_decay
        )
        self.step_count = 0
        self._graph: FusedGraph | None = None  # the fast path's, for the last split it ran
        # each parameter's gradient in the last step, and how much the step moved it;
        # None until this Trainer takes a step (a loaded run's last step is not saved)
        self.last_grads: list[float] | None = None
        self.last_update: list[float] | None = None
        self._last_evaluation: tuple[Sequence[Point], Layers, Evaluation] | None = None
        self._split_arrays: tuple[Sequence[Point], np.ndarray, np.ndarray] | None = None

    @property
    def parameters(self) -> list[Value]:
        return self.model.parameters()

    # ------------------------------------------------------------ training

    def loss_graph(
        self, split: Sequence[Point], should_stop: StopCheck = None
    ) -> tuple[float, list[Sequence[float]], Backward] | None:
        """The mean loss over split, the logits per sample, and backward(should_stop),
        which adds d(loss)/d(parameter) to each parameter's grad and returns False if
        should_stop() turned true midway (the grads then hold part of their sums).

        The fast path runs a FusedGraph (kept while the split is the same list); the
        textbook path builds the tutorial's graph of Values, sample by sample. Returns
        None if should_stop() turns true first (polled every 32 samples on the textbook
        path, before each neuron on the fast path).
        """
        if self.fast:
            graph = self._graph
            if graph is None or graph.split is not split or graph.model is not self.model:
                graph = self._graph = FusedGraph(self.model, split)
            logits = graph.forward(should_stop)
            return None if logits is None else (graph.loss, logits, graph.backward)
        sample_losses: list[Value] = []
        all_logits: list[Sequence[float]] = []
        for i, (x, y) in enumerate(split):
            if should_stop is not None and i % 32 == 0 and should_stop():
                return None
            out = self.model([Value(x[0]), Value(x[1])])
            all_logits.append([v.data for v in out])
            sample_losses.append(cross_entropy(out, y))
        loss = Value(0)
        for sample_loss in sample_losses:
            loss += sample_loss
        loss = loss * (1.0 / len(split))

        def backward(should_stop: StopCheck = None) -> bool:
            loss.backward()
            return True

        return loss.data, all_logits, backward

    def gradients(self, split: Sequence[Point]) -> list[float]:
        """Every parameter's gradient of the mean loss over split (the params' own .grad
        are left as they were)."""
        params = self.optimizer.params
        saved = [p.grad for p in params]
        try:
            for p in params:
                p.grad = 0
            with gc_paused():
                built = self.loss_graph(split)
                assert built is not None
                built[2](None)  # backward
            return [p.grad for p in params]
        finally:
            for p, g in zip(params, saved):
                p.grad = g

    def step(self, should_stop: StopCheck = None) -> StepResult | None:
        """One AdamW update from the whole training split.

        Returns None, changing nothing, if should_stop() turns true mid-step (see
        loss_graph and backward for when it is polled). Raises Diverged, changing
        nothing, if the loss or the update is not finite.
        """
        with gc_paused():  # the graph is acyclic and dies inside: nothing for the GC
            result = self._step(should_stop)
        if result is not None:
            self.step_count = result.step
        return result

    def _step(self, should_stop: StopCheck) -> StepResult | None:
        k = self.step_count + 1
        # weights this Trainer's steps did not make (a loaded run's) are checked once;
        # every update it makes is checked as it is applied
        if self.last_grads is None and self.outputs_overflow():
            raise Diverged(k, OVERFLOWING_WEIGHTS, self.config)
        split = self.train_split
        try:
            built = self.loss_graph(split, should_stop)
        except (ArithmeticError, ValueError) as e:  # e.g. log(0), exp overflow in a graph op
            raise Diverged(k, f"the forward pass failed ({e})", self.config) from None
        if built is None or (should_stop is not None and should_stop()):
            return None
        loss, logits, backward = built
        if not math.isfinite(loss):
            raise Diverged(k, f"the training loss is {loss}", self.config)
        if not backward(should_stop):
            self.optimizer.zero_grad()
            return None
        params = self.optimizer.params
        before = [p.data for p in params]
        grads = [p.grad for p in params]
        opt = self.optimizer
        moments = opt.m, opt.v, opt.t
        try:
            opt.step()
        except FloatingPointError:
            raise Diverged(
                k, "the update would make a weight NaN or infinite", self.config
            ) from None
        finally:
            opt.zero_grad()
        if self.outputs_overflow():  # finite weights, but outputs that would not be
            for p, b in zip(params, before):
                p.data = b
            opt.m, opt.v, opt.t = moments
            raise Diverged(k, "the update would make the model's outputs overflow", self.config)
        self.last_grads = grads
        self.last_update = [p.data - b for p, b in zip(params, before)]
        correct = sum(argmax(lg) == y for lg, (_, y) in zip(logits, split))
        return StepResult(k, loss, correct / len(split))

    def retune(self, lr: float | None = None, weight_decay: float | None = None) -> Config:
        """Change the learning rate or the weight decay (None keeps it) from the next
        step on, without a reset: the weights, the optimizer's moments and the step stay.
        Returns the new config; raises ConfigError, changing nothing, for a bad value."""
        changes = {"lr": lr, "weight_decay": weight_decay}
        config = replace(self.config, **{k: v for k, v in changes.items() if v is not None})
        self.config = config
        self.optimizer.lr, self.optimizer.weight_decay = config.lr, config.weight_decay
        return config

    def outputs_overflow(self) -> bool:
        """Could the weights make an output of the model (a logit, a probability, a loss)
        non-finite somewhere in [-2, 2]²?

        A bound, not a search: each neuron's |b| + sum |w_i| x (the most its input can
        be: INPUT_BOUND, then 1 after tanh) must stay below OUTPUT_BOUND."""
        for i, layer in enumerate(self.model.layers):
            scale = INPUT_BOUND if i == 0 else 1.0
            for neuron in layer.neurons:
                reach = abs(neuron.b.data) + scale * sum(abs(w.data) for w in neuron.w)
                if not reach < OUTPUT_BOUND:  # also NaN
                    return True
        return False

    # ---------------------------------------------------------- evaluation

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) per layer as numpy arrays, W of shape (nout, nin)."""
        import numpy as np

        return [
            (
                np.array([[w.data for w in n.w] for n in layer.neurons], dtype=float),
                np.array([n.b.data for n in layer.neurons], dtype=float),
            )
            for layer in self.model.layers
        ]

    def layers(self) -> Layers:
        """The weights as plain floats, (rows of w, biases) per layer."""
        return [
            ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
            for layer in self.model.layers
        ]

    def logits(self, x: Sequence[float]) -> list[float]:
        """The model's logits at one point, on plain floats, in the textbook's order."""
        return forward_floats(self.layers(), x)

    def probabilities(self, x: Sequence[float]) -> list[float]:
        """softmax of the logits at one point."""
        return softmax(self.logits(x))

    def predict(self, x: Sequence[float]) -> int:
        """The predicted class at one point."""
        return argmax(self.logits(x))

    def evaluate(self, split: Sequence[Point]) -> tuple[float, float]:
        """(mean loss, accuracy) of the current model on split, point by point in plain
        Python: the reference the other evaluations must match to the last bit."""
        evaluation = evaluate_floats(self.layers(), split)
        return evaluation.loss, evaluation.accuracy

    def evaluation(self, split: Sequence[Point]) -> Evaluation:
        """Loss, accuracy and confusion counts of the current model on split, in one pass,
        the same floats as evaluate(): numpy from NUMPY_FROM points (plain Python below,
        where numpy would cost more than it saves, and the first frame does without it).
        The last one is kept: asked again at the same weights, it is not computed again."""
        layers = self.layers()
        last = self._last_evaluation
        if last is not None and last[0] is split and last[1] == layers:
            return last[2]
        if len(split) >= NUMPY_FROM:
            if self._split_arrays is None or self._split_arrays[0] is not split:
                self._split_arrays = (split, *split_arrays(split))
            evaluation = evaluate_numpy(layers, *self._split_arrays[1:])
        else:
            evaluation = evaluate_floats(layers, split)
        self._last_evaluation = (split, layers, evaluation)
        return evaluation

    def predict_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Predicted class at every (x, y) of the grid xs × ys: shape (len(ys), len(xs))."""
        return predict_grid(self.weights(), xs, ys)


Layers = list[tuple[list[list[float]], list[float]]]
"""(rows of w, biases) per layer as plain floats: what forward_floats reads."""


def forward_floats(layers: Layers, x: Sequence[float]) -> list[float]:
    """Logits at one point from plain weights: tanh hidden layers, linear last, each
    neuron b + w0 x0 + w1 x1 + ... in the textbook graph's order (so the same floats)."""
    act = [float(v) for v in x]
    last = len(layers) - 1
    for i, (rows, biases) in enumerate(layers):
        nxt = []
        for row, s in zip(rows, biases):
            for wi, xi in zip(row, act):
                s += wi * xi
            nxt.append(math.tanh(s) if i < last else s)
        act = nxt
    return act


def evaluate_floats(layers: Layers, split: Sequence[Point]) -> Evaluation:
    """Loss, accuracy and confusion counts on split, point by point in plain Python; the
    loss is the textbook's: the max logit subtracted, each sum taken in order."""
    total, correct = 0.0, 0
    counts = [[0] * NUM_CLASSES for _ in range(NUM_CLASSES)]
    for x, y in split:
        lg = forward_floats(layers, x)
        m = max(lg)
        ex = [math.exp(v - m) for v in lg]
        denom = 0.0
        for e in ex:
            denom += e
        p = ex[y] * denom**-1
        total += -math.log(p) if p > 0 else math.inf
        predicted = argmax(lg)
        correct += predicted == y
        counts[y][predicted] += 1
    n = len(split)
    return Evaluation(total * (1.0 / n), correct / n, tuple(tuple(row) for row in counts))


def split_arrays(split: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    """A split's points, shape (k, 2), and its labels as arrays."""
    import numpy as np

    xy = np.array([x for x, _ in split], dtype=float).reshape(-1, 2)
    return xy, np.array([y for _, y in split], dtype=int)


def _each(f: Callable[[float], float], a: np.ndarray) -> np.ndarray:
    """f (a math function) of every element: math's, not numpy's, so the same last bits
    as the plain-Python path (numpy's own tanh, exp and log may differ by an ulp)."""
    import numpy as np

    return np.fromiter(map(f, a.ravel().tolist()), dtype=float, count=a.size).reshape(a.shape)


def evaluate_numpy(layers: Layers, xy: np.ndarray, labels: np.ndarray) -> Evaluation:
    """evaluate_floats' numbers, bit for bit, a layer at a time over all points: each
    neuron's sum b + w0 x0 + w1 x1 + ... as one elementwise product and sum per input, in
    that order (no matmul, whose order is the BLAS's); tanh, exp, log and pow are math's;
    the mean adds the losses left to right. Non-finite logits (weights that overflow) go
    point by point."""
    import numpy as np

    act = xy
    last = len(layers) - 1
    with np.errstate(over="ignore", invalid="ignore"):
        for i, (rows, biases) in enumerate(layers):
            w = np.array(rows, dtype=float)  # (nout, nin)
            s = np.repeat(np.array([biases], dtype=float), len(act), axis=0)
            for j in range(w.shape[1]):  # the product rounded, then the sum: s += wi * xi
                s += act[:, j : j + 1] * w[:, j]
            act = _each(math.tanh, s) if i < last else s
    if not np.isfinite(act).all():
        points = [((float(a), float(b)), int(y)) for (a, b), y in zip(xy.tolist(), labels)]
        return evaluate_floats(layers, points)
    with np.errstate(over="ignore"):  # as in Python: a difference past the largest float is -inf
        ex = _each(math.exp, act - act.max(axis=1, keepdims=True))
    denom = np.zeros(len(ex))
    for j in range(ex.shape[1]):
        denom = denom + ex[:, j]
    inv = np.fromiter(map(pow, denom.tolist(), repeat(-1)), dtype=float, count=len(denom))
    p = ex[np.arange(len(ex)), labels] * inv
    nll = [-math.log(q) if q > 0 else math.inf for q in p.tolist()]
    n = len(nll)
    predicted = act.argmax(axis=1)  # the first largest, as argmax()
    counts = np.bincount(labels * NUM_CLASSES + predicted, minlength=NUM_CLASSES**2)
    matrix = counts.reshape(NUM_CLASSES, NUM_CLASSES).tolist()
    correct = int((predicted == labels).sum())
    return Evaluation(
        reduce(add, nll, 0.0) * (1.0 / n), correct / n, tuple(tuple(row) for row in matrix)
    )


def forward_numpy(weights: Sequence[tuple[ArrayLike, ArrayLike]], points: np.ndarray) -> np.ndarray:
    """Logits for points of shape (k, 2), vectorised: tanh hidden layers, linear last.

    weights: (W, b) per layer, W of shape (nout, nin), as arrays or as plain floats
    (`layers()`)."""
    import numpy as np

    act = points
    with np.errstate(over="ignore", invalid="ignore"):  # weights that overflow give inf/NaN
        for i, (w, b) in enumerate(weights):
            act = act @ np.asarray(w, dtype=float).T + np.asarray(b, dtype=float)
            if i < len(weights) - 1:
                act = np.tanh(act)
    return act


def predict_grid(
    weights: Sequence[tuple[ArrayLike, ArrayLike]], xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Predicted class over the grid xs × ys from layer weights: shape (len(ys), len(xs))."""
    import numpy as np

    gx, gy = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return forward_numpy(weights, pts).argmax(axis=1).reshape(gx.shape)


__all__ = [
    "MAX_LAYERS",
    "MAX_N",
    "MAX_NEURON_POINTS",
    "MAX_PARAMS",
    "MAX_PARAM_POINTS",
    "MAX_WIDTH",
    "OVERFLOWING_WEIGHTS",
    "Config",
    "Diverged",
    "Evaluation",
    "StepResult",
    "Trainer",
    "evaluate_floats",
    "evaluate_numpy",
    "forward_floats",
    "forward_numpy",
    "gc_paused",
    "param_count",
    "predict_grid",
    "size_problem",
    "softmax",
]
