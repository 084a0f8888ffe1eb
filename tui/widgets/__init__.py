"""The app's widgets, one a file; each module is imported when a name from it is first used.

The inside views (graph, tables) are screens, in tui.screens: they load when a view opens.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.widgets.boundary import BoundaryPlot
    from tui.widgets.class_view import ClassView
    from tui.widgets.loss_curve import LossCurve
    from tui.widgets.metrics import MetricsPanel, RunState
    from tui.widgets.model_panel import ModelPanel
    from tui.widgets.probe import ProbePanel

MODULES = {
    "BoundaryPlot": "boundary",
    "ClassView": "class_view",
    "LossCurve": "loss_curve",
    "MetricsPanel": "metrics",
    "ModelPanel": "model_panel",
    "ProbePanel": "probe",
    "RunState": "metrics",
}
"""Which module of this package defines each name."""


def __getattr__(name: str) -> object:
    module = MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BoundaryPlot",
    "ClassView",
    "LossCurve",
    "MetricsPanel",
    "ModelPanel",
    "ProbePanel",
    "RunState",
]
