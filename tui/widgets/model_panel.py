"""The model and optimizer panel: layer sizes, parameter count, AdamW settings, the data."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from micrograd.training import Config


def describe(config: Config, num_params: int, split_sizes: tuple[int, int, int]) -> Table:
    """What is being trained, and how, in a few lines."""
    sizes = "→".join(str(s) for s in config.sizes)
    b1, b2 = config.betas
    train, val, test = split_sizes
    table = Table.grid()
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_row(f"MLP {sizes} · {num_params} params")
    table.add_row(f"AdamW lr {config.lr:g} · wd {config.weight_decay:g}")
    table.add_row(f"  β {b1:g}/{b2:g} · ε {config.eps:g}")
    table.add_row(f"taichi n {config.n} · seed {config.seed}")
    table.add_row(Text(f"  split {train}/{val}/{test}", style="dim"))
    return table


class ModelPanel(Static):
    """A fixed description of the run: it changes only with a new Config."""

    def __init__(
        self,
        config: Config,
        num_params: int,
        split_sizes: tuple[int, int, int],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(describe(config, num_params, split_sizes), id=id, classes=classes)


__all__ = ["ModelPanel", "describe"]
