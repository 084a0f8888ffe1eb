"""The fast path gives the textbook graph's numbers: losses, every gradient, 20 steps, records."""

from __future__ import annotations

import json
import math

import pytest

from micrograd.training import Config, Trainer

SEEDS = [1, 42, 7]
SIZES = [30, 100]
HIDDEN = [(8,), (4, 5)]

# ------------------------------------------------------------------ helpers


def close(a: float, b: float, rel: float, floor: float = 1e-15) -> bool:
    """|a - b| within rel of the larger magnitude, or within floor (for values near 0)."""
    return abs(a - b) <= rel * max(abs(a), abs(b)) + floor


def first_loss_and_grads(trainer: Trainer) -> tuple[float, list[list[float]], list[float]]:
    """The first step's loss, logits and every parameter's gradient, as Trainer.step gets them."""
    built = trainer.loss_graph(trainer.train_split)
    assert built is not None
    loss, logits, _ = built
    return loss, logits, trainer.gradients(trainer.train_split)


def record(trainer: Trainer, k: int, steps: int, eval_every: int) -> dict[str, float]:
    """One step as the headless run prints it: step, train loss and accuracy, val every K."""
    result = trainer.step()
    assert result is not None
    rec: dict[str, float] = {
        "step": result.step,
        "train_loss": result.train_loss,
        "train_acc": result.train_acc,
    }
    if k % eval_every == 0 or k == steps:
        rec["val_loss"], rec["val_acc"] = trainer.evaluate(trainer.val_split)
    return rec


def pair(seed: int, n: int, hidden: tuple[int, ...]) -> tuple[Trainer, Trainer]:
    config = Config(seed=seed, n=n, hidden=hidden)
    return Trainer(config, fast=False), Trainer(config, fast=True)


# ------------------------------------------------------------------ the first step


@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: "hidden" + "x".join(map(str, h)))
@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"n{n}")
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_first_step_loss_and_every_gradient_match_the_textbook_graph(
    seed: int, n: int, hidden: tuple[int, ...]
) -> None:
    textbook, fast = pair(seed, n, hidden)
    t_loss, t_logits, t_grads = first_loss_and_grads(textbook)
    f_loss, f_logits, f_grads = first_loss_and_grads(fast)

    assert math.isfinite(t_loss) and t_loss > 0
    assert close(f_loss, t_loss, 1e-12), (f_loss, t_loss)
    assert len(f_logits) == len(t_logits) == len(textbook.train_split)
    for f_row, t_row in zip(f_logits, t_logits):
        assert all(close(f, t, 1e-12) for f, t in zip(f_row, t_row)), (f_row, t_row)

    assert len(f_grads) == len(t_grads) == len(textbook.model.parameters())
    assert any(g != 0 for g in t_grads)  # the graph reached the parameters at all
    bad = [(i, f, t) for i, (f, t) in enumerate(zip(f_grads, t_grads)) if not close(f, t, 1e-12)]
    assert not bad, f"{len(bad)} of {len(t_grads)} gradients differ, e.g. {bad[:3]}"


# ------------------------------------------------------------------ training


@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: "hidden" + "x".join(map(str, h)))
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_twenty_steps_train_to_the_same_losses(seed: int, hidden: tuple[int, ...]) -> None:
    textbook, fast = pair(seed, 100, hidden)
    t_losses, f_losses = [], []
    for k in range(1, 21):
        t, f = textbook.step(), fast.step()
        assert t is not None and f is not None
        assert t.step == f.step == k
        assert f.train_acc == t.train_acc
        t_losses.append(t.train_loss)
        f_losses.append(f.train_loss)
    assert t_losses[-1] < t_losses[0]  # it trained
    for k, (f, t) in enumerate(zip(f_losses, t_losses), start=1):
        assert close(f, t, 1e-10), f"step {k}: fast {f!r}, textbook {t!r}"
    for f, t in zip(fast.evaluate(fast.val_split), textbook.evaluate(textbook.val_split)):
        assert close(f, t, 1e-10)


@pytest.mark.parametrize("n", SIZES, ids=lambda n: f"n{n}")
def test_headless_records_have_the_same_format_and_numbers(n: int) -> None:
    textbook, fast = pair(42, n, (8,))
    steps, eval_every = 12, 5
    for k in range(1, steps + 1):
        t = record(textbook, k, steps, eval_every)
        f = record(fast, k, steps, eval_every)
        assert list(f) == list(t)
        assert [type(v) for v in f.values()] == [type(v) for v in t.values()]
        assert set(json.loads(json.dumps(f))) == set(t)
        assert f["step"] == t["step"] == k
        for key in t:
            assert close(f[key], t[key], 1e-10), (k, key, f[key], t[key])
        has_val = k % eval_every == 0 or k == steps
        assert ("val_loss" in f) == has_val


# ------------------------------------------------------------------ the fused graph itself


@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: "hidden" + "x".join(map(str, h)))
def test_every_gradient_matches_the_textbook_graph_away_from_the_initial_weights(hidden):
    # at step 0 every bias is 0; after a few steps each term of backward() counts
    textbook, fast = pair(7, 60, hidden)
    for _ in range(3):
        textbook.step()
        fast.step()
    t_loss, _, t_grads = first_loss_and_grads(textbook)
    f_loss, _, f_grads = first_loss_and_grads(fast)
    assert all(p.data != 0 for p in fast.model.layers[0].neurons[0].parameters())
    assert close(f_loss, t_loss, 1e-12)
    assert any(g != 0 for g in t_grads)
    assert all(close(f, t, 1e-12) for f, t in zip(f_grads, t_grads))


def test_each_samples_loss_is_the_forward_pass_of_that_sample():
    from micrograd.fused import FusedGraph
    from micrograd.training import forward_floats

    trainer = Trainer(Config(n=50, hidden=(4, 5)))
    trainer.step()
    graph = FusedGraph(trainer.model, trainer.train_split)
    logits = graph.forward()
    assert logits is not None
    layers = trainer.layers()
    for i, (x, y) in enumerate(trainer.train_split):
        want = forward_floats(layers, x)
        assert list(logits[i]) == want
        m = max(want)
        ex = [math.exp(v - m) for v in want]
        assert graph.nll[i] == -math.log(ex[y] * (ex[0] + ex[1] + ex[2]) ** -1)
    assert graph.loss == sum(graph.nll) * (1.0 / len(graph.nll))


def test_a_fused_graph_holds_no_reference_cycle():
    # reference counting alone frees it: the cyclic collector, which would pause the
    # UI, is not needed
    import gc
    import weakref

    from micrograd.fused import FusedGraph

    trainer = Trainer(Config(n=60))
    graph = FusedGraph(trainer.model, trainer.train_split)
    graph.forward()
    graph.backward()
    ref = weakref.ref(graph)
    was = gc.isenabled()
    gc.disable()
    try:
        del graph
        assert ref() is None
    finally:
        if was:
            gc.enable()
