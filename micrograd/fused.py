"""FusedGraph: a split's mean loss as fused scalar nodes, evaluated a layer at a time.

Per sample, each hidden neuron is one node tanh(w·x + b), each output neuron one node
w·x + b, and the softmax negative log-likelihood one node over the logits; one n-ary
mean node sits on top. Each is a Value with data, grad and children, and its local
derivatives are computed from its children when asked, so the engine's backprop() can
differentiate the graph too. The graph is built once and reused while the batch is fixed.
A node keeps its data and grad in its graph's columns (one per neuron, one row per
sample), where a layer's values are computed together.

forward() and backward() visit the nodes a layer at a time, every sample of a layer
before the next layer: a topological order, so it is the chain rule as backprop()
applies it, but each layer's arithmetic runs as one loop over the batch (the same
floats, in the textbook graph's order, so losses match it bit for bit). A parameter is
a child of one node per sample; backward() gathers its gradient from all of them at
once, a dot product over the batch, instead of adding one term per node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import add, mul, sub

from micrograd.data import Point
from micrograd.engine import Value
from micrograd.losses import softmax
from micrograd.nn import MLP, Neuron

StopCheck = Callable[[], bool] | None

BUILD_POLL = 4096
"""Nodes created between two polls of should_stop while building (about a millisecond)."""


def affine(w: Sequence[float], b: float, rows: Sequence[Sequence[float]]) -> list[float]:
    """[b + w0 x0 + w1 x1 + ... for x in rows], each sum in that order (the textbook's).

    sum(map(mul, w, x), b) for every row, with the loop over rows in C too."""
    return list(map(sum, map(map, repeat(mul), repeat(w), rows), repeat(b)))


class Columns:
    """A graph's node values: data[col][i] and grad[col][i], a column per neuron (and
    one for the losses), a row per sample. It refers to no node: no reference cycle."""

    __slots__ = ("data", "grad", "__weakref__")

    def __init__(self, columns: int, n: int) -> None:
        self.data = [[0.0] * n for _ in range(columns)]
        self.grad = [[0.0] * n for _ in range(columns)]


class ColumnNode(Value):
    """A node whose data and grad are kept in its graph's Columns, at [col][i].

    Reading or setting node.data or node.grad works as on any Value; a layer at a time,
    the graph reads and writes a whole column at once.
    """

    __slots__ = ("columns", "col", "i")

    def __init__(
        self, columns: Columns, col: int, i: int, children: tuple[Value, ...], op: str
    ) -> None:
        self.columns, self.col, self.i = columns, col, i  # first: data and grad live there
        super().__init__(0.0, None, children, op)  # n-ary; the subclass computes _local

    @property
    def data(self) -> float:
        return self.columns.data[self.col][self.i]

    @data.setter
    def data(self, value: float) -> None:
        self.columns.data[self.col][self.i] = value

    @property
    def grad(self) -> float:
        return self.columns.grad[self.col][self.i]

    @grad.setter
    def grad(self, value: float) -> None:
        self.columns.grad[self.col][self.i] = value


class NeuronNode(ColumnNode):
    """One neuron at one sample: act(b + w·x), act tanh or the identity.

    Children: the neuron's weights, its bias, then the nodes of the layer below (none
    for the first layer, whose input is the constant point x).
    """

    __slots__ = ("x", "nonlin")

    def __init__(
        self, columns: Columns, col: int, i: int, neuron: Neuron, below: Sequence[Value], x: Point
    ) -> None:
        op = "tanh(w·x+b)" if neuron.nonlin else "w·x+b"
        super().__init__(columns, col, i, (*neuron.w, neuron.b, *below), op)
        self.x = None if below else x
        self.nonlin = neuron.nonlin

    @property
    def _local(self) -> list[float]:
        # d act(a)/da: 1 - tanh(a)^2, or 1
        d = 1 - self.data**2 if self.nonlin else 1.0
        nin = len(self._prev) - 1 if self.x is not None else (len(self._prev) - 1) // 2
        w = self._prev[:nin]
        x = self.x if self.x is not None else [v.data for v in self._prev[nin + 1 :]]
        # d/dw_i = x_i d, d/db = d, d/dx_i = w_i d (the inputs x are constants at layer 1)
        local = [xi * d for xi in x] + [d]
        if self.x is None:
            local += [wi.data * d for wi in w]
        return local


class SoftmaxNLLNode(ColumnNode):
    """-log softmax(logits)[target] at one sample; children: the logit nodes."""

    __slots__ = ("target",)

    def __init__(
        self, columns: Columns, col: int, i: int, logits: Sequence[Value], target: int
    ) -> None:
        super().__init__(columns, col, i, tuple(logits), "softmax_nll")
        self.target = target

    @property
    def _local(self) -> list[float]:
        # d/dlogit_j = softmax_j - [j == target]
        local = softmax([v.data for v in self._prev])
        local[self.target] -= 1.0
        return local


class FusedGraph:
    """The mean loss of model over split; forward() then backward()."""

    def __init__(
        self,
        model: MLP,
        split: Sequence[Point],
        should_stop: StopCheck = None,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        """Build the nodes of split; if should_stop() turns true first (it is polled every
        BUILD_POLL nodes: 16,000 samples take a second or so), stop with complete False.
        progress, if given, is told the share of the nodes made at each poll."""
        self.complete = False
        layers = model.layers
        if len(layers[0].neurons[0].w) != 2 or len(layers) < 2:
            raise ValueError("FusedGraph: the model must be MLP(2, [hidden..., classes])")
        self.model = model
        self.split = split
        n = len(split)
        self.points = [(float(x[0]), float(x[1])) for x, _ in split]
        self.point_columns = list(zip(*self.points))  # x0 of every sample, x1 of every sample
        self.targets = [y for _, y in split]
        # the samples of each class, where d(nll)/d(logit) has its -1
        self.rows_of_class = [[] for _ in layers[-1].neurons]
        for i, y in enumerate(self.targets):
            self.rows_of_class[y].append(i)
        # the nodes' data and grads: a column per neuron, then one for the losses
        self.columns = Columns(sum(len(layer.neurons) for layer in layers) + 1, n)
        # the tape: a layer at a time, so children always come before parents
        self.tape: list[Value] = []
        self.nodes: list[list[list[Value]]] = []  # [layer][neuron][sample]
        made = col = 0
        total = n * sum(len(layer.neurons) for layer in layers)
        below: list[list[Value]] = []  # [neuron][sample] of the layer below
        for layer in layers:
            rows = []
            for neuron in layer.neurons:
                row = []
                for i in range(n):
                    if made % BUILD_POLL == 0:
                        if progress is not None:
                            progress(made / total)
                        if should_stop is not None and should_stop():
                            return
                    made += 1
                    below_i = [r[i] for r in below]
                    row.append(NeuronNode(self.columns, col, i, neuron, below_i, self.points[i]))
                rows.append(row)
                self.tape += row
                col += 1
            self.nodes.append(rows)
            below = rows
        self.losses = [
            SoftmaxNLLNode(self.columns, col, i, [r[i] for r in below], y)
            for i, y in enumerate(self.targets)
        ]
        self.tape += self.losses
        # d(mean)/d(loss_i) = 1/n
        self.loss = Value.nary(0.0, self.losses, "mean", [1.0 / n] * n)
        self.tape.append(self.loss)
        self._acts: list[list[list[float]]] = []  # columns.data by [layer][neuron]
        self._ex: list[list[float]] = []  # e^(z - max z), [class][sample]
        self._inv: list[float] = []  # 1 / sum_j e^(z_j - max z), [sample]
        self.complete = True

    # ------------------------------------------------------------ forward

    def forward(self, should_stop: StopCheck = None) -> list[tuple[float, ...]] | None:
        """Recompute every node's data from the current weights and zero their grads;
        returns the logits per sample (None if should_stop() turned true; it is polled
        before each neuron)."""
        tanh = math.tanh
        acts: list[list[list[float]]] = []  # each neuron's column, [layer][neuron][sample]
        rows: list[tuple[float, ...]] = self.points  # each sample's inputs to this layer
        for layer in self.model.layers:
            out = []
            for neuron in layer.neurons:
                if should_stop is not None and should_stop():
                    return None
                w, b = [wi.data for wi in neuron.w], neuron.b.data
                if rows is self.points:  # the first layer (tanh): x is the point (x0, x1)
                    w0, w1 = w
                    h = [tanh(b + w0 * x0 + w1 * x1) for x0, x1 in rows]  # the textbook's order
                else:
                    a = affine(w, b, rows)
                    h = list(map(tanh, a)) if neuron.nonlin else a
                out.append(h)
            acts.append(out)
            rows = list(zip(*out))
        logits = rows
        # softmax NLL, the max logit subtracted first (the textbook's order of ops)
        z = acts[-1]
        m = list(map(max, *z)) if len(z) > 1 else z[0]
        ex = [list(map(math.exp, map(sub, zj, m))) for zj in z]
        denom = ex[0]
        for e in ex[1:]:
            denom = list(map(add, denom, e))
        inv = [s**-1 for s in denom]
        p = [e[y] * s for e, y, s in zip(zip(*ex), self.targets, inv)]
        if 0.0 in p:  # a probability underflowed: that sample's loss is infinite
            nll = [-math.log(q) if q > 0 else math.inf for q in p]
        else:
            nll = [-math.log(q) for q in p]
        # the nodes' data, a column at a time; their grads zeroed
        n = len(nll)
        self.columns.data = [h for out in acts for h in out] + [nll]
        self.columns.grad = [[0.0] * n for _ in self.columns.data]
        self._acts, self._ex, self._inv = acts, ex, inv
        self.loss.data = sum(nll) * self.loss._local[0]
        self.loss.grad = 0
        return logits

    # ----------------------------------------------------------- backward

    def backward(self, should_stop: StopCheck = None) -> bool:
        """The chain rule from the mean node (its grad seeded) down to the parameters,
        a layer at a time; node grads are set, parameter grads added to. Returns False
        if should_stop() turned true (it is polled before each neuron): then some
        parameter grads hold part of their sum."""
        # d(mean)/d(loss_i) = 1/n
        g = self.loss._local[0] * self.loss.grad
        self.columns.grad[-1] = [g] * len(self.losses)
        # d(nll)/d(logit_j) = softmax_j - [j == target]
        grads = []
        for e, rows in zip(self._ex, self.rows_of_class):
            local = list(map(mul, e, self._inv))
            for i in rows:
                local[i] -= 1.0
            grads.append(list(map(mul, local, repeat(g))))
        layers = self.model.layers
        col = len(self.columns.data) - 1  # the losses' column; the neurons' come before it
        for li in range(len(layers) - 1, -1, -1):
            inputs = self.point_columns if li == 0 else self._acts[li - 1]
            input_grads: list[list[float]] | None = None
            col -= len(layers[li].neurons)
            for c, (neuron, grad, h) in enumerate(
                zip(layers[li].neurons, grads, self._acts[li]), start=col
            ):
                if should_stop is not None and should_stop():
                    return False
                self.columns.grad[c] = grad  # the grads of this neuron's nodes
                # the gradient at the pre-activation a: d tanh(a)/da = 1 - tanh(a)^2
                da = [gi * (1 - hi * hi) for gi, hi in zip(grad, h)] if neuron.nonlin else grad
                # each parameter is a child of this neuron's node at every sample
                neuron.b.grad += sum(da)  # d/db = 1
                for wi, x in zip(neuron.w, inputs):
                    wi.grad += sum(map(mul, da, x))  # d/dw_i = x_i
                if li > 0:  # d/dx_i = w_i, summed over the neurons of this layer
                    terms = [map(mul, repeat(wi.data), da) for wi in neuron.w]
                    if input_grads is None:
                        input_grads = [list(t) for t in terms]
                    else:
                        input_grads = [list(map(add, s, t)) for s, t in zip(input_grads, terms)]
            if input_grads is not None:
                grads = input_grads
        return True
