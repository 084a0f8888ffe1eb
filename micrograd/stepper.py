"""Backprop one step at a time: a graph's forward and backward as events, then the AdamW update."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from micrograd.engine import Value
from micrograd.introspect import GraphNode, graph_nodes, sample_graph
from micrograd.optim import AdamW
from micrograd.training import Trainer

Fmt = Callable[[float], str]

NOT_REACHED, CURRENT, PARTIAL, DONE = "not reached", "current", "partial", "done"
"""A node's status in a walk: its value (forward) or grad (backward) not reached yet, the
one this event sets, a grad that has some of its contributions, or known for good."""


def fmt(x: float) -> str:
    """A number in 4 significant digits (what the walk's arithmetic prints)."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.4g}"


def base(text: str) -> str:
    """A number as the base of a power: (-0.5)², not -0.5², which reads as -(0.5²)."""
    return f"({text})" if text.startswith("-") else text


def ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


# ------------------------------------------------------------ the ops' rules


def exponent(op: str) -> float:
    """The n of a `**n` node."""
    return float(op[2:])


def local_derivative(op: str, xs: Sequence[float], out: float, position: int) -> float:
    """d(out)/d(operand `position`) by the engine's rule for op, from the operands' data xs
    and the node's own data out (the engine stores the same number as the node's _local)."""
    if op == "+":  # d/da (a + b) = 1
        return 1.0
    if op == "*":  # d/da (a * b) = b, d/db (a * b) = a
        return xs[1 - position]
    if op.startswith("**"):  # d/dx x^n = n x^(n-1)
        n = exponent(op)
        x = xs[0]
        return n * x ** (n - 1) if x or n >= 1 else math.inf
    if op == "ReLU":  # 1 if x > 0 else 0
        return float(out > 0)
    if op == "tanh":  # 1 - tanh(x)^2
        return 1 - out**2
    if op == "exp":  # e^x
        return out
    if op == "log":  # 1/x
        return 1 / xs[0]
    raise ValueError(f"no rule for op {op!r}")


def local_formula(op: str, names: Sequence[str], position: int) -> str:
    """The local derivative's formula in words, e.g. `(1 - tanh²)` or `x0` for a product."""
    if op == "+":
        return "1"
    if op == "*":
        return names[1 - position]
    if op.startswith("**"):
        n = exponent(op)
        return f"{fmt(n)} × {names[0]}^{fmt(n - 1)}"
    return {"ReLU": "(1 if x > 0 else 0)", "tanh": "(1 - tanh²)", "exp": "exp(x)"}.get(
        op, "1/x" if op == "log" else "local"
    )


def local_numbers(op: str, xs: Sequence[float], out: float, position: int, local: float) -> str:
    """The local derivative's formula with this node's numbers in it."""
    if op == "*":
        return fmt(xs[1 - position])
    if op.startswith("**"):
        n = exponent(op)
        return f"({fmt(n)} × {base(fmt(xs[0]))}^{fmt(n - 1)})"
    if op == "ReLU":
        return f"({fmt(xs[0])} > 0: {fmt(local)})"
    if op == "tanh":
        return f"(1 - {base(fmt(out))}²)"
    if op == "exp":
        return fmt(out)
    if op == "log":
        return f"(1/{fmt(xs[0])})"
    return fmt(local)


def forward_formula(op: str, operands: Sequence[str]) -> str:
    """How an op combines its operands, e.g. `a × b`, `tanh(a)`, `a^-1`."""
    if op == "+" and len(operands) == 2:
        return f"{operands[0]} + {operands[1]}"
    if op == "*" and len(operands) == 2:
        return f"{operands[0]} × {operands[1]}"
    if op.startswith("**"):
        return f"{operands[0]}^{fmt(exponent(op))}"
    name = "relu" if op == "ReLU" else op
    return f"{name}({', '.join(operands)})"


# ------------------------------------------------------------------ the walk


@dataclass(frozen=True)
class Event:
    """One press of the walk: a node's value computed, the loss's grad seeded, or one
    parent's contribution added to one child's grad."""

    kind: str
    """"forward", "seed" or "backward"."""
    node: int
    """The node whose value (forward) or grad (seed, backward) this event sets."""
    parent: int | None = None
    """backward: the node whose grad flows down (out, in `grad += local × out.grad`)."""
    position: int = 0
    """backward: which operand of parent the node is."""
    local: float = 0.0
    """backward: d(parent)/d(node), the engine's number."""
    out_grad: float = 0.0
    """backward: the parent's grad (final: every use of the parent is done before it)."""
    before: float = 0.0
    after: float = 0.0
    """backward: the node's grad before and after this contribution."""
    nth: int = 1
    of: int = 1
    """backward: this is the nth of the node's `of` contributions (one per use)."""


class Walk:
    """A graph's forward pass node by node, then its backward pass contribution by
    contribution, with a position that moves one event at a time either way.

    Forward: each op node in topological order (leaves are given). Backward: loss.grad = 1,
    then, for each node in reverse topological order, `child.grad += local × node.grad` for
    each of its operands, in operand order: the engine's backward(), so the grads at the
    end are its own to the bit.
    """

    def __init__(self, nodes: Sequence[GraphNode]) -> None:
        if not nodes:
            raise ValueError("a walk needs a graph of at least one node")
        self.nodes = tuple(nodes)
        root = len(nodes) - 1
        events = [Event("forward", n.index) for n in nodes if n.children]
        self.forward_end = len(events)
        """The position after the forward pass's last event."""
        uses = [0] * len(nodes)
        for n in nodes:
            for c in n.children:
                uses[c] += 1
        self.uses = tuple(uses)
        """How many contributions each node's grad gets (one per use by a parent)."""
        grads = [0.0] * len(nodes)
        grads[root] = 1.0
        events.append(Event("seed", root, before=0.0, after=1.0))
        seen = [0] * len(nodes)
        for node in reversed(nodes):
            for pos, (c, d) in enumerate(zip(node.children, node.local)):
                before = grads[c]
                grads[c] += d * grads[node.index]
                seen[c] += 1
                events.append(
                    Event(
                        "backward", c, node.index, pos, d, grads[node.index],
                        before, grads[c], seen[c], uses[c],
                    )
                )  # fmt: skip
        self.events = tuple(events)
        self.final_grads = tuple(grads)
        """Every node's grad at the end of the walk."""
        self.position = 0
        """How many events are done (0: none, len(events): the end)."""

    # ------------------------------------------------------------- moving

    @property
    def end(self) -> int:
        return len(self.events)

    def step(self, by: int = 1) -> bool:
        """Move by events (negative: back); False if already at that end."""
        to = min(self.end, max(0, self.position + by))
        moved = to != self.position
        self.position = to
        return moved

    def to_forward_end(self) -> None:
        self.position = self.forward_end

    def to_end(self) -> None:
        self.position = self.end

    def to_start(self) -> None:
        self.position = 0

    # ------------------------------------------------------------- reading

    @property
    def current(self) -> Event | None:
        """The event just done (None at the start)."""
        return self.events[self.position - 1] if self.position else None

    @property
    def phase(self) -> str:
        """ "start", "forward", "backward" or "end"."""
        if self.position == 0:
            return "start"
        if self.position <= self.forward_end:
            return "forward"
        return "end" if self.position == self.end else "backward"

    def known(self, index: int) -> bool:
        """Is the node's value computed (or given) at this position?"""
        node = self.nodes[index]
        if not node.children or self.position > self.forward_end:
            return True
        return self._forward_rank[index] < self.position

    @property
    def _forward_rank(self) -> dict[int, int]:
        return {e.node: i for i, e in enumerate(self.events[: self.forward_end])}

    def grads(self) -> list[float | None]:
        """Each node's grad so far: None until its first contribution (or the seed)."""
        grads: list[float | None] = [None] * len(self.nodes)
        for e in self.events[self.forward_end : self.position]:
            grads[e.node] = e.after
        return grads

    def received(self) -> list[int]:
        """How many of its contributions each node's grad has so far."""
        counts = [0] * len(self.nodes)
        for e in self.events[self.forward_end + 1 : self.position]:
            counts[e.node] += 1
        return counts

    def statuses(self) -> list[str]:
        """Each node's status: forward, of its value; backward, of its grad."""
        current = self.current
        if self.position <= self.forward_end:
            rank = self._forward_rank
            out = []
            for n in self.nodes:
                if not n.children:
                    out.append(DONE)
                elif current is not None and n.index == current.node:
                    out.append(CURRENT)
                else:
                    out.append(DONE if rank[n.index] < self.position else NOT_REACHED)
            return out
        received = self.received()
        root = len(self.nodes) - 1
        out = []
        for n in self.nodes:
            if current is not None and n.index == current.node and self.position < self.end:
                out.append(CURRENT)
            elif n.index == root or received[n.index] == self.uses[n.index]:
                out.append(DONE)
            else:
                out.append(PARTIAL if received[n.index] else NOT_REACHED)
        return out

    # ------------------------------------------------------------ in words

    def describe(self, event: Event | None = None, f: Fmt = fmt) -> str:
        """The event's arithmetic in one line (the current event's by default)."""
        event = event if event is not None else self.current
        nodes = self.nodes
        if event is None:
            return "nothing computed yet: the leaves (parameters, inputs, constants) are given"
        node = nodes[event.node]
        if event.kind == "forward":
            names = [nodes[c].name for c in node.children]
            values = [f(nodes[c].data) for c in node.children]
            return (
                f"{node.name} = {forward_formula(node.op, names)}"
                f" = {forward_formula(node.op, values)} = {f(node.data)}"
            )
        if event.kind == "seed":
            return f"{node.name}.grad = 1: the loss's own slope, d loss / d loss"
        parent = nodes[event.parent]  # type: ignore[index]
        xs = [nodes[c].data for c in parent.children]
        names = [nodes[c].name for c in parent.children]
        rule = local_formula(parent.op, names, event.position)
        numbers = local_numbers(parent.op, xs, parent.data, event.position, event.local)
        text = (
            f"{parent.name} → {node.name}: grad += {rule} × out.grad"
            f" = {numbers} × {f(event.out_grad)} = {f(event.local * event.out_grad)}"
        )
        if event.of > 1:
            text += (
                f"; {ordinal(event.nth)} of {event.of} uses:"
                f" grad {f(event.before)} → {f(event.after)}"
            )
        return text


def walk_of(root: Value, names: Mapping[int, str] | None = None) -> Walk:
    """A walk of root's graph (its values as they are; backward() need not have run)."""
    return Walk(graph_nodes(root, names))


# ---------------------------------------------------------------- the update


class UpdateUnavailable(ValueError):
    """The update walk cannot show this run's optimizer (it knows AdamW's arithmetic)."""


@dataclass(frozen=True)
class ParamUpdate:
    """One parameter's AdamW update, every intermediate number as AdamW.step computes it."""

    name: str
    value: float
    sample_grad: float | None
    """This parameter's grad in the selected sample's graph alone."""
    g: float
    """The batch's mean gradient: what the step uses."""
    m_old: float
    v_old: float
    m: float
    v: float
    m_hat: float
    v_hat: float
    adaptive: float
    """m̂ / (√v̂ + eps): the step before the learning rate."""
    decay: float
    """weight_decay × value."""
    update: float
    """lr × (adaptive + decay): what the value loses."""
    new: float


@dataclass(frozen=True)
class UpdatePlan:
    """The next AdamW step, parameter by parameter, as numbers (nothing is changed)."""

    step: int
    """The step this update makes (t + 1)."""
    lr: float
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    params: tuple[ParamUpdate, ...]

    def lines(self, i: int, f: Fmt = fmt) -> list[str]:
        """Parameter i's update in words: each quantity's formula, then its numbers."""
        u = self.params[i]
        b1, b2, t = self.beta1, self.beta2, self.step
        sample = "—" if u.sample_grad is None else f(u.sample_grad)
        return [
            f"g  = mean gradient over the batch = {f(u.g)}   (this sample's alone: {sample})",
            f"m  = β1·m + (1-β1)·g = {f(b1)} × {f(u.m_old)} + {f(1 - b1)} × {f(u.g)} = {f(u.m)}",
            f"v  = β2·v + (1-β2)·g² = {f(b2)} × {f(u.v_old)} + {f(1 - b2)} × {base(f(u.g))}²"
            f" = {f(u.v)}",
            f"m̂  = m / (1 - β1^t) = {f(u.m)} / (1 - {f(b1)}^{t}) = {f(u.m_hat)}",
            f"v̂  = v / (1 - β2^t) = {f(u.v)} / (1 - {f(b2)}^{t}) = {f(u.v_hat)}",
            f"decay = wd·p = {f(self.weight_decay)} × {f(u.value)} = {f(u.decay)}",
            f"update = lr·(m̂/(√v̂ + eps) + decay) = {f(self.lr)} × ({f(u.adaptive)}"
            f" + {f(u.decay)}) = {f(u.update)}",
            f"new p = p - update = {f(u.value)} - {base(f(u.update))} = {f(u.new)}",
        ]


def update_plan(trainer: Trainer, sample: tuple[Sequence[float], int] | None = None) -> UpdatePlan:
    """What the trainer's next step will do to each parameter, computed as AdamW.step does
    (the same operations in the same order, so the same floats), reading the optimizer's
    state and the batch's gradients without changing either. sample (point, target) adds
    each parameter's grad in that sample's own graph."""
    opt = trainer.optimizer
    if not isinstance(opt, AdamW):
        raise UpdateUnavailable(
            f"the update walk shows AdamW only; this run uses {type(opt).__name__}"
        )
    named = trainer.model.named_parameters()
    sample_grads: dict[str, float] = {}
    if sample is not None:
        point, target = sample
        x = (float(point[0]), float(point[1]))
        sample_grads = {
            n.name: n.grad for n in sample_graph(trainer, x, target) if n.kind == "param"
        }
    grads = trainer.gradients(trainer.train_split)
    t = opt.t + 1
    b1, b2, lr, eps, wd = opt.beta1, opt.beta2, opt.lr, opt.eps, opt.weight_decay
    c1, c2 = 1 - b1**t, 1 - b2**t
    rows = []
    for (name, p), g, m0, v0 in zip(named, grads, opt.m, opt.v):
        m = b1 * m0 + (1 - b1) * g
        v = b2 * v0 + (1 - b2) * (g * g)
        m_hat = m / c1
        v_hat = v / c2
        denom = v_hat**0.5 + eps
        adaptive = m_hat / denom if denom > 0 else 0.0
        decay = wd * p.data
        update = lr * (adaptive + decay)
        rows.append(
            ParamUpdate(
                name, p.data, sample_grads.get(name), g, m0, v0, m, v, m_hat, v_hat,
                adaptive, decay, update, p.data - update,
            )
        )  # fmt: skip
    return UpdatePlan(t, lr, b1, b2, eps, wd, tuple(rows))


__all__ = [
    "CURRENT",
    "DONE",
    "NOT_REACHED",
    "PARTIAL",
    "Event",
    "ParamUpdate",
    "UpdatePlan",
    "UpdateUnavailable",
    "Walk",
    "graph_nodes",
    "local_derivative",
    "update_plan",
    "walk_of",
]
