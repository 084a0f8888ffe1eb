"""Value: one scalar node of a computational graph, its ops, and backward()."""

from __future__ import annotations

import math
from collections.abc import Sequence

Number = int | float
ONES = (1.0, 1.0)


class Value:
    """Stores a single scalar value and its gradient.

    Every op records its children (`_prev`, in operand order), a tag (`_op`) and the
    local derivative d(out)/d(child) of each child (`_local`). backward() applies the
    chain rule, child.grad += local * out.grad, in reverse topological order. A node
    holds no reference to itself, so a graph is free of reference cycles and is freed
    by reference counting alone. grad is a float from the start (0.0), so the chain
    rule adds floats to floats.
    """

    __slots__ = ("data", "grad", "_prev", "_op", "_local", "__weakref__")

    def __init__(
        self,
        data: Number,
        _prev: tuple[Value, ...] = (),
        _op: str = "",
        _local: tuple[float, ...] | list[float] = (),
    ) -> None:
        self.data = data
        self.grad = 0.0
        self._prev = _prev
        self._op = _op  # the op that produced this node, for display
        self._local = _local  # d(self)/d(child) for each child in _prev

    # ------------------------------------------------------------------ ops

    def __add__(self, other: Value | Number) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        # d/da (a + b) = 1, d/db (a + b) = 1
        return Value(self.data + other.data, (self, other), "+", ONES)

    def __mul__(self, other: Value | Number) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        # d/da (a * b) = b, d/db (a * b) = a
        return Value(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __pow__(self, other: Number) -> Value:
        if isinstance(other, Value):
            raise ValueError(f"Value ** Value: the exponent must be an int or float, got {other!r}")
        if not isinstance(other, (int, float)):
            return NotImplemented
        try:
            out = self.data**other
        except ZeroDivisionError:
            raise ZeroDivisionError(
                f"Value ** {other}: {self.data!r} ** {other} divides by zero"
            ) from None
        except OverflowError:
            raise OverflowError(f"Value ** {other}: {self.data!r} ** {other} overflows") from None
        try:
            # d/dx x^n = n x^(n-1)
            local = other * self.data ** (other - 1)
        except ZeroDivisionError:  # e.g. x ** 0.5 at 0: the slope is infinite
            local = math.inf
        except OverflowError:
            raise OverflowError(f"Value ** {other}: {self.data!r} ** {other} overflows") from None
        if isinstance(out, complex):
            raise ValueError(f"Value ** {other}: {self.data!r} ** {other} is not a real number")
        return Value(out, (self,), f"**{other}", (local,))

    def relu(self) -> Value:
        out = 0 if self.data < 0 else self.data
        # d/dx relu(x) = 1 if x > 0 else 0
        return Value(out, (self,), "ReLU", (float(out > 0),))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # d/dx tanh(x) = 1 - tanh(x)^2
        return Value(t, (self,), "tanh", (1 - t**2,))

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
        """Seed this node's grad with 1 and apply the chain rule to every node below."""
        self.grad = 1.0
        backprop(topological_order(self))

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, once, children before parents: the order in
    which a recursive depth-first search (operands in order) places them, found
    without recursion, so a graph of any depth will do.

    From a node just visited the search goes straight on to its first unvisited
    child; the node waits on the stack under a None marker, any later child that
    is still unvisited above it, and is placed when the marker comes off (all its
    children are placed by then). A node whose children are all placed already is
    placed at once.
    """
    topo: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the node under the marker has every child placed
            topo.append(stack.pop())
            continue
        if node in visited:  # a later child reached meanwhile through an earlier one
            continue
        while True:  # visit node (unvisited), then go on down
            visited.add(node)
            prev = node._prev
            n = len(prev)
            if n == 2:  # most nodes: a, b unrolled
                a, b = prev
                if a in visited:
                    if b in visited:
                        topo.append(node)
                        break
                    stack.append(node)
                    stack.append(None)
                    node = b
                    continue
                stack.append(node)
                stack.append(None)
                if b not in visited:
                    stack.append(b)
                node = a
            elif n == 1:
                child = prev[0]
                if child in visited:
                    topo.append(node)
                    break
                stack.append(node)
                stack.append(None)
                node = child
            elif n == 0:  # a leaf
                topo.append(node)
                break
            else:
                stack.append(node)
                stack.append(None)
                for later in prev[:0:-1]:
                    if later not in visited:
                        stack.append(later)
                node = prev[0]
                if node in visited:
                    break
    return topo


def backprop(order: Sequence[Value]) -> None:
    """Apply the chain rule over nodes given children-before-parents, root last.

    The root's grad must already be seeded. Accepts a topological order or a
    creation-order tape (a node is always created after its children).
    """
    for node in reversed(order):
        g = node.grad
        if not g:
            continue
        local = node._local
        # child.grad += d(node)/d(child) * node.grad, unrolled for the common arities
        if local is ONES:  # a sum: d/da (a + b) = d/db (a + b) = 1
            a, b = node._prev
            a.grad += g
            b.grad += g
        elif len(local) == 2:
            a, b = node._prev
            da, db = local
            a.grad += da * g
            b.grad += db * g
        elif len(local) == 1:
            node._prev[0].grad += local[0] * g
        elif local:  # leaves have none
            for child, d in zip(node._prev, local):
                child.grad += d * g
