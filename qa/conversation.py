"""Conversation turns → stand-alone search questions, without a language model.

A follow-up ("Who invited him?", "And what about Syria?", "Which round was it?") leans on the
turns before it. A question that refers back — a pronoun, a leading "and"/"what about", or too few
words of its own to search with — is searched together with the last stand-alone question
of the conversation. A question that stands on its own starts a new topic: it is searched alone,
and later follow-ups lean on it instead, so old context never leaks into a new topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_REFERS_BACK = frozenset(
    "he him his himself she her hers herself it its itself they them their theirs themselves "
    "this that these those there then such".split()
)
_LEADS_BACK = re.compile(r"^(and|but|also|what about|how about|and what about)\b", re.IGNORECASE)
_QUESTION_WORDS = frozenset(
    "who whom whose what which when where why how is are was were do does did can could will "
    "would should the a an of in on at to for by with from and or about was be been".split()
)
FEW_CONTENT_WORDS = 3
_WORD = re.compile(r"[\w'’+-]+")


def refers_back(question: str) -> bool:
    """Whether the question needs earlier turns to be understood.

    A leading "and"/"what about" always does; a pronoun does only in a question with few
    words of its own (fewer than FEW_CONTENT_WORDS): "When did he make the remarks about
    Super Bowl 50?" carries its topic, and adding an earlier turn only dilutes it (measured on
    SQuAD follow-ups, see the README).
    """
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    if _LEADS_BACK.match(question.strip()):
        return True
    content = [w for w in words if w not in _QUESTION_WORDS and w not in _REFERS_BACK]
    if any(w in _REFERS_BACK for w in words):
        return len(content) < FEW_CONTENT_WORDS
    return len(content) < 2


@dataclass
class Conversation:
    """The turns so far; `topic` is the last stand-alone question, follow-ups lean on it."""

    turns: list[str] = field(default_factory=list)
    topic: str | None = None

    def search_text(self, question: str) -> str:
        """What to search for `question`, given the turns before it."""
        if self.topic and refers_back(question):
            return f"{question} {self.topic}"
        return question

    def add(self, question: str) -> None:
        """Record a turn; a stand-alone question becomes the new topic."""
        self.turns.append(question)
        if not (self.topic and refers_back(question)):
            self.topic = question

    def clear(self) -> None:
        """Forget every turn: the next question starts a new conversation."""
        self.turns.clear()
        self.topic = None


def search_text(turns: list[str] | tuple[str, ...]) -> str:
    """What to search for the last of `turns`, given the ones before it."""
    conversation = Conversation()
    for turn in turns[:-1]:
        conversation.add(turn)
    return conversation.search_text(turns[-1])
