"""Value: one scalar node of a computational graph, its ops, and backward()."""

from __future__ import annotations

import math

Number = int | float


class Value:
    """Stores a single scalar value and its gradient.

    A node made by an op keeps its children (_prev, in operand order), the op's name
    (_op, for display) and its local derivatives d(node)/d(child), one per child
    (_local), computed when the op runs. backward() then needs only the chain rule:
    child.grad += local * node.grad, over the nodes in reverse topological order.

    A node refers only to its children, never to itself (no closure captures it), so a
    graph has no reference cycles and is freed by reference counting alone.
    """

    __slots__ = ("data", "grad", "_prev", "_op", "_local", "__weakref__")

    def __init__(
        self,
        data: Number,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        _local: tuple[float, ...] = (),
    ) -> None:
        self.data = data
        self.grad = 0.0
        self._prev = _children
        self._op = _op
        self._local = _local

    # ------------------------------------------------------------------ ops

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # d/da (a + b) = 1, d/db (a + b) = 1
        return Value(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # d/da (a * b) = b, d/db (a * b) = a
        return Value(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, other: Number) -> Value:
        if isinstance(other, Value):
            raise ValueError(f"Value ** Value: the exponent must be an int or float, got {other!r}")
        if not isinstance(other, (int, float)):
            return NotImplemented
        x = self.data
        try:
            out = x**other
            # d/dx x^n = n x^(n-1); at x = 0 with n < 1 the slope is infinite
            local = other * x ** (other - 1) if x or other >= 1 else math.inf
        except ZeroDivisionError:
            raise ZeroDivisionError(f"Value ** {other}: {x!r} ** {other} divides by zero") from None
        except OverflowError:
            raise OverflowError(f"Value ** {other}: {x!r} ** {other} overflows") from None
        if isinstance(out, complex):
            raise ValueError(f"Value ** {other}: {x!r} ** {other} is not a real number")
        return Value(out, (self,), f"**{other}", (local,))

    def relu(self) -> Value:
        out = 0 if self.data < 0 else self.data
        # d/dx relu(x) = 1 if x > 0 else 0
        return Value(out, (self,), "ReLU", (float(out > 0),))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # d/dx tanh(x) = 1 - tanh(x)^2
        return Value(t, (self,), "tanh", (1 - t**2,))

    def sigmoid(self) -> Value:
        s = sigmoid(self.data)
        # d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))
        return Value(s, (self,), "sigmoid", (s * (1 - s),))

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"Value.exp: exp({self.data!r}) overflows a float (inputs above ~709.78)"
            ) from None
        # d/dx e^x = e^x
        return Value(e, (self,), "exp", (e,))

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"Value.log: log({self.data!r}) is undefined; the operand must be > 0")
        # d/dx ln(x) = 1/x
        return Value(math.log(self.data), (self,), "log", (1 / self.data,))

    # ------------------------------------------------------- derived ops

    def __neg__(self) -> Value:  # -self
        return self * -1.0

    def __radd__(self, other: Number) -> Value:  # other + self
        return Value(other) + self

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: Number) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: Number) -> Value:  # other * self
        return Value(other) * self

    def __truediv__(self, other: Value | Number) -> Value:  # self * other**-1
        other = other if isinstance(other, Value) else Value(other)
        if other.data == 0:
            raise ZeroDivisionError(f"Value / Value: {self.data!r} / 0 divides by zero")
        return self * other**-1

    def __rtruediv__(self, other: Number) -> Value:  # other * self**-1
        return Value(other) / self

    def __rpow__(self, other: object) -> Value:  # other ** self
        raise ValueError(f"number ** Value: the exponent must be an int or float, not {self!r}")

    # ---------------------------------------------------------- backward

    def backward(self) -> None:
        """Seed this node's grad with 1, then apply the chain rule to every node below,
        each node after every node that uses it."""
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            for child, local in zip(node._prev, node._local):
                child.grad += local * node.grad

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), computed so that e never overflows (e^x / (1 + e^x) below 0)."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def relu(x: float) -> float:
    """max(0, x), as Value.relu computes it."""
    return 0 if x < 0 else x


def linear(x: float) -> float:
    """x itself: no nonlinearity."""
    return x


ACTIVATION_FUNCTIONS = {"tanh": math.tanh, "relu": relu, "sigmoid": sigmoid, "linear": linear}
"""Each hidden activation on plain floats, the same numbers as its Value op."""


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, once, children before parents, in the order the
    tutorial's recursive depth-first search places them; found with a stack of its own,
    so a graph of any depth will do."""
    topo: list[Value] = []
    visited = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:  # go down to the first child not yet visited
                visited.add(child)
                stack.append((child, iter(child._prev)))
                break
        else:  # every child placed: place the node
            stack.pop()
            topo.append(node)
    return topo
