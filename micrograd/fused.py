"""FusedGraph: a split's mean loss and its gradients, computed a layer at a time.

The same arithmetic as the tutorial's graph of Values, fused: per sample, each hidden
neuron is act(w·x + b) (tanh, relu, sigmoid or none), each output neuron w·x + b, over the
point's input features, then the softmax negative
log-likelihood of the logits and their mean. forward() computes one neuron for every
sample of the batch before the next neuron, each sum in the textbook graph's order, so
the losses match it bit for bit. backward() applies the chain rule to the same columns in
reverse, a layer at a time: a parameter feeds one term per sample, so its gradient is
gathered from all of them at once, a dot product over the batch, instead of one `+=` per
node. No node objects are made: the batch's numbers live in lists, one per neuron.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import add, mul, sub

from micrograd.data import Point, featurize
from micrograd.engine import ACTIVATION_FUNCTIONS
from micrograd.nn import MLP

StopCheck = Callable[[], bool] | None


def affine(w: Sequence[float], b: float, rows: Sequence[Sequence[float]]) -> list[float]:
    """[b + w0 x0 + w1 x1 + ... for x in rows], each sum in that order (the textbook's).

    sum(map(mul, w, x), b) for every row, with the loop over rows in C too."""
    return list(map(sum, map(map, repeat(mul), repeat(w), rows), repeat(b)))


class FusedGraph:
    """The mean loss of model over split, forward() then backward(), a layer at a time."""

    def __init__(
        self, model: MLP, split: Sequence[Point], features: Sequence[str] = ("x", "y")
    ) -> None:
        layers = model.layers
        if len(layers[0].neurons[0].w) != len(features):
            raise ValueError(
                f"FusedGraph: the model reads {len(layers[0].neurons[0].w)} inputs, "
                f"not the {len(features)} features {list(features)}"
            )
        if not split:
            raise ValueError("FusedGraph: the split has no points")
        self.model = model
        self.split = split
        self.features = tuple(features)
        self.points = [tuple(featurize(features, x)) for x, _ in split]  # each sample's inputs
        self.point_columns = list(zip(*self.points))  # x0 of every sample, x1 of every sample
        self.targets = [y for _, y in split]
        # the samples of each class, where d(nll)/d(logit) has its -1
        self.rows_of_class: list[list[int]] = [[] for _ in layers[-1].neurons]
        for i, y in enumerate(self.targets):
            self.rows_of_class[y].append(i)
        self.loss = math.nan  # the mean loss, once forward() has run
        self.nll: list[float] = []  # each sample's loss
        self._acts: list[list[list[float]]] = []  # each neuron's outputs, [layer][neuron][sample]
        self._ex: list[list[float]] = []  # e^(z - max z), [class][sample]
        self._inv: list[float] = []  # 1 / sum_j e^(z_j - max z), [sample]

    # ------------------------------------------------------------ forward

    def forward(self, should_stop: StopCheck = None) -> list[tuple[float, ...]] | None:
        """Every neuron's output and every sample's loss at the current weights; returns
        the logits per sample (None if should_stop() turned true; it is polled before
        each neuron)."""
        tanh = math.tanh
        acts: list[list[list[float]]] = []  # each neuron's column, [layer][neuron][sample]
        rows: list[tuple[float, ...]] = self.points  # each sample's inputs to this layer
        for layer in self.model.layers:
            out = []
            for neuron in layer.neurons:
                if should_stop is not None and should_stop():
                    return None
                w, b = [wi.data for wi in neuron.w], neuron.b.data
                act = neuron.activation
                if rows is self.points and len(w) == 2 and act == "tanh":  # the tutorial's
                    w0, w1 = w
                    h = [tanh(b + w0 * x0 + w1 * x1) for x0, x1 in rows]  # the textbook's order
                else:
                    a = affine(w, b, rows)
                    h = a if act == "linear" else list(map(ACTIVATION_FUNCTIONS[act], a))
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
        self._acts, self._ex, self._inv = acts, ex, inv
        self.nll = nll
        self.loss = sum(nll) * (1.0 / len(nll))  # the mean, as the textbook graph takes it
        return logits

    # ----------------------------------------------------------- backward

    def backward(self, should_stop: StopCheck = None) -> bool:
        """The chain rule from the mean loss down to the parameters, a layer at a time,
        after forward(): each parameter's grad is added d(loss)/d(parameter). Returns
        False if should_stop() turned true (it is polled before each neuron): then some
        parameter grads hold part of their sum."""
        # d(mean)/d(loss_i) = 1/n
        g = 1.0 / len(self.nll)
        # d(nll)/d(logit_j) = softmax_j - [j == target]
        grads = []
        for e, rows in zip(self._ex, self.rows_of_class):
            local = list(map(mul, e, self._inv))
            for i in rows:
                local[i] -= 1.0
            grads.append(list(map(mul, local, repeat(g))))
        layers = self.model.layers
        for li in range(len(layers) - 1, -1, -1):
            inputs = self.point_columns if li == 0 else self._acts[li - 1]
            input_grads: list[list[float]] | None = None
            for neuron, grad, h in zip(layers[li].neurons, grads, self._acts[li]):
                if should_stop is not None and should_stop():
                    return False
                da = pre_activation_grad(neuron.activation, grad, h)
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


def pre_activation_grad(activation: str, grad: list[float], h: list[float]) -> list[float]:
    """The gradient at a neuron's pre-activation a from the gradient at its output
    h = act(a), each sample's local derivative written from h as the Value op has it."""
    if activation == "tanh":  # d tanh(a)/da = 1 - tanh(a)^2
        return [gi * (1 - hi * hi) for gi, hi in zip(grad, h)]
    if activation == "sigmoid":  # d sigmoid(a)/da = sigmoid(a) (1 - sigmoid(a))
        return [gi * (hi * (1 - hi)) for gi, hi in zip(grad, h)]
    if activation == "relu":  # d relu(a)/da = 1 if a > 0 else 0
        return [gi * float(hi > 0) for gi, hi in zip(grad, h)]
    return grad  # linear: d a/da = 1
