"""`qa chat`: the Textual app. It shows what qa returns; qa does the work."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from qa.workspace import Workspace
from tui.screens.chat import ChatScreen
from tui.screens.help import HelpScreen


class QAApp(App[None]):
    """Ask questions of a folder of documents."""

    CSS_PATH = "app.tcss"
    TITLE = "qa"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, workspace: Workspace, watch: bool = True) -> None:
        super().__init__()
        self.workspace = workspace
        self.follow_folder = watch  # keep the index current as the folder changes

    def on_mount(self) -> None:
        self.push_screen(ChatScreen(self.workspace, self.follow_folder))

    def chat(self) -> ChatScreen:
        """The chat screen (always at the bottom of the stack once mounted)."""
        return next(s for s in self.screen_stack if isinstance(s, ChatScreen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Rebuild index", "Re-embed new and changed documents", self.chat().action_rebuild
        )
        yield SystemCommand(
            "New conversation", "Forget earlier questions", self.chat().action_new_conversation
        )
        yield SystemCommand(
            "Save conversation", "As Markdown in the working folder", self.chat().action_export
        )
        yield SystemCommand("Help", "All key bindings", self.action_help)

    def action_help(self) -> None:
        from tui.widgets.answer import PassageCard
        from tui.widgets.history_input import HistoryInput

        rows = [("Enter", "Ask the question in the input")]
        for owner in (HistoryInput, ChatScreen, PassageCard, QAApp):
            for b in owner.BINDINGS:
                if isinstance(b, Binding) and b.description:
                    rows.append((" / ".join(b.key.split(",")), b.description))
        rows.append(("Tab / Shift+Tab", "Move between passages (the source pane follows)"))
        rows.append(("Ctrl+P", "Command palette (rebuild, new conversation, theme)"))
        self.push_screen(HelpScreen(rows))
