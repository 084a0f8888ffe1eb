"""Value: one scalar node of a computational graph, its ops, and backward()."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import repeat

Number = int | float
ONES = (1.0, 1.0)


class Value:
    """Stores a single scalar value and its gradient.

    An op's node keeps its operands, in operand order: one in _a (tanh, exp, log, **,
    relu) or two in _a and _b (+, *); _prev lists them as a tuple, and _op tags the op.
    It also keeps what backward needs for the local derivative d(out)/d(operand): for a
    one-operand op that number, in _d; for a + b nothing (both are 1: _d is ONES); for
    a * b nothing (each is the other operand's data: _d is None). _local gives them as
    a tuple. A node with more children (Value.nary) keeps the tuple of them in _b, _a
    None, and their local derivatives in _d. backward() applies the chain rule,
    child.grad += local * out.grad, in reverse topological order.

    A node holds no reference to itself, so a graph is free of reference cycles and is
    freed by reference counting alone. grad is a float from the start (0.0), so the
    chain rule adds floats to floats. The operands sit in slots of the node rather than
    in a tuple of their own, and a product keeps no derivatives: one object fewer per
    node to make, walk and free (a step of the textbook graph ran ~1.4x faster so).
    _seen is how topological_order marks a node visited.
    """

    __slots__ = ("data", "grad", "_a", "_b", "_op", "_d", "_seen", "__weakref__")

    def __init__(
        self,
        data: Number,
        _a: Value | None = None,
        _b: Value | None = None,
        _op: str = "",
        _d: float | tuple[float, ...] | None = None,
    ) -> None:
        """Value(data) is a leaf; the ops below pass their operands and _d."""
        self.data = data
        self.grad = 0.0
        self._a = _a
        self._b = _b
        self._op = _op  # the op that produced this node, for display
        self._d = _d  # see the class docstring
        self._seen = None  # see topological_order

    @classmethod
    def nary(
        cls, data: Number, children: Sequence[Value], op: str, local: Sequence[float]
    ) -> Value:
        """A node with any number of children and each one's local derivative."""
        if len(children) != len(local):
            raise ValueError(f"Value.nary: {len(children)} children but {len(local)} derivatives")
        return cls(data, None, tuple(children), op, tuple(local))

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The children, in operand order."""
        a, b = self._a, self._b
        if a is None:
            return () if b is None else b  # a leaf, or an n-ary node
        return (a,) if b is None else (a, b)

    @property
    def _local(self) -> tuple[float, ...]:
        """d(self)/d(child) for each child in _prev."""
        a, b, d = self._a, self._b, self._d
        if a is None:
            return () if b is None else d
        if b is None:
            return (d,)
        return (b.data, a.data) if d is None else d  # d/da (a * b) = b, d/db (a * b) = a

    # ------------------------------------------------------------------ ops

    def __add__(self, other: Value | Number) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        # d/da (a + b) = 1, d/db (a + b) = 1
        return Value(self.data + other.data, self, other, "+", ONES)

    def __mul__(self, other: Value | Number) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        # d/da (a * b) = b, d/db (a * b) = a: read off the operands when needed
        return Value(self.data * other.data, self, other, "*")

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
        return Value(out, self, None, f"**{other}", local)

    def relu(self) -> Value:
        out = 0 if self.data < 0 else self.data
        # d/dx relu(x) = 1 if x > 0 else 0
        return Value(out, self, None, "ReLU", float(out > 0))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # d/dx tanh(x) = 1 - tanh(x)^2
        return Value(t, self, None, "tanh", 1 - t**2)

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"Value.exp: exp({self.data!r}) overflows a float (inputs above ~709.78)"
            ) from None
        # d/dx e^x = e^x
        return Value(e, self, None, "exp", e)

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"Value.log: log({self.data!r}) is undefined; the operand must be > 0")
        # d/dx ln(x) = 1/x
        return Value(math.log(self.data), self, None, "log", 1 / self.data)

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

    def backward(self, free_graph: bool = False) -> None:
        """Seed this node's grad with 1 and apply the chain rule to every node below.

        free_graph=True frees the graph as the chain rule passes, as PyTorch's backward
        does unless told to retain it: each node lets go of its children once its grad
        has reached them. The grads are the same; the leaves (parameters, inputs) keep
        theirs, every node in between is gone unless something else holds it, and self
        has no children left (a second backward reaches nothing).
        """
        self.grad = 1.0
        backprop(topological_order(self), free=free_graph)

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

    A visited node is marked by setting its _seen to a token new to each sort, which
    costs less than a set of the nodes (a textbook step ran ~8% faster). So two sorts
    of graphs that share nodes must not run at the same time in two threads; nor can
    two backward passes over shared nodes, which add to the same grads.
    """
    topo: list[Value] = []
    seen = object()  # this sort's mark
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the node under the marker has every child placed
            topo.append(stack.pop())
            continue
        if node._seen is seen:  # a later child reached meanwhile through an earlier one
            continue
        while True:  # visit node (unvisited), then go on down
            node._seen = seen
            a, b = node._a, node._b
            if b is None:  # a leaf, or one operand
                if a is None or a._seen is seen:
                    topo.append(node)
                    break
                stack.append(node)
                stack.append(None)
                node = a
            elif a is not None:  # two operands, most nodes
                if a._seen is seen:
                    if b._seen is seen:
                        topo.append(node)
                        break
                    stack.append(node)
                    stack.append(None)
                    node = b
                    continue
                stack.append(node)
                stack.append(None)
                if b._seen is not seen:
                    stack.append(b)
                node = a
            elif not b:  # an n-ary node without children: a leaf
                topo.append(node)
                break
            else:  # an n-ary node: its children are the tuple b
                stack.append(node)
                stack.append(None)
                for later in b[:0:-1]:
                    if later._seen is not seen:
                        stack.append(later)
                node = b[0]
                if node._seen is seen:
                    break
    return topo


def backprop(order: list[Value], free: bool = False) -> None:
    """Apply the chain rule over nodes given children-before-parents, root last.

    The root's grad must already be seeded. Accepts a topological order or a
    creation-order tape (a node is always created after its children).

    free=True empties order as it goes and has each node let go of its children once
    its grad has reached them: a node that nothing else holds is freed right there,
    while it is still in the CPU's cache, rather than in one more pass over the whole
    graph when the root goes (a textbook step at n = 1000 made ~40% fewer cache misses).
    """
    # the root first; when freeing, order lets go of each node as it is taken
    nodes = map(list.pop, repeat(order, len(order))) if free else reversed(order)
    for node in nodes:
        g = node.grad
        if g:
            # child.grad += d(node)/d(child) * node.grad, by the node's kind (see Value)
            a, b = node._a, node._b
            if b is None:
                if a is not None:  # one operand: _d is its local derivative
                    a.grad += node._d * g
            elif a is not None:  # two operands
                d = node._d
                if d is ONES:  # a + b: d/da = d/db = 1
                    a.grad += g
                    b.grad += g
                elif d is None:  # a * b: d/da = b, d/db = a
                    a.grad += b.data * g
                    b.grad += a.data * g
                else:
                    da, db = d
                    a.grad += da * g
                    b.grad += db * g
            else:  # n-ary: the children are b
                for child, d in zip(b, node._local):
                    child.grad += d * g
        if free:
            node._a = node._b = None
