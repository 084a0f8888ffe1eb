"""The app driven by its keys with Pilot: it starts paused, so `s` makes every test exact."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pytest
from textual.widgets import Footer, Static

import tui.app
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui.app import MicrogradApp, lower_priority
from tui.widgets import BoundaryPlot, MetricsPanel


def same_weights(a: list[tuple[np.ndarray, np.ndarray]], b: list[tuple[np.ndarray, np.ndarray]]):
    return len(a) == len(b) and all(
        np.array_equal(wa, wb) and np.array_equal(ba, bb) for (wa, ba), (wb, bb) in zip(a, b)
    )


async def test_starts_paused_at_step_zero_with_the_initial_boundary() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.state == "paused"
        assert app.step_count == 0
        assert app.query_one(MetricsPanel).record.step == 0
        assert same_weights(app.query_one(BoundaryPlot).weights, Trainer(Config()).weights())
        assert not any(not w.is_finished for w in app.workers)


async def test_s_takes_exactly_one_step_with_the_library_numbers() -> None:
    reference = Trainer(Config())
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        for k in range(1, 4):
            await step(pilot, app)
            expected = reference.step()
            got = app.history[-1]
            assert app.step_count == k == expected.step
            assert got.train_loss == expected.train_loss  # exactly: same seed, same maths
            assert got.train_acc == expected.train_acc
            assert (got.val_loss, got.val_acc) == reference.evaluate(reference.val_split)
        assert [r.step for r in app.history] == [0, 1, 2, 3]
        assert same_weights(app.snapshot.weights, reference.weights())
        assert same_weights(app.query_one(BoundaryPlot).weights, reference.weights())
        assert np.array_equal(app.snapshot.adam_m, np.array(reference.optimizer.m))


async def test_reset_restores_the_initial_weights_exactly() -> None:
    initial = Trainer(Config())
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        first = app.history[0]
        await step(pilot, app)
        await step(pilot, app)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.step_count == 0 and len(app.history) == 1)
        await wait_until(pilot, lambda: idle(app))
        assert app.history == [first]
        assert same_weights(app.snapshot.weights, initial.weights())
        assert same_weights(app.query_one(BoundaryPlot).weights, initial.weights())
        await step(pilot, app)  # and it trains the same way again
        assert app.history[-1].train_loss == initial.step().train_loss


async def test_space_trains_and_pause_stops_the_updates() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert app.state == "running"
        await wait_until(pilot, lambda: app.step_count >= 3)
        await pilot.press("space")
        assert app.state == "paused"
        await wait_until(pilot, lambda: idle(app))
        await pilot.pause(0.1)  # let any last message arrive
        stopped_at = app.step_count
        await pilot.pause(0.3)
        assert app.step_count == stopped_at == app.trainer.step_count
        assert app.query_one(MetricsPanel).steps_per_sec is None


def shown_state_and_step(app: MicrogradApp) -> tuple[str, str]:
    """The metrics panel's state and step lines as the last frame drew them."""
    state, step = app.main.query_one(MetricsPanel)._shown[:2]
    return state.text if state else "", step.text if step else ""


async def test_the_frame_that_first_shows_running_shows_step_1(monkeypatch) -> None:
    """space's answer is step 1: the run state and step 1's numbers come in one frame,
    not the state first and the step a frame or two later. (The fallback for a first step
    slower than FIRST_STEP_WAIT, a big model's, is set out of reach: on a busy machine a
    first step of the default model can take that long too.)"""
    monkeypatch.setattr("tui.screens.main.FIRST_STEP_WAIT", 30.0)
    app = MicrogradApp(Config())
    frames: list[tuple[str, str]] = []
    async with app.run_test(size=SIZE) as pilot:
        display = app._display

        def record_frame(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and screen is app.main:
                frames.append(shown_state_and_step(app))

        app._display = record_frame  # type: ignore[method-assign]
        for _ in range(3):  # a few times: from step 0 after a reset each time
            frames.clear()
            await pilot.press("space")
            await wait_until(pilot, lambda: app.step_count >= 1 and "running" in frames[-1][0])
            state, step_line = next(f for f in frames if "running" in f[0])
            assert int(step_line.split()[1]) >= 1, frames
            await pilot.press("r")
            await wait_until(pilot, lambda: app.step_count == 0 and idle(app))


@pytest.mark.slow
async def test_s_while_running_pauses_first() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 2)
        await pilot.press("s")
        await wait_until(pilot, lambda: idle(app))
        await pilot.pause(0.1)
        reference = Trainer(Config())
        for _ in range(app.step_count):
            last = reference.step()
        assert app.trainer.step_count == app.step_count
        assert app.history[-1].train_loss == last.train_loss
        assert [r.step for r in app.history] == list(range(app.step_count + 1))


@pytest.mark.parametrize("key", ["q", "ctrl+q", "ctrl+c"])
async def test_quit_ends_the_worker(key: str) -> None:
    app = MicrogradApp(Config(n=1000))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.step_count >= 1)
        workers = [w for w in app.workers if w.group == "trainer"]
        if key == "q":  # steps unsaved: the first q says so, the second quits
            await pilot.press("q")
            assert app.is_running
        started = time.monotonic()
        await pilot.press(key)
    assert time.monotonic() - started < 2
    assert app.return_code == 0
    assert workers and all(w.is_finished for w in workers)


async def test_divergence_pauses_with_a_message_and_keeps_the_weights() -> None:
    config = Config(lr=1000.0)
    reference = Trainer(config)
    reference.step()  # step 1 is fine; step 2 overflows
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("s")
        await wait_until(pilot, lambda: app.state == "diverged")
        message = str(app.query_one("#message", Static).render())
        assert "Diverged at step 2" in message
        # the fix is a lower rate (-, live; r keeps it). Not a tenth (100 diverges too, as
        # every tenth down to 10 did): the default rate, which trains
        assert "lr too high; - to 0.1, then space or r." in message, message
        # the panel shows step 1 beside "Diverged at step 2": the message says why
        assert "Diverged at step 2, step 1 kept" in message, message
        assert app.step_count == 1 == app.trainer.step_count
        assert same_weights(app.trainer.weights(), reference.weights())
        await pilot.press("minus")  # as it says: - to 0.1 (1000, 500, ..., 0.2, 0.1)
        while app.config.lr > 0.1:
            await pilot.press("minus")
            await pilot.pause(0.01)
        await pilot.press("r")  # and r starts over with it
        await wait_until(pilot, lambda: app.step_count == 0 and app.state == "paused")
        await wait_until(pilot, lambda: idle(app))
        await step(pilot, app)
        await step(pilot, app)
        assert app.state == "paused" and app.step_count == 2 and app.config.lr == 0.1


async def test_divergence_from_weight_decay_says_so() -> None:
    app = MicrogradApp(Config(weight_decay=50.0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.state == "diverged")
        message = str(app.query_one("#message", Static).render())
        assert "weight decay 50 too high for lr 0.1; e, then r." in message, message


async def test_divergence_while_training_keeps_its_message() -> None:
    """space at lr 50 diverges a few steps in, before the worker's next panel update: the
    steps it still posts must not replace the divergence message with the paused hint."""
    app = MicrogradApp(Config(lr=50.0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.state == "diverged")
        await wait_until(
            pilot, lambda: all(w.is_finished for w in app.workers if w.group == "trainer")
        )
        await pilot.pause(0.2)
        message = str(app.query_one("#message", Static).render())
        assert app.state == "diverged"
        assert f"Diverged at step {app.step_count + 1}" in message
        assert "Paused" not in message


async def test_help_opens_and_closes() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]
        assert app.state == "paused" and app.step_count == 0


async def test_the_help_says_why_step_1_shows_step_0s_training_loss() -> None:
    """s from step 0 left train at 1.0122 / 47.5% and moved only val: a tester read it as
    a step that did not help. The training numbers are the step's own forward pass."""
    from rich.console import Console

    from tui.screens.help import help_text

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        before = app.history[-1]
        await step(pilot, app)
        after = app.history[-1]
        assert (after.train_loss, after.train_acc) == (before.train_loss, before.train_acc)
        assert after.val_loss != before.val_loss
    console = Console(width=80, record=True, color_system=None)
    console.print(help_text())
    text = " ".join(console.export_text().split())
    assert "at the weights before its update" in text and "step 1 shows step 0's" in text
    assert "Validation is measured after the update" in text


def test_the_help_names_every_key_of_the_views() -> None:
    """? showed the main screen's keys only: a view's n N e E d u o, left out of its
    footer or hidden from a narrow one, were nowhere."""
    import re

    from rich.console import Console
    from textual.binding import Binding

    from tui.screens.gradcheck import GradCheckScreen
    from tui.screens.graph import GraphScreen
    from tui.screens.help import help_text
    from tui.screens.params import ParamTableScreen

    console = Console(width=80, record=True, color_system=None)
    console.print(help_text())
    text = console.export_text()
    for screen in (GraphScreen, ParamTableScreen, GradCheckScreen):
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            action = binding.action
            if action == "close" or action.startswith(("app.", "cursor_", "toggle_node")):
                continue  # esc closes (its footer says so); the app's keys; the tree's arrows
            key = binding.key_display or binding.key
            assert re.search(rf"(?<![\w|]){re.escape(key)}(?![\w|])", text), (screen, key)


async def test_the_help_footer_names_the_keys_that_work_there() -> None:
    """The main screen's footer showed through the help: keys that do nothing there (s) or
    only close it (space, q), and not esc."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = [(key.key_display, key.description) for key in footer.query("FooterKey")]
        assert keys == [("esc", "Close")]
        box = app.screen.query_one("#help-box")
        assert "scroll" in str(box.border_subtitle)  # 80x24 shows only part of the help
        assert box.max_scroll_y > 0
        await pilot.press("down", "pagedown")  # and the arrows scroll it
        await pilot.pause()
        assert box.scroll_y > 0
        await pilot.press("q")  # closes the help; it does not quit from there
        assert app.screen is app.screen_stack[0]
        assert app.is_running


async def test_a_tiny_terminal_asks_to_be_enlarged_and_recovers() -> None:
    """Too small, the app shows only its request; keys other than quit would change what
    cannot be seen (space started training out of sight), so they wait."""
    app = MicrogradApp(Config())
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert app.query_one("#too-small").display
        assert not app.query_one("#main").display
        await pilot.press("space", "s", "r", "v", "question_mark")
        await pilot.pause(0.2)
        assert app.state == "paused" and app.step_count == 0 and app.slot == "probe"
        assert app.screen is app.screen_stack[0]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.query_one("#too-small").display
        assert app.query_one("#main").display
        await step(pilot, app)  # keys work again, and the footer shows them again
        assert "space" in footer_keys(app) and "q" in footer_keys(app)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert footer_keys(app) == ["q"]
        await pilot.press("q")
    assert app.return_code == 0


def footer_keys(app: MicrogradApp) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.key_display for key in app.screen.query(FooterKey)]


async def test_q_quits_a_tiny_terminal() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_the_boundary_follows_a_resize_while_paused() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        plot = app.query_one(BoundaryPlot)
        before = plot.size
        assert len(plot.lines()) == before.height
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: idle(app))
        after = plot.size
        assert after.height > before.height and after.width > before.width
        strips = plot.lines()
        assert len(strips) == after.height
        assert max(s.cell_length for s in strips) <= after.width
        assert app.state == "paused" and app.step_count == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_lower_priority_makes_only_the_calling_thread_nicer() -> None:
    seen: list[int] = []

    def worker() -> None:
        lower_priority(5)
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [min(19, before + 5)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


async def test_the_training_thread_steps_aside_for_the_interface(monkeypatch) -> None:
    calls: list[tuple[str, int]] = []

    def record(nice: int) -> None:
        calls.append((threading.current_thread().name, nice))

    monkeypatch.setattr(tui.app, "lower_priority", record)
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
    assert calls and all(name != "MainThread" and nice > 0 for name, nice in calls)


async def test_every_press_in_a_burst_scrolls_the_help_a_line_j_and_k_too() -> None:
    """Keys that arrive at once (a held key, keys typed ahead) are posted together: five
    Downs scrolled one line, each animated scroll aiming at the line after the one shown;
    j and k did nothing."""
    from textual import events

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        box = app.screen.query_one("#help-box")
        assert box.max_scroll_y >= 10  # 80x24 shows part of the help

        async def burst(*keys: str) -> None:
            for key in keys:
                app.post_message(events.Key(key, None))
            await wait_until(pilot, lambda: not app._message_queue.qsize())
            await pilot.pause(0.3)  # an animation would have ended

        await burst(*["down"] * 5)
        assert box.scroll_y == 5
        await burst("j", "j", "j", "k")
        assert box.scroll_y == 7
        await burst("pagedown", "pagedown")
        page = box.scrollable_content_region.height - 1
        assert box.scroll_y == min(7 + 2 * page, box.max_scroll_y)
        await burst("home")
        assert box.scroll_y == 0
