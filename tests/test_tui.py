"""The Textual app driven with Pilot: real index, real model."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from qa.workspace import Workspace
from tests.conftest import SEEDS
from tui.app import QAApp
from tui.screens.chat import ChatScreen
from tui.screens.help import HelpScreen
from tui.widgets.answer import AnswerView, PassageCard
from tui.widgets.source import DocumentView, SourcePane

pytestmark = pytest.mark.model  # every test asks or builds an index

SAMPLE = "When did Lavrov plan to visit Japan?"


def text_of(widget) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


async def ask(app: QAApp, pilot, question: str) -> AnswerView:
    chat = app.chat()
    before = len(chat.query(AnswerView))
    chat.query_one("#question").value = question
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    views = list(chat.query(AnswerView))
    assert len(views) == before + 1
    return views[-1]


async def pause_until(pilot, predicate: Callable[[], object], timeout: float) -> None:
    """Let the app run until `predicate()` holds; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not true in {timeout} s"
        await pilot.pause(0.05)


@pytest.fixture
def app(seed_index: Path) -> QAApp:
    return QAApp(Workspace.resolve(None, seed_index), watch=False)


async def test_ask_shows_answer_and_citation(app: QAApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, SAMPLE)
        top = text_of(view.query(".answer-line").first())
        assert top.startswith("A: early March\nSergei Lavrov will visit Japan in early March")
        assert "000_1d2b28749ff36f0e.txt" in top
        cards = list(view.query(PassageCard))
        assert len(cards) == 5
        assert "000_1d2b28749ff36f0e.txt" in text_of(cards[0])
        assert "documents" in text_of(app.chat().query_one("#status"))


def shown_rows(view: DocumentView) -> range:
    """The wrapped rows of the document view that are on screen."""
    top = round(view.scroll_y)
    return range(top, top + view.scrollable_content_region.height)


async def test_a_focused_card_shows_its_passage_in_the_source_pane(app: QAApp):
    async with app.run_test(size=(130, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, "Who co-chairs the Council of Wise Men?")
        pane = app.chat().query_one(SourcePane)
        assert not pane.display  # no passage focused yet
        await pilot.press("tab")
        card = app.focused
        assert isinstance(card, PassageCard) and card is view.query(PassageCard).first()
        await app.workers.wait_for_complete()  # the document is read in a worker
        await pilot.pause()
        assert pane.display and pane.region.x > 0  # beside the transcript on a wide terminal
        document = pane.query_one(DocumentView)
        c = card.passage.citation
        assert card.passage.text in document.text
        assert text_of(pane.query_one("#source-title")).startswith(c.place())
        row, column = document.location(c.start)
        assert row + document.line_number_start == c.line  # the file's own line numbers
        _, y = document.wrapped_document.location_to_offset((row, column))
        assert y in shown_rows(document)  # scrolled to the passage
        styles = {str(s.style) for s in document.get_line(row).spans}
        assert str(document.get_component_rich_style("document-view--passage")) in styles
        # the next card shows its own passage
        await pilot.press("tab")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.focused.passage.text in document.text
        assert text_of(pane.query_one("#source-title")).startswith(
            app.focused.passage.citation.place()
        )


async def test_o_fills_the_screen_with_the_source_and_escape_gives_it_back(app: QAApp):
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await ask(app, pilot, "Who co-chairs the Council of Wise Men?")
        chat = app.chat()
        await pilot.press("tab")
        card = app.focused
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert chat.has_class("narrow")  # below the transcript on a narrow terminal
        pane = chat.query_one(SourcePane)
        assert pane.region.x == 0 and pane.region.y > 0
        await pilot.press("o")
        await pilot.pause()
        assert chat.maximized is pane and isinstance(app.focused, DocumentView)
        assert pane.region.height > 20
        await pilot.press("down", "down")  # the reader moves through the document
        await pilot.press("escape")
        await pilot.pause()
        assert chat.maximized is None and app.focused is card
        await pilot.press("escape")
        assert app.focused is chat.query_one("#question")


async def test_tabbing_fast_through_cards_ends_on_the_last_ones_source(app: QAApp, monkeypatch):
    import time as clock

    import qa.sources

    real = qa.sources.open_source

    def slow(*args, **kwargs):
        clock.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(qa.sources, "open_source", slow)
    async with app.run_test(size=(130, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, SAMPLE)
        await pilot.press("tab", "tab", "tab", "tab")  # faster than a document is read
        last = app.focused
        assert last is list(view.query(PassageCard))[3]
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.chat().query_one(SourcePane)
        assert text_of(pane.query_one("#source-title")).startswith(last.passage.citation.place())
        document = pane.query_one(DocumentView)
        assert document.spans[0][1] - document.spans[0][0] == len(last.passage.text)


async def test_follow_up_uses_the_conversation(app: QAApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await ask(app, pilot, SAMPLE)
        view = await ask(app, pilot, "Who invited him?")
        assert "Machimura" in text_of(view.query(PassageCard).first())
        await pilot.press("ctrl+n")
        assert app.chat().conversation.turns == []
        assert not app.chat().query(AnswerView)


async def test_history_walks_back_with_up(app: QAApp):
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await ask(app, pilot, SAMPLE)
        await ask(app, pilot, "Who invited Lavrov to visit Japan?")
        field = app.chat().query_one("#question")
        await pilot.press("up")
        assert field.value == "Who invited Lavrov to visit Japan?"
        await pilot.press("up")
        assert field.value == SAMPLE
        await pilot.press("down", "down")
        assert field.value == ""


async def test_first_start_builds_then_rebuild_reports_changes(tmp_path: Path, monkeypatch):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    notes: list[str] = []
    shown = ChatScreen.set_status
    monkeypatch.setattr(
        ChatScreen, "set_status", lambda self, note: (notes.append(note), shown(self, note))[1]
    )
    app = QAApp(Workspace.resolve(docs, tmp_path / "ix"), watch=False)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "2 documents" in text_of(app.chat().query_one("#status"))
        # the first build's progress, in sentences, only ever forward, to the end
        done = [tuple(map(int, n.split()[1].split("/"))) for n in notes if "embedding:" in n]
        assert done and done[-1][0] == done[-1][1] > 0
        assert all(a[0] <= b[0] for a, b in zip(done, done[1:], strict=False))
        assert [n for n in notes if n.startswith("reading:")][-1] == "reading: 2/2 files"
        assert notes.index("reading: 2/2 files") < notes.index(
            f"embedding: {done[-1][0]}/{done[-1][1]} sentences"
        )
        (docs / "note.txt").write_text("The spare key is under the blue flowerpot.")
        seen = []
        app.notify = lambda message, **kw: seen.append(message)  # type: ignore[method-assign]
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("1 added" in m for m in seen)
        assert "3 documents" in text_of(app.chat().query_one("#status"))
        view = await ask(app, pilot, "Where is the spare key?")
        assert "flowerpot" in text_of(view.query(PassageCard).first())


async def test_document_markup_and_escapes_are_shown_literally(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "evil.txt").write_text(
        "The launch code is [bold red]hidden[/bold red] in [link=http://x.test]here[/link]. "
        "Beware \x1b[31mred\x1b]0;title\x07 text.\n"
    )
    app = QAApp(Workspace.resolve(docs, tmp_path / "ix"), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, "Where is the launch code?")
        shown = text_of(view.query(PassageCard).first())
        assert "[bold red]hidden[/bold red]" in shown
        assert "[link=http://x.test]" in shown
        assert "\x1b" not in shown and "\\x1b[31m" in shown


async def test_help_lists_bindings(app: QAApp):
    async with app.run_test() as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("Static").render()
        rendered = str(table.renderable) if hasattr(table, "renderable") else str(table)
        assert rendered  # the table renders
        keys = [k for k, _ in app.screen.bindings]
        assert {"ctrl+r", "ctrl+n", "ctrl+y", "f1", "enter / space", "o", "e"} <= set(keys)
        notes = text_of(app.screen.query_one("#help-notes"))
        assert "one question per line" in notes and "path:GLOB" in notes
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)


async def test_empty_question_is_refused_without_a_worker(app: QAApp):
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await pilot.pause()
        assert not app.chat().query(AnswerView)
        assert not app.chat().query(".pending")


STATUS = "seeds · 2 documents · all-MiniLM-L6-v2"  # the real line has a temp path and an age


@pytest.fixture
def relative_app(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> QAApp:
    """The app run from the corpus's parent folder, so citation paths are `seeds/…`."""
    monkeypatch.chdir(seed_index.parent)
    return QAApp(Workspace.resolve(None, seed_index), watch=False)


def _steady_cursor(app: QAApp) -> None:
    """The input's cursor shown without blinking: a snapshot never catches it mid-blink."""
    from textual.widgets import Input

    for field in app.screen.query(Input):
        field.cursor_blink = False


def test_snapshot_main_screen_with_an_answer(relative_app: QAApp, snap_compare):
    async def run_before(pilot) -> None:
        await relative_app.workers.wait_for_complete()
        _steady_cursor(relative_app)
        await ask(relative_app, pilot, SAMPLE)
        relative_app.chat().set_status(STATUS)
        relative_app.chat().query_one("#transcript").scroll_home(animate=False)

    assert snap_compare(relative_app, run_before=run_before, terminal_size=(110, 40))


def test_snapshot_source_pane(relative_app: QAApp, snap_compare):
    async def run_before(pilot) -> None:
        await relative_app.workers.wait_for_complete()
        _steady_cursor(relative_app)
        await ask(relative_app, pilot, "Who co-chairs the Council of Wise Men?")
        relative_app.chat().set_status(STATUS)
        await pilot.press("tab")
        await relative_app.workers.wait_for_complete()  # the source is read in a worker
        await pilot.pause()

    assert snap_compare(relative_app, run_before=run_before, terminal_size=(130, 36))


def test_snapshot_source_full_screen(relative_app: QAApp, snap_compare):
    async def run_before(pilot) -> None:
        await relative_app.workers.wait_for_complete()
        _steady_cursor(relative_app)
        await ask(relative_app, pilot, "Who co-chairs the Council of Wise Men?")
        await pilot.press("tab", "o")
        await relative_app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(relative_app, run_before=run_before, terminal_size=(100, 30))


def test_snapshot_help_screen(relative_app: QAApp, snap_compare):
    async def run_before(pilot) -> None:
        await relative_app.workers.wait_for_complete()
        _steady_cursor(relative_app)
        await pilot.pause()  # the index's Built message sets the status first
        relative_app.chat().set_status(STATUS)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(relative_app, run_before=run_before, terminal_size=(100, 34))


async def test_copy_answer_and_palette_commands(app: QAApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await ask(app, pilot, SAMPLE)
        await pilot.press("ctrl+y")
        assert "early March" in app.clipboard  # the citation absolute, to paste anywhere
        folder = app.workspace.load().manifest.docs_root
        assert f"{folder}/000_1d2b28749ff36f0e.txt:1 [chars" in app.clipboard
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Rebuild index", "New conversation", "Save conversation", "Help"} <= set(titles)


def transcript_lines(app: QAApp) -> list[str]:
    """The transcript in order: questions, answers (their first line) and pending lines."""
    out = []
    for child in app.chat().query_one("#transcript").children:
        if isinstance(child, AnswerView):
            out.append("A: " + text_of(child.query(".answer-line").first()).split("\n")[0][3:])
        else:
            out.append(text_of(child))
    return out


async def test_questions_typed_while_one_runs_are_answered_in_order_in_place(app: QAApp):
    async with app.run_test(size=(120, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press(*SAMPLE, "enter", *"Who co-chairs the Council of Wise Men?", "enter")
        assert app.chat().query_one("#question").value == ""  # never merged
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = transcript_lines(app)
        assert lines[0] == f"Q: {SAMPLE}" and lines[1].startswith("A: early March")
        assert lines[2] == "Q: Who co-chairs the Council of Wise Men?"
        assert lines[3].startswith("A: ") and len(lines) == 4


async def test_a_multi_line_paste_is_one_question_per_line(app: QAApp):
    from textual import events

    async with app.run_test(size=(120, 60)) as pilot:
        await app.workers.wait_for_complete()
        field = app.chat().query_one("#question")
        field.post_message(events.Paste(f"{SAMPLE}\n\nWho invited him?\n"))
        for _ in range(4):
            await pilot.pause()
            await app.workers.wait_for_complete()
        lines = transcript_lines(app)
        assert [line for line in lines if line.startswith("Q: ")] == [
            f"Q: {SAMPLE}",
            "Q: Who invited him?",
        ]
        assert lines[1].startswith("A: early March")
        assert "Machimura" in lines[3]  # the follow-up had the first question as context


async def test_a_failing_question_marks_only_itself(app: QAApp, monkeypatch):
    real = app.workspace.ask

    def flaky(questions, *args, **kwargs):
        if questions[0].startswith("BOOM"):
            raise RuntimeError("the model fell over")
        return real(questions, *args, **kwargs)

    monkeypatch.setattr(app.workspace, "ask", flaky)
    async with app.run_test(size=(120, 60)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press(*"BOOM now", "enter", *SAMPLE, "enter")
        for _ in range(4):
            await pilot.pause()
            await app.workers.wait_for_complete()
        lines = transcript_lines(app)
        assert lines[:2] == ["Q: BOOM now", "Failed: RuntimeError: the model fell over"]
        assert lines[2] == f"Q: {SAMPLE}" and lines[3].startswith("A: early March")


async def test_a_long_source_shows_a_bounded_window_and_page_marks(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    pages = [
        "\n".join(f"Page {n} line {i} of the long annual ledger." for i in range(30))
        for n in range(300)
    ]
    pages[150] += "\nThe auditors found the missing ledger in the basement archive."
    (docs / "ledger.txt").write_text("\n\f\n".join(pages) + "\n")
    app = QAApp(Workspace.resolve(docs, tmp_path / "ix"), watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = await ask(app, pilot, "Where did the auditors find the missing ledger?")
        view.query(PassageCard).first().focus()
        await pilot.pause()  # the focus event starts the reading worker
        await app.workers.wait_for_complete()
        await pilot.pause()  # the worker's message fills the pane
        pane = app.chat().query_one(SourcePane)
        document = pane.query_one(DocumentView)
        assert "basement archive" in document.text
        total = 300 * 31
        assert document.document.line_count < 500  # a window, not 9,300 lines
        assert document.line_number_start > 4000  # numbered as in the file
        assert f"of {total}" in text_of(pane.query_one("#source-title"))
        assert "\u240c" in document.text and "\f" not in document.text  # page breaks as ␌
        row = next(i for i in range(200) if "\u240c" in document.get_line(i).plain)
        page = document.get_component_rich_style("document-view--page")
        assert any(s.style == page for s in document.get_line(row).spans)


async def test_ctrl_s_saves_the_conversation_as_markdown(app: QAApp, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await ask(app, pilot, SAMPLE)
        await ask(app, pilot, "Who invited him?")
        await pilot.press("ctrl+s")
        await pilot.pause()
    (saved,) = tmp_path.glob("qa-chat-*.md")
    text = saved.read_text()
    assert text.startswith("# qa chat: ")
    assert text.index(f"## {SAMPLE}") < text.index("## Who invited him?")
    assert "**early March**" in text
    assert "000_1d2b28749ff36f0e.txt:1](<" in text and "#L1>)" in text


async def test_tab_reaches_a_passage_and_e_opens_the_editor_at_its_line(
    app: QAApp, tmp_path: Path, monkeypatch
):
    record = tmp_path / "args.txt"
    editor = tmp_path / "fake-editor"
    editor.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, SAMPLE)
        await pilot.press("tab")
        card = app.focused
        assert isinstance(card, PassageCard) and card is view.query(PassageCard).first()
        await pilot.press("e")
        await pilot.pause()
        line, path = record.read_text().splitlines()
        assert line == f"+{card.passage.citation.line}"
        assert path == card.passage.citation.absolute and path.endswith("000_1d2b28749ff36f0e.txt")
        record.unlink()
        outside = replace(card.passage.citation, path="seeds/../../../../etc/passwd")
        card.passage = replace(card.passage, citation=outside)  # as a tampered card would be
        said: list[str] = []
        monkeypatch.setattr(card, "notify", lambda message, **_: said.append(message))
        await pilot.press("e")
        await pilot.pause()
        assert not record.exists()  # the editor never ran
        assert len(said) == 1 and "not a document of this index" in said[0]


async def test_cards_are_compact_and_enter_shows_the_whole_passage(app: QAApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, "Who co-chairs the Council of Wise Men?")
        card = view.query(PassageCard).first()
        compact = text_of(card)
        assert card.passage.answer.text in compact
        assert len(compact) < len(card.passage.text)  # the passage is longer than its card
        card.focus()
        await pilot.press("enter")
        whole = text_of(card)
        assert " ".join(card.passage.text.split()) in " ".join(whole.split())
        await pilot.press("enter")
        assert text_of(card) == compact


async def test_the_app_answers_keys_while_a_slow_source_loads(app: QAApp, monkeypatch):
    import time as clock

    import qa.sources

    real = qa.sources.open_source

    def slow(*args, **kwargs):
        clock.sleep(1.5)  # as parsing a long PDF does
        return real(*args, **kwargs)

    monkeypatch.setattr(qa.sources, "open_source", slow)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await ask(app, pilot, SAMPLE)
        await pilot.press("tab")
        card = app.focused
        pane = app.chat().query_one(SourcePane)
        assert "opening" in text_of(pane.query_one("#source-title"))
        await pilot.press("c")  # handled at once, while the document is read
        assert app.clipboard == card.passage.citation.label(absolute=True)
        assert app.clipboard.startswith(card.passage.citation.folder + "/")
        await pilot.press("enter")
        assert card.whole
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert card.passage.text in pane.query_one(DocumentView).text


async def test_chat_follows_the_folder_and_says_what_changed(tmp_path: Path, monkeypatch):
    import qa.watch

    monkeypatch.setattr(qa.watch, "STEP_MS", 100)
    monkeypatch.setattr(qa.watch, "DEBOUNCE_MS", 500)
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    app = QAApp(Workspace.resolve(docs, tmp_path / "ix"))  # watching, as `qa chat` does
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.chat()
        await pause_until(pilot, lambda: chat.index_ready, 60)  # the first build
        garden = docs / "garden.txt"
        garden.write_text("The launch code of the orbital garden is PELICAN-42.\n")
        status = chat.query_one("#status")
        edited = [time.monotonic()]

        def added() -> bool:
            if "1 added; index updated" in text_of(status):
                return True
            if time.monotonic() - edited[0] > 2.0:  # written before the watcher listened
                edited[0] = time.monotonic()
                garden.write_text(garden.read_text())
            return False

        await pause_until(pilot, added, 60)
        chat.query_one("#question").value = "What is the launch code of the orbital garden?"
        await pilot.press("enter")
        await pause_until(pilot, lambda: chat.results, 20)
        assert "PELICAN-42" in chat.results[-1].answer.text


async def test_a_question_narrowed_in_chat(app: QAApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        view = await ask(app, pilot, f"{SAMPLE} type:pdf")
        assert text_of(view.query(".answer-line").first()).startswith("No document matches")
        assert not view.query(PassageCard)
        view = await ask(app, pilot, f"{SAMPLE} path:002_*")
        cards = list(view.query(PassageCard))
        assert cards and all("002_" in c.passage.citation.path for c in cards)


BURST = [
    SAMPLE,
    "Who invited Lavrov to visit Japan?",
    "Where is the training centre?",
    "What did Machimura say?",
    "Who is Lavrov?",
]
KEY_NAMES = {" ": "space", "?": "question_mark", "-": "minus"}  # Textual's names of these


async def test_a_burst_of_keys_is_each_question_in_order(app: QAApp):
    """Keys posted all at once, as a terminal delivers a burst (Pilot waits after each)."""
    from textual import events

    async with app.run_test(size=(120, 200)) as pilot:
        await app.workers.wait_for_complete()
        for question in BURST[:2]:
            for char in question:
                app.post_message(events.Key(KEY_NAMES.get(char, char), char))
            app.post_message(events.Key("enter", "\r"))
        for _ in range(6):
            await pilot.pause()
            await app.workers.wait_for_complete()
        questions = [line for line in transcript_lines(app) if line.startswith("Q: ")]
        assert questions == [f"Q: {q}" for q in BURST[:2]]
        assert sum(line.startswith("A: ") for line in transcript_lines(app)) == 2


def test_five_questions_in_one_burst_in_a_real_terminal(seed_index: Path):
    """`qa chat` in a pseudo-terminal, read back through a terminal emulator (pyte): five
    questions and Enters written at once are five questions, in order, each answered."""
    import re
    import sys

    from tests.terminal import Terminal

    qa = str(Path(sys.executable).parent / "qa")
    with Terminal([qa, "chat", "--index", str(seed_index), "--no-refresh"], rows=200) as term:
        term.wait_for(lambda screen: "Ask a question" in screen, timeout=120)
        term.wait_for(lambda screen: "documents ·" in screen, timeout=120)  # index loaded
        term.write("".join(f"{q}\r" for q in BURST))
        answer = re.compile(r"^\s*(?:█\s*)?(?:A: |No passage answers this well)", re.M)
        answered = term.wait_for(
            lambda screen: len(answer.findall(screen)) >= len(BURST) and "searching…" not in screen,
            timeout=180,
        )
        asked = re.findall(r"^\s*Q: (.*?)\s*$", answered, re.M)
        assert asked == BURST, answered
        term.write("\x11")  # ctrl+q
        assert term.wait_exit(timeout=30) == 0


def test_a_card_names_the_other_files_holding_its_text():
    from qa.results import AnsweredPassage, Citation, Span
    from tui.widgets.answer import card_text

    citation = Citation("paper.pdf", 1, 1, 0, 10, "Ferries", None)
    passage = AnsweredPassage(1, 0.9, "0123456789", Span("0123", 0, 4), citation, None)
    assert "also in" not in card_text(passage, True).plain
    copies = AnsweredPassage(1, 0.9, "0123456789", Span("0123", 0, 4), citation, None, ("a.pdf",))
    assert card_text(copies, True).plain.endswith("also in 1 file: a.pdf")
