"""The source document around a cited passage, scrolled to it, passage and answer highlighted.

The document is read in a worker by the chat screen (a 350-page PDF takes seconds to parse);
here at most CONTEXT_LINES lines are drawn on each side of the passage, so a book renders as
fast as a note, and page breaks show as a rule instead of a literal form feed.
"""

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

CONTEXT_LINES = 200  # drawn on each side of the passage; `qa show -C N` shows any amount
PAGE_BREAK = "\n──────── page break ────────\n"


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
            yield Static(_context(text[: c.start], before=True), classes="context")
            p = self.passage
            passage = highlighted(
                text[c.start : c.end], c.start, p.answer, p.short, PASSAGE_STYLE, _shown
            )
            yield Static(passage, id="passage")
            yield Static(_context(text[c.end :], before=False), classes="context")
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


def _shown(text: str) -> str:
    """Document text as drawn: form feeds as a page-break rule, control characters escaped."""
    return printable(text.replace("\f", PAGE_BREAK))


def _context(text: str, before: bool) -> Text:
    """The CONTEXT_LINES lines next to the passage, and how many more there are."""
    lines = text.split("\n")
    if len(lines) <= CONTEXT_LINES:
        return Text(_shown(text))
    kept = lines[-CONTEXT_LINES:] if before else lines[:CONTEXT_LINES]
    more = f"… {len(lines) - CONTEXT_LINES} more lines (`qa show` or your editor has them)"
    body = _shown("\n".join(kept))
    return Text(f"{more}\n{body}" if before else f"{body}\n{more}")
