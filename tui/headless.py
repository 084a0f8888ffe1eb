"""The headless run: train without a UI and print one JSON line per update (no textual)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from micrograd.training import Config, Diverged, Trainer


def run(config: Config, steps: int, eval_every: int, out: TextIO = sys.stdout) -> int:
    """Train for steps updates, writing each as a JSON line; returns the exit status."""
    trainer = Trainer(config)
    for k in range(1, steps + 1):
        try:
            result = trainer.step()
        except Diverged as e:
            print(f"micrograd-tui: {e}", file=sys.stderr)
            return 3
        assert result is not None
        record = {"step": k, "train_loss": result.train_loss, "train_acc": result.train_acc}
        if k % eval_every == 0 or k == steps:
            record["val_loss"], record["val_acc"] = trainer.evaluate(trainer.val_split)
        out.write(json.dumps(record) + "\n")
        out.flush()
    return 0
