"""RNG, taichi data, MLP, cross_entropy, AdamW and the Trainer against the tutorial's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd import (
    MLP,
    RNG,
    AdamW,
    Config,
    Diverged,
    Trainer,
    Value,
    cross_entropy,
    taichi,
    topological_order,
)

MASK64 = (1 << 64) - 1

# The reference numbers for the defaults (seed 42, n 100, MLP(2, [8, 3]), AdamW
# lr 0.1, betas (0.9, 0.95), eps 1e-8, weight decay 1e-4).
STEP1_TRAIN_LOSS = 1.0122152826497561
STEP100_TRAIN_LOSS = 0.03906091113485444
VAL_LOSS_BEFORE_TRAINING = 1.0538977419739777


# ------------------------------------------------- an independent reference


class SpecRNG:
    """xorshift* written again from the issue's formulas, to check RNG against."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def random_u32(self) -> int:
        self.state ^= self.state >> 12
        self.state ^= (self.state << 25) % 2**64
        self.state ^= self.state >> 27
        return ((self.state * 0x2545F4914F6CDD1D) % 2**64) >> 32

    def random(self) -> float:
        return (self.random_u32() >> 8) / 16777216

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()


def spec_taichi(rng: SpecRNG, n: int, r_small: float = 0.1, r_big: float = 0.5) -> list:
    """The issue's taichi recipe, written again: all n points, in order."""
    pts = []
    for i in range(n):
        goal = i % 3
        while True:
            x = rng.uniform(0, 2 * r_big)
            y = rng.uniform(0, 2 * r_big)
            if math.dist((x, y), (r_big, r_big)) > r_big:
                continue
            d_r = math.dist((x, y), (1.5 * r_big, r_big))
            d_l = math.dist((x, y), (0.5 * r_big, r_big))
            if d_r < r_small or d_l < r_small:
                c = 2
            elif (
                d_r <= r_small or r_small < d_l <= 0.5 * r_big or (y > r_big and d_r > 0.5 * r_big)
            ):
                c = 0
            else:
                c = 1
            if c == goal:
                break
        pts.append(([(x / r_big - 1) * 2, (y / r_big - 1) * 2], goal))
    return pts


def weights_of(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def optimizer_state(opt: AdamW) -> tuple:
    return (list(opt.m), list(opt.v), opt.t)


# ---------------------------------------------------------------------- RNG


@pytest.mark.parametrize("seed", [1, 42, 1337, 2**63 + 12345])
def test_rng_matches_the_xorshift_star_formula(seed):
    rng, ref = RNG(seed), SpecRNG(seed)
    for _ in range(200):
        assert rng.random_u32() == ref.random_u32()
    for _ in range(200):
        assert rng.random() == ref.random()
    for _ in range(200):
        assert rng.uniform(-3.0, 5.0) == ref.uniform(-3.0, 5.0)


def test_rng_is_deterministic_and_seed_dependent():
    assert _draws(RNG(42), 50) == _draws(RNG(42), 50)
    assert _draws(RNG(42), 50) != _draws(RNG(43), 50)


def _draws(rng: RNG, k: int) -> list[float]:
    return [rng.random() for _ in range(k)]


def test_rng_random_and_uniform_ranges():
    rng = RNG(7)
    xs = _draws(rng, 5000)
    assert all(0.0 <= x < 1.0 for x in xs)
    assert all((x * 16777216).is_integer() for x in xs)  # 24 bits
    assert min(xs) < 0.01 and max(xs) > 0.99  # spans the interval
    us = [rng.uniform(-2.0, 3.0) for _ in range(5000)]
    assert all(-2.0 <= u < 3.0 for u in us)
    assert min(us) < -1.9 and max(us) > 2.9


# --------------------------------------------------------------------- data


@pytest.mark.parametrize("seed", [42, 3])
def test_taichi_matches_the_recipe(seed):
    train, val, test = taichi(RNG(seed), 100)
    assert train + val + test == spec_taichi(SpecRNG(seed), 100)


def test_taichi_is_deterministic():
    assert taichi(RNG(42), 60) == taichi(RNG(42), 60)
    assert taichi(RNG(42), 60) != taichi(RNG(43), 60)


def test_taichi_classes_cycle_and_points_lie_in_the_disk_of_radius_2():
    train, val, test = taichi(RNG(5), 301)
    pts = train + val + test
    assert [c for _, c in pts] == [i % 3 for i in range(301)]
    assert all(math.hypot(*xy) <= 2.0 for xy, _ in pts)
    assert all(len(xy) == 2 for xy, _ in pts)


@pytest.mark.parametrize("n", [3, 7, 10, 99, 100, 101, 250])
def test_taichi_splits_at_80_and_90_percent(n):
    train, val, test = taichi(RNG(1), n)
    assert len(train) == int(0.8 * n)
    assert len(train) + len(val) == int(0.9 * n)
    assert len(train) + len(val) + len(test) == n


@pytest.mark.parametrize("n", [2, 1, 0, -5])
def test_taichi_rejects_fewer_than_three_points(n):
    with pytest.raises(ValueError, match="n"):
        taichi(RNG(1), n)


# ---------------------------------------------------------------------- MLP


def test_mlp_structure_and_parameter_count():
    model = MLP(2, [8, 3], RNG(1))
    # 8 hidden neurons with 2 weights and a bias, 3 output neurons with 8 weights and
    # a bias: 8 * 3 + 3 * 9 = 51
    assert len(model.parameters()) == 51
    assert [len(layer.neurons) for layer in model.layers] == [8, 3]
    assert [len(n.w) for n in model.layers[1].neurons] == [8, 8, 8]
    assert len(MLP(2, [16, 16, 3], RNG(1)).parameters()) == 16 * 3 + 16 * 17 + 3 * 17


def test_hidden_layers_are_tanh_and_the_last_is_linear():
    model = MLP(2, [4, 3], RNG(1))
    assert all(n.nonlin for n in model.layers[0].neurons)
    assert not any(n.nonlin for n in model.layers[1].neurons)
    # behaviourally: with big weights the logits leave [-1, 1], hidden units cannot
    for p in model.parameters():
        p.data *= 50
    hidden = model.layers[0]([Value(1.0), Value(-1.0)])
    logits = model([Value(1.0), Value(-1.0)])
    assert all(h._op == "tanh" and -1 <= h.data <= 1 for h in hidden)
    assert all(v._op != "tanh" for v in logits)
    assert max(abs(v.data) for v in logits) > 1


def test_weights_are_scaled_uniform_and_biases_zero():
    model = MLP(2, [8, 3], RNG(9))
    for layer, nin in zip(model.layers, [2, 8], strict=True):
        bound = nin**-0.5
        for n in layer.neurons:
            assert all(-bound <= w.data < bound for w in n.w)
            assert n.b.data == 0


def test_one_rng_serves_the_dataset_then_the_weights():
    # The trainer's data and initial weights, recomputed from the recipe: dataset
    # first, then weights layer by layer, neuron by neuron, input by input.
    rng = SpecRNG(42)
    pts = spec_taichi(rng, 100)
    want = []
    for nin, nout in ((2, 8), (8, 3)):
        for _ in range(nout):
            want += [rng.uniform(-1, 1) * nin**-0.5 for _ in range(nin)]
            want.append(0)
    trainer = Trainer()
    assert trainer.train_split + trainer.val_split + trainer.test_split == pts
    assert weights_of(trainer.model) == want


def test_named_parameters_follow_parameters_order():
    model = MLP(2, [8, 3], RNG(1))
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()
    names = [name for name, _ in named]
    assert len(set(names)) == len(names) == 51
    assert names[:4] == [
        "layer0.neuron0.w0",
        "layer0.neuron0.w1",
        "layer0.neuron0.b",
        "layer0.neuron1.w0",
    ]
    assert names[-1] == "layer1.neuron2.b"
    assert named[-2][1] is model.layers[1].neurons[2].w[7]


# ------------------------------------------------------------ cross_entropy


def test_cross_entropy_is_the_softmax_nll_with_softmax_minus_onehot_grads():
    xs = [1.0, 2.0, 0.5]
    logits = [Value(x) for x in xs]
    loss = cross_entropy(logits, 1)
    denom = math.exp(1.0) + math.exp(2.0) + math.exp(0.5)
    assert loss.data == pytest.approx(-math.log(math.exp(2.0) / denom), rel=1e-14)
    loss.backward()
    probs = [math.exp(x) / denom for x in xs]
    want = [p - (i == 1) for i, p in enumerate(probs)]
    assert [v.grad for v in logits] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    # without subtracting the max, exp(1000) overflows
    logits = [Value(1000.0), Value(-1000.0)]
    loss = cross_entropy(logits, 0)
    loss.backward()
    assert loss.data == pytest.approx(0.0, abs=1e-15)
    assert [v.grad for v in logits] == pytest.approx([0.0, 0.0], abs=1e-15)
    # the target 10 below the max: loss = log(1 + e^-10) + 10
    logits = [Value(1000.0), Value(990.0)]
    loss = cross_entropy(logits, 1)
    assert loss.data == pytest.approx(10 + math.log1p(math.exp(-10)), rel=1e-12)
    loss.backward()
    assert all(math.isfinite(v.grad) for v in logits)


def test_cross_entropy_builds_only_the_nodes_the_loss_uses(monkeypatch):
    created = []
    init = Value.__init__

    def counting_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        created.append(self)

    logits = [Value(0.3), Value(-1.2), Value(2.0)]
    monkeypatch.setattr(Value, "__init__", counting_init)
    loss = cross_entropy(logits, 2)
    monkeypatch.undo()
    order = topological_order(loss)
    # By hand, for 3 logits, the textbook graph with max subtraction and only the
    # target's probability:
    #   3  the logits (leaves)
    #   6  logit - max: a constant -max and a + node, per logit
    #   3  exp, per logit
    #   4  sum(exps) = 0 + e0 + e1 + e2: the constant 0 and three + nodes
    #   2  e_target / sum = e_target * sum**-1: a ** node and a * node
    #   1  log
    #   2  negation = log * -1.0: the constant -1.0 and a * node
    # = 21. Computing every class's probability would add 2 unused nodes per class.
    assert len(order) == 21
    # every node built is used by the loss: nothing dead was built on the side
    assert len(created) == 21 - 3
    assert set(map(id, created)) <= set(map(id, order))


def test_cross_entropy_rejects_a_target_out_of_range():
    with pytest.raises(ValueError):
        cross_entropy([Value(0.0), Value(1.0)], 2)


# -------------------------------------------------------------------- AdamW


def hand_adamw(ps, grads_fn, steps, lr, b1, b2, eps, wd):
    """The issue's AdamW update, written out, on plain floats."""
    ps = list(ps)
    m = [0.0] * len(ps)
    v = [0.0] * len(ps)
    for t in range(1, steps + 1):
        gs = grads_fn(ps)
        for i, g in enumerate(gs):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            ps[i] -= lr * (m_hat / (math.sqrt(v_hat) + eps) + wd * ps[i])
    return ps, m, v


def quadratic_grads(ps):
    # f(a, b) = (a - 1)^2 + 3 b^2 + a b: grads 2(a - 1) + b, 6 b + a
    a, b = ps
    return [2 * (a - 1) + b, 6 * b + a]


@pytest.mark.parametrize(
    ("lr", "betas", "eps", "wd"),
    [
        (0.1, (0.9, 0.95), 1e-8, 0.0),
        (0.1, (0.9, 0.95), 1e-8, 1e-4),
        (0.05, (0.8, 0.99), 1e-8, 0.3),
        (0.2, (0.9, 0.95), 0.5, 0.1),  # eps comparable to sqrt(v_hat): it matters
    ],
)
def test_adamw_matches_a_hand_written_update(lr, betas, eps, wd):
    start = [0.7, -0.4]
    params = [Value(x) for x in start]
    opt = AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=wd)
    for _ in range(7):
        a, b = params
        f = (a - 1) ** 2 + 3 * b**2 + a * b
        f.backward()
        opt.step()
        opt.zero_grad()
    want, m, v = hand_adamw(start, quadratic_grads, 7, lr, *betas, eps, wd)
    assert [p.data for p in params] == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert opt.t == 7
    assert opt.m == pytest.approx(m, rel=1e-12)
    assert opt.v == pytest.approx(v, rel=1e-12)


def test_adamw_uses_its_eps():
    def run(eps):
        p = Value(1.0)
        opt = AdamW([p], lr=0.1, eps=eps)
        p.grad = 0.01
        opt.step()
        return p.data

    # |m_hat / sqrt(v_hat)| = 1 on the first step, so eps = 0.01 shrinks it to 0.5
    assert run(1e-8) == pytest.approx(1.0 - 0.1, rel=1e-6)
    assert run(0.01) == pytest.approx(1.0 - 0.1 * 0.01 / (0.01 + 0.01), rel=1e-12)


def test_adamw_state_lives_in_the_optimizer():
    p = Value(1.0)
    a, b = AdamW([p], lr=0.1), AdamW([p], lr=0.1)
    p.grad = 2.0
    a.step()
    assert (a.t, b.t) == (1, 0)
    assert b.m == [0.0] and b.v == [0.0]
    assert a.m != [0.0] and a.v != [0.0]
    assert not hasattr(p, "__dict__")  # nothing hidden on the parameter itself
    a.zero_grad()
    assert p.grad == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0},
        {"lr": -0.1},
        {"lr": math.nan},
        {"lr": math.inf},
        {"betas": (1.0, 0.95)},
        {"betas": (0.9, 1.0)},
        {"betas": (-0.1, 0.95)},
        {"betas": (0.9, math.nan)},
        {"eps": -1e-8},
        {"eps": math.nan},
        {"weight_decay": -1e-4},
        {"weight_decay": math.nan},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_adamw_rejects_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError):
        AdamW([Value(1.0)], **kwargs)


# ------------------------------------------------------------------ Trainer


@pytest.fixture(params=[True, False], ids=["fast", "textbook"])
def fast(request):
    return request.param


def test_reference_numbers(fast):
    trainer = Trainer(fast=fast)
    val_loss, _ = trainer.evaluate(trainer.val_split)
    assert val_loss == pytest.approx(VAL_LOSS_BEFORE_TRAINING, rel=1e-14)
    first = trainer.step()
    assert first.step == 1
    assert first.train_loss == pytest.approx(STEP1_TRAIN_LOSS, rel=1e-14)
    for _ in range(99):
        last = trainer.step()
    assert last.step == trainer.step_count == 100
    assert last.train_loss == pytest.approx(STEP100_TRAIN_LOSS, rel=1e-14)


def test_step_reports_the_forward_pass_that_produced_the_update():
    trainer = Trainer()
    before = trainer.evaluate(trainer.train_split)
    result = trainer.step()
    assert result.train_loss == pytest.approx(before[0], abs=1e-12)
    assert result.train_acc == before[1]


def test_fast_and_textbook_paths_agree_step_by_step():
    a, b = Trainer(fast=True), Trainer(fast=False)
    for _ in range(5):
        ra, rb = a.step(), b.step()
        assert ra.train_loss == pytest.approx(rb.train_loss, abs=1e-12)
        assert ra.train_acc == rb.train_acc
    assert weights_of(a.model) == pytest.approx(weights_of(b.model), abs=1e-12)


def test_reset_restores_the_initial_state_exactly(fast):
    trainer = Trainer(fast=fast)
    initial = weights_of(trainer.model)
    data = (trainer.train_split, trainer.val_split, trainer.test_split)
    first = trainer.step()
    for _ in range(4):
        trainer.step()
    assert weights_of(trainer.model) != initial
    trainer.reset()
    assert weights_of(trainer.model) == initial
    assert (trainer.train_split, trainer.val_split, trainer.test_split) == data
    assert trainer.step_count == 0
    assert optimizer_state(trainer.optimizer) == ([0.0] * 51, [0.0] * 51, 0)
    assert trainer.step() == first


def test_predict_and_predict_grid_agree_with_the_value_graph():
    trainer = Trainer()
    for _ in range(15):
        trainer.step()

    def graph_argmax(x, y):
        logits = [v.data for v in trainer.model([Value(x), Value(y)])]
        return int(np.argmax(logits))

    xs = np.linspace(-2, 2, 9)
    ys = np.linspace(-2, 2, 7)
    grid = trainer.predict_grid(xs, ys)
    assert grid.shape == (len(ys), len(xs))
    want = [[graph_argmax(x, y) for x in xs] for y in ys]
    assert grid.tolist() == want
    assert len({c for row in want for c in row}) > 1  # the grid is not one class
    for xy, _ in trainer.train_split[:20] + trainer.val_split:
        assert trainer.predict(xy) == graph_argmax(*xy)


def test_step_that_should_stop_returns_none_and_changes_nothing(fast):
    trainer = Trainer(fast=fast)
    trainer.step()
    weights = weights_of(trainer.model)
    state = optimizer_state(trainer.optimizer)
    assert trainer.step(should_stop=lambda: True) is None
    assert weights_of(trainer.model) == weights
    assert optimizer_state(trainer.optimizer) == state
    assert trainer.step_count == 1
    assert all(p.grad == 0 for p in trainer.parameters)
    # and the next real step is step 2, as if nothing happened
    ref = Trainer(fast=fast)
    ref.step()
    assert trainer.step() == ref.step()


def test_step_honours_a_stop_request_midway():
    calls = []

    def stop_on_second_poll():
        calls.append(None)
        return len(calls) >= 2

    trainer = Trainer(Config(n=200))
    weights = weights_of(trainer.model)
    assert trainer.step(should_stop=stop_on_second_poll) is None
    assert weights_of(trainer.model) == weights
    assert trainer.step_count == 0


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "textbook"])
def test_divergence_raises_and_leaves_the_state_unchanged(fast):
    trainer = Trainer(Config(lr=1e6), fast=fast)
    with pytest.raises(Diverged) as err:
        for _ in range(10):
            weights = weights_of(trainer.model)
            state = optimizer_state(trainer.optimizer)
            count = trainer.step_count
            trainer.step()
    assert weights_of(trainer.model) == weights
    assert optimizer_state(trainer.optimizer) == state
    assert trainer.step_count == count
    assert err.value.step == count + 1
    assert f"step {count + 1}" in str(err.value)
    assert "lower learning rate" in str(err.value)


def count_polls(trainer: Trainer) -> int:
    """How many times one uninterrupted step of trainer asks should_stop."""
    calls = []

    def never():
        calls.append(1)
        return False

    assert trainer.step(should_stop=never) is not None
    return len(calls)


def test_a_step_stopped_at_any_poll_changes_nothing_and_the_next_one_is_exact():
    # At n = 1000 (800 training samples) the step polls before each neuron of the
    # forward pass, once between forward and backward, and before each neuron of the
    # backward pass: stopping at any of them changes nothing, even with some parameter
    # grads half summed.
    config = Config(n=1000)
    total = count_polls(Trainer(config))
    assert total == 11 + 1 + 11  # forward, between, backward (MLP(2, [8, 3]))
    reference = Trainer(config)
    expected = reference.step()
    for polls in range(1, total + 1):
        trainer = Trainer(config)
        calls = []

        def stop_at_poll(calls=calls, polls=polls):
            calls.append(1)
            return len(calls) >= polls

        before = [p.data for p in trainer.model.parameters()]
        assert trainer.step(should_stop=stop_at_poll) is None, polls
        assert len(calls) == polls
        assert [p.data for p in trainer.model.parameters()] == before
        assert all(p.grad == 0 for p in trainer.model.parameters())
        assert trainer.step_count == 0 and trainer.optimizer.t == 0
        assert trainer.step() == expected
        assert [p.data for p in trainer.model.parameters()] == [
            p.data for p in reference.model.parameters()
        ]


def test_the_backward_pass_polls_should_stop():
    trainer = Trainer(Config(n=1000))
    neurons = sum(len(layer.neurons) for layer in trainer.model.layers)
    # before each neuron forward, once between the passes, before each neuron backward
    assert count_polls(trainer) == neurons + 1 + neurons


def test_argmax_picks_the_first_largest_value_as_numpy_does():
    from micrograd.training import argmax

    rng = np.random.default_rng(3)
    rows = [[1.0, 2.0, 2.0], [2.0, 1.0, 2.0], (0.5, 0.5, 0.5), [-0.0, 0.0], [0.0, -0.0]]
    rows += rng.integers(-2, 3, size=(300, 3)).astype(float).tolist()  # many ties
    for row in rows:
        assert argmax(row) == int(np.argmax(row)), row
