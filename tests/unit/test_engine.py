"""Value: every op's value and gradient, graph shape, backward() at depth, no cycles, errors."""

from __future__ import annotations

import gc
import math
import random
import sys
import weakref
from collections.abc import Callable

import pytest

from micrograd.engine import Value, topological_order

# ------------------------------------------------------------------ helpers


def numeric_grads(f: Callable[..., Value], xs: list[float], h: float = 1e-6) -> list[float]:
    """d f / d x_i by central differences, evaluating f on fresh leaves."""
    grads = []
    for i in range(len(xs)):
        up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
        down = [Value(x - h if j == i else x) for j, x in enumerate(xs)]
        grads.append((f(*up).data - f(*down).data) / (2 * h))
    return grads


def analytic_grads(f: Callable[..., Value], xs: list[float]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


def check_grads(f: Callable[..., Value], xs: list[float], rel: float = 1e-5) -> None:
    _, got = analytic_grads(f, xs)
    want = numeric_grads(f, xs)
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, rel=rel, abs=1e-6)


# Each case: (id, function of Value leaves, input point, the same function on floats).
# The float version pins the forward value, the central differences pin the gradient,
# so a reflected op that computed `self - other` for `other - self` fails both.
OPS: list[tuple[str, Callable[..., Value], list[float], Callable[..., float]]] = [
    ("a+b", lambda a, b: a + b, [1.5, -2.25], lambda a, b: a + b),
    ("a+int", lambda a: a + 3, [1.5], lambda a: a + 3),
    ("int+a", lambda a: 3 + a, [1.5], lambda a: 3 + a),
    ("a+float", lambda a: a + 0.75, [1.5], lambda a: a + 0.75),
    ("float+a", lambda a: 0.75 + a, [1.5], lambda a: 0.75 + a),
    ("a-b", lambda a, b: a - b, [1.5, -2.25], lambda a, b: a - b),
    ("a-int", lambda a: a - 3, [1.5], lambda a: a - 3),
    ("int-a", lambda a: 3 - a, [1.5], lambda a: 3 - a),
    ("float-a", lambda a: 0.75 - a, [1.5], lambda a: 0.75 - a),
    ("a*b", lambda a, b: a * b, [1.5, -2.25], lambda a, b: a * b),
    ("a*int", lambda a: a * 3, [1.5], lambda a: a * 3),
    ("int*a", lambda a: 3 * a, [1.5], lambda a: 3 * a),
    ("float*a", lambda a: -0.75 * a, [1.5], lambda a: -0.75 * a),
    ("a/b", lambda a, b: a / b, [1.5, -2.25], lambda a, b: a / b),
    ("a/int", lambda a: a / 3, [1.5], lambda a: a / 3),
    ("int/a", lambda a: 3 / a, [1.5], lambda a: 3 / a),
    ("float/a", lambda a: 0.75 / a, [-1.5], lambda a: 0.75 / a),
    ("a**2", lambda a: a**2, [-1.5], lambda a: a**2),
    ("a**3", lambda a: a**3, [-1.5], lambda a: a**3),
    ("a**0", lambda a: a**0, [1.5], lambda a: a**0),
    ("a**-1", lambda a: a**-1, [-1.5], lambda a: a**-1),
    ("a**-2", lambda a: a**-2, [1.5], lambda a: a**-2),
    ("a**0.5", lambda a: a**0.5, [2.25], lambda a: a**0.5),
    ("a**1.5", lambda a: a**1.5, [2.25], lambda a: a**1.5),
    ("a**-0.5", lambda a: a**-0.5, [2.25], lambda a: a**-0.5),
    ("-a", lambda a: -a, [1.5], lambda a: -a),
    ("relu+", lambda a: a.relu(), [1.5], lambda a: max(a, 0.0)),
    ("relu-", lambda a: a.relu(), [-1.5], lambda a: max(a, 0.0)),
    ("tanh", lambda a: a.tanh(), [0.7], math.tanh),
    ("tanh-", lambda a: a.tanh(), [-1.3], math.tanh),
    ("exp", lambda a: a.exp(), [0.7], math.exp),
    ("exp-", lambda a: a.exp(), [-2.0], math.exp),
    ("log", lambda a: a.log(), [0.7], math.log),
    ("log>1", lambda a: a.log(), [5.0], math.log),
]

COMPOSITES: list[tuple[str, Callable[..., Value], list[float]]] = [
    ("poly", lambda a, b: a * a * b + 3 * b - a / 2, [1.3, -0.4]),
    ("ratio", lambda a, b: (a + 1) / (b * b + 1) - 2 / (a + b), [0.8, 1.9]),
    ("neuron", lambda a, b, c: (a * b + c).tanh() * 2 - 1, [0.3, -1.1, 0.25]),
    ("softmax", lambda a, b: -((a.exp() / (a.exp() + b.exp())).log()), [0.4, -0.9]),
    ("powers", lambda a, b: (a**2 + b**2) ** 0.5 + (a - b) ** -2, [1.2, -0.7]),
    ("relu-mix", lambda a, b: (a * b).relu() + (a - b).relu() * (1 - a), [1.4, 0.6]),
    ("reused", lambda a: (a.exp() + a) * (a.log() - a) / a, [1.7]),
]


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize(("f", "xs", "ref"), [c[1:] for c in OPS], ids=[c[0] for c in OPS])
def test_op_value_and_gradient_match_central_differences(f, xs, ref):
    data, _ = analytic_grads(f, xs)
    assert data == pytest.approx(ref(*xs), rel=1e-12, abs=1e-12)
    check_grads(f, xs)


@pytest.mark.parametrize(("f", "xs"), [c[1:] for c in COMPOSITES], ids=[c[0] for c in COMPOSITES])
def test_composite_gradient_matches_central_differences(f, xs):
    check_grads(f, xs)


def test_relu_gradient_is_one_above_zero_and_zero_below():
    for x, want in ((2.0, 1.0), (-2.0, 0.0)):
        a = Value(x)
        a.relu().backward()
        assert a.grad == want


def test_hand_derived_sanity_check():
    # micrograd's sanity check, done by hand instead of with torch:
    # z = 2x + 2 + x = 3x + 2 = -10, relu'(z) = 0, q = relu(z) + z x = 0 + 40 = 40,
    # h = relu(z z) = 100 (active), y = h + q + q x = 100 + 40 - 160 = -20.
    # dq/dx = z + x dz/dx = -10 + (-4)(3) = -22, dh/dx = 2 z dz/dx = -60,
    # dy/dx = dh/dx + dq/dx + q + x dq/dx = -60 - 22 + 40 + 88 = 46.
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20
    assert x.grad == 46


def test_hand_derived_tanh_neuron():
    # The lecture's neuron: n = x1 w1 + x2 w2 + b with b chosen so n = ln(1 + sqrt 2),
    # where tanh(n) = 1/sqrt 2, so do/dn = 1 - tanh^2 = 1/2. Then each input's grad is
    # the other factor times 1/2: x1 -> w1/2 = -1.5, w1 -> x1/2 = 1, x2 -> w2/2 = 0.5,
    # w2 -> x2/2 = 0, b -> 1/2.
    x1, w1, x2, w2 = Value(2.0), Value(-3.0), Value(0.0), Value(1.0)
    b = Value(6 + math.log(1 + math.sqrt(2)))
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert x1.grad == pytest.approx(-1.5, abs=1e-12)
    assert w1.grad == pytest.approx(1.0, abs=1e-12)
    assert x2.grad == pytest.approx(0.5, abs=1e-12)
    assert w2.grad == pytest.approx(0.0, abs=1e-12)
    assert b.grad == pytest.approx(0.5, abs=1e-12)


def test_hand_derived_log_of_ratio_and_exp():
    # y = log(a / b) = log a - log b: dy/da = 1/a = 1/6, dy/db = -1/b = -1/3.
    a, b = Value(6.0), Value(3.0)
    y = (a / b).log()
    y.backward()
    assert y.data == pytest.approx(math.log(2), abs=1e-15)
    assert a.grad == pytest.approx(1 / 6, abs=1e-15)
    assert b.grad == pytest.approx(-1 / 3, abs=1e-15)
    # y = e^(2x) at x = 0: y = 1, dy/dx = 2 e^0 = 2.
    x = Value(0.0)
    y = (2 * x).exp()
    y.backward()
    assert (y.data, x.grad) == (1.0, 2.0)


def test_grads_accumulate_when_a_node_is_used_twice():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # d(a^2)/da = 2a, not a
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0  # d(2b)/db = 2, not 1
    c = Value(3.0)
    d = c * 2
    (d * d + d).backward()  # (2c)^2 + 2c: 8c + 2
    assert c.grad == 26.0


def test_grad_starts_at_zero_and_backward_seeds_root_with_one():
    a = Value(2.0)
    assert a.grad == 0
    y = a * 5
    y.backward()
    assert y.grad == 1
    assert a.grad == 5


def test_backward_through_a_100000_node_chain_has_no_recursion_error():
    depth = 100_000
    assert depth > 10 * sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for _ in range(depth):
        y = y * 1.0  # each * adds one node below the next
    y.backward()
    assert x.grad == 1.0
    assert len(topological_order(y)) == 2 * depth + 1  # each step: a product and its 1.0


# ------------------------------------------------------------- graph shape


def test_prev_lists_children_in_operand_order_and_op_tags():
    a, b = Value(2.0), Value(-3.0)
    assert (a + b)._prev == (a, b) and (a + b)._op == "+"
    assert (b + a)._prev == (b, a)
    assert (a * b)._prev == (a, b) and (a * b)._op == "*"
    assert (b * a)._prev == (b, a)
    p = a**3
    assert p._prev == (a,) and p._op == "**3"
    assert a.relu()._prev == (a,) and a.relu()._op == "ReLU"
    assert a.tanh()._prev == (a,) and a.tanh()._op == "tanh"
    assert a.exp()._prev == (a,) and a.exp()._op == "exp"
    assert a.log()._prev == (a,) and a.log()._op == "log"
    assert a._prev == () and a._op == ""
    # a - b is a + (-b): a first, then the node that negates b
    d = a - b
    assert d._op == "+" and d._prev[0] is a and b in d._prev[1]._prev
    # a / b is a * b**-1
    q = a / b
    assert q._op == "*" and q._prev[0] is a and q._prev[1]._prev == (b,)
    assert q._prev[1]._op == "**-1"


def test_each_op_keeps_its_local_derivatives_as_the_tutorial_states_them():
    a, b = Value(2.0), Value(-3.0)
    assert (a + b)._local == (1.0, 1.0)
    assert (a * b)._local == (-3.0, 2.0)  # d/da = b, d/db = a
    assert (a**3)._local == (3 * 2.0**2,)
    assert a.tanh()._local == (1 - math.tanh(2.0) ** 2,)
    assert a.exp()._local == (math.exp(2.0),)
    assert a.log()._local == (1 / 2.0,)
    assert a.relu()._local == (1.0,) and b.relu()._local == (0.0,)
    assert a._local == ()


def test_relu_at_exactly_zero_passes_no_gradient():
    # central differences straddle the kink and cannot decide this: d relu/dx at 0 is 0
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert y.data == 0 and x.grad == 0.0


def test_reflected_ops_keep_the_number_as_the_first_operand():
    a = Value(2.0)
    for node, want in ((5 + a, "+"), (5 * a, "*"), (5 - a, "+"), (5 / a, "*")):
        assert node._op == want
        left, right = node._prev
        assert left.data == 5 and left._prev == ()
        assert a in topological_order(right)
    assert (5 + a)._prev[1] is a
    assert (5 * a)._prev[1] is a


def test_graph_has_no_reference_cycles():
    assert "__weakref__" in Value.__slots__
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(0.3)
        y = Value(-1.2)
        out = ((x * y + 2).tanh() ** 2 - (x / y).exp() + (x * x).relu()).log()
        out.backward()
        mid = out._prev[0]
        refs = [weakref.ref(node) for node in topological_order(out)]
        assert all(r() is not None for r in refs)
        del out, mid, x, y
        # reference counting alone frees every node: no node reaches itself
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------- sort and chain rule


def recursive_order(root: Value) -> list[Value]:
    """The textbook's recursive depth-first sort, the reference for topological_order."""
    topo: list[Value] = []
    visited: set[Value] = set()

    def build(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


def random_dag(
    rng: random.Random, size: int, derivatives: dict[int, list[float]] | None = None
) -> list[Value]:
    """Nodes with 0 to 4 children drawn from the nodes before them (so repeats, shared
    children and children shared across branches all happen); the root is last.
    derivatives, if given, gets each node's local derivatives by id, as drawn."""
    nodes: list[Value] = []
    for i in range(size):
        arity = rng.choice([0, 1, 2, 2, 2, 3, 4]) if i else 0
        prev = tuple(rng.choice(nodes[-8:] if rng.random() < 0.7 else nodes) for _ in range(arity))
        local = [rng.uniform(-2, 2) for _ in prev]
        nodes.append(Value(float(i), prev, f"op{arity}", tuple(local)))
        if derivatives is not None:
            derivatives[id(nodes[-1])] = local
    return nodes


@pytest.mark.parametrize("seed", range(20))
def test_backward_applies_each_nodes_local_derivatives(seed):
    # nodes of 0 to 4 children, against the chain rule written out from the
    # derivatives the DAG was drawn with, in the textbook's order
    rng = random.Random(seed)
    derivatives: dict[int, list[float]] = {}
    nodes = random_dag(rng, rng.randint(2, 60), derivatives)
    order = recursive_order(nodes[-1])
    want = {id(v): 0.0 for v in order}
    want[id(order[-1])] = 1.0
    for v in reversed(order):
        for child, d in zip(v._prev, derivatives[id(v)]):
            want[id(child)] += d * want[id(v)]
    nodes[-1].backward()
    assert [v.grad for v in order] == [want[id(v)] for v in order]  # the same floats
    assert all(list(v._local) == derivatives[id(v)] for v in order)


@pytest.mark.parametrize("seed", range(40))
def test_topological_order_is_the_recursive_depth_first_order(seed):
    rng = random.Random(seed)
    nodes = random_dag(rng, rng.randint(1, 60))
    root = nodes[-1]
    topological_order(rng.choice(nodes))  # a sort before leaves its marks on some nodes
    order = topological_order(root)
    assert order == recursive_order(root)  # the same nodes, in the same order
    assert topological_order(root) == order  # and a second sort of the same graph
    # and that order is valid on its own: each reachable node once, children first
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order)
    assert order[-1] is root
    for i, v in enumerate(order):
        assert all(position[id(c)] < i for c in v._prev)
    reachable, stack = {id(root)}, [root]
    while stack:
        for c in stack.pop()._prev:
            if id(c) not in reachable:
                reachable.add(id(c))
                stack.append(c)
    assert set(position) == reachable


def test_topological_order_places_a_shared_node_inside_the_first_branch_that_reaches_it():
    # r = f(a, b) with b reachable from a too: b is placed within a's branch, and
    # the second operand, b itself, is already placed when the search comes back
    x, y = Value(1.0), Value(2.0)
    b = x * y
    a = b + x
    r = a * b
    assert topological_order(r) == [x, y, b, a, r]
    # the same with the operands the other way round: b first, then a
    r = b * a
    assert topological_order(r) == [x, y, b, a, r]
    # repeated operands and a leaf root
    sq = x * x
    assert topological_order(sq) == [x, sq]
    assert topological_order(x) == [x]


def test_backward_handles_every_arity():
    # nodes built by hand with 3 and 4 children and their local derivatives
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    s3 = Value(6.0, (a, b, c), "sum3", (1.0, 2.0, 3.0))  # d/da = 1, d/db = 2, d/dc = 3
    s4 = Value(0.0, (s3, a, a, c), "f4", (0.5, -1.0, 2.0, 0.25))
    s4.backward()
    assert s3.grad == 0.5
    assert a.grad == 0.5 * 1.0 + (-1.0 + 2.0) * 1.0  # through s3, then twice directly
    assert b.grad == 0.5 * 2.0
    assert c.grad == 0.5 * 3.0 + 0.25


def test_grads_are_floats_even_through_sums_alone():
    a, b = Value(2), Value(3)
    y = a + b + a
    y.backward()
    assert (a.grad, b.grad, y.grad) == (2.0, 1.0, 1.0)
    assert all(type(v.grad) is float for v in (a, b, y))
    assert type(Value(1).grad) is float and Value(1).grad == 0


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("x", [0, 0.0, -1, -2.5])
def test_log_of_non_positive_raises_value_error_naming_log_and_operand(x):
    with pytest.raises(ValueError, match="log") as err:
        Value(x).log()
    assert repr(x) in str(err.value)


def test_value_exponent_raises_value_error():
    with pytest.raises(ValueError, match=r"\*\*"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match=r"\*\*"):
        2 ** Value(3.0)


def test_exp_overflow_raises_overflow_error_naming_exp():
    with pytest.raises(OverflowError, match="exp") as err:
        Value(1000).exp()
    assert "1000" in str(err.value)


@pytest.mark.parametrize(
    "divide",
    [lambda: Value(1.0) / Value(0.0), lambda: Value(1.0) / 0, lambda: 1 / Value(0)],
    ids=["Value/Value", "Value/int", "int/Value"],
)
def test_division_by_zero_raises_zero_division_error_naming_the_op(divide):
    with pytest.raises(ZeroDivisionError, match="/"):
        divide()


def test_negative_base_to_fractional_power_is_an_error_not_nan():
    with pytest.raises(ValueError, match=r"\*\*"):
        Value(-8.0) ** (1 / 3)


def test_sqrt_of_zero_has_a_value_and_an_infinite_slope():
    a = Value(0.0)
    b = a**0.5
    assert b.data == 0.0
    b.backward()
    assert a.grad == math.inf  # d sqrt(x)/dx -> +inf as x -> 0+
