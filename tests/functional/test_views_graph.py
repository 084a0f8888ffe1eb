"""The graph view: every node of one sample's graph, with its data and grad, live and searchable."""

import pytest
from views_host import SAMPLE, ViewsHost, graph_snapshot

from micrograd import Trainer
from micrograd.introspect import sample_graph
from tests.unit.test_introspect import count_nodes, hand_built_loss
from tui.screens.graph import Entry, GraphScreen, layout
from tui.snapshots import GraphSnapshot
from tui.widgets.numfmt import num

SIZE = (80, 24)


def edges(nodes) -> int:
    return sum(len(n.children) for n in nodes)


def test_layout_shows_each_node_once_and_every_edge():
    t = Trainer()
    nodes = sample_graph(t, *t.train_split[0])
    full = [e for e in layout(nodes) if not e.repeat]
    assert sorted(e.index for e in full) == list(range(len(nodes)))
    assert len(list(layout(nodes))) == 1 + edges(nodes)  # the loss, then one line per edge
    assert len(list(layout(nodes, repeats=False))) == len(nodes)
    assert list(layout([])) == []


async def test_tree_holds_every_node_with_its_data_and_grad():
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        x, y = app.trainer.train_split[SAMPLE]
        nodes = sample_graph(app.trainer, x, y)
        assert len(nodes) == 159
        full = [e for e in screen.entries() if not e.repeat]
        assert len(full) == len(nodes)
        assert sorted(e.index for e in full) == list(range(len(nodes)))
        for entry in screen.entries():  # every line shows its own node's numbers
            node = nodes[entry.index]
            text = screen.label_of(entry.path)
            assert node.name in text
            assert f"data {num(node.data)}" in text
            assert f"grad {num(node.grad)}" in text
        root = screen.label_of(())
        assert "loss" in root and "grad +1.0000" in root
        w = next(n for n in nodes if n.name == "layer0.neuron2.w0")
        label = screen.label_of(screen.path_of("layer0.neuron2.w0"))
        assert label.startswith("◆ layer0.neuron2.w0")
        assert num(w.data) in label and num(w.grad) in label
        assert "input" in screen.label_of(screen.path_of("x0"))


async def test_a_fixed_point_matches_the_hand_built_graph():
    t = Trainer()
    for _ in range(3):
        t.step()
    point, target = (0.5, -1.25), 2
    snap = GraphSnapshot.of(t, point, target)
    ref = hand_built_loss(t, point, target)
    app = ViewsHost("panels", trainer=t)
    async with app.run_test(size=SIZE) as pilot:
        screen = GraphScreen(snap)
        await app.push_screen(screen)
        await pilot.pause()
        assert len([e for e in screen.entries() if not e.repeat]) == count_nodes(ref)
        assert f"data {num(ref.data)}" in screen.label_of(())
        by_name = {n.name: n for n in snap.nodes}
        for name, p in t.model.named_parameters():  # the hand-built backward's grads
            assert num(p.grad) in screen.label_of(screen.path_of(name))
            assert by_name[name].grad == p.grad


async def test_open_nodes_and_cursor_survive_a_new_snapshot():
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        path = screen.path_of("layer0.neuron2.w0")
        screen._jump(screen._by_path[path])  # opens its ancestors
        await pilot.pause()
        ancestors = {path[:i] for i in range(len(path))}
        other = next(  # open one more node off the cursor's way, close the const's parent
            e.path
            for e in screen.entries()
            if len(e.path) == 4 and e.path not in ancestors and screen._by_path[e.path].allow_expand
        )
        screen._by_path[other].expand()
        await pilot.pause()
        opened = {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded}
        before = screen.label_of(path)
        app.trainer.step()
        screen.update_snapshot(graph_snapshot(app.trainer))
        await pilot.pause()
        assert screen.snapshot.step == 6
        assert {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded} == opened
        assert screen.tree.cursor_node.data.path == path
        assert screen.label_of(path) != before  # new numbers, same place
        node = next(n for n in screen.snapshot.nodes if n.name == "layer0.neuron2.w0")
        assert num(node.grad) in screen.label_of(path)


async def test_a_different_sample_rebuilds_and_keeps_what_is_open():
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        opened = {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded}
        screen.update_snapshot(GraphSnapshot.of(app.trainer, (1.0, 1.0), 2))
        await pilot.pause()
        assert screen.snapshot.target == 2
        assert screen.snapshot.point == (1.0, 1.0)
        now = {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded}
        assert opened <= now | {p for p in opened if p not in screen._by_path}
        assert len([e for e in screen.entries() if not e.repeat]) == 159


async def test_compact_mode_is_one_line_per_node():
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        nodes = screen.snapshot.nodes
        assert len(screen.entries()) == 1 + edges(nodes)
        assert screen.query_one("#graph-detail").display
        await pilot.press("m")
        assert screen.compact
        assert len(screen.entries()) == len(nodes)
        assert not any(e.repeat for e in screen.entries())
        assert not screen.query_one("#graph-detail").display
        assert "data" not in screen.label_of(())  # compact: numbers only
        await pilot.press("m")
        assert not screen.compact
        assert len(screen.entries()) == 1 + edges(nodes)


@pytest.mark.slow
async def test_search_jumps_to_a_parameter_by_name():
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("slash", *"layer0.neuron2.w0", "enter")
        await pilot.pause()
        cursor = screen.tree.cursor_node
        assert isinstance(cursor.data, Entry)
        assert screen.snapshot.nodes[cursor.data.index].name == "layer0.neuron2.w0"
        assert cursor.line >= 0  # its ancestors are open: it is on screen
        assert len(screen.matches()) == 1
        assert "1/1 match" in str(screen.query_one("#graph-status").render())
        await pilot.press("slash", *"layer0.neuron2.", "enter")  # the old query is selected
        await pilot.pause()
        assert len(screen.matches()) == 3  # w0, w1, b
        first = screen.tree.cursor_node
        await pilot.press("n")
        assert screen.tree.cursor_node is not first
        await pilot.press("N")
        assert screen.tree.cursor_node is first
        await pilot.press("slash", *"zzz", "enter")  # it read "0 matches · n next, N back"
        await pilot.pause()
        assert str(screen.query_one("#graph-status").render()) == "/zzz: no match"


async def test_escape_closes_the_search_then_the_view():
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("slash", *"relu")
        assert screen.query_one("#graph-search").display
        assert str(screen.query_one("#graph-status").render()) == "/relu: no match"
        await pilot.press("escape")  # cancels the search: its status goes with it
        assert app.screen is screen
        assert not screen.query_one("#graph-search").display
        assert not screen.query_one("#graph-status").display and not screen.matches()
        await pilot.press("escape")
        assert not isinstance(app.screen, GraphScreen)


async def test_waiting_for_the_first_snapshot():
    app = ViewsHost("panels")
    async with app.run_test(size=SIZE) as pilot:
        screen = GraphScreen()
        await app.push_screen(screen)
        await pilot.pause()
        assert "computing" in str(screen.tree.root.label)
        screen.update_snapshot(graph_snapshot(app.trainer))
        await pilot.pause()
        assert len([e for e in screen.entries() if not e.repeat]) == 159


async def test_the_title_shows_a_tiny_loss_as_it_is_not_as_zero():
    trainer = Trainer()
    for _ in range(75):  # this sample's loss is then about 1e-7
        trainer.step()
    app = ViewsHost("graph", trainer=trainer)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        loss = graph_snapshot(trainer).nodes[-1].data
        assert 0 < loss < 1e-4  # nearly converged: 4 decimals would print 0.0000
        title = str(app.screen.query_one("#graph-title").render())
        assert f"loss {num(loss)}" in title and "e-" in title


def test_negative_zero_reads_as_zero():
    # -log(1.0) is -0.0: a converged sample's loss must not read "-0.0000"
    assert num(-0.0) == num(0.0) == "+0.0000"
