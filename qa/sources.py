"""Citations → the source text they point into, checked against what was indexed."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from qa.answer import Citation, parse_label
from qa.documents import read_document
from qa.errors import UsageError


@dataclass(frozen=True)
class Source:
    """A cited document's current text; `stale` when the cited span no longer matches."""

    path: Path
    text: str
    stale: bool


def open_source(citation: Citation, passage_text: str) -> Source:
    """Read the file a citation names (relative paths are relative to the working directory)."""
    path = Path(citation.path).resolve()
    text = read_document(path.parent, path.name)
    return Source(path, text, text[citation.start : citation.end] != passage_text)




@dataclass(frozen=True)
class Excerpt:
    """The cited span of a file with whole lines of context around it."""

    path: Path
    first_line: int
    lines: list[str]
    start: int  # offsets of the cited span within "\n".join(lines)
    end: int


def excerpt(citation: str, context: int = 3) -> Excerpt:
    """Parse `path:line [chars a-b] …` (the form qa prints) and cut the span with context."""
    place = parse_label(citation)
    if place is None:
        raise UsageError(
            f"{citation!r} is not a citation: give PATH:LINE or PATH:LINE [chars START-END]"
        )
    path = Path(place.path).expanduser().resolve()
    text = read_document(path.parent, path.name)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
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
    first = max(0, bisect.bisect_right(line_starts, start) - 1 - context)
    last = min(len(line_starts), bisect.bisect_right(line_starts, max(start, end - 1)) + context)
    lo = line_starts[first]
    hi = line_starts[last] - 1 if last < len(line_starts) else len(text)
    return Excerpt(path, first + 1, text[lo:hi].split("\n"), start - lo, end - lo)
