"""The app's screens besides the main one, one a file; each is imported when first used.

The main screen's first frame needs none of the inside views (graph, parameters, gradient
check): they and what they import load when a view opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.lazy import lazy_names

if TYPE_CHECKING:
    from tui.screens.gradcheck import GradCheckScreen
    from tui.screens.graph import GraphScreen
    from tui.screens.help import HelpScreen
    from tui.screens.neurons import NeuronsScreen
    from tui.screens.params import ParamTableScreen

MODULES = {
    "GradCheckScreen": "gradcheck",
    "GraphScreen": "graph",
    "HelpScreen": "help",
    "NeuronsScreen": "neurons",
    "ParamTableScreen": "params",
}
"""Which module of this package defines each name."""


__getattr__ = lazy_names(__name__, MODULES)


__all__ = ["GradCheckScreen", "GraphScreen", "HelpScreen", "NeuronsScreen", "ParamTableScreen"]
