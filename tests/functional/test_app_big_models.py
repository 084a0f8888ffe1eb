"""The largest models accepted: their views open and answer keys, deep ones included."""

from __future__ import annotations

import sys
import time

import pytest
from textual.widgets import Static

from micrograd.training import MAX_LAYERS, MAX_PARAMS, Config, param_count
from tests.pilot_helpers import SIZE, settle, step, wait_until
from tui.app import MicrogradApp
from tui.screens.graph import GraphScreen
from tui.screens.params import MAX_ROWS, ParamTableScreen

WIDE = (96, 96)
"""Nearly MAX_PARAMS parameters (9,891)."""


def title(screen: ParamTableScreen) -> str:
    return str(screen.query_one("#params-title", Static).render())


async def test_the_params_view_of_a_big_model_keeps_answering_keys() -> None:
    """At 17,283 parameters p held the event loop 3.5 s and each snapshot 6 s more (at
    1024,1024 q took 90 s): the table now holds MAX_ROWS rows, the first in its order."""
    assert MAX_PARAMS - 500 < param_count(WIDE) <= MAX_PARAMS
    app = MicrogradApp(Config(n=30, hidden=WIDE))
    async with app.run_test(size=SIZE) as pilot:
        await step(pilot, app)
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, ParamTableScreen)
        await wait_until(pilot, lambda: screen.table.row_count > 0, timeout=60)
        assert screen.table.row_count == MAX_ROWS
        names = [name for name, _ in app.trainer.model.named_parameters()]
        assert screen.row_names() == names[:MAX_ROWS]
        assert f"first {MAX_ROWS} of {len(names):,}" in title(screen)
        # d answers at once: the largest |grad| of all the parameters come first
        asked = time.monotonic()
        await pilot.press("d")
        await wait_until(pilot, lambda: "|grad| first" in title(screen), timeout=5)
        answered = time.monotonic() - asked
        grads = dict(zip(names, app.trainer.last_grads))
        shown = [abs(grads[n]) for n in screen.row_names()]
        assert shown == sorted(shown, reverse=True)
        assert shown[-1] >= sorted(map(abs, grads.values()), reverse=True)[MAX_ROWS - 1]
        # a new step's snapshot, then escape: the view closes within the bound too
        await step(pilot, app)
        await wait_until(pilot, lambda: screen.snapshot.step == app.step_count, timeout=60)
        assert screen.table.row_count == MAX_ROWS
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ParamTableScreen), timeout=5)
        assert answered < 5


async def test_the_deepest_model_graph_opens_and_expands_whole() -> None:
    """350 one-neuron layers made Textual's tree recurse past Python's limit on `e`; the
    deepest accepted model's graph opens, and every node shows once `e` expands all."""
    app = MicrogradApp(Config(n=30, hidden=(1,) * MAX_LAYERS))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        await wait_until(pilot, lambda: screen.snapshot is not None, timeout=60)
        await pilot.press("f", "e")  # the engine's nodes, sums as their staircases: deepest
        await pilot.pause(0.2)
        tree = screen.tree
        entries = screen.entries()
        assert len(tree._tree_lines) == len(entries)  # every line laid out
        depth = max(len(e.path) for e in entries)
        assert depth >= 4 * MAX_LAYERS  # deep: each layer adds w*x, +b, tanh levels
        # Textual builds and expands its tree a Python frame per level: far from the limit
        assert depth < sys.getrecursionlimit() / 4
        assert app.is_running


SLOW_START = (
    "import sys, time, tui.session; "
    "tui.session.initial_record = lambda t: (print('measuring', flush=True), time.sleep(60)); "
    "from tui.__main__ import main; sys.exit(main())"
)
"""The app with step 0's numbers taking a minute before the first frame, as a big
model's did (8 s at 6 layers of 32 and n = 20,000); it says when it gets there."""


def test_ctrl_c_before_the_first_frame_exits_130_in_one_line() -> None:
    """Until the app takes the terminal, ctrl+c is SIGINT: it printed a KeyboardInterrupt
    traceback."""
    import os
    import select
    import signal

    from tests.functional.test_app_reliability import CONTROLLING, spawn_on_a_pty

    proc, master = spawn_on_a_pty("-c", CONTROLLING, SLOW_START)
    output = bytearray()
    try:
        deadline = time.monotonic() + 30
        while b"measuring" not in output:
            assert time.monotonic() < deadline and proc.poll() is None, output[-2000:]
            if select.select([master], [], [], 0.05)[0]:
                output += os.read(master, 65536)
        assert b"\x1b[?1049h" not in output  # no frame yet
        os.write(master, b"\x03")  # ctrl+c on a terminal in its ordinary mode: SIGINT
        status = proc.wait(timeout=30)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = output.decode(errors="replace").replace("^C", "")
    assert status == 128 + signal.SIGINT, text[-2000:]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-2000:]
    after = text.split("measuring", 1)[1]  # what the app wrote once ctrl+c came
    lines = [line.strip() for line in after.splitlines() if line.strip()]
    assert lines == ["micrograd-tui: stopped by SIGINT before the first frame"], lines


@pytest.mark.parametrize("loaded", [False, True], ids=["new", "loaded"])
async def test_a_big_models_first_numbers_come_after_the_first_frame(
    monkeypatch, tmp_path, loaded: bool
) -> None:
    """6 layers of 32 at n = 20,000 kept the terminal blank for 8 s while step 0 was
    evaluated: above EAGER_START that waits for the first frame, in a worker, and gives
    the same numbers (here every model counts as big)."""
    import math

    import tui.session
    from micrograd.run import initial_record
    from micrograd.runs import load_run, save_run
    from micrograd.training import Trainer
    from tui.snapshots import ClassSnapshot

    monkeypatch.setattr(tui.session, "EAGER_START", 0)
    expected = initial_record(Trainer(Config()))
    if loaded:
        trainer = Trainer(Config())
        result = trainer.step()
        assert result is not None
        history = [{"step": 1, "train_loss": result.train_loss, "train_acc": result.train_acc}]
        save_run(tmp_path / "run.json", trainer, history)
        resumed, saved = load_run(tmp_path / "run.json")
        app = MicrogradApp(trainer=resumed, history=saved)
    else:
        app = MicrogradApp(Config())
    # nothing measured before the first frame: a placeholder, or the loaded history only
    assert len(app.history) == 1
    assert app.history[0].step == 1 if loaded else math.isnan(app.history[0].val_loss)
    async with app.run_test(size=SIZE) as pilot:
        first = app.history
        await wait_until(
            pilot, lambda: first[0].step == 0 and not math.isnan(first[0].val_loss), timeout=30
        )
        await settle(pilot)
        assert app.history[0] == expected
        assert [r.step for r in app.history] == ([0, 1] if loaded else [0])
        assert app.main.class_counts == ClassSnapshot.of(app.trainer)
        assert str(app.query_one("#message", Static).render()).startswith(
            f"Paused at step {1 if loaded else 0}."
        )
        await step(pilot, app)  # and training goes on from there
        assert [r.step for r in app.history] == ([0, 1, 2] if loaded else [0, 1])
