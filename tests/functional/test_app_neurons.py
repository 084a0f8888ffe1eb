"""The neurons view in the real app at 80x24: every hidden neuron's map, live, its flags,
histograms and update ratios against the library's numbers for the same seed."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from textual.widgets import Static

from micrograd.health import LayerHealth, hidden_activations, layer_health, map_points, zero_lines
from micrograd.training import Config, Trainer
from tests.pilot_helpers import SIZE, idle, settle, step, wait_until
from tui.app import MicrogradApp
from tui.palette import POINT_MARKERS, cell_centres
from tui.screens.neurons import (
    RAMP,
    SCALE,
    NeuronsScreen,
    flags_text,
    map_text,
    percent,
    weights_line,
)
from tui.widgets import BoundaryPlot
from tui.widgets.boundary import ZERO_LINE_MARKER
from tui.widgets.numfmt import num


def trained(config: Config, steps: int) -> Trainer:
    trainer = Trainer(config)
    for _ in range(steps):
        trainer.step()
    return trainer


def maps_of(trainer: Trainer) -> np.ndarray:
    return hidden_activations(trainer.layers(), map_points())[0]


async def open_neurons(pilot, app: MicrogradApp, step: int = 0) -> NeuronsScreen:
    await settle(pilot)
    await pilot.press("n")
    screen = app.screen
    assert isinstance(screen, NeuronsScreen)
    await wait_until(pilot, lambda: screen.snapshot is not None and screen.snapshot.step == step)
    return screen


def body(screen: NeuronsScreen) -> str:
    return str(screen.query_one("#neurons-body").render())


async def test_n_shows_the_default_runs_8_maps_and_they_follow_the_steps() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        snap = screen.snapshot
        assert screen.neurons() == [(0, i) for i in range(8)]
        assert screen.per_page == 8 and screen.pages == 1
        start = maps_of(Trainer(Config()))
        assert np.array_equal(snap.maps[0].reshape(-1, 8), start)
        text = body(screen)
        assert all(f"L0 n{i}" in text for i in range(8))
        rows, biases = Trainer(Config()).layers()[0]
        for row, bias in zip(rows, biases):  # under each map: "+0.2 -0.9 b+0.0"
            assert f"{row[0]:+.1f} {row[1]:+.1f} b{bias:+.1f}" in text
        assert "step 0" in str(screen.query_one("#neurons-title").render())
        await step(pilot, app)
        await step(pilot, app)
        await wait_until(pilot, lambda: screen.snapshot.step == 2)
        after = screen.snapshot.maps[0].reshape(-1, 8)
        assert np.array_equal(after, maps_of(trained(Config(), 2)))
        assert not np.array_equal(after, start)
        await pilot.press("escape")
        assert app.screen is app.main


async def test_enter_enlarges_the_selected_neuron_with_its_weights() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await pilot.press("right", "down", "enter")
        assert screen.selected == 5 and screen.enlarged  # 4 tiles a row at 80 columns
        text = body(screen)
        (rows, biases) = Trainer(Config()).layers()[0]
        assert "layer0.neuron5" in text
        assert f"w0 {num(rows[5][0])}  (x)" in text and f"w1 {num(rows[5][1])}  (y)" in text
        assert f"bias  {num(biases[5])}" in text
        assert len(text.split("\n")[0]) >= 32  # the map at full width


async def test_a_wider_layer_pages() -> None:
    app = MicrogradApp(Config(hidden=(12,)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        assert screen.pages == 2
        assert "L0 n8" not in body(screen)
        await pilot.press("pagedown")
        assert screen.page == 1 and "L0 n8" in body(screen) and "L0 n0" not in body(screen)


@pytest.mark.slow
async def test_a_relu_run_at_a_high_rate_flags_its_dead_neurons() -> None:
    config = Config(activation="relu", lr=1.0)
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        assert "dead" not in body(screen)  # at the start each is 0 on about half the plane
        await pilot.press(*"s" * 10)
        await wait_until(pilot, lambda: screen.snapshot.step == 10, timeout=30)
        await settle(pilot)
        t = trained(config, 10)
        (health,) = layer_health(t.layers(), t.train_split, None)
        dead = [i for i, share in enumerate(health.dead) if share >= 0.95]
        assert len(dead) >= 3
        assert screen.snapshot.health[0].dead == health.dead
        text = body(screen)
        for i in range(8):
            assert (f"L0 n{i} dead" in text) == (i in dead)
        await pilot.press("h")
        assert "dead 100%" in body(screen)


def share_style(tiles, neuron: int, share: float) -> str:
    """The style of neuron's saturated share above its map (`L0 n3 sat 97%`)."""
    text = f"sat {percent(share)}"
    at = tiles.plain.index(f"L0 n{neuron} ") + len(f"L0 n{neuron} ")
    assert tiles.plain[at : at + len(text)] == text
    return " ".join(str(s.style) for s in tiles.spans if s.start <= at < s.end)


@pytest.mark.slow
async def test_a_tanh_run_at_a_high_rate_flags_saturation() -> None:
    """Saturated on 95% of the data or more: flagged (bold red); on half or more: the
    share shown, dim."""
    config = Config(lr=5.0)
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        assert "sat" not in body(screen)
        await pilot.press(*"s" * 10)
        await wait_until(pilot, lambda: screen.snapshot.step == 10, timeout=30)
        await settle(pilot)
        t = trained(config, 10)
        (health,) = layer_health(t.layers(), t.train_split, t.last_grads)
        flagged = [i for i, share in enumerate(health.saturated) if share >= 0.95]
        mostly = [i for i, share in enumerate(health.saturated) if share >= 0.5]
        assert len(flagged) >= 6 and len(mostly) == 8 and len(flagged) < 8
        assert screen.snapshot.health[0] == health
        tiles = screen.query_one("#neurons-body", Static).render()
        for i in range(8):
            style = share_style(tiles, i, health.saturated[i])
            assert ("red" in style) == (i in flagged) and ("dim" in style) != (i in flagged)


async def test_the_tutorials_run_at_step_100_flags_none_but_shows_its_saturation() -> None:
    """The tutorial's run saturates its tanh neurons on 70-80% of the training points by
    step 100, at 100% accuracy: a confident model, not a broken one. No flag; the shares
    are shown, dim, and the health says none is dead or saturated on 95% of the data."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await pilot.press("C")
        await wait_until(pilot, lambda: screen.snapshot.step == 100, timeout=30)
        await settle(pilot)
        t = trained(Config(), 100)
        (health,) = layer_health(t.layers(), t.train_split, t.last_grads)
        assert all(0.5 <= share < 0.95 for share in health.saturated)
        tiles = screen.query_one("#neurons-body", Static).render()
        for i in range(8):
            style = share_style(tiles, i, health.saturated[i])
            assert "dim" in style and "red" not in style
        await pilot.press("h")
        assert "layer0 8 neurons · none dead or saturated on 95% of the data" in body(screen)


async def test_a_share_just_under_the_flag_never_reads_as_the_flags_95_percent() -> None:
    """With --n 1000 (800 training points) a neuron can be saturated on 94.9% of them:
    not flagged, its share dim, but rounded it read `sat 95%`, as a flagged one does. The
    shares are rounded down: 94% there, and 99% (not 100%) for a neuron not quite all dead
    or saturated."""
    from dataclasses import replace

    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        snap = screen.snapshot
        (health,) = snap.health
        shares = (759 / 800, 799 / 800, *health.saturated[2:])  # 94.875%, 99.875%
        snap = replace(snap, health=(replace(health, saturated=shares),))
        label = [screen.tile(snap, 0, i, False)[0] for i in range(2)]
        assert label[0].plain == "L0 n0 sat 94%" and "red" not in str(label[0].spans)
        assert label[1].plain == "L0 n1 sat 99%" and "red" in str(label[1].spans)


async def test_the_ratio_of_one_step_is_the_hand_computed_one_and_health_shows_it() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await step(pilot, app)
        await wait_until(pilot, lambda: screen.snapshot.step == 1)
        before, after = Trainer(Config()), trained(Config(), 1)
        expected = []
        start = 0
        for layer in after.model.layers:
            size = len(layer.parameters())
            b = [p.data for p in before.parameters[start : start + size]]
            a = [p.data for p in after.parameters[start : start + size]]
            moved = sum(abs(x - y) for x, y in zip(a, b)) / size
            expected.append(math.log10(moved / (sum(abs(y) for y in b) / size)))
            start += size
        (ratios,) = screen.snapshot.ratios
        assert ratios.step == 1
        assert ratios.per_layer == pytest.approx(expected, rel=1e-9)
        await pilot.press("h")
        text = body(screen)
        assert "ln(3) = 1.0986" in text
        zero = Trainer(Config()).evaluate(Trainer(Config()).train_split)[0]
        assert f"step-0 loss {zero:.4f}" in text
        assert "1e-3 " in text and "act" in text and "grad" in text
        # the plot's first column: layer 0's digit on the row of its ratio
        lines = text.split("\n")
        top = next(i for i, ln in enumerate(lines) if ln[:6].strip() == "1e0")
        plot = lines[top : top + 9]
        assert (
            plot[-1][:6].strip() == "1e-6" and plot[4][:6].strip() == "1e-3"
        )  # 3 of 6 decades down 8 rows
        row = round((0 - expected[0]) / 6 * 8)
        assert plot[row][6] in "01"


async def test_no_color_draws_the_maps_with_the_glyph_ramp(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        screen = await open_neurons(pilot, app)
        text = body(screen)
        assert "█" not in text
        map_line = text.split("\n")[1][:16]
        assert set(map_line) <= set(RAMP) and len(set(map_line)) > 1
        await pilot.press("enter")
        assert RAMP in body(screen)


async def test_z_draws_the_first_layers_zero_lines_on_the_plot() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot = app.query_one(BoundaryPlot)
        assert ZERO_LINE_MARKER not in {g for row in plot.drawing.cells[0] for g in row}
        await pilot.press("z")
        await wait_until(
            pilot, lambda: any(ZERO_LINE_MARKER in row for row in plot.drawing.cells[0])
        )
        glyphs = plot.drawing.cells[0]
        cols, rows = plot.drawing.size
        expected = zero_lines(
            Trainer(Config()).layers(), cell_centres(cols), cell_centres(rows)[::-1]
        )
        marked = [[g == ZERO_LINE_MARKER for g in row] for row in glyphs]
        points = [[g in POINT_MARKERS for g in row] for row in glyphs]
        for r in range(rows):
            for c in range(cols):
                assert marked[r][c] == (expected[r, c] and not points[r][c])
        assert sum(map(sum, marked)) > 20  # 8 lines across the plot
        await pilot.press("z")
        await wait_until(
            pilot, lambda: not any(ZERO_LINE_MARKER in row for row in plot.drawing.cells[0])
        )


async def test_z_says_the_zero_lines_need_features_x_and_y() -> None:
    app = MicrogradApp(Config(features=("x", "y", "x2")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await pilot.pause(0.2)
        assert "features than x, y" in str(app.query_one("#message").render())
        assert not app.query_one(BoundaryPlot).zero_lines


@pytest.mark.slow
async def test_six_layers_of_32_page_at_80x24_and_health_shows_a_window_of_layers() -> None:
    config = Config(hidden=(32,) * 6)
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        assert len(screen.neurons()) == 192 and screen.pages == 24
        assert [m.shape for m in screen.snapshot.maps] == [(16, 32, 32)] * 6
        expected = hidden_activations(Trainer(config).layers(), map_points())
        for got, want in zip(screen.snapshot.maps, expected):
            assert np.array_equal(got.reshape(-1, 32), want)
        await pilot.press(*["pagedown"] * 23)
        assert screen.page == 23 and "L5 n31" in body(screen)
        await pilot.press("enter")  # a deeper neuron's inputs are the layer before's
        text = body(screen)
        assert "layer5.neuron" in text and "(L4 n0)" in text
        await pilot.press("h")
        text = body(screen)
        assert "layers 2-5 of 6: ↑↓ others" in text  # 4 layers' 3 lines fit, and the plot
        assert "layer5 " in text and "layer0 " not in text
        await pilot.press("up", "up", "up", "up", "up")
        assert screen.neurons()[screen.selected] == (0, 0)
        text = body(screen)
        assert "layer0 " in text and "layers 0-3 of 6" in text
        assert len(text.split("\n")) <= SIZE[1] - 3


async def test_a_model_without_hidden_layers_says_so() -> None:
    app = MicrogradApp(Config(hidden=()))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        assert screen.neurons() == []
        await pilot.press("right", "enter", "down")
        assert "No hidden layer" in body(screen)


async def test_C_in_the_neurons_view_takes_100_steps_and_the_maps_follow() -> None:
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await pilot.press("C")  # step 100 seen from the view, as the check asks
        await wait_until(
            pilot,
            lambda: screen.snapshot.step == 100 and app.state == "paused",
            timeout=120,
        )
        assert app.screen is screen and app.step_count == 100
        assert "step 100" in str(screen.query_one("#neurons-title").render())
        assert np.array_equal(
            screen.snapshot.maps[0].reshape(-1, 8), maps_of(trained(Config(), 100))
        )
        await pilot.press("S")
        await wait_until(pilot, lambda: screen.snapshot.step == 110 and app.state == "paused")


async def test_the_health_names_every_flagged_neuron_within_80_columns() -> None:
    config = Config(lr=5.0)  # 6 or more of 8 saturated: their shares overflow a line
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await pilot.press(*"s" * 10)
        await wait_until(pilot, lambda: screen.snapshot.step == 10, timeout=30)
        await settle(pilot)
        t = trained(config, 10)
        (health,) = layer_health(t.layers(), t.train_split, t.last_grads)
        flagged = [i for i, share in enumerate(health.saturated) if share >= 0.95]
        assert len(flagged) >= 6
        await pilot.press("h")
        (line,) = [x for x in body(screen).splitlines() if x.startswith("layer0 ")]
        assert len(line) <= SIZE[0]
        named = [int(n) for n in re.findall(r"\bn(\d+)\b", line.split(" · ", 1)[1])]
        assert sorted(named) == flagged and "dead" not in line


def test_the_flags_shorten_to_names_then_to_counts_never_dropping_one() -> None:
    hist = ((1,), 0.0, 1.0)
    assert flags_text(LayerHealth((0.0,) * 4, (0.0,) * 4, hist, None), 60) == ""
    health = LayerHealth((1.0, 1.0, 1.0, 0.0), (0.0, 0.0, 0.0, 0.97), hist, None)
    full = "n0 dead 100%, n1 dead 100%, n2 dead 100%, n3 sat 97%"
    assert flags_text(health, len(full)) == full
    assert flags_text(health, len(full) - 1) == "dead 100% n0 n1 n2 · sat 97% n3"
    assert flags_text(health, 30) == "dead n0 n1 n2 · sat n3"
    assert flags_text(health, 21) == "3 dead, 1 saturated"


def test_a_colour_map_draws_each_run_of_one_colour_as_one_span() -> None:
    """Each cell keeps its colour, but a run of equal cells is one span: the per-cell
    styles made the terminal's output so long that the open view cost training most of
    its speed (342 steps/s to 82 at 80x24; 231 with runs)."""
    row = [-1.0, -0.99, 0.0, 0.01, 0.02, 1.0, 0.999, -1.0]
    (line,) = map_text(np.array([row]), no_color=False)
    assert line.plain == "█" * len(row)
    assert [(s.start, s.end, s.style) for s in line.spans] == [
        (0, 2, SCALE[0]),
        (2, 5, SCALE[3]),
        (5, 7, SCALE[6]),
        (7, 8, SCALE[0]),
    ]


def test_a_tiles_weights_line_shortens_its_numbers_never_cuts_one() -> None:
    """16 cells under a map: one decimal if it fits, else each number as short as it
    reads, else the count and reach. Cutting the line at 16 showed `b+5.` for 5.3 and
    `b-0.` for -0.4."""
    assert weights_line([5.0, -1.9], -2.6, 16) == "+5.0 -1.9 b-2.6"
    assert weights_line([-11.04, 9.97], 2.96, 16) == "-11 +10 b+3.0"
    assert weights_line([12.8, -21.2], 17.4, 16) == "+13 -21 b+17"
    assert weights_line([0.2] * 32, -12.3, 16) == "32w |w|≤0.2 b-12"
    assert weights_line([0.1] * 32, 0.04, 16) == "|w|≤0.1 b+0.0"  # 32w... is 17 cells
    assert weights_line([1234.0, 5.0], 98765.0, 16) == "+1e3 +5.0 b+1e5"


async def test_a_tanh_run_at_rate_2_shows_every_weight_under_its_map_to_its_digits() -> None:
    """After 10 steps at lr 2 a first-layer neuron has weights -11.04 and 9.97: the
    line under each map still shows both weights and the bias, each as close to the
    true value as its digits say."""
    config = Config(lr=2.0)
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await pilot.press(*"s" * 10)
        await wait_until(pilot, lambda: screen.snapshot.step == 10, timeout=30)
        await settle(pilot)
        rows, biases = trained(config, 10).layers()[0]
        assert max(abs(w) for row in rows for w in row) > 10  # some line needs shortening
        lines = body(screen).split("\n")
        for i, (row, bias) in enumerate(zip(rows, biases)):
            line = lines[(i // 4) * 11 + 9][(i % 4) * 18 :][:16].split()
            assert len(line) == 3 and line[2].startswith("b"), line
            for shown, true in zip([line[0], line[1], line[2][1:]], [*row, bias]):
                assert abs(float(shown) - true) <= (0.05 if "." in shown else 0.5), (shown, true)


async def test_enter_on_a_neuron_of_32_inputs_shows_all_32_weights_and_its_shares() -> None:
    """At 80x24 a neuron of 32 inputs lists its weights in columns: one a line lost w19
    to w31, its dead and saturated shares and the scale under the screen's edge."""
    config = Config(hidden=(32, 8))
    app = MicrogradApp(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await pilot.press(*["pagedown"] * 4, "enter")  # 8 tiles a page: L1 n0 is the 33rd
        assert screen.neurons()[screen.selected] == (1, 0) and screen.enlarged
        text = body(screen)
        lines = text.split("\n")
        assert len(lines) <= SIZE[1] - 3 and max(map(len, lines)) <= SIZE[0]
        rows, biases = Trainer(config).layers()[1]
        assert "layer1.neuron0" in text and f"bias  {num(biases[0])}" in text
        for i, w in enumerate(rows[0]):
            assert f"w{i} {num(w)}" in text
        assert "(L0 n0)" in text and "(L0 n31)" in text
        assert "dead on 0% of the training data" in text and "saturated on 0%" in text
        assert "-1.0000 ███████ +1.0000" in text  # tanh's scale


async def test_health_prints_the_newest_steps_ratios_as_derived_by_hand() -> None:
    """AdamW's first step moves every parameter by lr (m̂/√v̂ = ±1; the decay and eps add
    under 1e-4 of it), so step 1's ratio is log10(0.1 / mean |initial value|) per layer:
    -0.39 for layer 0 (mean |p| 0.2436), -0.25 for the output layer (0.1798). The plot's
    rows are 3/4 of a decade apart; the numbers let the reader check it."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        await step(pilot, app)
        await wait_until(pilot, lambda: screen.snapshot.step == 1)
        await pilot.press("h")
        expected = []
        for layer in Trainer(Config()).model.layers:
            values = [abs(p.data) for p in layer.parameters()]
            expected.append(math.log10(0.1 / (sum(values) / len(values))))
        assert [round(e, 2) for e in expected] == [-0.39, -0.25]
        assert f"step 1: L0 {expected[0]:+.2f}  L1 {expected[1]:+.2f}" in body(screen)


def ratios_by_hand(config: Config, steps: int) -> list[list[float]]:
    """Each step's log10(mean |update| / mean |value before it|) per layer, measured
    around Trainer.step on the parameters themselves."""
    trainer = Trainer(config)
    per_step = []
    for _ in range(steps):
        before = [[p.data for p in layer.parameters()] for layer in trainer.model.layers]
        trainer.step()
        ratios = []
        for layer, old in zip(trainer.model.layers, before):
            moved = sum(abs(p.data - b) for p, b in zip(layer.parameters(), old))
            ratios.append(math.log10(moved / sum(abs(b) for b in old)))
        per_step.append(ratios)
    return per_step


async def test_at_a_past_step_health_shows_the_ratios_up_to_it_and_a_branch_keeps_them() -> None:
    """Back at step 7 of 10 the health showed step 10's ratios; a step there (a branch)
    dropped steps 1 to 7 too, leaving the plot one column."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await wait_until(pilot, lambda: app.step_count == 10 and idle(app), timeout=30)
        for back in (9, 8, 7):
            await pilot.press("left_square_bracket")
            await wait_until(pilot, lambda b=back: app.step_count == b and idle(app), timeout=30)
        screen = await open_neurons(pilot, app, step=7)
        hand = ratios_by_hand(Config(), 8)
        assert [r.step for r in screen.snapshot.ratios] == list(range(1, 8))
        for r in screen.snapshot.ratios:
            assert r.per_layer == pytest.approx(hand[r.step - 1], rel=1e-9)
        await pilot.press("h")
        assert f"step 7: L0 {hand[6][0]:+.2f}  L1 {hand[6][1]:+.2f}" in body(screen)
        await pilot.press("s")  # a branch from step 7
        await wait_until(pilot, lambda: screen.snapshot.step == 8 and idle(app), timeout=30)
        assert [r.step for r in screen.snapshot.ratios] == list(range(1, 9))
        for r in screen.snapshot.ratios:
            assert r.per_layer == pytest.approx(hand[r.step - 1], rel=1e-9)
        assert f"step 8: L0 {hand[7][0]:+.2f}  L1 {hand[7][1]:+.2f}" in body(screen)


@pytest.mark.parametrize("no_color", [False, True])
async def test_the_maps_page_says_its_scale_in_the_title(monkeypatch, no_color: bool) -> None:
    """The small maps had no key: which colour (or glyph) is -1 and which +1 was said
    only once a map was enlarged."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_neurons(pilot, app)
        title = screen.query_one("#neurons-title", Static).content
        scale = RAMP if no_color else "█" * len(SCALE)
        assert str(title).endswith(f"page 1/1 · -1 {scale} +1")
        start = len(str(title)) - len(scale) - 3
        styles = [str(s.style) for s in title.spans if s.start >= start]
        assert styles == (["reverse"] if no_color else list(SCALE))
        await pilot.press("enter")  # the large map says it with its numbers
        assert "-1 " not in str(screen.query_one("#neurons-title").render())
