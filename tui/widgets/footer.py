"""The footer: Textual's compact footer, its keys in the first frame, and only whole keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


def key_width(key: FooterKey) -> int:
    """The columns a key takes in a compact footer, the gap after it included:
    `space Train/Pause` and one blank (Textual's compact FooterKey styles)."""
    return cell_len(key.key_display) + 1 + cell_len(key.description) + 1


def fit(keys: Iterable[FooterKey], width: int) -> None:
    """Show the keys, in order, that fit whole in width columns; hide the rest.

    A key cut off at the edge ("g Grap") reads as a different key, or as none; a hidden
    key is still listed by the help (?), which comes second in every footer."""
    used = 0
    for key in keys:
        used += key_width(key)
        key.display = used - 1 <= width  # the last key shown needs no gap after it


class KeysFooter(Footer):
    """Textual's footer, always compact, with three changes.

    Its keys come with the first frame: Textual's composes them only once the screen
    first publishes its bindings, after the first frame, so they would appear after the
    rest. Later binding changes recompose it as before.

    It shows only the keys that fit whole (see fit): a key cut off mid-word reads as
    another key, or as none.

    And it lets go of the keys it replaces. Textual's footer binds each key's `compact` to
    its own (`data_bind`), which adds the key to the footer's watchers of `compact`; Textual
    drops a removed watcher only when that reactive changes, and a footer's never does. So
    each recompose (every change of the screen's bindings: a view opened or closed, a key
    enabled) would keep the old keys alive, with their styles and rendered lines, for as
    long as the footer lives: the main screen's, all along."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(compact=True, show_command_palette=False, **kwargs)
        self.set_reactive(Footer._bindings_ready, True)

    def compose(self) -> ComposeResult:
        self.forget_removed_keys()
        keys = list(super().compose())
        width = self.size.width or self.app.size.width  # 0 before the first layout
        fit((key for key in keys if isinstance(key, FooterKey)), width)
        yield from keys

    def forget_removed_keys(self) -> None:
        """Drop the watchers of keys no longer in the footer (see the class's docstring)."""
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [(node, call) for node, call in watchers if node.is_attached]

    def fit(self, width: int) -> None:
        """Show the keys that fit in width columns, e.g. as the screen is resized."""
        fit(self.query_children(FooterKey), width)

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size.width)
