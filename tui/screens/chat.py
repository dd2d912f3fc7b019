"""The chat screen: transcript, question input, build progress and status line.

Questions are answered one at a time, in the order asked: each waits in a queue on the app's
thread until the index is loaded and the question before it is answered; its answer takes the
place of its own "searching…" line. The conversation (the context of follow-ups) is read and
updated only on the app's thread, when a question is sent; a failed question marks itself only.

Reading: the transcript and the source pane sit side by side (one above the other below
WIDE columns). Focusing a passage card shows that passage in its document in the pane (read
by a worker); `o` fills the screen with the pane, Escape gives the layout back.

Freshness: once the index is loaded, a worker watches the folder (qa.watch) and updates the
index after each burst of changes; the status line says when and what changed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import Worker, WorkerState

from qa.build import BuildReport
from qa.conversation import Conversation, Turn
from qa.errors import QAError
from qa.results import AnsweredPassage, Result
from qa.sources import Excerpt
from qa.terminal import age, printable
from qa.vectors import UNITS, Progress
from qa.workspace import Refreshed, Workspace
from tui.widgets.answer import AnswerView, PassageCard
from tui.widgets.history_input import HistoryInput
from tui.widgets.source import CONTEXT_CHARS, CONTEXT_LINES, DocumentView, SourcePane

WIDE = 120  # columns from which the source pane sits beside the transcript, not below it


class ChatScreen(Screen[None]):
    """Ask, read answers with citations, open sources, rebuild, all from the keyboard."""

    BINDINGS = [
        Binding("ctrl+r", "rebuild", "Rebuild index"),
        Binding("ctrl+n", "new_conversation", "New conversation"),
        Binding("ctrl+y", "copy_answer", "Copy answer"),
        Binding("ctrl+s", "export", "Save as Markdown"),
        Binding("escape", "focus_input", "Back: full-screen source → card → question", show=False),
    ]

    @dataclass
    class Answered(Message):
        """The ask worker answered the question whose pending line is `pending`."""

        pending: Static
        result: Result

    @dataclass
    class SourceRead(Message):
        """A worker read the document a passage cites, around the passage."""

        passage: AnsweredPassage
        excerpt: Excerpt

    @dataclass
    class Updated(Message):
        """The folder watcher brought the index up to date; `index` describes the new one."""

        update: Refreshed
        index: str

    @dataclass
    class Built(Message):
        """A worker finished building the index."""

        report: BuildReport | None

    def __init__(self, workspace: Workspace, watch: bool = True) -> None:
        super().__init__()
        self.workspace = workspace
        self.follow_folder = watch  # keep the index current as the folder changes
        self._stop_watching = threading.Event()
        self.conversation = Conversation()
        self.results: list[Result] = []  # this conversation's answers, in the order asked
        self.index_ready = False  # the index is loaded: questions can be sent
        self.index_error: str | None = None  # why the index could not be loaded, if it failed
        self._waiting: deque[tuple[str, Static]] = deque()  # asked, not yet sent, in order
        self._asking: Static | None = None  # pending line of the question being answered
        self._reading: AnsweredPassage | None = None  # the passage the source pane is for
        self._opener: PassageCard | None = None  # the card whose `o` filled the screen

    def compose(self) -> ComposeResult:
        with Horizontal(id="reading"):
            transcript = VerticalScroll(id="transcript")
            transcript.can_focus = False  # Tab goes from the question straight to the passages
            yield transcript
            yield SourcePane(id="source-pane")
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

    @work(thread=True, exclusive=True, exit_on_error=False, group="watch", name="watch")
    def watch_folder(self) -> None:
        """Update the index after each burst of changes in its folder, until the app stops."""
        from qa.watch import watch

        def updated(update: Refreshed) -> None:
            # the new version is loaded here, in the worker, not by the status line
            self.post_message(self.Updated(update, self.describe_index()))

        watch(self.workspace, updated, self._stop_watching)

    def on_unmount(self) -> None:
        self._stop_watching.set()

    @work(thread=True, exit_on_error=False, group="ask", name="ask")
    def ask(self, question: str, turn: Turn, pending: Static) -> None:
        """Answer one question, searched as its `turn` (with its conversation's context)."""
        result = self.workspace.ask([question], searches=[turn.search], prefer=[turn.documents])
        self.post_message(self.Answered(pending, result[0]))

    def ask_next(self) -> None:
        """Send the oldest waiting question, once the index is ready and no answer is running."""
        if self._asking is not None or not self.index_ready or not self._waiting:
            return
        question, pending = self._waiting.popleft()
        turn = self.conversation.turn(question)
        self._asking = pending
        pending.update(Text("searching…"))
        self.ask(question, turn, pending)

    def _progress_callback(self) -> Progress:
        bar = self.query_one(ProgressBar)

        def update(done: int, total: int, stage: str = "embedding") -> None:
            self.app.call_from_thread(self._show_progress, bar, done, total, stage)

        return update

    def _show_progress(self, bar: ProgressBar, done: int, total: int, stage: str) -> None:
        bar.display = True
        bar.update(total=total, progress=done)
        self.set_status(f"{stage}: {done}/{total} {UNITS[stage]}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show errors of any worker: a failed question marks its own line, and the next one
        is sent; a failed load marks the questions waiting for it."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        message = str(error) if isinstance(error, QAError) else f"{type(error).__name__}: {error}"
        self.notify(message, title="qa", severity="error", timeout=8)
        if event.worker.group == "source":
            if self._reading is not None:
                self.query_one(SourcePane).failed(self._reading, message)
            return
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
            self.conversation.answered([p.citation.path for p in message.result.passages])
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
        if self.follow_folder and not self.index_ready:
            self.watch_folder()
        self.index_ready, self.index_error = True, None
        self.ask_next()

    def on_chat_screen_updated(self, message: Updated) -> None:
        when = time.strftime("%H:%M:%S")
        self.set_status(f"{message.index} · {when}: {message.update.summary()}")

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

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A focused passage card shows its passage in the source pane."""
        if isinstance(event.widget, PassageCard) and event.widget.passage is not self._reading:
            self._reading = event.widget.passage
            self.query_one(SourcePane).opening(self._reading)
            self.read_source(self._reading)

    @work(thread=True, exclusive=True, exit_on_error=False, group="source", name="source")
    def read_source(self, passage: AnsweredPassage) -> None:
        """Read the cited document (parsing a long PDF takes a second) off the event loop."""
        from textual.worker import get_current_worker

        from qa.sources import open_source

        manifest = self.workspace.load().manifest
        cut = open_source(
            manifest,
            passage.citation,
            passage.text,
            context=CONTEXT_LINES,
            context_chars=CONTEXT_CHARS,
        )
        if not get_current_worker().is_cancelled:  # another card was focused meanwhile
            self.post_message(self.SourceRead(passage, cut))

    def on_chat_screen_source_read(self, message: SourceRead) -> None:
        if message.passage is self._reading:
            self.query_one(SourcePane).show(message.passage, message.excerpt)

    def on_passage_card_opened(self, message: PassageCard.Opened) -> None:
        """Fill the screen with the source pane, the document focused (Escape gives it back)."""
        self._opener = message.card
        self.maximize(self.query_one(SourcePane), container=False)
        self.query_one(DocumentView).focus()

    def watch_maximized(self, maximized: Widget | None) -> None:
        """Back from the full-screen source: focus returns to the card it was opened from."""
        if maximized is None and self._opener is not None:
            if self._opener.is_attached:
                self._opener.focus()
            self._opener = None

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < WIDE, "narrow")

    # --- actions ---

    def action_rebuild(self) -> None:
        self.set_status("rebuilding the index…")
        self.rebuild()

    def action_new_conversation(self) -> None:
        self.conversation = Conversation()
        self.results = []
        self._waiting.clear()
        self._reading = None
        self.query_one(SourcePane).display = False
        self.query_one("#transcript", VerticalScroll).remove_children()
        self.notify("New conversation: earlier questions no longer count as context.")

    def action_copy_answer(self) -> None:
        r = self.results[-1] if self.results else None
        if r is None or not r.passages:
            self.notify("No answer to copy yet.", severity="warning")
            return
        top = r.passages[0]
        self.app.copy_to_clipboard(f"{top.answer.text}\n— {top.citation.label(absolute=True)}")
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
        built = age(time.time() - manifest.built_at)
        return (
            f"{manifest.docs_root} · {len(manifest.documents)} documents · "
            f"{manifest.passages} passages · {manifest.model} · built {built} ago"
        )


def _fail(pending: Static, message: str) -> None:
    """Turn a question's pending line into its failure."""
    pending.update(Text(f"Failed: {printable(message)}"))
    pending.remove_class("pending")
    pending.add_class("failed")
