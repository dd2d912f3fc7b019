"""Conversation turns → stand-alone search questions, without a language model.

A follow-up ("Who invited him?", "Which round was it?") leans on the turns before it. A
question that refers back — a pronoun, a leading "and", or too few words of its own to search
with — is searched together with the last stand-alone question of the conversation. A question
that stands on its own starts a new topic: it is searched alone, and later follow-ups lean on
it instead, so old context never leaks into a new topic.

A follow-up is also about what the user is reading: each turn carries the document the
previous answer came from (`Turn.documents`), which ranking can prefer (qa.retrieve's
`conversation_weight`; measured and off by default: docs/results.md).

"And what about X?" changes the subject, not the question: it keeps the earlier question's
frame and searches X in place of that question's subject ("What did they agree on Syria?" →
"What did they agree on the Korean Peninsula?"), and the rewritten question becomes the topic.
The subject is the last run of capitalised words after the question's first word, else the
words after its last preposition; a question with neither gets X added to it, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

_REFERS_BACK = frozenset(
    "he him his himself she her hers herself it its itself they them their theirs themselves "
    "this that these those there then such next previous above below".split()
)
_LEADS_BACK = re.compile(r"^(and|but|also|what about|how about|and what about)\b", re.IGNORECASE)
# the words that ask rather than say what is asked about (qa.answer leaves them out too)
QUESTION_WORDS = (
    "who whom whose what which when where why how do does did is are was were can could will "
    "would should shall may might must i me my we you your"
)
_FUNCTION_WORDS = "the a an of in on at to for by with from and or about be been since"
_NOT_CONTENT = frozenset((QUESTION_WORDS + " " + _FUNCTION_WORDS).split())
FEW_CONTENT_WORDS = 3
_WORD = re.compile(r"[\w'’+-]+")
_WHAT_ABOUT = re.compile(
    r"^\s*(?:(?:and|but|so|ok|okay)[\s,]+)?(?:what|how)\s+about\s+(?P<subject>.+?)[\s?.!]*$",
    re.IGNORECASE,
)
_NAME_RUN = re.compile(
    r"(?:\b(?:the|The)\s+)?(?<![\w-])[A-Z0-9][\w'’.+-]*(?:\s+(?:of\s+|and\s+|the\s+)?"
    r"[A-Z0-9][\w'’.+-]*)*"
)
_AFTER_PREPOSITION = re.compile(
    r"\b(?:of|in|on|about|for|at|from|with|by|to|into|during|between)\s+(?P<rest>[^?]+?)[\s?.!]*$",
    re.IGNORECASE,
)


def new_subject(question: str) -> str | None:
    """X of "And what about X?", or None when the question is not a change of subject."""
    found = _WHAT_ABOUT.match(question)
    subject = found["subject"].strip() if found else ""
    words = [w.lower() for w in _WORD.findall(subject)]
    if not words or all(w in _REFERS_BACK or w in _NOT_CONTENT for w in words):
        return None  # "what about it?": a pronoun follow-up, the subject stays
    return subject


def swap_subject(topic: str, subject: str) -> str:
    """`topic` with its subject replaced by `subject` (see the module docstring)."""
    first = re.match(r"\s*\S+", topic)
    start = first.end() if first else 0
    names = [m for m in _NAME_RUN.finditer(topic, start) if not m.group().isdigit()]
    if names:
        a, b = names[-1].span()
        return f"{topic[:a]}{subject}{topic[b:]}"
    tail = _AFTER_PREPOSITION.search(topic, start)
    if tail:
        a, b = tail.span("rest")
        return f"{topic[:a]}{subject}{topic[b:]}"
    return f"{subject} {topic}"


def refers_back(question: str) -> bool:
    """Whether the question needs earlier turns to be understood.

    A leading "and"/"what about" always does; a pronoun does only in a question with few
    words of its own (fewer than FEW_CONTENT_WORDS): "When did he make the remarks about
    Super Bowl 50?" carries its topic, and adding an earlier turn only dilutes it (measured on
    SQuAD follow-ups, see docs/results.md).
    """
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    if _LEADS_BACK.match(question.strip()):
        return True
    content = [w for w in words if w not in _NOT_CONTENT and w not in _REFERS_BACK]
    if any(w in _REFERS_BACK for w in words):
        return len(content) < FEW_CONTENT_WORDS
    return len(content) < 2


class Turn(NamedTuple):
    """What to search for a turn, and the documents it is about (a follow-up's: where the
    previous answer came from; none for a question that stands alone)."""

    search: str
    documents: tuple[str, ...] = ()


def leans_back(question: str) -> bool:
    """Whether the question is about what the conversation is reading: it refers back, or
    has a pronoun ("How many does it show by default?"). Looser than `refers_back`, which
    adds the earlier question's words to the search: this lends the previous answer's
    document a bonus (a preference). "And what about X?" is not: X may be elsewhere."""
    if new_subject(question) is not None:
        return False
    words = [w.lower() for w in _WORD.findall(question)]
    return refers_back(question) or any(w in _REFERS_BACK for w in words)


@dataclass
class Conversation:
    """The turns so far; `topic` is the last stand-alone question, follow-ups lean on it;
    `documents`, where the last answer came from."""

    turns: list[str] = field(default_factory=list)
    topic: str | None = None
    documents: tuple[str, ...] = ()

    def search_text(self, question: str) -> str:
        """What to search for `question`, given the turns before it."""
        subject = new_subject(question)
        if self.topic and subject:
            return swap_subject(self.topic, subject)
        if self.topic and refers_back(question):
            return f"{question} {self.topic}"
        return question

    def add(self, question: str) -> None:
        """Record a turn; a stand-alone question, or the earlier question about a new
        subject, becomes the new topic."""
        self.turns.append(question)
        subject = new_subject(question)
        if self.topic and subject:
            self.topic = swap_subject(self.topic, subject)
        elif not (self.topic and refers_back(question)):
            self.topic = question

    def turn(self, question: str) -> Turn:
        """The next turn: what to search for `question` and the documents it is about; the
        question is then recorded. The one way follow-ups get their context (qa ask
        --conversation, qa chat, qa eval)."""
        follows = bool(self.topic) and leans_back(question)
        found = Turn(self.search_text(question), self.documents if follows else ())
        self.add(question)
        return found

    def answered(self, paths: Sequence[str]) -> None:
        """Record where the answer to the last turn came from (its best passage's file)."""
        self.documents = tuple(paths[:1])

    def clear(self) -> None:
        """Forget every turn: the next question starts a new conversation."""
        self.turns.clear()
        self.topic = None
        self.documents = ()


def search_text(turns: list[str] | tuple[str, ...]) -> str:
    """What to search for the last of `turns`, given the ones before it."""
    conversation = Conversation()
    return [conversation.turn(t) for t in turns][-1].search
