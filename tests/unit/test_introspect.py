"""The inside views' numbers: a sample's named graph, the gradient check, the confusion matrix."""

import math

import pytest

from micrograd import Config, Trainer, Value
from micrograd.introspect import (
    GraphNode,
    confusion_matrix,
    flatten_sums,
    gradient_check,
    per_class_accuracy,
    sample_graph,
)


def hand_built_loss(trainer: Trainer, x, target):
    """The tutorial's graph for one sample, written out op by op (no MLP.__call__)."""
    xs = [Value(x[0]), Value(x[1])]
    acts = xs
    for li, layer in enumerate(trainer.model.layers):
        outs = []
        for n in layer.neurons:
            act = n.b
            for w, a in zip(n.w, acts):
                act = act + w * a
            outs.append(act.tanh() if li < len(trainer.model.layers) - 1 else act)
        acts = outs
    m = max(v.data for v in acts)
    shifted = [v - m for v in acts]
    ex = [v.exp() for v in shifted]
    denom = 0 + ex[0] + ex[1] + ex[2]
    loss = -((ex[target] / denom).log())
    loss.backward()
    return loss


def count_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        for c in stack.pop()._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def test_sample_graph_equals_hand_built_graph():
    t = Trainer()
    for _ in range(3):
        t.step()
    x, y = [0.5, -1.25], 2
    nodes = sample_graph(t, x, y)
    ref = hand_built_loss(t, x, y)  # its backward() leaves each param's grad on the param
    assert len(nodes) == count_nodes(ref)
    # 2 inputs + 51 params + 8 x (2 mul + 2 add + tanh) + 3 x (8 mul + 8 add)
    # + loss: 3 x (const + add) + 3 exp + (const + 3 add) + (pow + mul) + log + (const + mul)
    assert len(nodes) == 2 + 51 + 40 + 48 + 6 + 3 + 4 + 2 + 1 + 2 == 159
    loss = nodes[-1]
    assert loss.data == ref.data
    assert loss.grad == 1.0
    by_name = {n.name: n for n in nodes}
    for name, p in t.model.named_parameters():
        assert by_name[name].kind == "param"
        assert by_name[name].data == p.data
        assert math.isclose(by_name[name].grad, p.grad, rel_tol=1e-12, abs_tol=1e-15)
    assert by_name["x0"].data == 0.5 and by_name["x1"].data == -1.25
    assert sum(n.kind == "const" for n in nodes) == 5


def test_each_sample_graph_node_carries_the_local_derivatives_its_op_computed():
    t = Trainer()
    t.step()
    nodes = sample_graph(t, [0.5, -1.25], 1)
    ops = set()
    for node in nodes:
        kids = [nodes[c] for c in node.children]
        assert len(node.local) == len(kids)
        if node.op == "*":
            assert node.local == (kids[1].data, kids[0].data)
        elif node.op == "+":
            assert node.local == (1.0, 1.0)
        elif node.op == "tanh":
            assert node.local == (1 - node.data**2,)
        elif node.op == "exp":
            assert node.local == (node.data,)
        elif node.op == "log":
            assert node.local == (1 / kids[0].data,)
        elif node.op == "**-1":
            assert node.local == (-1 * kids[0].data ** -2,)
        ops.add(node.op)
    assert {"*", "+", "tanh", "exp", "log", "**-1"} <= ops
    # and the chain rule over them gives each node's grad: the loss's is 1
    grads = [0.0] * len(nodes)
    grads[-1] = 1.0
    for node in reversed(nodes):
        for c, d in zip(node.children, node.local):
            grads[c] += d * grads[node.index]
    assert grads == [node.grad for node in nodes]


def leaf(i, kind="param", data=1.0):
    return GraphNode(i, "", kind, f"{kind}{i}", data, 0.0, (), ())


def add(i, a, b, data=0.0):
    return GraphNode(i, "+", "op", f"+#{i}", data, 0.0, (a, b), (1.0, 1.0))


def test_flatten_sums_reads_a_staircase_as_one_sum():
    # a, b, c; s = (a + b) + c; t = s + k (a shift by the constant k); u = (a + b) * 2 uses
    # a + b a second time
    a, b, c, k = leaf(0), leaf(1), leaf(2), leaf(3, "const")
    ab, s = add(4, 0, 1), add(5, 4, 2)
    t = add(6, 5, 3)
    flat = flatten_sums([a, b, c, k, ab, s, t])
    assert flat[5].children == (0, 1, 2) and flat[5].local == (1.0, 1.0, 1.0)
    assert flat[6].children == (5, 3)  # a shift keeps its operand whole
    assert flat[4] == ab and flat[:4] == [a, b, c, k]
    two = GraphNode(7, "", "const", "const", 2.0, 0.0, (), ())
    u = GraphNode(8, "*", "op", "*#8", 0.0, 0.0, (4, 7), (2.0, 0.0))
    flat = flatten_sums([a, b, c, k, ab, s, two, u])
    assert flat[5].children == (4, 2)  # a + b has another user: it stays a node


def reachable(nodes):
    seen, stack = {len(nodes) - 1}, [len(nodes) - 1]
    while stack:
        for c in nodes[stack.pop()].children:
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return seen


def test_flatten_sums_keeps_the_engines_numbers():
    t = Trainer()
    t.step()
    nodes = sample_graph(t, [0.5, -1.25], 1)
    flat = flatten_sums(nodes)
    shown = reachable(flat)
    # each hidden neuron's b + w0 x0 + w1 x1 loses 1 inner +, each logit's b + 8 terms 7,
    # the denominator 0 + e0 + e1 + e2 2
    assert len(shown) == 159 - 8 * 1 - 3 * 7 - 2 == 128
    sums = [flat[i] for i in shown if len(flat[i].children) > 2]
    assert sorted(len(n.children) for n in sums) == [3] * 8 + [4] + [9] * 3
    for n in sums:
        assert n.op == "+" and set(n.local) == {1.0}
        assert (n.data, n.grad) == (nodes[n.index].data, nodes[n.index].grad)  # the last +'s
        assert math.isclose(n.data, math.fsum(nodes[c].data for c in n.children), rel_tol=1e-12)
    for n in (s for s in sums if len(s.children) == 9):  # a logit's sum
        first = nodes[n.children[0]]
        assert first.kind == "param" and first.name.endswith(".b")
        assert all(nodes[c].op == "*" for c in n.children[1:])
    # the chain rule over the flattened graph gives every node shown the engine's grad
    grads = [0.0] * len(flat)
    grads[-1] = 1.0
    for node in reversed(flat):
        if node.index in shown:
            for c, d in zip(node.children, node.local):
                grads[c] += d * grads[node.index]
    assert [grads[i] for i in sorted(shown)] == [nodes[i].grad for i in sorted(shown)]
    assert [(n.data, n.grad) for n in flat] == [(n.data, n.grad) for n in nodes]


def test_sample_graph_leaves_the_models_grads_alone():
    t = Trainer()
    for p in t.model.parameters():
        p.grad = 0.25
    sample_graph(t, [0.1, 0.2], 0)
    assert all(p.grad == 0.25 for p in t.model.parameters())


def test_gradient_check_agrees_and_flags_a_wrong_gradient(monkeypatch):
    t = Trainer(Config(n=30))
    t.step()
    before = [(p.data, p.grad) for p in t.model.parameters()]
    checks = gradient_check(t)
    assert len(checks) == 51
    assert max(c.rel_error for c in checks) < 1e-6
    assert [(p.data, p.grad) for p in t.model.parameters()] == before  # left as it was

    # a broken engine (the first layer's gradients off by 10%) must be caught
    import micrograd.fused as fused

    real_backward = fused.FusedGraph.backward

    def broken_backward(self, should_stop=None):
        first = [p for n in self.model.layers[0].neurons for p in n.parameters()]
        before = [p.grad for p in first]
        done = real_backward(self, should_stop)
        for p, g in zip(first, before):
            p.grad = g + (p.grad - g) * 1.1
        return done

    monkeypatch.setattr(fused.FusedGraph, "backward", broken_backward)
    bad = gradient_check(t)
    assert max(c.rel_error for c in bad) > 1e-3


@pytest.mark.parametrize("stop_after", [1, 7, 50])
def test_a_gradient_check_stopped_midway_leaves_the_weights_as_they_were(stop_after):
    t = Trainer(Config(n=30))
    t.step()
    before = [(p.data, p.grad) for p in t.model.parameters()]
    polls = []

    def stop() -> bool:
        polls.append(1)
        return len(polls) > stop_after

    assert gradient_check(t, should_stop=stop) is None
    assert [(p.data, p.grad) for p in t.model.parameters()] == before


def test_confusion_matrix_counts_every_sample():
    t = Trainer()
    for _ in range(20):
        t.step()
    counts = confusion_matrix(t, t.val_split)
    assert sum(map(sum, counts)) == len(t.val_split)
    correct = sum(counts[i][i] for i in range(3))
    assert correct / len(t.val_split) == t.evaluate(t.val_split)[1]
    for i, acc in enumerate(per_class_accuracy(counts)):
        assert acc == counts[i][i] / sum(counts[i])


@pytest.mark.slow
def test_gradient_check_late_in_training_flags_nothing():
    # near zero loss the gradients are tiny: the check must not mistake the central
    # differences' own error (~5e-12 here) for a backprop error; at steps 1937 and 4837
    # a floor of 1e-6 flagged correct gradients
    t = Trainer()
    for k in range(1, 4838):
        t.step()
        if k in (600, 1937, 4837):
            checks = gradient_check(t)
            assert min(abs(c.autograd) for c in checks) < 1e-6  # tiny gradients are present
            assert max(c.rel_error for c in checks) < 1e-6, k


def test_gradient_check_stops_when_asked():
    t = Trainer(Config(n=30))
    calls = []

    def stop_on_third():
        calls.append(1)
        return len(calls) >= 3

    before = [p.data for p in t.model.parameters()]
    assert gradient_check(t, should_stop=stop_on_third) is None
    assert len(calls) == 3
    assert [p.data for p in t.model.parameters()] == before


def test_gradient_check_reports_progress_per_parameter():
    t = Trainer(Config(n=30))
    seen: list[tuple[int, int]] = []
    checks = gradient_check(t, progress=lambda done, total: seen.append((done, total)))
    n = len(t.parameters)
    assert seen == [(k, n) for k in range(1, n + 1)] and len(checks) == n
