"""Every key binding of the app, in one place."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """A table of keys and what they do; any of Escape, q or F1 closes it."""

    BINDINGS = [
        Binding("escape,q,f1", "app.pop_screen", "Close help"),
    ]

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table(title="qa chat: keys", expand=True)
        table.add_column("Key", style="bold")
        table.add_column("Action")
        for key, description in self.bindings:
            table.add_row(key, description)
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static(
                "Questions are answered one at a time, in the order asked; type the next one "
                "while an answer is running. Paste several lines to ask one question per line.\n"
                'Narrow a question: +word, -word, "exact phrase", path:GLOB, type:pdf,md, '
                "since:2024-01-01, until:2024-12-31. The index follows the folder: changed "
                "files are indexed again in the background (the status line says so).",
                id="help-notes",
            )
