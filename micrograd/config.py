"""Config: everything that defines a run, the bounds on it, and what is wrong with one."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MIN_N = 6
"""The smallest dataset we accept: the 80/10/10 split gives each part a point (below 6
the validation split is empty, and its mean loss would divide by zero)."""

MAX_N = 20_000
"""The largest dataset we accept: a step's time and memory grow with n, and at this size
the textbook engine's step of even the default model takes seconds."""

NUM_CLASSES = 3
"""The taichi dataset's classes: the default model's outputs."""

DATASETS = ("taichi", "spiral", "blobs", "moons", "circles", "xor")
"""The datasets a run can train on (micrograd.data generates each); taichi is the tutorial's."""

DATASET_CLASSES = {"taichi": 3, "spiral": 3, "blobs": 3, "moons": 2, "circles": 2, "xor": 2}
"""Each dataset's number of classes: the model's outputs."""

FEATURES = ("x", "y", "x2", "y2", "xy", "sinx", "siny")
"""The input features a model may read of a point (x, y): x, y, x², y², xy, sin x, sin y."""

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
"""The hidden neurons' nonlinearity; tanh is the tutorial's, linear is none."""

OPTIMIZERS = ("adamw", "sgd", "momentum")
"""AdamW (the tutorial's), plain SGD, and SGD with momentum (its mu is betas[0])."""

MAX_NOISE = 0.5
"""The most noise (the standard deviation of each coordinate's jitter) a dataset may have."""

MIN_SPLIT, MAX_SPLIT = 0.1, 0.9
"""The bounds on the training fraction; validation and test share the rest."""

MAX_WIDTH = 1024
"""The most neurons a hidden layer may have."""

MAX_LAYERS = 8
"""The most hidden layers a model may have (deeper tanh stacks barely train here)."""

MAX_PARAMS = 10_000
"""The most parameters a model may have: a sample's graph, which the graph view shows
node by node, holds about three nodes per parameter, and laying out many more nodes than
this allows keeps the view waiting for seconds."""

MAX_PARAM_POINTS = 120_000_000
"""The most parameters x points (--n): a step's work and the training graph's edges grow
with it. 6 hidden layers of 32 at n = 20,000 are 109.5 million."""

MAX_NEURON_POINTS = 5_000_000
"""The most neurons x points: a step keeps each neuron's output and gradient at every
training sample, so wide layers fill memory before parameters do."""


def shown(x: object) -> str:
    """A number as %g shows it (0.0 as 0), anything else as its repr."""
    return f"{x:g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else repr(x)


class ConfigError(ValueError):
    """A Config that cannot be: field names what is at fault ("lr", or "hidden,n" for a
    model too big for its data), message says why, from after the field's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field.replace(',', ' and ')}: {message}")
        self.field = field
        self.message = message

    def names(self, name: Callable[[str], str]) -> str:
        """The fields, each as name() spells it, joined by "and"."""
        return " and ".join(map(name, self.field.split(",")))


@dataclass(frozen=True)
class Config:
    """Everything that defines a run; the defaults are the tutorial's."""

    seed: int = 42
    n: int = 100
    hidden: tuple[int, ...] = (8,)
    lr: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    weight_decay: float = 1e-4
    dataset: str = "taichi"
    noise: float = 0.0
    features: tuple[str, ...] = ("x", "y")
    activation: str = "tanh"
    optimizer: str = "adamw"
    batch_size: int | None = None
    """Points per step, drawn with the seeded RNG; None: the whole training split."""
    split: float = 0.8
    """The training fraction of the n points; validation and test take half the rest each."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "betas", tuple(self.betas))
        if isinstance(self.features, (list, tuple)):
            object.__setattr__(self, "features", tuple(self.features))
        problem = self.problem()
        if problem:
            raise ConfigError(*problem)

    def problem(self) -> tuple[str, str] | None:
        """What is wrong with this config, or None: the field(s) at fault (e.g. "lr", or
        "hidden,n" for a model too big for its data) and a one-line message that starts
        after the field's name, e.g. ("lr", "must be a finite number > 0, got 0"). The
        CLI and the run loader name the field their own way (--lr, "config.lr")."""

        def finite(x: object) -> bool:
            return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

        def integer(x: object) -> bool:
            return isinstance(x, int) and not isinstance(x, bool)

        if not integer(self.seed) or not 0 < self.seed < 2**64:
            # xorshift maps 0 to 0 forever: the dataset would never find a point
            return "seed", f"must be an integer from 1 to 2**64 - 1, got {self.seed!r}"
        if not integer(self.n) or not MIN_N <= self.n <= MAX_N:
            return "n", f"must be an integer from {MIN_N} to {MAX_N}, got {self.n!r}"
        if not isinstance(self.dataset, str) or self.dataset not in DATASETS:
            return "dataset", f"must be one of {', '.join(DATASETS)}, got {self.dataset!r}"
        if not finite(self.noise) or not 0 <= self.noise <= MAX_NOISE:
            return "noise", f"must be a number from 0 to {MAX_NOISE:g}, got {self.noise!r}"
        features = self.features
        if (
            not isinstance(features, tuple)
            or not features
            or any(not isinstance(f, str) or f not in FEATURES for f in features)
            or len(set(features)) != len(features)
        ):
            return (
                "features",
                f"must be one or more of {', '.join(FEATURES)}, each once, got "
                + (",".join(map(str, features)) if isinstance(features, tuple) else repr(features)),
            )
        if any(not integer(h) or not 1 <= h <= MAX_WIDTH for h in self.hidden):
            return (
                "hidden",
                f"must be layer sizes from 1 to {MAX_WIDTH} (0 alone: no hidden layer), "
                f"got {list(self.hidden)!r}",
            )
        nin, classes = len(features), self.classes
        if too_big := size_problem(MIN_N, self.hidden, nin, classes):  # too big whatever n
            return "hidden", too_big
        if too_big := size_problem(self.n, self.hidden, nin, classes):
            return "hidden,n", too_big
        if not finite(self.split) or not MIN_SPLIT <= self.split <= MAX_SPLIT:
            return (
                "split",
                f"must be a training fraction from {MIN_SPLIT:g} to {MAX_SPLIT:g}, "
                f"got {self.split!r}",
            )
        if min(map(len, split_ranges(self.n, self.split))) < 1:
            return (
                "split,n",
                f"{self.n} points split {self.split:g} leave a part empty; "
                "use more points or a split nearer 0.8",
            )
        if not finite(self.lr) or self.lr <= 0:
            return "lr", f"must be a finite number > 0, got {self.lr!r}"
        if len(self.betas) != 2 or not all(finite(b) and 0 <= b < 1 for b in self.betas):
            return "betas", f"must be two numbers in [0, 1), got {list(self.betas)!r}"
        if not finite(self.eps) or self.eps <= 0:
            return (
                "eps",
                f"must be a finite number > 0 (AdamW adds it to sqrt(v)), got {shown(self.eps)}",
            )
        if not finite(self.weight_decay) or self.weight_decay < 0:
            return "weight_decay", f"must be a finite number >= 0, got {self.weight_decay!r}"
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            return (
                "activation",
                f"must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}",
            )
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            return "optimizer", f"must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}"
        if self.batch_size is not None and (
            not integer(self.batch_size) or not 1 <= self.batch_size <= MAX_N
        ):
            return (
                "batch_size",
                f"must be an integer from 1 to {MAX_N} (or full: the whole training split), "
                f"got {self.batch_size!r}",
            )
        return None

    @property
    def decay_overshoots(self) -> bool:
        """Is weight decay the likelier cause of a divergence? It alone pushes every
        weight past zero each step when lr x weight decay is above 1, so the weights grow;
        and it is the larger of the two (a huge lr diverges with any decay)."""
        return self.lr * self.weight_decay > 1 and self.weight_decay > self.lr

    @property
    def classes(self) -> int:
        """The dataset's number of classes: the model's outputs."""
        return DATASET_CLASSES.get(self.dataset, NUM_CLASSES)

    @property
    def sizes(self) -> list[int]:
        """Layer sizes from input features to logits, e.g. [2, 8, 3]."""
        return [len(self.features), *self.hidden, self.classes]


def split_ranges(n: int, split: float = 0.8) -> tuple[range, range, range]:
    """The indices of the training, validation and test parts of n points: the first
    int(split n) train, up to int((1 + split) / 2 n) validate (80/10/10 at 0.8)."""
    a, b = int(split * n), int((1 + split) / 2 * n)
    return range(0, a), range(a, b), range(b, n)


def param_count(hidden: Sequence[int], nin: int = 2, classes: int = NUM_CLASSES) -> int:
    """The parameters of MLP(nin, [*hidden, classes]): a weight per input and a bias per
    neuron."""
    sizes = [nin, *hidden, classes]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def size_problem(
    n: int, hidden: Sequence[int], nin: int = 2, classes: int = NUM_CLASSES
) -> str | None:
    """Why a model of these hidden sizes on n points is too big to train here, or None:
    the bounds on layers, parameters, parameters x points and neurons x points."""
    if len(hidden) > MAX_LAYERS:
        return f"at most {MAX_LAYERS} hidden layers, got {len(hidden)}"
    params = param_count(hidden, nin, classes)
    if params > MAX_PARAMS:
        return f"the model has {params:,} parameters, at most {MAX_PARAMS:,}; use fewer neurons"
    if params * n > MAX_PARAM_POINTS:
        return (
            f"{params:,} parameters x {n:,} points is {params * n:,}, at most "
            f"{MAX_PARAM_POINTS:,} (a step would take too long); use fewer neurons or points"
        )
    neurons = sum(hidden) + classes
    if neurons * n > MAX_NEURON_POINTS:
        return (
            f"{neurons:,} neurons x {n:,} points is {neurons * n:,}, at most "
            f"{MAX_NEURON_POINTS:,} (the graph would not fit in memory); use fewer neurons "
            "or points"
        )
    return None


__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "DATASET_CLASSES",
    "FEATURES",
    "MAX_NOISE",
    "MAX_SPLIT",
    "MIN_SPLIT",
    "OPTIMIZERS",
    "MAX_LAYERS",
    "MAX_N",
    "MAX_NEURON_POINTS",
    "MAX_PARAM_POINTS",
    "MAX_PARAMS",
    "MAX_WIDTH",
    "MIN_N",
    "NUM_CLASSES",
    "Config",
    "ConfigError",
    "param_count",
    "size_problem",
    "split_ranges",
]
