"""Trainer: one optimisation step, evaluation and prediction; no threads, no UI."""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import reduce
from itertools import repeat
from operator import add
from typing import TYPE_CHECKING, Any

from micrograd.config import (  # noqa: F401 (re-exported: the names callers know)
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    MAX_LAYERS,
    MAX_N,
    MAX_NEURON_POINTS,
    MAX_PARAM_POINTS,
    MAX_PARAMS,
    MAX_WIDTH,
    MIN_N,
    NUM_CLASSES,
    OPTIMIZERS,
    Config,
    param_count,
    size_problem,
)
from micrograd.data import (
    FEATURE_BOUNDS,
    FEATURE_FUNCTIONS,
    LIMIT,
    RNG,
    Point,
    dataset,
    featurize,
)
from micrograd.engine import ACTIVATION_FUNCTIONS, Value
from micrograd.fused import NUMPY_FROM as FUSED_NUMPY_FROM
from micrograd.fused import FusedGraph
from micrograd.losses import cross_entropy, softmax
from micrograd.nn import MLP
from micrograd.optim import make_optimizer

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
    """What one update did: the forward pass (over its batch) that produced it, its
    number, and the passes over the training split completed after it."""

    step: int
    train_loss: float
    train_acc: float
    epoch: int = 0


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


class EmptyData(ValueError):
    """A step was asked of a training split with no points (all cleared): nothing to
    learn from; add points or regenerate the data."""

    def __init__(self) -> None:
        super().__init__("the training split has no points: add some, or regenerate the data")


Settings = tuple[int, float, float, int | None]
"""A change of the live settings: (step, lr, weight decay, batch size) from the step after."""

KEEP: object = object()
"""retune()'s default: leave that setting as it is."""

BATCH_STREAM = 0x9E3779B97F4A7C15
"""Mixed into the seed for the RNG that draws minibatches: a stream apart from the data's
and the weights' (xorshift* of the seed itself would repeat the data's draws)."""


def batch_rng(seed: int) -> RNG:
    """The RNG that shuffles the training split for minibatches, from the run's seed."""
    return RNG((seed ^ BATCH_STREAM) or BATCH_STREAM)


def engine(batch: int, fast: bool = True) -> str:
    """Which engine a step over batch points runs on: "textbook", the tutorial's graph of
    Values built node by node (fast=False); else the fused path, whose columns are
    Python lists ("fused") or, from fused.NUMPY_FROM points, numpy arrays ("numpy")."""
    if not fast:
        return "textbook"
    return "numpy" if batch >= FUSED_NUMPY_FROM else "fused"


def batch_points(batch_size: int | None, train: int) -> int:
    """How many points a step's batch holds: batch_size of the train points, or all."""
    return train if batch_size is None else min(batch_size, train)


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
    """Trains an MLP on the config's dataset: by default the tutorial's, taichi with
    full-batch AdamW, where one step is one epoch; or minibatches of config.batch_size
    drawn with the seeded RNG, a pass over the shuffled training split per epoch.

    fast=True (the default) evaluates a FusedGraph of the batch (kept while the batch is
    the same list): each neuron's output over the whole batch, a layer at a time, with
    no node objects; fast=False builds the tutorial's graph node for node each step and
    calls Value.backward(). Both give the same numbers.

    The training split can be edited between steps (add_point, remove_point,
    clear_points, regenerate): training goes on from the same weights on the new data.
    """

    def __init__(self, config: Config | None = None, fast: bool = True) -> None:
        self.config = config or Config()
        self.fast = fast
        self.reset()

    def reset(self) -> None:
        """Back to step 0: the same data and the same initial weights, from the seed."""
        cfg = self.config
        rng = RNG(cfg.seed)
        self.train_split, self.val_split, self.test_split = dataset(
            cfg.dataset, rng, cfg.n, cfg.noise, cfg.split
        )
        self.model = MLP(len(cfg.features), [*cfg.hidden, cfg.classes], rng, cfg.activation)
        self.optimizer = make_optimizer(
            cfg.optimizer, self.model.parameters(), cfg.lr, cfg.betas, cfg.eps, cfg.weight_decay
        )
        self.step_count = 0
        self.epoch_count = 0
        """Passes over the training split completed (with full batches, the steps)."""
        self.settings: list[Settings] = [(0, cfg.lr, cfg.weight_decay, cfg.batch_size)]
        """The live settings since step 0: (step, lr, weight decay, batch size), each from
        the step after its step on (retune adds one), so a replay from the seed retrains
        the run exactly; empty if not known (a loaded run saved before they were kept)."""
        self.edited = False
        """Has the training split been edited since it was generated?"""
        self.batch_rng = batch_rng(cfg.seed)
        self.batch_order: list[int] = []  # this epoch's shuffled training indices
        self.batch_pos = 0  # where in batch_order the next batch starts
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

    @property
    def engine(self) -> str:
        """The engine the next step runs on (see engine())."""
        return engine(batch_points(self.config.batch_size, len(self.train_split)), self.fast)

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
        if not split:
            raise EmptyData()
        features = self.config.features
        if self.fast:
            graph = self._graph
            if graph is None or graph.split is not split or graph.model is not self.model:
                graph = self._graph = FusedGraph(self.model, split, features)
            logits = graph.forward(should_stop)
            return None if logits is None else (graph.loss, logits, graph.backward)
        sample_losses: list[Value] = []
        all_logits: list[Sequence[float]] = []
        for i, (x, y) in enumerate(split):
            if should_stop is not None and i % 32 == 0 and should_stop():
                return None
            out = self.model([Value(f) for f in featurize(features, x)])
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
        """One update of the optimizer from the next batch (the whole training split
        by default).

        Returns None, changing nothing, if should_stop() turns true mid-step (see
        loss_graph and backward for when it is polled). Raises Diverged, changing
        nothing, if the loss or the update is not finite; EmptyData if the training
        split has no points.
        """
        if not self.train_split:
            raise EmptyData()
        batch, state = self.next_batch()
        with gc_paused():  # the graph is acyclic and dies inside: nothing for the GC
            result = self._step(batch, should_stop)
        if result is not None:
            self.step_count = result.step
            self.batch_rng.state, self.batch_order, self.batch_pos = state[:3]
            self.epoch_count = state[3]
            result = replace(result, epoch=self.epoch_count)
        return result

    def next_batch(self) -> tuple[Sequence[Point], tuple[int, list[int], int, int]]:
        """The points of the next step, and the batch state after it (the RNG's state,
        the epoch's order, the position in it, the epochs completed), which step()
        keeps only if the step is taken. A batch of the whole split (batch_size None,
        or as large) is the split itself, and each is an epoch; otherwise an epoch
        shuffles the split's indices (Fisher-Yates, with the seeded batch RNG) and takes
        them batch_size at a time, the last batch what remains."""
        split, size = self.train_split, self.config.batch_size
        if size is None or size >= len(split):
            return split, (self.batch_rng.state, [], 0, self.epoch_count + 1)
        rng = RNG(self.batch_rng.state)
        order, pos, epoch = self.batch_order, self.batch_pos, self.epoch_count
        if pos >= len(order):
            order = list(range(len(split)))
            for i in range(len(order) - 1, 0, -1):
                j = rng.random_u32() % (i + 1)
                order[i], order[j] = order[j], order[i]
            pos = 0
        batch = [split[i] for i in order[pos : pos + size]]
        pos += size
        if pos >= len(order):
            epoch += 1
        return batch, (rng.state, order, pos, epoch)

    def _step(self, split: Sequence[Point], should_stop: StopCheck) -> StepResult | None:
        k = self.step_count + 1
        # weights this Trainer's steps did not make (a loaded run's) are checked once;
        # every update it makes is checked as it is applied
        if self.last_grads is None and self.outputs_overflow():
            raise Diverged(k, OVERFLOWING_WEIGHTS, self.config)
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

    def outputs_overflow(self) -> bool:
        """Could the weights make an output of the model (a logit, a probability, a loss)
        non-finite somewhere in [-2, 2]²?

        A bound, not a search: each neuron's |b| + sum |w_i| x (the most its input can
        be: the feature's bound, INPUT_BOUND for x and y, then 1 after tanh or sigmoid,
        the neuron's own reach after relu or none) must stay below OUTPUT_BOUND."""
        bounds = [FEATURE_BOUNDS[f] for f in self.config.features]
        for layer in self.model.layers:
            reaches = []
            for neuron in layer.neurons:
                if all(b == bounds[0] for b in bounds):
                    reach = abs(neuron.b.data) + bounds[0] * sum(abs(w.data) for w in neuron.w)
                else:
                    reach = abs(neuron.b.data) + sum(
                        abs(w.data) * b for w, b in zip(neuron.w, bounds)
                    )
                if not reach < OUTPUT_BOUND:  # also NaN
                    return True
                reaches.append(1.0 if neuron.activation in ("tanh", "sigmoid") else reach)
            bounds = reaches
        return False

    # -------------------------------------------------- live changes and data edits

    def retune(
        self, lr: object = KEEP, weight_decay: object = KEEP, batch_size: object = KEEP
    ) -> Config:
        """Change what can change without a reset, from the next step on: the learning
        rate, the weight decay, the batch size (None: the whole training split). The
        optimizer keeps its state. Returns the new config (also self.config); raises
        ConfigError, changing nothing, if a value is bad."""
        changes = {
            k: v
            for k, v in (("lr", lr), ("weight_decay", weight_decay), ("batch_size", batch_size))
            if v is not KEEP
        }
        config = replace(self.config, **changes)  # validated: ConfigError
        self.config = config
        if self.settings:  # a new list: a rewind's States share the old one
            live = (self.step_count, config.lr, config.weight_decay, config.batch_size)
            self.settings = [*(s for s in self.settings if s[0] != self.step_count), live]
        self.optimizer.lr = config.lr
        self.optimizer.weight_decay = config.weight_decay
        return config

    def _edited(self, train: list[Point]) -> None:
        """Train from now on over train (a new list: the fused graph and the cached
        evaluation see it is new); the epoch's order starts again."""
        self.train_split = train
        self.edited = True
        self.batch_order, self.batch_pos = [], 0

    def add_point(self, point: Sequence[float], label: int) -> int:
        """Add a training point of class label at point; returns its index. ValueError
        if the point is outside the plot's square, the label not a class, or the
        training split full (MAX_N points)."""
        if len(point) != 2 or not all(
            isinstance(v, (int, float)) and math.isfinite(v) and -LIMIT <= v <= LIMIT for v in point
        ):
            raise ValueError(f"a point must lie in [-{LIMIT:g}, {LIMIT:g}]², got {tuple(point)}")
        classes = self.config.classes
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < classes:
            raise ValueError(f"the label must be a class from 0 to {classes - 1}, got {label!r}")
        if len(self.train_split) >= MAX_N:
            raise ValueError(f"the training split holds {MAX_N} points, the most it may")
        self._edited([*self.train_split, ([float(point[0]), float(point[1])], label)])
        return len(self.train_split) - 1

    def remove_point(self, index: int) -> None:
        """Remove the training point at index (IndexError if there is none)."""
        if not 0 <= index < len(self.train_split):
            raise IndexError(f"no training point {index} (there are {len(self.train_split)})")
        self._edited(self.train_split[:index] + self.train_split[index + 1 :])

    def clear_points(self) -> None:
        """Remove every training point: an empty plane to add points to (a step before
        one is added raises EmptyData)."""
        self._edited([])

    def regenerate(self) -> None:
        """The config's dataset anew from its seed, every split as at step 0; the model
        and the optimizer keep their state."""
        cfg = self.config
        self.train_split, self.val_split, self.test_split = dataset(
            cfg.dataset, RNG(cfg.seed), cfg.n, cfg.noise, cfg.split
        )
        self.edited = False
        self.batch_order, self.batch_pos = [], 0

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
        """The weights as plain floats, (rows of w, biases) per layer, with the features
        and the activation they are read with."""
        return Layers(
            [
                ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
                for layer in self.model.layers
            ],
            self.config.features,
            self.config.activation,
        )

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
        return predict_grid(self.weights(), xs, ys, self.config.features, self.config.activation)


class Layers(list[tuple[list[list[float]], list[float]]]):
    """(rows of w, biases) per layer as plain floats: what forward_floats reads; and how
    the model reads a point: its input features (x, y by default) and its hidden
    layers' activation (tanh by default). A plain list of layers is read the
    tutorial's way."""

    def __init__(
        self,
        layers: Iterable[tuple[list[list[float]], list[float]]] = (),
        features: Sequence[str] = ("x", "y"),
        activation: str = "tanh",
    ) -> None:
        super().__init__(layers)
        self.features = tuple(features)
        self.activation = activation

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, list):
            return NotImplemented
        return super().__eq__(other) and reading(other) == (self.features, self.activation)

    __hash__ = None  # type: ignore[assignment]


def reading(
    weights: object, features: Sequence[str] | None = None, activation: str | None = None
) -> tuple[tuple[str, ...], str]:
    """The features and activation to read weights with: those given, else the weights'
    own (a Layers), else the tutorial's (x, y and tanh)."""
    return (
        tuple(features if features is not None else getattr(weights, "features", ("x", "y"))),
        activation if activation is not None else getattr(weights, "activation", "tanh"),
    )


def classes_of(layers: Sequence[tuple[Sequence[Any], Sequence[float]]]) -> int:
    """The number of classes of a model from its weights: its last layer's neurons."""
    return len(layers[-1][1])


def forward_floats(
    layers: Layers,
    x: Sequence[float],
    features: Sequence[str] | None = None,
    activation: str | None = None,
) -> list[float]:
    """Logits at one point (x, y) from plain weights: the point's features in, hidden
    layers of the activation, linear last, each neuron b + w0 x0 + w1 x1 + ... in the
    textbook graph's order (so the same floats)."""
    features, activation = reading(layers, features, activation)
    act = featurize(features, x)
    f = ACTIVATION_FUNCTIONS[activation]
    last = len(layers) - 1
    for i, (rows, biases) in enumerate(layers):
        nxt = []
        for row, s in zip(rows, biases):
            for wi, xi in zip(row, act):
                s += wi * xi
            nxt.append(f(s) if i < last else s)
        act = nxt
    return act


def evaluate_floats(layers: Layers, split: Sequence[Point]) -> Evaluation:
    """Loss, accuracy and confusion counts on split, point by point in plain Python; the
    loss is the textbook's: the max logit subtracted, each sum taken in order. An empty
    split has NaN loss and accuracy."""
    total, correct = 0.0, 0
    k = classes_of(layers)
    counts = [[0] * k for _ in range(k)]
    if not split:
        return Evaluation(math.nan, math.nan, tuple(tuple(row) for row in counts))
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


def feature_columns(features: Sequence[str], xy: np.ndarray) -> np.ndarray:
    """The model's inputs at points of shape (k, 2): shape (k, len(features)), the same
    floats as featurize (sin is math's)."""
    import numpy as np

    if tuple(features) == ("x", "y"):
        return xy
    x, y = xy[:, 0], xy[:, 1]
    columns = {
        "x": lambda: x,
        "y": lambda: y,
        "x2": lambda: x * x,
        "y2": lambda: y * y,
        "xy": lambda: x * y,
        "sinx": lambda: _each(math.sin, x),
        "siny": lambda: _each(math.sin, y),
    }
    assert set(columns) == set(FEATURE_FUNCTIONS)
    return np.stack([columns[f]() for f in features], axis=1).reshape(len(xy), len(features))


def evaluate_numpy(layers: Layers, xy: np.ndarray, labels: np.ndarray) -> Evaluation:
    """evaluate_floats' numbers, bit for bit, a layer at a time over all points: each
    neuron's sum b + w0 x0 + w1 x1 + ... as one elementwise product and sum per input, in
    that order (no matmul, whose order is the BLAS's); the activations, exp, log and pow
    are math's; the mean adds the losses left to right. Non-finite logits (weights that
    overflow) go point by point."""
    import numpy as np

    features, activation = reading(layers)
    f = ACTIVATION_FUNCTIONS[activation]
    act = feature_columns(features, xy)
    last = len(layers) - 1
    with np.errstate(over="ignore", invalid="ignore"):
        for i, (rows, biases) in enumerate(layers):
            w = np.array(rows, dtype=float).reshape(len(biases), -1)  # (nout, nin)
            s = np.repeat(np.array([biases], dtype=float), len(act), axis=0)
            for j in range(w.shape[1]):  # the product rounded, then the sum: s += wi * xi
                s += act[:, j : j + 1] * w[:, j]
            act = _each(f, s) if i < last and activation != "linear" else s
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
    k = classes_of(layers)
    counts = np.bincount(labels * k + predicted, minlength=k**2)
    matrix = counts.reshape(k, k).tolist()
    correct = int((predicted == labels).sum())
    return Evaluation(
        reduce(add, nll, 0.0) * (1.0 / n), correct / n, tuple(tuple(row) for row in matrix)
    )


def numpy_activation(activation: str, a: np.ndarray) -> np.ndarray:
    """The activation of every element, numpy's way (fast; the last bit may differ)."""
    import numpy as np

    if activation == "tanh":
        return np.tanh(a)
    if activation == "relu":
        return np.where(a < 0, 0.0, a)
    if activation == "sigmoid":  # e^-|a| never overflows
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1 / (1 + e), e / (1 + e))
    return a


def forward_numpy(
    weights: Sequence[tuple[ArrayLike, ArrayLike]],
    points: np.ndarray,
    features: Sequence[str] | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """Logits for points (x, y) of shape (k, 2), vectorised: the points' features in,
    hidden layers of the activation, linear last.

    weights: (W, b) per layer, W of shape (nout, nin), as arrays or as plain floats
    (`layers()`, which also says the features and the activation)."""
    import numpy as np

    features, activation = reading(weights, features, activation)
    act = feature_columns(features, np.asarray(points, dtype=float).reshape(-1, 2))
    with np.errstate(over="ignore", invalid="ignore"):  # weights that overflow give inf/NaN
        for i, (w, b) in enumerate(weights):
            b = np.asarray(b, dtype=float)
            act = act @ np.asarray(w, dtype=float).reshape(len(b), -1).T + b
            if i < len(weights) - 1:
                act = numpy_activation(activation, act)
    return act


def predict_grid(
    weights: Sequence[tuple[ArrayLike, ArrayLike]],
    xs: np.ndarray,
    ys: np.ndarray,
    features: Sequence[str] | None = None,
    activation: str | None = None,
) -> np.ndarray:
    """Predicted class over the grid xs × ys from layer weights: shape (len(ys), len(xs))."""
    import numpy as np

    gx, gy = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return forward_numpy(weights, pts, features, activation).argmax(axis=1).reshape(gx.shape)


__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "FEATURES",
    "OPTIMIZERS",
    "MAX_LAYERS",
    "MAX_N",
    "MAX_NEURON_POINTS",
    "MAX_PARAMS",
    "MAX_PARAM_POINTS",
    "MAX_WIDTH",
    "OVERFLOWING_WEIGHTS",
    "Config",
    "Diverged",
    "EmptyData",
    "Evaluation",
    "Layers",
    "StepResult",
    "Trainer",
    "batch_points",
    "engine",
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
