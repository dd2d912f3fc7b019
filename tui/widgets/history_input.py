"""An Input that remembers what was submitted; up/down walk the history.

Enter submits on the key itself, in the order keys arrive: Textual runs a binding only after
the key has bubbled up to the app, and by then the keys behind it in a burst (a fast typist,
tmux send-keys, a terminal on a busy machine) have been typed into the field, so two questions
sent in one burst became one. Enter clears the field in the same step, so a question typed
while the last one is still being handled is never merged into it; a multi-line paste is
submitted as one question per line, in order (Textual's Input would keep the first line only).
"""

from __future__ import annotations

from textual import events
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

    async def action_submit(self) -> None:
        """Submit the field's text and clear it in the same step."""
        value, self.value = self.value, ""
        self.remember(value.strip())
        self.post_message(self.Submitted(self, value))

    async def _on_key(self, event: events.Key) -> None:
        """Enter submits now, before the keys behind it are typed (Input's own handler,
        next in the class order, types the rest)."""
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()

    def _on_paste(self, event: events.Paste) -> None:
        """Several pasted lines are several questions: each is submitted in turn."""
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        if len(lines) < 2:
            return  # Input's own handler, next in the class order, pastes it (once)
        event.stop()
        event.prevent_default()
        lines[0] = f"{self.value} {lines[0]}".strip()  # a question begun, then pasted into
        self.value = ""
        for line in lines:
            self.remember(line)
            self.post_message(self.Submitted(self, line))
