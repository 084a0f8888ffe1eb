"""Wording that fits: of several wordings of the same news, the first that fits a width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len


def fitting(wordings: Sequence[str], width: int) -> str:
    """The first of wordings (longest first) that fits in width columns, else the last."""
    return next((text for text in wordings if cell_len(text) <= width), wordings[-1])


__all__ = ["fitting"]
