"""What an index version records, readable without the index: its manifest (documents,
settings, file stats), the lines of chunks.jsonl and the store that reads them lazily.

The reading and vector stages (qa.corpus, qa.changes, qa.keys) use these; qa.index writes and
loads whole versions with them.
"""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.chunks import Chunk, ChunkSettings
from qa.documents import Skipped

# 2: sentence vectors; 3: BM25 tokenizer settings saved; 4: bm25_fields; 5: boilerplate
FORMAT_VERSION = 5
# Versions still read, so that their vectors are reused by the rebuild they are due for
READABLE_FORMATS = (3, 4, FORMAT_VERSION)
# Bumped whenever what is embedded for a chunk changes (qa.chunks.indexed_text), so that old
# vectors are never reused for text the model would now read differently.
TEXT_VERSION = 5  # 5: NFKC-normalised text (qa.chunks.for_model)


@dataclass(frozen=True)
class DocEntry:
    """What the manifest remembers of one document."""

    sha256: str
    title: str
    date: str | None
    chunks: int
    lang: str = ""  # the language of its prose (qa.languages)


@dataclass(frozen=True)
class Manifest:
    """Everything needed to trust and reuse an index version."""

    model: str
    dim: int
    chunking: ChunkSettings
    docs_root: str
    built_at: float
    documents: dict[str, DocEntry]
    skipped: list[Skipped] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    # size and mtime (ns) of every file read or skipped, when it was read: a cheap stat walk
    # tells what changed since (qa.changes); the exclude patterns the folder was listed with
    stats: dict[str, list[int]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    follow_links: bool = False  # links to files outside the folder were read (and may be served)
    text_version: int = TEXT_VERSION
    format_version: int = FORMAT_VERSION
    # passage vectors pooled from their sentences' (qa.vectors.passage_vector); an index
    # written before that read each passage whole
    pooled: bool = False
    # the readers' version (qa.formats.READERS_VERSION); 1: an index from before it was kept
    readers: int = 1
    ocr: str = "auto"  # how scans were read (qa index --ocr) and in which languages ("": all
    ocr_lang: str = ""  # installed); a refresh reads as the index was built

    @property
    def passages(self) -> int:
        """How many passages (chunks) the index holds."""
        return sum(d.chunks for d in self.documents.values())

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raises KeyError/TypeError/ValueError when it is not one."""
        raw = json.loads(text)
        if raw.get("format_version") not in READABLE_FORMATS:
            raise ValueError(
                f"format version {raw.get('format_version')}, expected {FORMAT_VERSION}"
            )
        # before the setting existed, every line break ended a sentence
        raw["chunking"] = ChunkSettings(**{"sentences": 1, **raw["chunking"]})
        raw["documents"] = {k: DocEntry(**v) for k, v in raw["documents"].items()}
        raw["skipped"] = [Skipped(**s) for s in raw["skipped"]]
        return cls(**raw)


def chunk_line(chunk: Chunk) -> bytes:
    """A chunk as one line of chunks.jsonl (the build's scratch file uses it too)."""
    return json.dumps(asdict(chunk), ensure_ascii=False).encode() + b"\n"


def chunk_of_line(line: bytes) -> Chunk:
    """The chunk of a line written by `chunk_line`."""
    return Chunk(**json.loads(line))


class ChunkStore(Sequence[Chunk]):
    """Chunks read lazily from chunks.jsonl by line offset (memory-mapped at open, so a reader
    keeps its version even when a newer build removes the files)."""

    def __init__(self, folder: Path) -> None:
        self._offsets = np.load(folder / "chunks.offsets.npy", mmap_mode="r")
        with open(folder / "chunks.jsonl", "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def release(self) -> None:
        """Hand back the pages read so far (release_pages): a build reads every chunk."""
        if isinstance(self._data, mmap.mmap):
            _advise_dontneed(self._data)
        release_pages(self._offsets)

    def __getitem__(self, i):
        return chunk_of_line(self._data[int(self._offsets[i]) : int(self._offsets[i + 1])])


def release_pages(*arrays: np.ndarray) -> None:
    """Hand back the pages of memory-mapped arrays (as `load` opens them) read so far: they
    stay in the OS's page cache, but no longer count as this process's memory. A build
    reads the whole live index (every sentence's key and vector): at 100k passages its
    pages held 0.5 GB of a refresh's memory."""
    for each in arrays:
        mapped = getattr(each, "_mmap", None)  # where numpy's memmap keeps its map
        if isinstance(mapped, mmap.mmap):
            _advise_dontneed(mapped)


def _advise_dontneed(mapped: mmap.mmap) -> None:
    if hasattr(mmap, "MADV_DONTNEED"):  # Linux, macOS; elsewhere the pages stay
        mapped.madvise(mmap.MADV_DONTNEED)
