"""The graph view: every node of one sample's graph, with its data and grad, live and searchable."""

import math

import pytest
from views_host import SAMPLE, ViewsHost, graph_snapshot

from micrograd import Config, Trainer
from micrograd.introspect import sample_graph
from tests.pilot_helpers import settle, step, wait_until
from tests.unit.test_introspect import count_nodes, hand_built_loss
from tui.app import MicrogradApp
from tui.screens.graph import GraphScreen
from tui.snapshots import GraphSnapshot
from tui.widgets.graph_tree import Entry, layout
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
        await pilot.press("f")  # the engine's own nodes: sums as staircases of binary +
        assert not screen.flat
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
        await pilot.press("f")
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
        await pilot.press("f")
        opened = {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded}
        screen.update_snapshot(GraphSnapshot.of(app.trainer, (1.0, 1.0), 2))
        await pilot.pause()
        assert screen.snapshot.target == 2
        assert screen.snapshot.point == (1.0, 1.0)
        now = {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded}
        assert opened <= now | {p for p in opened if p not in screen._by_path}
        assert len([e for e in screen.entries() if not e.repeat]) == 159


def children_of(screen: GraphScreen, path) -> list[Entry]:
    return [e for e in screen.entries() if len(e.path) == len(path) + 1 and e.path[:-1] == path]


async def test_compact_mode_keeps_every_operand():
    """Compact is short lines and no detail pane; it keeps every edge: a product shows both
    factors even where one (the shared input x0) is shown in full elsewhere."""
    app = ViewsHost("graph")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("f")  # the engine's nodes
        nodes = screen.snapshot.nodes
        assert len(screen.entries()) == 1 + edges(nodes)
        assert screen.query_one("#graph-detail").display
        await pilot.press("m")
        assert screen.compact
        assert len(screen.entries()) == 1 + edges(nodes)
        assert not screen.query_one("#graph-detail").display
        assert "data" not in screen.label_of(())  # compact: numbers only
        products = [e for e in screen.entries() if not e.repeat and nodes[e.index].op == "*"]
        assert len(products) == 8 * 2 + 3 * 8 + 2  # w·x in each neuron; 1/denominator, -1
        for entry in products:
            below = children_of(screen, entry.path)
            assert [e.index for e in below] == list(nodes[entry.index].children)
        w = nodes[[n.name for n in nodes].index("layer0.neuron1.w0")]
        product = next(n for n in nodes if n.op == "*" and w.index in n.children)
        path = next(e.path for e in products if e.index == product.index)
        lines = [screen.label_of(e.path) for e in children_of(screen, path)]
        assert lines[0].startswith("◆ layer0.neuron1.w0")
        assert lines[1].startswith("↪ ▶ x0")  # the input, again
        assert lines[1].endswith(f"{num(nodes[product.children[1]].grad)}")
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
        screen.flat = False
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


# ------------------------------------------------------- the real app at 80x24


async def open_graph(pilot, app: MicrogradApp) -> GraphScreen:
    await settle(pilot)
    await pilot.press("g")
    screen = app.screen
    assert isinstance(screen, GraphScreen)
    await wait_until(pilot, lambda: screen.snapshot is not None, timeout=60)
    await pilot.pause()
    return screen


def value_column(node) -> str:
    """How a line ends: the node's data and grad, each right-aligned in 15 columns."""
    return f"{'data ' + num(node.data):>15}  {'grad ' + num(node.grad):>15}"


async def every_line(pilot, tree):
    """(line number, the rendered line) for every line of the tree, a page at a time."""
    height = tree.scrollable_content_region.height
    lines = tree._tree_lines
    for top in range(0, len(lines), height):
        tree.scroll_to(y=top, animate=False)
        await pilot.pause()
        assert tree.scroll_offset.y == min(top, tree.max_scroll_y)
        for y in range(height):
            line_no = tree.scroll_offset.y + y
            if line_no < len(lines):
                yield line_no, tree.render_line(y).text


@pytest.mark.slow
@pytest.mark.parametrize("hidden", [(8,), (16, 16)])
async def test_every_lines_values_are_whole_in_a_right_hand_column(hidden):
    """At 80 columns, flat or staircase, scrolled or not, every line ends with its node's
    data and grad, the engine's, whole; a tree part that does not fit ends in an ellipsis."""
    app = MicrogradApp(Config(hidden=hidden))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_graph(pilot, app)
        tree = screen.tree
        nodes = screen.snapshot.nodes  # the engine's, as sample_graph built them
        for flat in (True, False):
            screen.flat = flat
            tree.root.expand_all()
            await pilot.pause()
            width = tree.scrollable_content_region.width
            assert width >= 78 and tree.tree_width == width - 33
            for presses in (0, 2):
                await pilot.press(*["right"] * presses)
                cut = 0
                async for line_no, text in every_line(pilot, tree):
                    entry = tree._tree_lines[line_no].node.data
                    assert len(text) == width
                    assert text.endswith(value_column(nodes[entry.index]))
                    part = text[: tree.tree_width]
                    name = nodes[entry.index].name
                    if name not in part:  # cut, or scrolled past
                        assert part.endswith("…") or part.startswith("…"), text
                    cut += part.endswith("…")
                if flat and hidden == (8,) and not presses:
                    assert cut == 0  # the default model's flat graph fits 80 columns
                if not flat and hidden == (16, 16):
                    assert cut > 0  # a staircase of 17 terms does not
                tree.scroll_to(x=0, animate=False)


async def test_right_scrolls_a_quarter_of_the_tree_part():
    app = MicrogradApp(Config(hidden=(16, 16)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_graph(pilot, app)
        tree = screen.tree
        await pilot.press("f", "e")  # the staircase, all open: wider than the screen
        await pilot.pause()
        assert tree.max_scroll_x > 40
        step = tree.tree_width // 4
        assert step >= 11  # 45 columns left of the values at 80
        await pilot.press("right")
        assert tree.scroll_x == step
        await pilot.press("right", "right", "left")
        assert tree.scroll_x == 2 * step
        await pilot.press("left", "left", "left")
        assert tree.scroll_x == 0


async def test_re_root_shows_the_cursors_subtree_and_goes_back_up():
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_graph(pilot, app)
        nodes = screen.nodes
        path = screen.path_of("tanh#11")
        screen._jump(screen._by_path[path])
        await pilot.pause()
        opened = {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded}
        await pilot.press("greater_than_sign")
        assert screen.root == nodes[[n.name for n in nodes].index("tanh#11")].index
        assert screen.entries() == list(layout(nodes, root=screen.root))
        assert screen.label_of(()).startswith("tanh#11  data")
        assert "below tanh#11 (< up)" in str(screen.query_one("#graph-title").render())
        await pilot.press("down", "greater_than_sign")  # one level further: its sum
        assert screen.label_of(()).startswith("+#10 sum of 3 terms  data")
        assert [nodes[e.index].name for e in children_of(screen, ())] == [
            "layer0.neuron0.b",
            "*#5",
            "*#9",
        ]
        await pilot.press("less_than_sign")  # back up: tanh#11, as it was
        assert screen.label_of(()).startswith("tanh#11  data")
        await pilot.press("escape")  # escape goes back up too, to the loss, as it was
        assert app.screen is screen and screen.root is None
        assert screen.tree.cursor_node is screen._by_path[path]
        assert {e.path for e in screen.entries() if screen._by_path[e.path].is_expanded} == opened
        assert "below" not in str(screen.query_one("#graph-title").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, GraphScreen)


async def test_flat_sums_and_the_staircase_show_the_same_numbers():
    """A sum's line shows its last + node's data and grad; each term's line its own, the
    same in the staircase; the sum's data is its terms' total."""
    app = MicrogradApp(Config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_graph(pilot, app)
        await step(pilot, app)
        screen.tree.root.expand_all()
        nodes = screen.snapshot.nodes
        flat_lines = {}
        sums = 0
        for entry in screen.entries():
            flat_lines.setdefault(entry.index, screen.label_of(entry.path))
            node = screen.nodes[entry.index]
            if len(node.children) > 2:
                sums += 1
                assert f"{node.name} sum of {len(node.children)} terms" in flat_lines[entry.index]
                terms = [nodes[c].data for c in node.children]
                assert math.isclose(nodes[entry.index].data, math.fsum(terms), rel_tol=1e-12)
        assert sums == 8 + 3 + 1  # the hidden neurons, the logits, the denominator
        await pilot.press("f")
        assert not screen.flat
        staircase = {}
        for entry in screen.entries():
            staircase.setdefault(entry.index, screen.label_of(entry.path))
        assert len(staircase) == len(nodes) == 159 and len(flat_lines) == 128
        for index, line in flat_lines.items():
            values = value_column(nodes[index]).strip()
            assert line.endswith(values) and staircase[index].endswith(values)
            assert "sum of" not in staircase[index]
        await pilot.press("f")
        assert screen.flat and len({e.index for e in screen.entries()}) == 128
