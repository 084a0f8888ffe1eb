"""Module, Neuron, Layer and MLP: the tutorial's network, built from Value nodes."""

from __future__ import annotations

from collections.abc import Sequence

from micrograd.config import ACTIVATIONS
from micrograd.data import RNG
from micrograd.engine import Number, Value


class Module:
    """Anything with parameters."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


NAMES = {"tanh": "TanH", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear"}


class Neuron(Module):
    """act = b + sum_i w_i x_i, then the activation (tanh, relu, sigmoid, or linear:
    none) unless it is an output neuron."""

    def __init__(self, nin: int, rng: RNG, nonlin: bool = True, activation: str = "tanh") -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"Neuron: unknown activation {activation!r}")
        self.w = [Value(rng.uniform(-1, 1) * nin**-0.5) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        self.activation = activation if nonlin else "linear"

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        act = self.b  # b + w0 x0 + w1 x1 + ...: a * node and a + node per input
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "relu":
            return act.relu()
        if self.activation == "sigmoid":
            return act.sigmoid()
        return act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{NAMES[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """nout neurons that all read the same inputs."""

    def __init__(
        self, nin: int, nout: int, rng: RNG, nonlin: bool = True, activation: str = "tanh"
    ) -> None:
        self.neurons = [Neuron(nin, rng, nonlin, activation) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of neurons: hidden layers of the activation (tanh, the tutorial's), a
    linear last layer (the logits)."""

    def __init__(self, nin: int, nouts: Sequence[int], rng: RNG, activation: str = "tanh") -> None:
        if nin <= 0 or not nouts or any(n <= 0 for n in nouts):
            raise ValueError(f"MLP({nin}, {list(nouts)}): every size must be a positive integer")
        sz = [nin, *nouts]
        self.sizes = sz
        self.activation = activation
        self.layers = [
            Layer(sz[i], sz[i + 1], rng, i != len(nouts) - 1, activation) for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        for layer in self.layers:
            x = layer(x)
        return list(x)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, parameter) in parameters() order, e.g. layer0.neuron2.w0, layer0.neuron2.b:
        counted from 0, as the weights, samples and classes are (the first hidden layer
        is layer0, its first neuron neuron0)."""
        named = []
        for li, layer in enumerate(self.layers):
            for ni, neuron in enumerate(layer.neurons):
                prefix = f"layer{li}.neuron{ni}"
                named += [(f"{prefix}.w{i}", w) for i, w in enumerate(neuron.w)]
                named.append((f"{prefix}.b", neuron.b))
        return named

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
