"""Lazy names for a package: each imported from its module when first asked for, so the
app's first frame loads only what it shows."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module __getattr__ for package: name -> the same name in package.modules[name]."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        vars(importlib.import_module(package))[name] = value  # asked once
        return value

    return __getattr__


__all__ = ["lazy_names"]
