"""Number formatting shared by the inside views: fixed width, sign always shown."""

from __future__ import annotations

import math


def num(v: float) -> str:
    """A signed number in at most 10 characters: 4 decimals, or scientific if tiny or huge."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if v == 0:
        return "+0.0000"  # also -0.0, e.g. the loss -log(1.0) of a sample learnt exactly
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:+.4f}"
    return f"{v:+.2e}"


def sci(v: float) -> str:
    """A non-negative magnitude in scientific notation, e.g. 3.1e-09."""
    if math.isnan(v):
        return "nan"
    return f"{v:.1e}"


__all__ = ["num", "sci"]
