"""Citations → the source text they point into, checked against what was indexed."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from qa.answer import Citation, parse_label
from qa.documents import read_document
from qa.errors import QAError, UsageError


@dataclass(frozen=True)
class Excerpt:
    """The cited span of a file with whole lines of context around it."""

    path: Path
    first_line: int  # the file's line number of lines[0]
    lines: list[str]
    start: int  # offsets of the cited span within "\n".join(lines)
    end: int
    offset: int = 0  # where "\n".join(lines) begins in the document's text
    total_lines: int = 0  # lines in the whole document
    stale: bool = False  # the cited span no longer holds the indexed passage

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def read_source(path: Path) -> str:
    """The current text of a cited file, as qa reads it; the last few are kept, by size and
    modification time, so moving between passages of one long PDF parses it once."""
    path = path.expanduser().resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise QAError(f"cannot read {path}: {exc.strerror}") from None
    return _read_cached(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, mtime_ns: int, size: int) -> str:
    return read_document(path.parent, path.name)


def open_source(
    citation: Citation, passage_text: str, context: int, context_chars: int | None = None
) -> Excerpt:
    """The passage a citation names in its file now, with `context` lines on each side, but
    no more lines than fit in `context_chars` characters (relative paths are relative to the
    working directory); `stale` if the file changed."""
    path = Path(citation.path).expanduser().resolve()
    text = read_source(path)
    stale = text[citation.start : citation.end] != passage_text
    start, end = citation.start, citation.end
    if stale:  # near where it was, nothing highlighted
        start = end = min(start, len(text))
    return _cut(path, text, start, end, context, context_chars, stale)


def excerpt(citation: str, context: int = 3) -> Excerpt:
    """Parse `path:line [chars a-b] …` (the form qa prints) and cut the span with context."""
    place = parse_label(citation)
    if place is None:
        raise UsageError(
            f"{citation!r} is not a citation: give PATH:LINE or PATH:LINE [chars START-END]"
        )
    path = Path(place.path).expanduser().resolve()
    text = read_source(path)
    line_starts = _line_starts(text)
    if place.chars:
        start, end = place.chars
    else:
        n = place.line
        if not 1 <= n <= len(line_starts):
            raise UsageError(f"{path} has {len(line_starts)} lines, not {n}")
        start = line_starts[n - 1]
        end = line_starts[n] - 1 if n < len(line_starts) else len(text)
    if not 0 <= start <= end <= len(text):
        raise UsageError(f"chars {start}-{end} are outside {path} ({len(text)} characters)")
    return _cut(path, text, start, end, context)


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _cut(
    path: Path,
    text: str,
    start: int,
    end: int,
    context: int,
    context_chars: int | None = None,
    stale: bool = False,
) -> Excerpt:
    """Chars start-end of `text` with `context` whole lines before and after (only those
    within `context_chars` characters of the span, if given)."""
    line_starts = _line_starts(text)
    first = max(0, bisect.bisect_right(line_starts, start) - 1 - context)
    last = min(len(line_starts), bisect.bisect_right(line_starts, max(start, end - 1)) + context)
    if context_chars is not None:
        first = max(first, bisect.bisect_left(line_starts, start - context_chars))
        last = min(last, bisect.bisect_right(line_starts, end + context_chars))
    lo = line_starts[first]
    hi = line_starts[last] - 1 if last < len(line_starts) else len(text)
    lines = text[lo:hi].split("\n")
    total = len(line_starts) - text.endswith("\n")  # a final newline ends a line, not starts one
    return Excerpt(path, first + 1, lines, start - lo, end - lo, lo, total, stale)
