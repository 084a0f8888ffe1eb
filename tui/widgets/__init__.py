"""The app's widgets, one a file."""

from tui.widgets.boundary import BoundaryPlot
from tui.widgets.class_view import ClassSnapshot, ClassView
from tui.widgets.grad_check import GradCheckScreen, GradCheckSnapshot
from tui.widgets.graph_view import GraphScreen, GraphSnapshot
from tui.widgets.help import HelpScreen
from tui.widgets.loss_curve import LossCurve
from tui.widgets.metrics import MetricsPanel, RunState
from tui.widgets.model_panel import ModelPanel
from tui.widgets.param_table import ParamSnapshot, ParamTableScreen
from tui.widgets.probe import ProbePanel, Sample

__all__ = [
    "BoundaryPlot",
    "ClassSnapshot",
    "ClassView",
    "GradCheckScreen",
    "GradCheckSnapshot",
    "GraphScreen",
    "GraphSnapshot",
    "HelpScreen",
    "LossCurve",
    "MetricsPanel",
    "ModelPanel",
    "ParamSnapshot",
    "ParamTableScreen",
    "ProbePanel",
    "RunState",
    "Sample",
]
