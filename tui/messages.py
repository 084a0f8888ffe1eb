"""What the training worker posts to the app: the session's news, as a Textual message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.session import News


@dataclass
class SessionNews(Message):
    """What the training session posted (tui.session's news: plain data, never Values),
    handed to the app's event loop."""

    news: News


__all__ = ["SessionNews"]
