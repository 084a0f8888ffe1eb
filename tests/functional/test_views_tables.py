"""The parameter table and the gradient check: every parameter, sorted, checked, flagged."""

import math

import pytest
from views_host import ViewsHost

from micrograd.introspect import GradCheck
from tui.screens.gradcheck import GradCheckScreen
from tui.screens.params import COLUMNS, ParamTableScreen
from tui.snapshots import TOLERANCE, GradCheckSnapshot, ParamSnapshot
from tui.widgets.numfmt import num

SIZE = (80, 24)


def cell_text(table, row: int, col: int) -> str:
    return str(table.get_row_at(row)[col])


async def test_param_table_has_every_parameter_and_its_numbers():
    app = ViewsHost("params")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ParamTableScreen)
        t = app.trainer
        named = t.model.named_parameters()
        assert screen.table.row_count == len(named) == 51
        assert screen.row_names() == [name for name, _ in named]
        i = [name for name, _ in named].index("layer0.neuron2.w0")
        p = named[i][1]
        row = [str(c) for c in screen.table.get_row_at(i)]
        assert row[0] == "layer0.neuron2.w0"
        expected = [p.data, t.last_grads[i], t.optimizer.m[i]]
        assert row[1:4] == [num(v) for v in expected]
        assert row[5] == num(t.last_update[i])
        assert t.last_update[i] != 0 and t.optimizer.v[i] > 0


async def test_sorting_by_grad_and_update_is_descending_in_magnitude():
    app = ViewsHost("params")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        t = app.trainer
        names = [name for name, _ in t.model.named_parameters()]
        grad = dict(zip(names, t.last_grads))
        update = dict(zip(names, t.last_update))
        await pilot.press("d")
        shown = screen.row_names()
        assert sorted(shown) == sorted(names)
        mags = [abs(grad[n]) for n in shown]
        assert mags == sorted(mags, reverse=True)
        assert "|grad| first" in str(screen.query_one("#params-title").render())
        await pilot.press("u")
        mags = [abs(update[n]) for n in screen.row_names()]
        assert mags == sorted(mags, reverse=True)
        await pilot.press("o")
        assert screen.row_names() == names


async def test_param_table_at_60_columns_leaves_out_m_and_v_without_scrolling():
    """At 60x20 the update column sat behind a horizontal scroll."""
    app = ViewsHost("params")
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.table
        assert [str(c.label) for c in table.columns.values()] == ["name", "value", "grad", "update"]
        assert table.virtual_size.width <= table.scrollable_content_region.width
        await pilot.press("d", "down", "down")
        chosen = screen.row_names()[2]
        await pilot.resize_terminal(*SIZE)  # wide enough for all six, order and cursor kept
        await pilot.pause()
        assert [str(c.label) for c in table.columns.values()] == list(COLUMNS)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert str(table.get_row_at(table.cursor_row)[0]) == chosen
        t = app.trainer
        row = table.get_row_at(table.cursor_row)
        place = [name for name, _ in t.model.named_parameters()].index(chosen)
        assert str(row[5]) == num(t.last_update[place])


async def test_param_table_keeps_its_order_and_cursor_across_snapshots():
    app = ViewsHost("params")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        t = app.trainer
        await pilot.press("d", "down", "down")
        chosen = screen.row_names()[2]
        t.step()
        screen.update_snapshot(ParamSnapshot.of(t))
        await pilot.pause()
        names = [name for name, _ in t.model.named_parameters()]
        grad = dict(zip(names, t.last_grads))
        mags = [abs(grad[n]) for n in screen.row_names()]
        assert mags == sorted(mags, reverse=True)  # re-sorted by the new gradients
        table = screen.table
        assert str(table.get_row_at(table.cursor_row)[0]) == chosen
        row = table.get_row_at(table.cursor_row)
        assert str(row[2]) == num(grad[chosen])
        assert "step 6" in str(screen.query_one("#params-title").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, ParamTableScreen)


async def test_grad_check_on_a_healthy_model_flags_nothing():
    app = ViewsHost("gradcheck")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GradCheckScreen)
        snap = screen.snapshot
        assert len(snap.checks) == screen.table.row_count == 51
        assert snap.worst.rel_error < TOLERANCE
        assert snap.flagged == []
        summary = str(screen.query_one("#gradcheck-summary").render())
        assert f"max rel error {snap.worst.rel_error:.1e}" in summary
        assert "all 51" in summary
        assert not screen.query_one("#gradcheck-summary").has_class("-bad")
        flags = {cell_text(screen.table, r, 4) for r in range(51)}
        assert flags == {"✓"}
        for r, c in enumerate(snap.checks):  # the numbers shown are the check's
            assert cell_text(screen.table, r, 1) == num(c.autograd)
            assert cell_text(screen.table, r, 2) == num(c.numeric)


async def test_grad_check_flags_a_wrong_gradient_and_sorts_it_first():
    app = ViewsHost("gradcheck")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        checks = list(screen.snapshot.checks)
        bad = GradCheck("layer1.neuron1.b", 0.5, 0.25, 0.5)
        checks[41] = bad  # its own place in the model
        screen.update_snapshot(GradCheckSnapshot(7, tuple(checks), 80))
        await pilot.pause()
        summary = str(screen.query_one("#gradcheck-summary").render())
        assert "max rel error 5.0e-01 (layer1.neuron1.b)" in summary
        assert "1 of 51" in summary
        assert screen.query_one("#gradcheck-summary").has_class("-bad")
        assert cell_text(screen.table, 41, 4) == "✗"
        assert "worst first" not in str(screen.query_one("#gradcheck-title").render())
        await pilot.press("e")
        assert cell_text(screen.table, 0, 0) == "layer1.neuron1.b"
        assert str(screen.query_one("#gradcheck-title").render()).endswith("· worst first")
        rel = [screen.snapshot.checks[i].rel_error for i in range(51)]
        assert sum(r > TOLERANCE for r in rel) == 1


async def test_grad_check_at_a_diverged_runs_weights_blames_the_loss_not_autograd():
    """After --lr 50 diverged, every row read nan and ✗: as if backprop were broken.
    The loss at the weights kept is inf, so central differences have nothing to give."""
    from micrograd.training import Config, Diverged, Trainer

    trainer = Trainer(Config(lr=50))
    with pytest.raises(Diverged):
        for _ in range(20):
            trainer.step()
    snap = GradCheckSnapshot.of(trainer)
    assert snap is not None and snap.loss == math.inf and not snap.flagged
    app = ViewsHost("gradcheck")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.update_snapshot(snap)
        await pilot.pause()
        summary = str(screen.query_one("#gradcheck-summary").render())
        assert summary == "training loss inf here: nothing to compare with (51 marked ?); r resets."
        assert not screen.query_one("#gradcheck-summary").has_class("-bad")
        assert {cell_text(screen.table, r, 4) for r in range(51)} == {"?"}


async def test_grad_check_at_60_columns_fits_without_scrolling_or_wrapping():
    """At 60x20 the ✓ column sat behind a horizontal scroll and the summary's ✓ wrapped
    onto a line of its own."""
    app = ViewsHost("gradcheck")
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.table
        assert table.virtual_size.width <= table.scrollable_content_region.width
        summary = screen.query_one("#gradcheck-summary")
        assert summary.region.height == 1, str(summary.render())
        assert str(summary.render()).endswith("≤ 1e-06 ✓")
        await pilot.resize_terminal(*SIZE)  # room for the worst parameter's name
        await pilot.pause()
        assert f"({screen.snapshot.worst.name})" in str(summary.render())


async def test_grad_check_while_computing():
    app = ViewsHost("panels")
    async with app.run_test(size=SIZE) as pilot:
        screen = GradCheckScreen()
        await app.push_screen(screen)
        await pilot.pause()
        assert "computing" in str(screen.query_one("#gradcheck-title").render())
        assert screen.table.row_count == 0
        screen.update_snapshot(GradCheckSnapshot.of(app.trainer))
        await pilot.pause()
        assert screen.table.row_count == 51
