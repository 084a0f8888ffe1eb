"""The core library imports no UI: micrograd and each submodule, checked in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import micrograd

UI_MODULES = ("tui", "textual", "rich", "plotext")
SUBMODULES = sorted(f"micrograd.{m.name}" for m in pkgutil.iter_modules(micrograd.__path__))


def test_micrograd_has_submodules_to_check():
    assert {"micrograd.engine", "micrograd.nn", "micrograd.training"} <= set(SUBMODULES)


def test_importing_micrograd_imports_no_ui():
    code = (
        "import importlib, sys\n"
        f"for name in ['micrograd', *{SUBMODULES!r}]:\n"
        "    importlib.import_module(name)\n"
        f"ui = sorted(m for m in sys.modules if m.split('.')[0] in {UI_MODULES!r})\n"
        "print(','.join(ui))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"micrograd imported UI modules: {proc.stdout.strip()}"


@pytest.mark.parametrize("module", ["tui.snapshots", "tui.session"])
def test_the_worker_side_imports_no_textual_or_rich(module):
    """The worker's plain data and the session load without the UI libraries: the
    session's unit tests run without Textual, and the worker side stays plain."""
    code = (
        f"import sys, {module}\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'plotext'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"{module} imported UI modules: {proc.stdout.strip()}"


def test_importing_the_palette_imports_no_textual():
    """Colours, glyphs and the cell rule need rich at most: the widgets and screens share them."""
    code = "import sys, tui.palette\nprint('textual' in sys.modules, 'numpy' in sys.modules)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
