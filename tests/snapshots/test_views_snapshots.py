"""How the inside views look at 80x24 (SVG baselines in tests/__snapshots__)."""

from pathlib import Path

from views_host import ViewsHost

HOST = Path(__file__).parents[1] / "views_host.py"
SIZE = (80, 24)


def test_graph_view_after_a_search(snap_compare):
    assert snap_compare(ViewsHost("graph"), press=["slash", *"layer0.neuron2.w0", "enter"],
                        terminal_size=SIZE)  # fmt: skip


def test_graph_view_compact(snap_compare):
    assert snap_compare(HOST, press=["m", "e"], terminal_size=SIZE)


def test_param_table_sorted_by_grad(snap_compare):
    assert snap_compare(ViewsHost("params"), press=["d"], terminal_size=SIZE)
