"""README's "How it is built" names every file of the checkout, in its folder, and no file
that is not there: the tree a newcomer reads is the tree they cloned."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
SOURCES = ("micrograd", "tui", "tests", "benchmarks")
"""The folders whose every file the tree lists (snapshots' SVGs go as one folder)."""


def tree_paths() -> set[str]:
    """The paths the README's tree names: each line's first word, under the folders of
    the lines above it that are indented less."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = text.split("## How it is built", 1)[1].split("```", 2)[1]
    paths: set[str] = set()
    folders: list[tuple[int, str]] = []  # (indent, folder path) of the open folders
    for line in tree.splitlines():
        match = re.match(r"( *)(\S+)", line)
        if not match or len(match.group(1)) >= 20:  # a description's continuation
            continue
        indent, name = len(match.group(1)), match.group(2)
        while folders and folders[-1][0] >= indent:
            folders.pop()
        path = "/".join([*(folders[-1][1:] if folders else ()), name.rstrip("/")])
        paths.add(path)
        if name.endswith("/"):
            folders.append((indent, path))
    return paths


def checkout_files() -> set[str]:
    """The files under SOURCES, as git would track them (no caches, no saved runs)."""
    found = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if path.is_file() and "__pycache__" not in rel and "__snapshots__" not in rel:
                found.add(rel)
    return found


def test_the_tree_names_every_file_and_only_files_that_exist() -> None:
    named = tree_paths()
    assert "micrograd/engine.py" in named and "tui/screens/graph.py" in named  # it parses
    assert sorted(checkout_files() - named) == []  # in the checkout, not in the README
    absent = sorted(p for p in named if not (ROOT / p).exists())
    assert absent == []  # in the README, not in the checkout
