"""An Input that remembers what was submitted; up/down walk the history."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class HistoryInput(Input):
    """Input with shell-like history of submitted values."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous question", show=False),
        Binding("down", "history(1)", "Next question", show=False),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.history: list[str] = []
        self._cursor = 0

    def remember(self, value: str) -> None:
        """Add a submitted value and reset the history cursor past the end."""
        if value and (not self.history or self.history[-1] != value):
            self.history.append(value)
        self._cursor = len(self.history)

    def action_history(self, step: int) -> None:
        """Show the previous (-1) or next (+1) remembered value."""
        if not self.history:
            return
        self._cursor = max(0, min(len(self.history), self._cursor + step))
        self.value = self.history[self._cursor] if self._cursor < len(self.history) else ""
        self.cursor_position = len(self.value)
