"""Looking inside a run: one sample's named graph, a gradient check, a confusion matrix."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, replace

from micrograd.data import featurize
from micrograd.engine import Value, topological_order
from micrograd.losses import cross_entropy
from micrograd.training import Trainer


@dataclass(frozen=True)
class GraphNode:
    """One node of a sample's graph as plain data, safe to hand to another thread."""

    index: int  # position in topological order (children first); the loss is last
    op: str  # the op that made it; "" for a leaf
    kind: str  # "param", "input", "const" (leaves) or "op"
    name: str  # e.g. layer1.neuron3.w0, x0, const, or op#index
    data: float
    grad: float
    children: tuple[int, ...]  # indices of _prev, in operand order
    local: tuple[float, ...]  # d(this node)/d(child) for each child, as the op computed it


def graph_nodes(
    root: Value, names: Mapping[int, str] | None = None, inputs: Set[str] = frozenset()
) -> list[GraphNode]:
    """root's graph as plain nodes in topological order (root last), after root.backward()
    or before it (the grads are whatever the Values hold). names maps id(Value) to a name
    (a leaf without one is a "const", an op node without one is named op#index); a named
    leaf is an "input" if its name is in inputs, else a "param"."""
    names = names or {}
    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    nodes = []
    for i, v in enumerate(order):
        name = names.get(id(v))
        if v._prev:
            kind, name = "op", name or f"{v._op}#{i}"
        elif name is not None:
            kind = "input" if name in inputs else "param"
        else:
            kind, name = "const", "const"
        nodes.append(
            GraphNode(
                i,
                v._op,
                kind,
                name,
                float(v.data),
                float(v.grad),
                tuple(index[id(c)] for c in v._prev),
                tuple(float(d) for d in v._local),
            )
        )
    return nodes


def sample_graph(trainer: Trainer, x: tuple[float, float], target: int) -> list[GraphNode]:
    """The loss of one sample alone, built with the textbook ops on a fresh graph,
    forward and backward, as a list of nodes in topological order (loss last).

    The parameters' own grads are left untouched: their grads in this graph are
    reported on the nodes, not accumulated into the model.
    """
    names = {id(p): name for name, p in trainer.model.named_parameters()}
    saved = [p.grad for p in trainer.model.parameters()]
    try:
        for p in trainer.model.parameters():
            p.grad = 0
        features = trainer.config.features
        inputs = [Value(f) for f in featurize(features, x)]
        # the tutorial's inputs are x0, x1; other features go by their own names
        labels = ["x0", "x1"] if features == ("x", "y") else list(features)
        for v, label in zip(inputs, labels):
            names[id(v)] = label
        loss = cross_entropy(trainer.model(inputs), target)
        loss.backward()
        return graph_nodes(loss, names, set(labels))
    finally:
        for p, g in zip(trainer.model.parameters(), saved):
            p.grad = g


def flatten_sums(nodes: list[GraphNode]) -> list[GraphNode]:
    """The same graph with each chain of binary + nodes read as one sum of its terms.

    A neuron's b + w0 x0 + w1 x1 + ... is built as a staircase, ((b + w0 x0) + w1 x1) + ...;
    here every + node takes the terms of the + operands it alone uses as its own children,
    with their local derivatives multiplied along the chain (each is 1). Data and grad stay
    the engine's: a sum's are its last + node's, a term's are its own node's. The inner +
    nodes stay in the list (same indices) but no longer hang below it.

    A + with a constant operand (x - max, a shift) does not take in its other operand's
    terms: that operand (a logit) stays one node of its own.
    """
    users = [0] * len(nodes)
    for node in nodes:
        for c in node.children:
            users[c] += 1
    flat: list[GraphNode] = []
    for node in nodes:  # children first: a + operand's terms are already known
        if node.op != "+" or any(nodes[c].kind == "const" for c in node.children):
            flat.append(node)
            continue
        terms: list[int] = []
        local: list[float] = []
        for c, d in zip(node.children, node.local):
            if nodes[c].op == "+" and users[c] == 1:
                terms += flat[c].children
                local += [d * dc for dc in flat[c].local]
            else:
                terms.append(c)
                local.append(d)
        flat.append(replace(node, children=tuple(terms), local=tuple(local)))
    return flat


FLOOR = 1e-4
"""Gradients smaller than this are checked on an absolute scale (see gradient_check).

Late in training the central differences' own error at h = 1e-5 (their rounding, ~1e-16
L / h, plus their truncation, h^2/6 times the third derivative) is of the order of 1e-12:
over a much lower floor it would read as a relative error above the tolerance, and
correct gradients would be flagged. At 1e-4 a small gradient is flagged when it is off
by more than 1e-10 (at a relative tolerance of 1e-6), far above that noise and far below
any gradient that moves a weight."""


@dataclass(frozen=True)
class GradCheck:
    """Autograd against central differences for one parameter."""

    name: str
    autograd: float
    numeric: float
    rel_error: float


def gradient_check(
    trainer: Trainer,
    h: float = 1e-5,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[GradCheck] | None:
    """Every parameter's gradient of the mean training loss, autograd vs central
    differences (L(p + h) - L(p - h)) / 2h. Leaves the model as it found it.

    The relative error is |autograd - numeric| / max(|autograd|, |numeric|, FLOOR):
    gradients below FLOOR are compared on an absolute scale, where the differences'
    rounding noise (~1e-16 L / h) would swamp a relative one. Returns None if
    should_stop() turns true (it is polled between parameters); progress(done, total)
    is told after each parameter.
    """
    split = trainer.train_split
    auto = trainer.gradients(split)
    checks = []
    for (name, p), a in zip(trainer.model.named_parameters(), auto):
        if should_stop is not None and should_stop():
            return None
        x0 = p.data
        p.data = x0 + h
        up = trainer.evaluate(split)[0]
        p.data = x0 - h
        down = trainer.evaluate(split)[0]
        p.data = x0
        num = (up - down) / (2 * h)
        scale = max(abs(a), abs(num), FLOOR)
        checks.append(GradCheck(name, a, num, abs(a - num) / scale))
        if progress is not None:
            progress(len(checks), len(auto))
    return checks


def confusion_matrix(trainer: Trainer, split: list) -> list[list[int]]:
    """counts[true][predicted] over split."""
    k = trainer.config.classes
    counts = [[0] * k for _ in range(k)]
    for x, y in split:
        counts[y][trainer.predict(x)] += 1
    return counts


def per_class_accuracy(counts: list[list[int]]) -> list[float]:
    """Recall per class from a confusion matrix (NaN for a class with no samples)."""
    return [row[i] / sum(row) if sum(row) else math.nan for i, row in enumerate(counts)]
