"""Citations → the source text they point into, checked against what was indexed."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from qa.answer import Citation
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


_CITATION = re.compile(r"^(?P<path>.+?)(?: p\.(?P<page>\d+))?:(?P<line>\d+)(?P<rest> .*)?$")
# The first "[chars a-b]" after path:line; the section before it may hold "[", "·" or "]".
_CHARS = re.compile(r"\[chars (?P<start>\d+)-(?P<end>\d+)\]")


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
    found = _CITATION.match(citation.strip())
    if not found:
        raise UsageError(
            f"{citation!r} is not a citation: give PATH:LINE or PATH:LINE [chars START-END]"
        )
    path = Path(found["path"]).expanduser().resolve()
    text = read_document(path.parent, path.name)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    chars = _CHARS.search(found["rest"] or "")
    if chars:
        start, end = int(chars["start"]), int(chars["end"])
    else:
        n = int(found["line"])
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
