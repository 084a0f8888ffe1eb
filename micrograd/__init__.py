"""micrograd: a scalar autograd engine, a tiny MLP, AdamW and the taichi dataset."""

from micrograd.data import RNG, taichi, taichi_class
from micrograd.engine import Value, topological_order
from micrograd.losses import cross_entropy
from micrograd.nn import MLP, Layer, Module, Neuron
from micrograd.optim import AdamW
from micrograd.run import Run
from micrograd.runs import RunFileError, load_run, save_run
from micrograd.training import MAX_N, MIN_N, Config, Diverged, StepResult, Trainer, predict_grid

__all__ = [
    "MAX_N",
    "MIN_N",
    "MLP",
    "RNG",
    "AdamW",
    "Config",
    "Diverged",
    "Layer",
    "Module",
    "Neuron",
    "Run",
    "RunFileError",
    "StepResult",
    "Trainer",
    "Value",
    "cross_entropy",
    "load_run",
    "predict_grid",
    "save_run",
    "taichi",
    "taichi_class",
    "topological_order",
]
