"""FusedGraph: a split's mean loss and its gradients, computed a layer at a time.

The same arithmetic as the tutorial's graph of Values, fused: per sample, each hidden
neuron is act(w·x + b) (tanh, relu, sigmoid or none) of the point's input features or
the layer below, each output neuron w·x + b, then the softmax negative log-likelihood of
the logits and their mean. forward() computes one neuron for every
sample of the batch before the next neuron, each sum in the textbook graph's order, so
the losses match it bit for bit. backward() applies the chain rule to the same columns in
reverse, a layer at a time: a parameter feeds one term per sample, so its gradient is
gathered from all of them at once, a dot product over the batch, instead of one `+=` per
node. No node objects are made: the batch's numbers live in lists, one per neuron, or,
from NUMPY_FROM samples, in numpy arrays whose every op rounds as the lists' do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import add, mul, sub
from typing import Any

from micrograd.data import Point, featurize
from micrograd.engine import ACTIVATION_FUNCTIONS
from micrograd.nn import MLP

StopCheck = Callable[[], bool] | None

NUMPY_FROM = 256
"""From this many samples a batch's columns are numpy arrays: each elementwise op is then
one call over the batch instead of a Python loop (a spiral of 400 training points with
hidden 16,16: ~2x faster), with the same floats. Below it numpy costs more than it
saves (and the tutorial's run does without it)."""


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
        self._x: Any = None  # the inputs as a numpy array [sample, feature], once needed

    # ------------------------------------------------------------ forward

    def forward(self, should_stop: StopCheck = None) -> list[tuple[float, ...]] | None:
        """Every neuron's output and every sample's loss at the current weights; returns
        the logits per sample (None if should_stop() turned true; it is polled before
        each neuron, or each layer of a batch of NUMPY_FROM samples or more)."""
        if len(self.points) >= NUMPY_FROM:
            return self._forward_numpy(should_stop)
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
        self._acts = acts
        return self._loss(acts[-1], rows)

    def _forward_numpy(self, should_stop: StopCheck) -> list[tuple[float, ...]] | None:
        """forward() with each layer's outputs a numpy array [sample, neuron]: a sum
        b + w0 x0 + w1 x1 + ... is a product and a sum per input, in that order, over
        every sample and neuron at once; the activations are math's (numpy's tanh may
        differ in the last bit)."""
        import numpy as np

        if self._x is None:
            self._x = np.array(self.points, dtype=float).reshape(len(self.points), -1)
        acts = []
        a = self._x
        for layer in self.model.layers:
            w = np.array([[wi.data for wi in n.w] for n in layer.neurons], dtype=float)
            s = np.empty((len(a), len(layer.neurons)))
            s[:] = [n.b.data for n in layer.neurons]
            for j in range(w.shape[1]):  # the product rounded, then the sum: s += wi * xi
                s += a[:, j : j + 1] * w[:, j]
            columns = s.T.tolist()  # [neuron][sample]
            for k, neuron in enumerate(layer.neurons):
                if should_stop is not None and should_stop():
                    return None
                if neuron.activation != "linear":
                    columns[k] = list(map(ACTIVATION_FUNCTIONS[neuron.activation], columns[k]))
            a = np.array(columns, dtype=float).T.reshape(len(a), len(layer.neurons))
            acts.append(a)
        self._acts = acts  # type: ignore[assignment]
        return self._loss(a.T.tolist(), a.tolist())

    def _loss(self, z: list[list[float]], logits: list[Any]) -> list[tuple[float, ...]]:
        """Each sample's softmax NLL from the logits z[class][sample], and their mean;
        returns logits."""
        # softmax NLL, the max logit subtracted first (the textbook's order of ops)
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
        self._ex, self._inv = ex, inv
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
        if len(self.points) >= NUMPY_FROM:
            return self._backward_numpy(grads, should_stop)
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

    def _backward_numpy(self, grads: list[list[float]], should_stop: StopCheck) -> bool:
        """backward() over forward_numpy's arrays: a parameter's gradient is its terms'
        sum over the samples in order (a cumulative sum's last row, not numpy's pairwise
        sum), an input's the sum over the layer's neurons in order."""
        import numpy as np

        g = np.array(grads, dtype=float).T  # [sample, neuron]
        layers = self.model.layers
        for li in range(len(layers) - 1, -1, -1):
            neurons = layers[li].neurons
            h = self._acts[li]
            inputs = self._x if li == 0 else self._acts[li - 1]
            activation = neurons[0].activation
            if activation == "tanh":  # d tanh(a)/da = 1 - tanh(a)^2
                da = g * (1 - h * h)
            elif activation == "sigmoid":  # sigmoid(a) (1 - sigmoid(a))
                da = g * (h * (1 - h))
            elif activation == "relu":  # 1 if a > 0 else 0
                da = g * (h > 0)
            else:
                da = g
            b_sums = np.cumsum(da, axis=0)[-1].tolist()  # d/db = 1
            w_sums = [  # d/dw_i = x_i: [input][neuron]
                np.cumsum(da * inputs[:, i : i + 1], axis=0)[-1].tolist()
                for i in range(inputs.shape[1])
            ]
            for k, neuron in enumerate(neurons):
                if should_stop is not None and should_stop():
                    return False
                neuron.b.grad += b_sums[k]
                for wi, sums in zip(neuron.w, w_sums):
                    wi.grad += sums[k]
            if li > 0:  # d/dx_i = w_i, summed over the neurons of this layer in order
                w = np.array([[wi.data for wi in n.w] for n in neurons], dtype=float)
                g = da[:, 0:1] * w[0]
                for n in range(1, len(neurons)):
                    g = g + da[:, n : n + 1] * w[n]
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
