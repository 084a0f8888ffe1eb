"""Side panels that repaint only the lines whose content changed, as the plots do."""

from __future__ import annotations

from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from tui.widgets.plotting import refresh_changes


class LinePanel(Widget):
    """A panel drawn by render() that repaints only the cells of the lines that changed,
    and nothing when its content is unchanged: a panel is updated up to 10 times a
    second while training, and over a slow link every cell sent costs.

    A subclass declares the reactives render() reads with repaint=False and has their
    watchers call repaint_changes() (or refresh() when the panel's height changes).
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._shown: list[Strip | None] = []
        """The lines as last rendered for the screen, by row (None: a row not rendered)."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        if y >= len(self._shown):
            self._shown.extend([None] * (y + 1 - len(self._shown)))
        self._shown[y] = line
        return line

    def repaint_changes(self) -> None:
        """Render the content anew and repaint the cells that differ from those shown."""
        if not self.is_mounted:
            return  # nothing shown yet: the first frame renders it all
        width, height = self.size
        visual = visualize(self, self.render(), markup=False)
        new = Visual.to_strips(self, visual, width, height, self.visual_style)
        blank = Strip.blank(width, self.visual_style.rich_style)  # rows under the content
        new += [blank] * (height - len(new))
        # a row never rendered makes them fewer than the new lines: all is repainted
        shown = [line for line in self._shown[:height] if line is not None]
        refresh_changes(self, shown, new)


__all__ = ["LinePanel"]
