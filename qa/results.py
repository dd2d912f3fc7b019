"""What qa says about a question, as values: the answer sentence, its citation, the passages,
and their one JSON form (`--json`, the MCP tools). Scoring is qa.answer; showing, qa.terminal,
qa.markdown and tui/.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.chunks import Chunk


@dataclass(frozen=True)
class Span:
    """Text and its character offsets in the source file."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    """Where a passage is: enough to open the source at the right spot."""

    path: str
    line: int
    end_line: int
    start: int
    end: int
    title: str
    date: str | None
    page: int | None = None
    section: str = ""
    folder: str = ""  # the indexed folder, absolute; `path` is relative to it
    lang: str = ""  # the document's language (ISO 639-1), "" when unknown

    @property
    def absolute(self) -> str:
        """The cited file's absolute path."""
        return str(Path(self.folder) / self.path) if self.folder else self.path

    def to_json(self) -> dict[str, Any]:
        """The citation as `--json` and the MCP tools give it: its fields and `absolute`."""
        return {**asdict(self), "absolute": self.absolute}

    def place(self, *, absolute: bool = False) -> str:
        """`path p.N:line § section`: where the passage is, the head of every label."""
        page = f" p.{self.page}" if self.page else ""
        section = f" § {self.section}" if self.section else ""
        return f"{self.absolute if absolute else self.path}{page}:{self.line}{section}"

    def label(self, *, absolute: bool = False) -> str:
        """`path p.N:line § section [chars a-b] · "title" · date`, as shown to people (the
        path relative to the indexed folder, or `absolute`, as copied out of qa)."""
        date = f" · {self.date}" if self.date else ""
        place = self.place(absolute=absolute)
        return f'{place} [chars {self.start}-{self.end}] · "{self.title}"{date}'


@dataclass(frozen=True)
class CitedPlace:
    """What a citation label points at: a file, a line, and the exact span when given."""

    path: str
    line: int
    chars: tuple[int, int] | None


_LABEL = re.compile(r"^(?P<path>.+?)(?: p\.(?P<page>\d+))?:(?P<line>\d+)(?P<rest> .*)?$")
# The first "[chars a-b]" after path:line; the section before it may hold "[", "·" or "]".
_CHARS = re.compile(r"\[chars (?P<start>\d+)-(?P<end>\d+)\]")


def parse_label(label: str) -> CitedPlace | None:
    """The place a label of `Citation.label()` (or a bare `path:line`) names; None if none."""
    found = _LABEL.match(label.strip())
    if not found:
        return None
    chars = _CHARS.search(found["rest"] or "")
    span = (int(chars["start"]), int(chars["end"])) if chars else None
    return CitedPlace(found["path"], int(found["line"]), span)


@dataclass(frozen=True)
class AnsweredPassage:
    """A retrieved passage with its best-answering sentence."""

    rank: int
    score: float
    text: str
    answer: Span
    citation: Citation
    short: Span | None = None  # the date, name, place or number inside `answer` (qa.spans)
    also_in: tuple[str, ...] = ()  # other files holding the same text (paths as `citation`'s)


@dataclass(frozen=True)
class Result:
    """Everything qa says about one question."""

    question: str
    answered: bool
    answer: Span | None
    citation: Citation | None
    passages: list[AnsweredPassage]

    def no_answer(self) -> str:
        """What is said in place of an answer when there is none."""
        if not self.passages:
            return (
                "No document matches the filters: widen the path, type, dates, language or +words."
            )
        return "No passage answers this well; the nearest ones (weak):"


def cite(chunk: Chunk, docs_root: Path) -> Citation:
    """The citation of a chunk of the folder `docs_root`."""
    return Citation(
        path=chunk.path,
        line=chunk.line,
        end_line=chunk.end_line,
        start=chunk.start,
        end=chunk.end,
        title=chunk.title,
        date=chunk.date,
        page=chunk.page,
        section=chunk.section,
        folder=str(docs_root),
        lang=chunk.lang,
    )


def result_to_json(result: Result) -> dict[str, Any]:
    """The public JSON form of a result (schema in docs/json.md)."""
    out = asdict(result)
    for passage, p in zip(out["passages"], result.passages, strict=True):
        passage["answer"]["short"] = passage.pop("short")
        passage["citation"] = p.citation.to_json()
    out.pop("citation")
    citation = result.citation.to_json() if result.citation is not None else None
    if out["answer"] is not None:
        out["answer"]["short"] = out["passages"][0]["answer"]["short"]
        out["answer"]["citation"] = citation
    return out
