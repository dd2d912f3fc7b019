"""The chat screen: transcript, question input, build progress and status line.

Questions are answered one at a time, in the order asked: each waits in a queue on the app's
thread until the index is loaded and the question before it is answered; its answer takes the
place of its own "searching…" line. The conversation (the context of follow-ups) is read and
updated only on the app's thread, when a question is sent; a failed question marks itself only.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import Worker, WorkerState

from qa.answer import AnsweredPassage, Result
from qa.build import BuildReport
from qa.conversation import Conversation
from qa.errors import QAError
from qa.sources import Source
from qa.terminal import printable
from qa.workspace import Workspace
from tui.widgets.answer import AnswerView, PassageCard
from tui.widgets.history_input import HistoryInput


class ChatScreen(Screen[None]):
    """Ask, read answers with citations, open sources, rebuild, all from the keyboard."""

    BINDINGS = [
        Binding("ctrl+r", "rebuild", "Rebuild index"),
        Binding("ctrl+n", "new_conversation", "New conversation"),
        Binding("ctrl+y", "copy_answer", "Copy answer"),
        Binding("ctrl+s", "export", "Save as Markdown"),
        Binding("escape", "focus_input", "Back to question", show=False),
    ]

    @dataclass
    class Answered(Message):
        """The ask worker answered the question whose pending line is `pending`."""

        pending: Static
        result: Result

    @dataclass
    class SourceRead(Message):
        """A worker read the document a passage cites."""

        passage: AnsweredPassage
        source: Source

    @dataclass
    class Built(Message):
        """A worker finished building the index."""

        report: BuildReport | None

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.conversation = Conversation()
        self.last_result: Result | None = None
        self.results: list[Result] = []  # this conversation's answers, in the order asked
        self.index_ready = False  # the index is loaded: questions can be sent
        self.index_error: str | None = None  # why the index could not be loaded, if it failed
        self._waiting: deque[tuple[str, Static]] = deque()  # asked, not yet sent, in order
        self._asking: Static | None = None  # pending line of the question being answered

    def compose(self) -> ComposeResult:
        transcript = VerticalScroll(id="transcript")
        transcript.can_focus = False  # Tab goes from the question straight to the passages
        yield transcript
        yield ProgressBar(id="progress", show_eta=True)
        yield HistoryInput(placeholder="Ask a question about your documents…", id="question")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#question").focus()
        self.set_status("loading the index…")
        self.prepare()

    # --- workers: long work runs in threads, results come back as messages ---

    @work(thread=True, exclusive=True, exit_on_error=False, group="index", name="prepare")
    def prepare(self) -> None:
        """Build the index on first start, then load it (model included) before the first ask."""
        report = None
        if self.workspace.needs_build():
            report = self.workspace.build(self._progress_callback())
        self.workspace.retriever()
        self.post_message(self.Built(report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="index", name="rebuild")
    def rebuild(self) -> None:
        """Re-embed new and changed documents; the app stays usable meanwhile."""
        report = self.workspace.build(self._progress_callback())
        self.workspace.retriever()
        self.post_message(self.Built(report))

    @work(thread=True, exit_on_error=False, group="ask", name="ask")
    def ask(self, question: str, search: str, pending: Static) -> None:
        """Answer one question, searched as `search` (with its conversation's context)."""
        result = self.workspace.ask([question], searches=[search])[0]
        self.post_message(self.Answered(pending, result))

    def ask_next(self) -> None:
        """Send the oldest waiting question, once the index is ready and no answer is running."""
        if self._asking is not None or not self.index_ready or not self._waiting:
            return
        question, pending = self._waiting.popleft()
        search = self.conversation.search_text(question)
        self.conversation.add(question)
        self._asking = pending
        pending.update(Text("searching…"))
        self.ask(question, search, pending)

    def _progress_callback(self) -> Callable[[int, int], None]:
        bar = self.query_one(ProgressBar)

        def update(done: int, total: int) -> None:
            self.app.call_from_thread(self._show_progress, bar, done, total)

        return update

    def _show_progress(self, bar: ProgressBar, done: int, total: int) -> None:
        bar.display = True
        bar.update(total=total, progress=done)
        self.set_status(f"embedding passages: {done}/{total}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show errors of any worker: a failed question marks its own line, and the next one
        is sent; a failed load marks the questions waiting for it."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        message = str(error) if isinstance(error, QAError) else f"{type(error).__name__}: {error}"
        self.notify(message, title="qa", severity="error", timeout=8)
        if event.worker.group == "source":
            return  # the notification says why the document could not be opened
        if event.worker.group == "ask":
            if self._asking is not None:
                _fail(self._asking, message)
            self._asking = None
            self.ask_next()
            return
        self.query_one(ProgressBar).display = False
        self.set_status(f"error: {message}")
        if not self.index_ready:
            self.index_error = message
            while self._waiting:
                _fail(self._waiting.popleft()[1], message)

    # --- messages ---

    def on_chat_screen_answered(self, message: Answered) -> None:
        self._asking = None
        if message.pending.is_attached:  # not cleared by a new conversation meanwhile
            self.last_result = message.result
            self.results.append(message.result)
            transcript = self.query_one("#transcript", VerticalScroll)
            transcript.mount(AnswerView(message.result), after=message.pending)
            message.pending.remove()
            transcript.scroll_end(animate=False)
        self.ask_next()

    def on_chat_screen_built(self, message: Built) -> None:
        self.query_one(ProgressBar).display = False
        if message.report is not None:
            self.notify(f"Index rebuilt: {message.report.summary()}", title="qa")
        self.set_status(self.describe_index())
        self.index_ready, self.index_error = True, None
        self.ask_next()

    def on_input_submitted(self, event: HistoryInput.Submitted) -> None:
        question = event.value.strip()
        if not question:
            self.notify("Type a question first.", severity="warning")
            return
        transcript = self.query_one("#transcript", VerticalScroll)
        transcript.mount(Static(Text(f"Q: {printable(question)}"), classes="question"))
        pending = Static(Text("waiting…"), classes="pending")
        transcript.mount(pending)
        transcript.scroll_end(animate=False)
        if self.index_error is not None and not self.index_ready:
            _fail(pending, f"{self.index_error} (Ctrl+R rebuilds the index)")
            return
        self._waiting.append((question, pending))
        self.ask_next()

    def on_passage_card_selected(self, message: PassageCard.Selected) -> None:
        self.set_status(f"opening {printable(message.passage.citation.path)}…")
        self.open_source(message.passage)

    @work(thread=True, exclusive=True, exit_on_error=False, group="source", name="source")
    def open_source(self, passage: AnsweredPassage) -> None:
        """Read the cited document (parsing a long PDF takes seconds) off the event loop."""
        from qa.sources import open_source

        self.post_message(self.SourceRead(passage, open_source(passage.citation, passage.text)))

    def on_chat_screen_source_read(self, message: SourceRead) -> None:
        from tui.screens.source import SourceScreen

        self.set_status(self.describe_index() if self.index_ready else "loading the index…")
        self.app.push_screen(SourceScreen(message.passage, message.source))

    # --- actions ---

    def action_rebuild(self) -> None:
        self.set_status("rebuilding the index…")
        self.rebuild()

    def action_new_conversation(self) -> None:
        self.conversation = Conversation()
        self.results = []
        self._waiting.clear()
        self.query_one("#transcript", VerticalScroll).remove_children()
        self.notify("New conversation: earlier questions no longer count as context.")

    def action_copy_answer(self) -> None:
        r = self.last_result
        if r is None or not r.passages:
            self.notify("No answer to copy yet.", severity="warning")
            return
        top = r.passages[0]
        self.app.copy_to_clipboard(f"{top.answer.text}\n— {top.citation.label()}")
        self.notify("Answer and citation copied")

    def action_export(self) -> None:
        """Save the conversation as Markdown in the working folder (qa.markdown)."""
        from pathlib import Path

        from qa.markdown import conversation_to_markdown

        if not self.results:
            self.notify("Nothing to save yet: ask a question first.", severity="warning")
            return
        path = Path.cwd() / time.strftime("qa-chat-%Y%m%d-%H%M%S.md")
        title = f"qa chat: {self.workspace.docs or self.workspace.root}"
        try:
            path.write_text(conversation_to_markdown(self.results, title), encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot save {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"Saved {len(self.results)} answers to {path}", title="qa")

    def action_focus_input(self) -> None:
        self.query_one(HistoryInput).focus()

    # --- status line ---

    def set_status(self, note: str) -> None:
        self.query_one("#status", Static).update(Text(printable(note)))

    def describe_index(self) -> str:
        """Corpus folder, documents, passages, model and index age."""
        manifest = self.workspace.retriever().index.manifest
        age = _age(time.time() - manifest.built_at)
        passages = sum(d.chunks for d in manifest.documents.values())
        return (
            f"{manifest.docs_root} · {len(manifest.documents)} documents · {passages} passages · "
            f"{manifest.model} · built {age} ago"
        )


def _fail(pending: Static, message: str) -> None:
    """Turn a question's pending line into its failure."""
    pending.update(Text(f"Failed: {printable(message)}"))
    pending.remove_class("pending")
    pending.add_class("failed")


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"
