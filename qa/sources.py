"""Citations → the source text they point into, checked against what was indexed.

One rule for every front end (`qa show`, `qa mcp`'s show tool and resources, `qa chat`'s
source pane and editor): a path is served only when it names a document of the index being
served (`served_document`). The spelling does not matter (absolute, relative to the working
directory or to the indexed folder, with `..`, percent-encoded, through a symlink); what it
resolves to does. A document whose file has since become a link leading out of the folder is
refused too, unless the index was built with `--follow-links`.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from qa.documents import read_document
from qa.errors import QAError, UsageError, printable
from qa.files import within
from qa.formats.ocr import OcrSettings
from qa.results import Citation, CitedPlace, parse_label

if TYPE_CHECKING:
    from qa.manifest import Manifest

SHOWN_CHARS = 200  # of a refused path, in the one-line refusal


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


class NotServed(UsageError):
    """A path that is not a document of the index being served."""


def served_document(manifest: Manifest, spelled: str) -> tuple[str, Path]:
    """The indexed document `spelled` names: its path in the indexed folder and the file to
    read. Anything else is refused (`NotServed`)."""
    root = Path(manifest.docs_root)
    spellings = [spelled, unquote(spelled)] if "%" in spelled else [spelled]
    for form in spellings:
        rel = _indexed_rel(root, form, manifest.documents)
        if rel is not None:
            path = root / rel
            real = os.path.realpath(path)
            if manifest.follow_links or within(real, os.path.realpath(root)):
                return rel, path
            raise NotServed(f"{_shown(spelled)} now links outside the indexed folder: not shown")
    raise NotServed(
        f"{_shown(spelled)} is not a document of this index ({_shown(str(root))}): "
        "give a citation that qa printed"
    )


def _indexed_rel(root: Path, spelled: str, documents: Container[str]) -> str | None:
    """The document path (as the index keys it) that `spelled` resolves to, if any."""
    if "\x00" in spelled or not spelled.strip():
        return None
    try:
        path = Path(spelled).expanduser()
        # the folder first: citations are relative to it, whatever the working directory
        places = [path] if path.is_absolute() else [root / path, Path.cwd() / path]
        roots = {str(root), os.path.realpath(root)}
        for place in places:
            for resolved in {os.path.normpath(place), os.path.realpath(place)}:
                for top in roots:
                    if within(resolved, top):
                        rel = Path(os.path.relpath(resolved, top)).as_posix()
                        if rel in documents:
                            return rel
    except (OSError, ValueError, RuntimeError):  # an unusable spelling names no document
        return None
    return None


def _shown(text: str) -> str:
    """A path as a refusal shows it: printable, and not a screenful."""
    cut = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
    return repr(printable(cut))


def read_source(path: Path, manifest: Manifest | None = None) -> str:
    """The current text of a cited file, as qa reads it (a scan as `manifest`'s index read
    it); the last few are kept, by size and modification time, so moving between passages
    of one long PDF parses it once."""
    path = path.expanduser().resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise QAError(f"cannot read {path}: {exc.strerror}") from None
    ocr = OcrSettings(mode=manifest.ocr, lang=manifest.ocr_lang) if manifest else OcrSettings()
    return _read_cached(path, st.st_mtime_ns, st.st_size, ocr)


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, mtime_ns: int, size: int, ocr: OcrSettings) -> str:
    return read_document(path.parent, path.name, ocr=ocr)


def open_source(
    manifest: Manifest,
    citation: Citation,
    passage_text: str,
    *,
    context: int,
    context_chars: int | None = None,
) -> Excerpt:
    """The passage a citation names in its file now, with `context` lines on each side, but
    no more lines than fit in `context_chars` characters; `stale` if the file changed. Only
    a document of `manifest`'s index is read."""
    _, path = served_document(manifest, citation.path)
    text = read_source(path, manifest)
    stale = text[citation.start : citation.end] != passage_text
    start, end = citation.start, citation.end
    if stale:  # near where it was, nothing highlighted
        start = end = min(start, len(text))
    return _cut(path, text, start, end, context=context, context_chars=context_chars, stale=stale)


def excerpt(manifest: Manifest, citation: str, *, context: int = 3) -> Excerpt:
    """Parse `path:line [chars a-b] …` (the form qa prints) and cut the span with context,
    from a document of `manifest`'s index only."""
    place = _place(citation)
    _, path = served_document(manifest, place.path)
    text = read_source(path, manifest)
    starts = line_starts(text)
    if place.chars:
        start, end = place.chars
    else:
        n = place.line
        if not 1 <= n <= len(starts):
            raise UsageError(f"{path} has {len(starts)} lines, not {n}")
        start = starts[n - 1]
        end = starts[n] - 1 if n < len(starts) else len(text)
    if not 0 <= start <= end <= len(text):
        raise UsageError(f"chars {start}-{end} are outside {path} ({len(text)} characters)")
    return _cut(path, text, start, end, context=context)


def excerpt_in(manifests: Iterable[Manifest], citation: str, *, context: int = 3) -> Excerpt:
    """`excerpt` from the first of `manifests` whose index holds the cited document."""
    _place(citation)  # not a citation: said before any index is looked for
    refused: NotServed | None = None
    for manifest in manifests:
        try:
            return excerpt(manifest, citation, context=context)
        except NotServed as exc:
            refused = refused or exc
    raise refused or UsageError("there is no index to show from: build one with `qa index DOCS`")


def _place(citation: str) -> CitedPlace:
    """The place a citation names, or a usage error saying what a citation looks like."""
    place = parse_label(citation)
    if place is None:
        raise UsageError(
            f"{_shown(citation)} is not a citation: give PATH:LINE or PATH:LINE [chars START-END]"
        )
    return place


def line_starts(text: str) -> list[int]:
    """The offset where each line of `text` begins (line n at index n - 1)."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _cut(
    path: Path,
    text: str,
    start: int,
    end: int,
    *,
    context: int,
    context_chars: int | None = None,
    stale: bool = False,
) -> Excerpt:
    """Chars start-end of `text` with `context` whole lines before and after (only those
    within `context_chars` characters of the span, if given)."""
    starts = line_starts(text)
    first = max(0, bisect.bisect_right(starts, start) - 1 - context)
    last = min(len(starts), bisect.bisect_right(starts, max(start, end - 1)) + context)
    if context_chars is not None:
        first = max(first, bisect.bisect_left(starts, start - context_chars))
        last = min(last, bisect.bisect_right(starts, end + context_chars))
    lo = starts[first]
    hi = starts[last] - 1 if last < len(starts) else len(text)
    lines = text[lo:hi].split("\n")
    total = len(starts) - text.endswith("\n")  # a final newline ends a line, not starts one
    return Excerpt(path, first + 1, lines, start - lo, end - lo, lo, total, stale)
