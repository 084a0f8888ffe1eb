"""The app's screens besides the main one, one a file; each is imported when first used.

The main screen's first frame needs none of the inside views (graph, parameters, gradient
check): they and what they import load when a view opens.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.screens.gradcheck import GradCheckScreen
    from tui.screens.graph import GraphScreen
    from tui.screens.help import HelpScreen
    from tui.screens.params import ParamTableScreen

MODULES = {
    "GradCheckScreen": "gradcheck",
    "GraphScreen": "graph",
    "HelpScreen": "help",
    "ParamTableScreen": "params",
}
"""Which module of this package defines each name."""


def __getattr__(name: str) -> object:
    module = MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = ["GradCheckScreen", "GraphScreen", "HelpScreen", "ParamTableScreen"]
