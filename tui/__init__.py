"""micrograd-tui: the terminal app (and its headless run) that trains micrograd live."""

__all__: list[str] = []
