"""The whole source document, scrolled to the cited passage, passage and answer highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from qa.answer import AnsweredPassage
from qa.sources import Source
from qa.terminal import highlighted, printable
from tui.widgets.answer import PASSAGE_STYLE


class SourceScreen(Screen[None]):
    """Read-only view of one document around a passage."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "copy", "Copy citation"),
    ]

    def __init__(self, passage: AnsweredPassage, source: Source) -> None:
        super().__init__()
        self.passage = passage
        self.source = source

    def compose(self) -> ComposeResult:
        c, text = self.passage.citation, self.source.text
        yield Static(Text(printable(c.label())), id="source-title")
        if self.source.stale:
            yield Static(
                Text("The file changed since it was indexed: run `qa index` to refresh."),
                id="source-stale",
            )
        with VerticalScroll(id="source-body"):
            yield Static(Text(printable(text[: c.start])), classes="context")
            p = self.passage
            passage = highlighted(text[c.start : c.end], c.start, p.answer, p.short, PASSAGE_STYLE)
            yield Static(passage, id="passage")
            yield Static(Text(printable(text[c.end :])), classes="context")
        yield Footer()

    def on_mount(self) -> None:
        passage = self.query_one("#passage")
        self.call_after_refresh(
            lambda: self.query_one("#source-body", VerticalScroll).scroll_to_widget(
                passage, animate=False, top=True
            )
        )

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.passage.citation.label())
        self.notify("Citation copied")
