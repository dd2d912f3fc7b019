"""The question field alone (no index, no model): keys in bursts, pastes, history."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult

from tui.widgets.history_input import HistoryInput

KEY_NAMES = {" ": "space", "?": "question_mark"}  # Textual's names of these characters


class Field(App):
    """The field, and what it submitted, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        yield HistoryInput(id="q")

    def on_input_submitted(self, event: HistoryInput.Submitted) -> None:
        self.submitted.append(event.value)


def burst(app: App, text: str) -> None:
    """Post every key of `text` at once ("\\r" is Enter), as a terminal delivers a burst."""
    for char in text:
        key = "enter" if char == "\r" else KEY_NAMES.get(char, char)
        app.post_message(events.Key(key, char))


async def test_each_enter_of_a_burst_submits_what_came_before_it():
    app = Field()
    async with app.run_test() as pilot:
        burst(app, "who is he?\rwhere is it?\rwhen\r and why?\rhalf typed")
        await pilot.pause()
        assert app.submitted == ["who is he?", "where is it?", "when", " and why?"]
        assert app.query_one(HistoryInput).value == "half typed"
        assert app.query_one(HistoryInput).history == [
            "who is he?",
            "where is it?",
            "when",
            "and why?",
        ]


async def test_a_one_line_paste_is_pasted_once_and_many_lines_are_questions():
    app = Field()
    async with app.run_test() as pilot:
        field = app.query_one(HistoryInput)
        field.post_message(events.Paste("hello"))
        await pilot.pause()
        assert field.value == "hello" and app.submitted == []
        field.post_message(events.Paste(" there\nsecond\n\nthird\n"))
        await pilot.pause()
        assert app.submitted == ["hello there", "second", "third"] and field.value == ""
