"""The backprop walk: every event's arithmetic, the end grads against backward() to the
bit, the ops' local derivatives by hand, and the AdamW update against Trainer.step."""

from __future__ import annotations

import math

import pytest

from micrograd.engine import Value
from micrograd.introspect import sample_graph
from micrograd.optim import AdamW
from micrograd.stepper import (
    CURRENT,
    DONE,
    NOT_REACHED,
    PARTIAL,
    UpdateUnavailable,
    Walk,
    local_derivative,
    update_plan,
    walk_of,
)
from micrograd.training import Config, Trainer


def bits(xs):
    return [float(x).hex() for x in xs]


def walked_grads(walk: Walk) -> list[float | None]:
    """Press next through every event, then read the grads."""
    walk.to_start()
    while walk.step(1):
        pass
    return walk.grads()


def test_the_default_models_sample_graph_ends_on_backwards_grads_to_the_bit():
    trainer = Trainer(Config())
    for _ in range(3):
        trainer.step()
    (x, y), target = trainer.train_split[5]
    nodes = sample_graph(trainer, (x, y), target)
    walk = Walk(nodes)
    assert bits(walked_grads(walk)) == bits(n.grad for n in nodes)
    assert walk.phase == "end"
    # forward: one event per op node, each value the engine's
    assert walk.forward_end == sum(1 for n in nodes if n.children)


def test_a_node_used_three_times_sums_its_contributions_in_order():
    a = Value(3.0)
    sq = a * a  # a used twice here
    out = sq + a  # and once here: d/da = 2a + 1 = 7
    walk = walk_of(out, {id(a): "a"})
    out.backward()
    assert walk.final_grads[0] == a.grad == 7.0
    contributions = [e for e in walk.events if e.kind == "backward" and e.node == 0]
    assert [(e.nth, e.of) for e in contributions] == [(1, 3), (2, 3), (3, 3)]
    # + gives 1 × 1 first (reverse topological order: the + node is later than *), then *'s
    assert [e.after for e in contributions] == [1.0, 4.0, 7.0]
    walk.position = walk.events.index(contributions[1]) + 1
    assert walk.statuses()[0] == CURRENT
    assert "2nd of 3 uses: grad 1 → 4" in walk.describe()
    walk.step(1)  # the * node's second operand, a again: the last event, its grad final
    assert walk.phase == "end" and walk.statuses()[0] == DONE and walk.grads()[0] == 7.0
    walk.step(-2)  # back one event, and one more
    assert walk.statuses()[0] == CURRENT and walk.grads()[0] == 1.0


def test_a_grad_with_some_of_its_contributions_is_partial():
    a = Value(1.5)
    out = a + a * 2.0  # + takes a first, then the product; the product's a comes later
    walk = walk_of(out, {id(a): "a"})
    walk.to_forward_end()
    walk.step(3)  # seed, + → a (1st of 2), + → *
    assert walk.current.node != 0
    assert walk.statuses()[0] == PARTIAL and walk.grads()[0] == 1.0
    walk.step(1)  # * → a: 2nd of 2
    assert walk.statuses()[0] == CURRENT and walk.grads()[0] == 3.0


def test_the_tutorials_expression_walks_to_its_hand_derived_grads():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    walk = walk_of(L, {id(a): "a", id(b): "b", id(c): "c", id(f): "f"})
    names = [n.name for n in walk.nodes]
    grads = dict(zip(names, walked_grads(walk)))
    # dL/df = d = 4, dL/dd = f = -2, dL/dc = dL/de = -2, dL/da = -2 b = 6, dL/db = -2 a = -4
    assert (grads["a"], grads["b"], grads["c"], grads["f"]) == (6.0, -4.0, -2.0, 4.0)
    walk.to_start()
    walk.step(1)
    assert walk.describe() == "*#2 = a × b = 2 × -3 = -6"
    walk.to_forward_end()
    assert walk.describe() == "*#6 = +#4 × f = 4 × -2 = -8"
    walk.step(1)
    assert walk.describe().startswith("*#6.grad = 1")
    walk.step(1)  # L's first operand, d: grad += f × out.grad
    assert walk.describe() == "*#6 → +#4: grad += f × out.grad = -2 × 1 = -2"


def test_statuses_forward_then_backward():
    a = Value(0.5)
    t = (a * 2.0).tanh()
    walk = walk_of(t, {id(a): "a"})
    # nodes: a, const 2, *#2, tanh#3
    assert walk.statuses() == [DONE, DONE, NOT_REACHED, NOT_REACHED]
    walk.step(1)
    assert walk.statuses() == [DONE, DONE, CURRENT, NOT_REACHED]
    assert walk.known(2) and not walk.known(3)
    walk.to_forward_end()
    walk.step(1)  # the seed
    assert walk.statuses() == [NOT_REACHED, NOT_REACHED, NOT_REACHED, CURRENT]
    assert walk.grads() == [None, None, None, 1.0]
    walk.step(1)  # tanh → *: (1 - tanh²) × 1
    assert walk.statuses() == [NOT_REACHED, NOT_REACHED, CURRENT, DONE]
    local = 1 - math.tanh(1.0) ** 2
    assert walk.describe() == (
        f"tanh#3 → *#2: grad += (1 - tanh²) × out.grad = (1 - {math.tanh(1.0):.4g}²) × 1"
        f" = {local:.4g}"
    )
    walk.to_end()
    assert walk.statuses() == [DONE] * 4
    assert walk.step(1) is False and walk.phase == "end"
    walk.to_start()
    assert walk.step(-1) is False and walk.current is None


def test_a_negative_base_is_in_parentheses():
    t = (Value(-0.5)).tanh()
    walk = walk_of(t)
    walk.to_end()
    assert f"(1 - ({t.data:.4g})²)" in walk.describe()


@pytest.mark.parametrize(
    ("build", "position", "expected"),
    [
        (lambda x, y: x + y, 0, 1.0),
        (lambda x, y: x * y, 0, -3.0),  # d/da (a b) = b
        (lambda x, y: x * y, 1, 2.0),  # d/db (a b) = a
        (lambda x, y: x**3, 0, 12.0),  # 3 x² at 2
        (lambda x, y: x**-1, 0, -0.25),  # -1 x^-2 at 2
        (lambda x, y: x.relu(), 0, 1.0),
        (lambda x, y: y.relu(), 0, 0.0),
        (lambda x, y: (x * 0.25).tanh(), 0, 1 - math.tanh(0.5) ** 2),  # 0.7864477329659274
        (lambda x, y: x.exp(), 0, math.e**2),
        (lambda x, y: x.log(), 0, 0.5),
    ],
)
def test_each_ops_local_derivative_rule_gives_the_engines_number(build, position, expected):
    a, b = Value(2.0), Value(-3.0)
    node = build(a, b)
    xs = [c.data for c in node._prev]
    got = local_derivative(node._op, xs, node.data, position)
    assert got == node._local[position]
    assert got == pytest.approx(expected, rel=1e-15)


def test_the_update_plan_lands_where_the_step_does_to_the_bit():
    trainer = Trainer(Config())
    for _ in range(4):  # moments that are not zero
        trainer.step()
    point, target = trainer.train_split[0]
    opt = trainer.optimizer
    state = (list(opt.m), list(opt.v), opt.t, [p.data for p in opt.params])
    plan = update_plan(trainer, (point, target))
    assert (list(opt.m), list(opt.v), opt.t, [p.data for p in opt.params]) == state
    assert plan.step == 5
    sample = {n.name: n.grad for n in sample_graph(trainer, point, target) if n.kind == "param"}
    assert [u.sample_grad for u in plan.params] == [sample[u.name] for u in plan.params]
    trainer.step()
    assert bits(u.new for u in plan.params) == bits(p.data for p in opt.params)
    assert bits(u.m for u in plan.params) == bits(opt.m)
    assert bits(u.v for u in plan.params) == bits(opt.v)
    assert bits(u.g for u in plan.params) == bits(trainer.last_grads)


def test_the_update_in_words_by_hand():
    trainer = Trainer(Config(weight_decay=0.5))
    p = trainer.optimizer.params[0]
    plan = update_plan(trainer)
    u = plan.params[0]
    # step 1 from zero moments: m̂ = g, v̂ = g², so the adaptive step is g / (|g| + eps)
    assert u.m == pytest.approx(0.1 * u.g) and u.m_hat == pytest.approx(u.g)
    assert u.v_hat == pytest.approx(u.g**2)
    assert u.adaptive == pytest.approx(math.copysign(1, u.g), rel=1e-6)
    assert u.decay == 0.5 * p.data
    assert u.new == pytest.approx(p.data - 0.1 * (math.copysign(1, u.g) + 0.5 * p.data))
    lines = plan.lines(0)
    update = f"({u.update:.4g})" if u.update < 0 else f"{u.update:.4g}"
    assert lines[-1] == f"new p = p - update = {p.data:.4g} - {update} = {u.new:.4g}"
    assert f"× ({u.g:.4g})²" in lines[2] if u.g < 0 else f"× {u.g:.4g}²" in lines[2]
    assert "this sample's alone: —" in lines[0]


def test_an_optimizer_other_than_adamw_is_said_in_one_line():
    trainer = Trainer(Config())

    class Momentum:  # stands in for an optimizer the walk does not know
        params = trainer.optimizer.params

    trainer.optimizer = Momentum()  # type: ignore[assignment]
    with pytest.raises(UpdateUnavailable, match="AdamW only; this run uses Momentum"):
        update_plan(trainer)
    assert isinstance(Trainer(Config()).optimizer, AdamW)
