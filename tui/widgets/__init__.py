"""The app's widgets, one a file; each module is imported when a name from it is first used.

The inside views (graph, tables) are screens, in tui.screens: they load when a view opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.lazy import lazy_names

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


__getattr__ = lazy_names(__name__, MODULES)


__all__ = [
    "BoundaryPlot",
    "ClassView",
    "LossCurve",
    "MetricsPanel",
    "ModelPanel",
    "ProbePanel",
    "RunState",
]
