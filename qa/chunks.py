"""Documents → Chunks: sentence-aware passages with exact character and line offsets.

A chunk is a run of whole sentences of at most `max_words` words; a sentence is never cut,
except a "sentence" over three times that long (a table or list without punctuation), which is
split at word boundaries so that no passage grows without bound. Line breaks always end a
sentence: in scraped pages and notes, a line is a unit of its own (a heading, a menu, an address).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from qa.documents import Document, is_chrome


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut; stored in the manifest so a change forces a rebuild."""

    max_words: int = 100
    overlap: int = 1  # sentences repeated at the start of the next chunk
    with_title: bool = False  # the title is read with the text by the model and BM25
    context: int = 0  # preceding sentences read with the text (shown: only the text)
    paragraphs: bool = False  # blank lines end chunks; long paragraphs cut evenly
    # A short document (at most twice this many words: a note, an abstract) is cut into
    # passages of up to this many words: whole when it fits the model's 256-word-piece
    # window, else in about two. Cutting it finer only splits its evidence (SciFact nDCG@10
    # 0.726 → 0.741, docs/results.md); long documents keep `max_words`. 0: off.
    short_max_words: int = 200
    # How sentences are split (split_sentences): 1, every line break ends one; 2, hard-wrapped
    # lines are joined. A change re-chunks every file (vectors are still reused by text).
    sentences: int = 2


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
    page: int | None = None  # PDF page (1-based) where the chunk starts
    section: str = ""  # Markdown heading ancestry, "Setup › Linux"
    lang: str = ""  # its document's language (ISO 639-1; "" unknown: qa.languages)


_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e u.s u.k no gen col lt sgt gov sen rep inc ltd co "
    "corp fig al approx dept est jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_END = re.compile(r"[.!?…]+[\"”’')\]]*\s+|[。！？]+[」』”’）)]*")  # CJK ends need no space
_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A word: a run of other non-space characters, or two Han or kana characters (Chinese and
# Japanese put no spaces between words, which run to about two characters), so a passage
# of max_words words holds about as much Chinese as English and a long sentence can be cut
_WORDS = re.compile(rf"[{_HAN_KANA}]{{1,2}}|[^\s{_HAN_KANA}]+")


def word_count(text: str) -> int:
    """Words of `text` as passages count them (_WORDS)."""
    return sum(1 for _ in _WORDS.finditer(text))


_LINE = re.compile(r"[^\n]+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, without surrounding spaces.

    A line break ends a sentence unless the line was hard-wrapped: the next line goes on
    in lower case (or with code or a bracket) in the same paragraph, outside a code fence,
    and is no list item, heading, quote or table row. Docs wrapped at 80 columns otherwise
    cut "If the option is not / passed, the count is 0." in two (click docs highlight@1:
    docs/results.md)."""
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _wrapped_lines(text):
        line = text[line_start:line_end]
        start = line_start
        for end in _sentence_ends(line):
            _add_stripped(spans, text, start, line_start + end)
            start = line_start + end
        _add_stripped(spans, text, start, line_end)
    return spans


_FENCE_LINE = re.compile(r"^\s*```")  # not ~~~: reStructuredText underlines headings with it
# A line that goes on in lower case, with code or a bracket; list items ("- ", "1. "),
# headings, quotes, table rows and directives start otherwise, so they never continue one
_GOES_ON = re.compile(r"^\s*[a-z`({\[]")


def _wrapped_lines(text: str) -> list[tuple[int, int]]:
    """Spans of `text`'s lines, hard-wrapped lines of one paragraph joined into one."""
    out: list[tuple[int, int]] = []
    fenced = joinable = False  # joinable: the last span may take the next line
    indent = 0
    for found in _LINE.finditer(text):
        line = found.group()
        if _FENCE_LINE.match(line):
            fenced = not fenced
            out.append(found.span())
            joinable = False
            continue
        own = len(line) - len(line.lstrip())
        goes_on = (
            joinable
            and out[-1][1] + 1 == found.start()  # the next line, no blank line between
            and abs(own - indent) <= 4
            and bool(_GOES_ON.match(line))
        )
        if goes_on:
            out[-1] = (out[-1][0], found.end())
        else:
            out.append(found.span())
            indent = own
        end = line.rstrip()[-1:]
        head = text[out[-1][0] : out[-1][0] + 2].lstrip()[:1]
        rule = not re.search(r"\w", line)  # "=====", "~~~~": a heading's underline
        joinable = not (fenced or rule) and end not in ("", *".!?…|") and head not in "#|"
    return out


def _sentence_ends(line: str) -> Iterator[int]:
    """Offsets in `line` just after each sentence-ending punctuation run."""
    for found in _END.finditer(line):
        nxt = line[found.end() : found.end() + 1]
        if found.group()[0] in "。！？":
            if nxt:
                yield found.end()
            continue
        if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'(["):
            continue
        before = line[: found.start() + 1].rsplit(None, 1)[-1].lower().rstrip(".")
        initial = len(before) == 1 and before.isalpha()  # "J. Smith", not "is 0. Then"
        if found.group()[0] == "." and (before in _ABBREVIATIONS or initial):
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
    sections = list(doc.sections) or (_sections(doc) if _is_markdown(doc.rel) else [])
    # Chunks never span a PDF page break or a Markdown heading: each has one page, one section.
    breaks = set(doc.page_starts) | {offset for offset, _ in sections}
    if not breaks - {0} and word_count(doc.text) <= 2 * settings.short_max_words:
        settings = replace(settings, max_words=max(settings.max_words, settings.short_max_words))
    units = _units(doc.text, settings.max_words)
    line_starts = [0] + [m.end() for m in re.finditer("\n", doc.text)]
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j = _chunk_end(doc.text, units, i, settings, breaks)
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
                page=bisect.bisect_right(doc.page_starts, start) if doc.page_starts else None,
                section=_section_at(sections, start),
                lang=doc.lang,
            )
        )
        if j < len(units) and units[j][0] not in breaks:
            i = max(j - settings.overlap, i + 1)
        else:
            i = j
    return chunks


def _chunk_end(
    text: str,
    units: list[tuple[int, int, int]],
    i: int,
    settings: ChunkSettings,
    breaks: set[int],
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
        if j > i and units[j][0] in breaks:
            break
        if j > i and settings.paragraphs and _blank_between(text, units[j - 1], units[j]):
            if words >= settings.max_words // 2:
                break
            limit = settings.max_words  # a short paragraph: fill up with the next one
        words += units[j][2]
        j += 1
    return j


def _blank_between(text: str, a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return text.count("\n", a[1], b[0]) >= 2


_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _sections(doc: Document) -> list[tuple[int, str]]:
    """(offset, heading ancestry) at each Markdown heading outside code blocks."""
    fences = [m.span() for m in _FENCE.finditer(doc.text)]
    stack: list[tuple[int, str]] = []
    out = []
    for m in _HEADING.finditer(doc.text):
        if any(a <= m.start() < b for a, b in fences):
            continue
        level = len(m.group(1))
        stack = [(lv, t) for lv, t in stack if lv < level] + [(level, m.group(2))]
        out.append((m.start(), " › ".join(t for _, t in stack)))
    return out


def _is_markdown(rel: str) -> bool:
    """Markdown files, and notebooks (their Markdown cells, code cells fenced)."""
    return rel.lower().endswith((".md", ".markdown", ".ipynb"))


def _section_at(sections: list[tuple[int, str]], offset: int) -> str:
    i = bisect.bisect_right([o for o, _ in sections], offset)
    return sections[i - 1][1] if i else ""


def _units(text: str, max_words: int) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, words); over-long ones split at word boundaries; a fenced
    code block of reasonable size is one unit, so it is never cut."""
    units: list[tuple[int, int, int]] = []
    fences = [m.span() for m in _FENCE.finditer(text)]
    for start, end in split_sentences(text):
        fence = next(((a, b) for a, b in fences if a <= start < b), None)
        if fence and word_count(text[fence[0] : fence[1]]) <= 3 * max_words:
            if units and units[-1][0] == fence[0]:
                continue
            units.append((fence[0], fence[1], word_count(text[fence[0] : fence[1]])))
            continue
        words = [m.span() for m in _WORDS.finditer(text, start, end)]
        words = [(a - start, b - start) for a, b in words]
        if len(words) <= 3 * max_words:
            units.append((start, end, len(words)))
            continue
        for k in range(0, len(words), max_words):
            piece = words[k : k + max_words]
            units.append((start + piece[0][0], start + piece[-1][1], len(piece)))
    return units


def for_model(text: str) -> str:
    """Text as the model and BM25 read it: NFKC-normalised, so ligatures and compatibility
    characters of PDFs ("ﬁ", full-width digits) read as plain letters. Citations keep offsets
    into the original text; only what is embedded and matched is normalised."""
    return unicodedata.normalize("NFKC", text)


def indexed_text(chunk: Chunk, settings: ChunkSettings) -> str:
    """What the model and BM25 read for a chunk: its text without chrome lines, plus the
    title and preceding sentences when the settings ask for them (normalised: for_model)."""
    body = "\n".join(line for line in chunk.text.splitlines() if not is_chrome(line))
    return for_model("\n".join([*heading_parts(chunk, settings), body]))


def heading_parts(chunk: Chunk, settings: ChunkSettings) -> list[str]:
    """What is read with a chunk's own text: its title when the settings ask for it, its
    heading path, the preceding sentences asked for (`context`)."""
    parts = [chunk.title] if settings.with_title and chunk.title not in chunk.text else []
    if chunk.section:
        parts.append(chunk.section)
    if chunk.context:
        parts.append(chunk.context)
    return parts


_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def field_text(chunk: Chunk) -> str:
    """A chunk's document as BM25 reads it in a field of its own: the document's title and
    its date as year and month name ("2018 July"), so a question that names a page or a
    year favours the passages of that document (qa.retrieve weighs this field against the
    text). The heading path is not in it: it is read with the text already (indexed_text),
    and counting it twice lost 5 points of acc@1 on the click docs (docs/results.md)."""
    parts = [chunk.title]
    found = _ISO_MONTH.match(chunk.date or "")
    if found and 1 <= int(found[2]) <= 12:
        parts.append(f"{found[1]} {_MONTHS[int(found[2]) - 1]}")
    return for_model("\n".join(p for p in parts if p))


def merged_chunk(a: Chunk, b: Chunk) -> Chunk:
    """Two overlapping chunks of one document as one: the text from the first's start to the
    last's end, cited from where it starts."""
    first, second = sorted((a, b), key=lambda c: (c.start, -c.end))
    if second.end <= first.end:
        return first
    text = first.text + second.text[first.end - second.start :]
    return replace(first, end=second.end, end_line=second.end_line, text=text)


def chunk_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """Source-file spans of a chunk's sentences, page-chrome lines left out."""
    return [
        (chunk.start + a, chunk.start + b)
        for a, b in split_sentences(chunk.text)
        if not is_chrome(chunk.text[a:b])
    ]


def sentence_text(chunk: Chunk, start: int, end: int) -> str:
    """The sentence of `chunk` at source span `start`–`end`, as the model reads it."""
    return for_model(chunk.text[start - chunk.start : end - chunk.start])


def sentence_texts(chunk: Chunk, spans: Iterable[Sequence[int]] | None = None) -> list[str]:
    """A chunk's sentences (at `spans`, by default chunk_sentences), as the model reads them."""
    if spans is None:
        spans = chunk_sentences(chunk)
    return [sentence_text(chunk, int(a), int(b)) for a, b in spans]
