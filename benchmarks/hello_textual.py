"""The smallest Textual app, one label: the floor under any Textual app's first frame.

app_latency.py launches it in turn with micrograd-tui; its label holds a run-state word
("paused") so that the same screen test finds its first frame.
"""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Hello(App):
    def compose(self) -> ComposeResult:
        yield Static("step 0  paused")


if __name__ == "__main__":
    Hello().run()
