"""Documents → Chunks: sentence-aware passages with exact character and line offsets.

A chunk is a run of whole sentences of at most `max_words` words; a sentence is never cut,
except a "sentence" over three times that long (a table or list without punctuation), which is
split at word boundaries so that no passage grows without bound. Line breaks always end a
sentence: in scraped pages and notes, a line is a unit of its own (a heading, a menu, an address).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from qa.documents import Document, is_chrome


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut; stored in the manifest so a change forces a rebuild."""

    max_words: int = 100
    overlap: int = 1  # sentences repeated at the start of the next chunk
    with_title: bool = False  # the title is read with the text by the model and BM25
    context: int = 0  # preceding sentences read with the text (shown: only the text)
    paragraphs: bool = False  # blank lines end chunks; long paragraphs cut evenly


@dataclass(frozen=True)
class Chunk:
    """A passage of one document: `text == document.text[start:end]`; lines are 1-based."""

    path: str
    start: int
    end: int
    line: int
    end_line: int
    text: str
    title: str
    date: str | None
    context: str = ""  # the sentences before the chunk, read with it for retrieval


_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e u.s u.k no gen col lt sgt gov sen rep inc ltd co "
    "corp fig al approx dept est jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_END = re.compile(r"[.!?…]+[\"”’')\]]*\s+")
_LINE = re.compile(r"[^\n]+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, without surrounding spaces."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        for end in _sentence_ends(line.group()):
            _add_stripped(spans, text, start, line.start() + end)
            start = line.start() + end
        _add_stripped(spans, text, start, line.end())
    return spans


def _sentence_ends(line: str) -> Iterator[int]:
    """Offsets in `line` just after each sentence-ending punctuation run."""
    for found in _END.finditer(line):
        nxt = line[found.end() : found.end() + 1]
        if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'(["):
            continue
        before = line[: found.start() + 1].rsplit(None, 1)[-1].lower().rstrip(".")
        if found.group()[0] == "." and (before in _ABBREVIATIONS or len(before) == 1):
            continue
        yield found.end()


def _add_stripped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    if end - trail > start + lead:
        spans.append((start + lead, end - trail))


def split_document(doc: Document, settings: ChunkSettings | None = None) -> list[Chunk]:
    """Cut a document into chunks of whole sentences."""
    settings = settings or ChunkSettings()
    units = _units(doc.text, settings.max_words)
    line_starts = [0] + [m.end() for m in re.finditer("\n", doc.text)]
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j = _chunk_end(doc.text, units, i, settings)
        start, end = units[i][0], units[j - 1][1]
        chunks.append(
            Chunk(
                path=doc.rel,
                start=start,
                end=end,
                line=bisect.bisect_right(line_starts, start),
                end_line=bisect.bisect_right(line_starts, end - 1),
                text=doc.text[start:end],
                title=doc.title,
                date=doc.date,
                context=" ".join(
                    doc.text[a:b] for a, b, _ in units[max(0, i - settings.context) : i]
                ),
            )
        )
        i = max(j - settings.overlap, i + 1) if j < len(units) else j
    return chunks


def _chunk_end(
    text: str, units: list[tuple[int, int, int]], i: int, settings: ChunkSettings
) -> int:
    """Index just past the last unit of the chunk starting at unit `i`.

    With `settings.paragraphs`, a blank line ends a chunk that is at least half full, and a
    paragraph longer than `max_words` is cut into near-equal parts rather than a full chunk
    and a scrap that spills into the next paragraph.
    """
    limit = settings.max_words
    if settings.paragraphs:
        k, rest = i, 0
        while k < len(units) and (k == i or not _blank_between(text, units[k - 1], units[k])):
            rest += units[k][2]
            k += 1
        if rest > limit:
            parts = -(-rest // limit)
            limit = -(-rest // parts)
    j, words = i, 0
    while j < len(units) and (j == i or words + units[j][2] <= limit):
        if j > i and settings.paragraphs and _blank_between(text, units[j - 1], units[j]):
            if words >= settings.max_words // 2:
                break
            limit = settings.max_words  # a short paragraph: fill up with the next one
        words += units[j][2]
        j += 1
    return j


def _blank_between(text: str, a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return text.count("\n", a[1], b[0]) >= 2


def _units(text: str, max_words: int) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, words); over-long ones split at word boundaries."""
    units = []
    for start, end in split_sentences(text):
        words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
        if len(words) <= 3 * max_words:
            units.append((start, end, len(words)))
            continue
        for k in range(0, len(words), max_words):
            piece = words[k : k + max_words]
            units.append((start + piece[0][0], start + piece[-1][1], len(piece)))
    return units


def indexed_text(chunk: Chunk, settings: ChunkSettings) -> str:
    """What the model and BM25 read for a chunk: its text without chrome lines, plus the
    title and preceding sentences when the settings ask for them."""
    body = "\n".join(line for line in chunk.text.splitlines() if not is_chrome(line))
    parts = [chunk.title] if settings.with_title and chunk.title not in chunk.text else []
    if chunk.context:
        parts.append(chunk.context)
    return "\n".join([*parts, body])


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """Source-file spans of a chunk's sentences, page-chrome lines left out."""
    return [
        (chunk.start + a, chunk.start + b)
        for a, b in split_sentences(chunk.text)
        if not is_chrome(chunk.text[a:b])
    ]
