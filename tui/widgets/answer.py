"""How one answer looks: the answer line on top, then a card per passage."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from qa.results import AnsweredPassage, Result
from qa.terminal import also_in_line, highlighted, printable
from qa.workspace import Workspace

PASSAGE_STYLE = {"": "", "sentence": "bold reverse", "short": "bold reverse underline"}
ANSWER_STYLE = {"": "", "sentence": "", "short": "bold underline"}


class PassageCard(Static, can_focus=True):
    """One passage: rank, score, citation, and its answer sentence highlighted with a little
    context (compact, so that the answer above stays in view); Enter shows the whole passage.
    Focusing a card shows its passage in the source pane; `o` fills the screen with it."""

    BINDINGS = [
        Binding("enter,space", "expand", "Whole passage / compact"),
        Binding("o", "open", "Source full screen"),
        Binding("c", "copy", "Copy citation"),
        Binding("e", "edit", "Open in $EDITOR"),
    ]

    @dataclass
    class Opened(Message):
        """The user asked to read this passage's source full screen."""

        card: PassageCard

    def __init__(self, passage: AnsweredPassage, weak: bool) -> None:
        super().__init__(card_text(passage, whole=False), classes="weak" if weak else "")
        self.passage = passage
        self.whole = False

    def action_expand(self) -> None:
        """Show the whole passage, or only its answer sentence with some context."""
        self.whole = not self.whole
        self.update(card_text(self.passage, self.whole))

    def action_open(self) -> None:
        self.post_message(self.Opened(self))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.passage.citation.label(absolute=True))
        self.notify("Citation copied")

    def action_edit(self) -> None:
        """Open the cited file in $EDITOR at the passage's line (`$EDITOR +LINE PATH`)."""
        import os
        import shlex
        import subprocess
        from pathlib import Path

        from textual.app import SuspendNotSupported

        from qa.errors import QAError
        from qa.formats import IN_PROCESS, reader_name
        from qa.sources import served_document

        c = self.passage.citation
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor:
            self.notify("Set $EDITOR (or $VISUAL) to open sources in your editor.")
            return
        if reader_name(Path(c.path)) not in IN_PROCESS:  # a PDF's lines are qa's, not the file's
            self.notify(f"{c.path}: not a text file; `o` shows the passage in qa.")
            return
        try:  # the editor opens only a document of the index, as `qa show` reads only those
            _, path = served_document(self._workspace().load().manifest, c.path)
        except QAError as exc:
            self.notify(str(exc), severity="error")
            return
        command = [*shlex.split(editor), f"+{c.line}", str(path)]
        try:
            with self.app.suspend():
                subprocess.run(command, check=False)
        except SuspendNotSupported:  # no terminal to hand over (tests, web)
            subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
        except OSError as exc:
            self.notify(f"cannot run {editor}: {exc.strerror}", severity="error")

    def _workspace(self) -> Workspace:
        from tui.app import QAApp

        assert isinstance(self.app, QAApp), "cards live in qa's app"
        return self.app.workspace


CONTEXT_CHARS = 80  # shown on each side of the answer sentence in a compact card


def card_text(p: AnsweredPassage, whole: bool) -> Text:
    """A card's text: its head line, then the passage (whole, or the answer sentence with
    about CONTEXT_CHARS characters around it, cut at spaces)."""
    head = Text.assemble(
        (f"{p.rank}. ", "bold"),
        (f"[{p.score:.2f}] ", "dim"),
        (printable(p.citation.label()), "cyan"),
        "\n",
    )
    lo, hi = 0, len(p.text)
    if not whole:
        a, b = p.answer.start - p.citation.start, p.answer.end - p.citation.start
        lo = max(0, a - CONTEXT_CHARS)
        lo = lo if lo == 0 else p.text.find(" ", lo, a) + 1 or a
        hi = min(len(p.text), b + CONTEXT_CHARS)
        hi = hi if hi == len(p.text) else (p.text.rfind(" ", b, hi) + 1 or hi)
    body = highlighted(p.text[lo:hi], p.citation.start + lo, p.answer, p.short, PASSAGE_STYLE)
    also = ("\n" + also_in_line(p.also_in), "dim") if p.also_in else ""
    return Text.assemble(head, "…" if lo else "", body, "…" if hi < len(p.text) else "", also)


class AnswerView(Vertical):
    """A whole result; weak results (not answered) get the `weak` class and say so."""

    def __init__(self, result: Result) -> None:
        super().__init__(classes="answer" if result.answered else "answer weak")
        self.result = result

    def compose(self):
        r = self.result
        if r.answered and r.answer and r.citation:
            a, short = r.answer, r.passages[0].short
            line = highlighted(a.text, a.start, a, short, ANSWER_STYLE)
            # as in the CLI: a short answer stands alone, its sentence below it
            head: list[str | tuple[str, str]] = (
                [(printable(short.text), "bold"), "\n"] if short else []
            )
            yield Static(
                Text.assemble(
                    ("A: ", "bold"),
                    *head,
                    line,
                    "\n",
                    (printable(r.citation.label()), "cyan"),
                ),
                classes="answer-line",
            )
        else:
            yield Static(
                Text(r.no_answer()),
                classes="answer-line weak",
            )
        for p in r.passages:
            yield PassageCard(p, weak=not r.answered)
