"""The source pane: the focused passage in its document, scrolled to it and highlighted.

The document is read by a worker of the chat screen (a 350-page PDF takes a second to parse;
qa.sources keeps the last few). The pane shows CONTEXT_LINES lines on each side of the passage
in a read-only `TextArea`, which draws only the lines on screen and lets the reader move,
select and copy with the keyboard. Line numbers are the file's own, as in citations.
"""

from __future__ import annotations

import bisect

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from qa.results import AnsweredPassage
from qa.sources import Excerpt
from qa.terminal import printable

CONTEXT_LINES = 200  # on each side of the passage; `qa show -C N` or `e` (the editor) has more
CONTEXT_CHARS = 12_000  # and no more lines than fit in this (a PDF's lines are paragraphs)

# Control characters as their one-character pictures (form feed, a page break, is ␌), so that
# offsets in the shown text are offsets in the document and only "\n" breaks a line (the
# TextArea splits lines as str.splitlines does).
SHOWN = {c: 0x2400 + c for c in range(32) if chr(c) not in "\t\n"} | {
    0x7F: 0x2421,
    0x85: 0x2424,
    0x2028: 0x2424,
    0x2029: 0x2424,
}


class DocumentView(TextArea):
    """A read-only excerpt of a document with highlighted spans (passage, answer sentence,
    short answer), drawn line by line through `TextArea.get_line`."""

    COMPONENT_CLASSES = {
        "document-view--passage",
        "document-view--sentence",
        "document-view--short",
        "document-view--page",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, soft_wrap=True, show_line_numbers=True, **kwargs)
        self.highlight_cursor_line = False  # it would hide the passage's background
        self.spans: list[tuple[int, int, str]] = []  # (start, end, component) in the text
        self._line_starts = [0]

    def show(self, text: str, first_line: int, spans: list[tuple[int, int, str]]) -> None:
        """Show `text` (numbered from `first_line`) with `spans` highlighted; the cursor goes to
        the first span and the view scrolls it to the top."""
        self.spans = [s for s in spans if s[0] < s[1]]
        self._line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.load_text(text.translate(SHOWN))
        self.line_number_start = first_line
        at = self.location(self.spans[0][0] if self.spans else 0)
        self.move_cursor(at)
        self.call_after_refresh(self._scroll_to_location, at)

    def location(self, offset: int) -> tuple[int, int]:
        """(row, column) of a character offset in the shown text."""
        row = bisect.bisect_right(self._line_starts, offset) - 1
        return row, offset - self._line_starts[row]

    def _scroll_to_location(self, at: tuple[int, int]) -> None:
        _, y = self.wrapped_document.location_to_offset(at)
        self.scroll_to(y=max(0, y - 2), animate=False)

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        lo = self._line_starts[line_index] if line_index < len(self._line_starts) else 0
        hi = lo + len(line)
        for start, end, name in self.spans:
            if start < hi and end > lo:
                style = self.get_component_rich_style(f"document-view--{name}")
                line.stylize(style, max(start, lo) - lo, min(end, hi) - lo)
        page = line.plain.find("␌")
        if page >= 0:
            line.stylize(self.get_component_rich_style("document-view--page"), page, page + 1)
        return line


class SourcePane(Vertical):
    """A title line (citation, lines shown, staleness) above the document view."""

    ALLOW_MAXIMIZE = True  # `o` on a passage card fills the screen with it

    def compose(self) -> ComposeResult:
        yield Static(id="source-title")
        yield DocumentView(id="document")

    def opening(self, passage: AnsweredPassage) -> None:
        self.display = True
        self.set_title(f"{passage.citation.place()} · opening…")

    def failed(self, passage: AnsweredPassage, message: str) -> None:
        self.set_title(f"{passage.citation.place()} · {message}")
        self.query_one(DocumentView).show("", 1, [])

    def show(self, passage: AnsweredPassage, cut: Excerpt) -> None:
        """The excerpt around `passage`, its spans highlighted."""
        last = cut.first_line + len(cut.lines) - 1
        note = f"lines {cut.first_line}-{last} of {cut.total_lines}"
        if cut.stale:
            note += " · the file changed since it was indexed: run `qa index` to refresh"
        self.set_title(f"{passage.citation.place()} · {note}")
        spans = [(cut.start, cut.end, "passage")]
        if not cut.stale:
            for span, name in ((passage.answer, "sentence"), (passage.short, "short")):
                if span is not None:
                    spans.append((span.start - cut.offset, span.end - cut.offset, name))
        self.query_one(DocumentView).show(cut.text, cut.first_line, spans)

    def set_title(self, text: str) -> None:
        self.query_one("#source-title", Static).update(Text(printable(text)))
