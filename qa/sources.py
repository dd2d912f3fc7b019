"""Citations → the source text they point into, checked against what was indexed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.answer import Citation
from qa.documents import read_document


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
