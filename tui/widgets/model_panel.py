"""The model and optimizer panel: layer sizes, parameter count, AdamW settings, the data,
the engine a step runs on."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

from micrograd.training import Config, batch_points, engine


def lines(config: Config, num_params: int, split_sizes: tuple[int, int, int]) -> list[str]:
    """What is being trained, and how: the model; the optimizer; the batch and the
    optimizer's moments (AdamW's betas and eps, momentum's update, SGD's); the data; its
    split and the engine a step runs on (the app's trainers take the fast path: the
    fused engine, on numpy columns from a batch of 256 points)."""
    sizes = "→".join(str(s) for s in config.sizes)
    b1, b2 = config.betas
    train, val, test = split_sizes
    # the tutorial's settings go unsaid, and so does an activation with no hidden layer
    activation = "" if config.activation == "tanh" or not config.hidden else f" {config.activation}"
    features = "" if config.features == ("x", "y") else f" · in {','.join(config.features)}"
    optimizer = OPTIMIZER_NAMES[config.optimizer]
    # the batch first on the optimizer's third line, where 30 columns keep it in sight
    batch = "" if config.batch_size is None else f"batch {config.batch_size} · "
    moments = {
        "adamw": f"β {b1:g}/{b2:g} · ε {config.eps:g}",
        "momentum": f"v = {b1:g} v + g + wd p",  # momentum's mu is betas[0]
        "sgd": "p -= lr (g + wd p)",
    }[config.optimizer]
    noise = f" · noise {config.noise:g}" if config.noise else ""
    return [
        f"MLP {sizes}{activation} · {num_params} params{features}",
        f"{optimizer} lr {config.lr:g} · wd {config.weight_decay:g}",
        f"{batch}{moments}",
        f"{config.dataset} n {config.n}{noise} · seed {config.seed}",
        f"split {train}/{val}/{test} · {engine(batch_points(config.batch_size, train))}",
    ]


OPTIMIZER_NAMES = {"adamw": "AdamW", "sgd": "SGD", "momentum": "Momentum"}


def describe(
    config: Config, num_params: int, split_sizes: tuple[int, int, int], width: int = 0
) -> Table:
    """What is being trained, and how, in five lines; in three where width columns hold
    two of them side by side (a wide side column: the loss curve gets the rows)."""
    model, adamw, betas, data, split = lines(config, num_params, split_sizes)
    pairs = [f"{model} · {data}", f"{adamw} · {betas}"]
    table = Table.grid()
    table.add_column(no_wrap=True, overflow="ellipsis")
    if width and max(len(pair) for pair in pairs) <= width:
        rows = [*pairs, Text(split, style="dim")]
    else:
        rows = [model, adamw, f"  {betas}", data, Text(f"  {split}", style="dim")]
    for row in rows:
        table.add_row(row)
    return table


class ModelPanel(Widget):
    """A fixed description of the run: it changes only with a new Config (its layout,
    with the panel's width)."""

    def __init__(
        self,
        config: Config,
        num_params: int,
        split_sizes: tuple[int, int, int],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.described = (config, num_params, split_sizes)

    def render(self) -> RenderResult:
        return describe(*self.described, width=self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return describe(*self.described, width=width).row_count

    def on_resize(self) -> None:
        self.refresh(layout=True)


__all__ = ["ModelPanel", "describe"]
