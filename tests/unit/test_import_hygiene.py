"""The core library imports no UI: micrograd and each submodule, checked in a fresh interpreter."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

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


# ------------------------------------------------------------ public APIs only

PLOTTING_LIBRARIES = ("plotext", "textual_plotext")
ROOT = Path(__file__).resolve().parents[2]
OUR_SOURCES = sorted(
    path
    for folder in ("micrograd", "tui", "benchmarks", "tests")
    for path in (ROOT / folder).rglob("*.py")
)


def private(name: str) -> bool:
    """A name a library keeps to itself: a leading underscore, not a dunder."""
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str) -> list[str]:
    """The private names of plotext or textual_plotext that source imports or reads: a
    private module or name imported from them, or a private attribute of a name bound to
    plotext (imported as it, or the figure `with figure(...) as plt` hands out)."""
    tree = ast.parse(source)
    aliases = {"plt"}  # what the plots call plotext's figure
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in PLOTTING_LIBRARIES:
                    aliases.add(alias.asname or parts[0])
                    if any(map(private, parts)):
                        found.append(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] in PLOTTING_LIBRARIES:
                found += [node.module] if any(map(private, parts)) else []
                found += [f"{node.module}.{a.name}" for a in node.names if private(a.name)]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and private(node.attr)
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_the_scan_finds_private_names():
    source = (
        "import plotext as p\n"
        "from plotext._dict import themes\n"
        "from textual_plotext.plot import Plot, _rgbify_theme\n"
        "p._figure\n"
        "with figure() as plt:\n"
        "    plt._set_size(1, 2)\n"
        "    plt.plotsize(1, 2)\n"
    )
    assert private_uses(source) == [
        "plotext._dict",
        "textual_plotext.plot._rgbify_theme",
        "p._figure",
        "plt._set_size",
    ]


def test_no_module_of_ours_uses_a_private_name_of_plotext():
    """Only plotext's public API: a private name can change in any release, silently."""
    assert len(OUR_SOURCES) > 20
    uses = {
        str(path.relative_to(ROOT)): found
        for path in OUR_SOURCES
        if (found := private_uses(path.read_text(encoding="utf-8")))
    }
    assert uses == {}
