"""FusedGraph: a split's mean loss as fused scalar nodes, built once, re-evaluated in place.

Per sample, each hidden neuron is one node tanh(w·x + b), each output neuron one node
w·x + b, and the softmax negative log-likelihood one node over the logits; one n-ary
mean node sits on top. Each is still a Value with data, grad, children and local
derivatives, so the engine's backprop() differentiates it; a node only does what the
textbook graph does in many. While the batch is fixed the nodes are reused: forward()
rewrites their data and local derivatives, and the creation-order tape stands in for
a topological sort. Arithmetic follows the textbook graph's order, so losses match it
bit for bit and gradients to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd.data import Point
from micrograd.engine import Value
from micrograd.nn import MLP


class FusedGraph:
    """The mean loss of model over split; forward() then backprop(tape)."""

    def __init__(
        self, model: MLP, split: Sequence[Point], should_stop: Callable[[], bool] | None = None
    ) -> None:
        """Build the nodes of split; if should_stop() turns true first (it is polled every
        256 samples: 16,000 samples take a second or two), stop with complete False."""
        self.complete = False
        first = model.layers[0].neurons[0]
        if len(first.w) != 2 or not first.nonlin or len(model.layers) < 2:
            raise ValueError("FusedGraph: the model must be MLP(2, [hidden..., classes])")
        self.model = model
        self.split = split
        self.tape: list[Value] = []  # every node, children before parents
        self.nodes: list[list[list[Value]]] = []  # [sample][layer][neuron]
        self.losses: list[Value] = []  # one softmax NLL node per sample
        for i in range(len(split)):
            if should_stop is not None and i % 256 == 0 and should_stop():
                return
            layers_nodes: list[list[Value]] = []
            below: tuple[Value, ...] = ()  # the inputs are constants, not children
            for layer in model.layers:
                row = [
                    Value(0.0, (*n.w, n.b, *below), "tanh(w·x+b)" if n.nonlin else "w·x+b")
                    for n in layer.neurons
                ]
                self.tape += row
                layers_nodes.append(row)
                below = tuple(row)
            self.nodes.append(layers_nodes)
            nll = Value(0.0, below, "softmax_nll")
            self.tape.append(nll)
            self.losses.append(nll)
        k = 1.0 / len(split)
        # d(mean)/d(loss_i) = 1/n
        self.loss = Value(0.0, tuple(self.losses), "mean", [k] * len(split))
        self.tape.append(self.loss)
        self.complete = True

    def forward(self, should_stop: Callable[[], bool] | None = None) -> list[list[float]] | None:
        """Recompute every node's data and local derivatives from the current weights
        and zero their grads; returns the logits per sample (None if should_stop())."""
        weights = [
            [([w.data for w in n.w], n.b.data, n.nonlin) for n in layer.neurons]
            for layer in self.model.layers
        ]
        tanh, exp, log = math.tanh, math.exp, math.log
        all_logits = []
        total = 0.0
        for i, ((x, y), layers_nodes, nll) in enumerate(zip(self.split, self.nodes, self.losses)):
            if should_stop is not None and i % 32 == 0 and should_stop():
                return None
            x0, x1 = x
            xd = []
            for (wd, b, _), node in zip(weights[0], layers_nodes[0]):
                # the first layer: tanh(b + w0 x0 + w1 x1), x a constant input
                t = tanh(b + wd[0] * x0 + wd[1] * x1)
                d = 1 - t * t  # d tanh(a)/da
                node.data, node.grad, node._local = t, 0, (x0 * d, x1 * d, d)
                xd.append(t)
            for layer, row in zip(weights[1:], layers_nodes[1:]):
                out = []
                for (wd, act, nonlin), node in zip(layer, row):
                    for wi, xi in zip(wd, xd):  # b + w0 x0 + w1 x1 + ...
                        act += wi * xi
                    if nonlin:
                        t = tanh(act)
                        d = 1 - t * t
                        # d/dw_i = x_i d, d/db = d, d/dx_i = w_i d
                        node._local = [*map(d.__mul__, xd), d, *map(d.__mul__, wd)]
                        act = t
                    else:
                        # d/dw_i = x_i, d/db = 1, d/dx_i = w_i
                        node._local = [*xd, 1.0, *wd]
                    node.data = act
                    node.grad = 0
                    out.append(act)
                xd = out
            all_logits.append(xd)
            # softmax NLL, the max logit subtracted first (the textbook's order of ops)
            m = max(xd)
            ex = [exp(v - m) for v in xd]
            denom = 0.0
            for e in ex:
                denom += e
            inv = denom**-1
            p = ex[y] * inv
            nll.data = -log(p) if p > 0 else math.inf
            # d/dlogit_j = softmax_j - [j == target]
            local = [e * inv for e in ex]
            local[y] -= 1.0
            nll._local = local
            nll.grad = 0
            total += nll.data
        self.loss.data = total * self.loss._local[0]
        self.loss.grad = 0
        return all_logits
