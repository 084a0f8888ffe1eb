"""The app's widgets, one a file."""

from tui.widgets.boundary import BoundaryPlot
from tui.widgets.help import HelpScreen
from tui.widgets.loss_curve import LossCurve
from tui.widgets.metrics import MetricsPanel, RunState
from tui.widgets.model_panel import ModelPanel

__all__ = ["BoundaryPlot", "HelpScreen", "LossCurve", "MetricsPanel", "ModelPanel", "RunState"]
