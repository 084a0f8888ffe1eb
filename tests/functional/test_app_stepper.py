"""The backprop walk through the real app: from the graph view, forward, backward, back
and out; the update page against s; an expression of one's own."""

from __future__ import annotations

import pytest
from pilot_helpers import SIZE, settle, step, wait_until
from textual.widgets import Input

from micrograd.expr import EXAMPLE
from micrograd.stepper import CURRENT, DONE, NOT_REACHED
from micrograd.training import Config
from tui.app import MicrogradApp
from tui.screens.graph import GraphScreen
from tui.screens.stepper import ExpressionScreen, StepperScreen
from tui.widgets.numfmt import num


def bits(xs):
    return [float(x).hex() for x in xs]


async def open_walk(pilot, app: MicrogradApp) -> StepperScreen:
    await pilot.press("g")
    graph = app.screen
    assert isinstance(graph, GraphScreen)
    await wait_until(pilot, lambda: graph.snapshot is not None, timeout=60)
    await pilot.press("b")
    walk = app.screen
    assert isinstance(walk, StepperScreen)
    return walk


def shown(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_walk_forward_to_the_loss_backward_to_the_end_and_back():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        screen = await open_walk(pilot, app)
        graph = app.screen_stack[-2].snapshot
        walk = screen.walk
        assert "step 1's weights" in shown(screen, "#stepper-title")
        await pilot.press("n", "n", "n")
        assert walk.position == 3
        current = walk.current.node
        assert screen.tree.cursor_node.data.index == current  # the cursor follows
        assert walk.statuses()[current] == CURRENT
        assert walk.describe() in shown(screen, "#stepper-detail").replace("\n", " ")
        await pilot.press("f")  # the loss's value: the forward pass's last event
        assert walk.current.node == len(graph.nodes) - 1
        assert walk.statuses()[-1] == CURRENT
        assert screen.tree.cursor_node.data.index == len(graph.nodes) - 1
        await pilot.press("n")  # loss.grad = 1
        assert "loss" not in walk.describe() or walk.describe().startswith(graph.nodes[-1].name)
        assert walk.grads()[-1] == 1.0 and walk.statuses()[0] == NOT_REACHED
        await pilot.press("e")
        assert walk.phase == "end" and all(s == DONE for s in walk.statuses())
        # every grad the walk ends on is the graph view's, backward()'s, to the bit
        assert bits(walk.grads()) == bits(n.grad for n in graph.nodes)
        root_line = screen.tree._tree_lines[0].node.data
        assert screen._values_of(root_line).plain.split()[-1] == "∇" + num(1.0)
        await pilot.press("b")  # one event back: the last contribution undone
        assert walk.position == walk.end - 1
        last = walk.events[-1]
        assert walk.grads()[last.node] == last.before
        await pilot.press("escape")
        assert isinstance(app.screen, GraphScreen)


@pytest.mark.slow
async def test_the_walk_pauses_training():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.state == "running" and app.step_count >= 1)
        await open_walk(pilot, app)
        assert app.state == "paused"
        await settle(pilot)


@pytest.mark.slow
async def test_the_update_page_lands_where_s_does():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(2):
            await step(pilot, app)
        screen = await open_walk(pilot, app)
        await pilot.press("e", "u")
        await wait_until(pilot, lambda: screen.plan is not None)
        plan = screen.plan
        assert plan.step == 3
        await pilot.press("n")
        assert screen.param == 1
        detail = shown(screen, "#stepper-detail")
        assert f"= {plan.params[1].new:.4g}" in detail.splitlines()[-1]
        assert "AdamW step 3 · parameter 2/51" in shown(screen, "#stepper-title")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await step(pilot, app)
        params = app.trainer.optimizer.params
        assert bits(u.new for u in plan.params) == bits(p.data for p in params)


@pytest.mark.slow
async def test_an_expression_of_ones_own_is_walked_and_a_bad_one_said():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("X")
        screen = app.screen
        assert isinstance(screen, ExpressionScreen)
        field = screen.query_one(Input)
        assert field.value == EXAMPLE
        field.value = "a = 2; L = (a *"
        await pilot.press("enter")
        assert app.screen is screen
        error = shown(screen, "#expression-error")
        assert error == "expected a number, a name or (, found the end (at column 16)"
        field.value = EXAMPLE
        await pilot.press("enter")
        walk_screen = app.screen
        assert isinstance(walk_screen, StepperScreen)
        await pilot.press("e")
        grads = dict(zip((n.name for n in walk_screen.walk.nodes), walk_screen.walk.grads()))
        assert (grads["a"], grads["b"], grads["c"], grads["f"]) == (6.0, -4.0, -2.0, 4.0)
        await pilot.press("u")  # no optimizer here: said, nothing else
        assert walk_screen.page == "walk"
        await pilot.press("escape", "escape")
        assert app.screen is app.main


async def test_s_on_the_update_page_shows_the_values_landing_as_planned():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, app)
        screen = await open_walk(pilot, app)
        await pilot.press("e", "u")
        await wait_until(pilot, lambda: screen.plan is not None)
        plan = screen.plan
        assert plan.step == 2
        assert "after s" not in shown(screen, "#stepper-update")
        await step(pilot, app)  # s, pressed on the update page
        assert app.screen is screen and screen.page == "update"
        await wait_until(pilot, lambda: "taken" in shown(screen, "#stepper-title"))
        title = shown(screen, "#stepper-title")
        assert "step 2 taken: 51/51 as planned, to the bit · parameter 1/51" in title
        assert len(title.strip()) <= SIZE[0]  # it fits 80 columns
        params = app.trainer.optimizer.params
        table = shown(screen, "#stepper-update").splitlines()
        assert table[0].split()[-2:] == ["after", "s"]
        first = table[1].split()  # ▶ layer0.neuron0.w0  sample  batch  new  after s
        assert first[1] == "layer0.neuron0.w0"
        assert first[-1] == first[-2] == num(params[0].data)
        await step(pilot, app)  # the plan is now behind the run: said, and u u recomputes
        await wait_until(pilot, lambda: "run is at step 3" in shown(screen, "#stepper-title"))
        assert "after s" not in shown(screen, "#stepper-update")
        await pilot.press("u", "u")
        await wait_until(pilot, lambda: screen.plan is not None and screen.plan.step == 4)
        assert "AdamW step 4 · parameter 1/51" in shown(screen, "#stepper-title")
