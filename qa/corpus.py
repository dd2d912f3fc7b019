"""Documents folder → a Corpus: every document's entry and chunks, in path order, and the
files skipped. For a build the chunks go to a scratch file as each file is read
(`ChunkSpill`), so reading a folder never holds its text; the build reads them back a
passage at a time.
"""

from __future__ import annotations

import logging
import os
import traceback
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, overload

from embeddings.vector_index import Mapper
from qa.chunks import Chunk, ChunkSettings, split_document
from qa.documents import Document, Skipped, read_file, skipped_for
from qa.files import ReadSettings, Stat, list_folder, stat_files
from qa.formats import IN_PROCESS, OCR_READERS, read_anew, reader_name
from qa.formats.ocr import UNFINISHED, OcrSettings, pages_read
from qa.isolation import Limits, iter_isolated

if TYPE_CHECKING:  # the index a build reuses; reading never imports it
    from qa.index import Index
from qa.manifest import ChunkStore, DocEntry, chunk_line, chunk_of_line

log = logging.getLogger("qa")

Read = tuple[Document | DocEntry | Skipped, list[Chunk]]  # one file: what it gave, its chunks
Take = Callable[[str, Read], None]  # (file, what it gave) as each file is read


@dataclass(frozen=True)
class Corpus:
    """A folder read and chunked: documents (what the manifest keeps of each) and their chunks
    in path order, the files skipped (sorted by path), every listed file's stat when it was
    listed, how many files the ignore rules left out, and how many were read (the others
    were taken from the index: unchanged size and modification time)."""

    docs: dict[str, DocEntry]
    skipped: list[Skipped]
    chunks: Sequence[Chunk]
    ignored: int = 0
    stats: dict[str, Stat] = field(default_factory=dict)
    read: int = 0


class ChunkSpill(Sequence[Chunk]):
    """Chunks in a scratch JSON-lines file: each file's chunks written together as it is
    read (files in any order), then (`finish`) read back by position in path order, with
    plain reads (no memory map: pages of a map stay in the process's memory once read)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._out = open(path, "wb")  # noqa: SIM115 (closed by finish)
        self._ends = array("q", [0])  # byte offset of each line's end
        self._files: dict[str, tuple[int, int]] = {}  # file → (first line, lines)
        self._lines = array("q")  # the lines in path order (after finish)
        self._fd = -1

    def add(self, rel: str, chunks: Iterable[Chunk]) -> None:
        """Write one file's chunks."""
        first = len(self._ends) - 1
        for chunk in chunks:
            line = chunk_line(chunk)
            self._out.write(line)
            self._ends.append(self._ends[-1] + len(line))
        self._files[rel] = (first, len(self._ends) - 1 - first)

    def finish(self, rels: list[str]) -> ChunkSpill:
        """Stop writing; the chunks of `rels`, in that order, are what it holds."""
        self._out.close()
        for rel in rels:
            first, n = self._files[rel]
            self._lines.extend(range(first, first + n))
        self._files = {}
        self._fd = os.open(self.path, os.O_RDONLY)
        return self

    def close(self) -> None:
        """Let go of the file (it stays on disk)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        line = self._lines[i]  # IndexError past the end, as a sequence must
        start = self._ends[line]
        return chunk_of_line(os.pread(self._fd, self._ends[line + 1] - start, start))


class ChunkList:
    """Chunks kept in memory, for `read_and_chunk` without a scratch file."""

    def __init__(self) -> None:
        self._files: dict[str, list[Chunk]] = {}

    def add(self, rel: str, chunks: Iterable[Chunk]) -> None:
        self._files[rel] = list(chunks)

    def finish(self, rels: list[str]) -> list[Chunk]:
        return [c for rel in rels for c in self._files[rel]]


def read_and_chunk(
    docs_root: Path,
    chunking: ChunkSettings,
    map_files: Mapper | None = None,
    *,
    reading: ReadSettings | None = None,
    reuse: Index | None = None,
    retry_skipped: bool = True,
    on_chunks: Callable[[list[Chunk]], None] | None = None,
    on_read: Callable[[int, int], None] | None = None,
    on_pages: Callable[[int, int], None] | None = None,
    spill: Path | None = None,
) -> Corpus:
    """Every document below `docs_root`, its chunks and the files skipped.

    Files whose size and modification time are those `reuse` (an index of this folder built
    with the same chunking) recorded are taken from it, not read again. `map_files` runs the
    per-file work over the other files, in order: by default, text files here and files of
    other formats in isolated worker processes (qa.isolation), `on_chunks` called with each
    file's chunks as it is read; a cluster engine passes its own (qa.cluster: Ray Data
    tasks). With `spill`, the chunks go to that scratch file as they come (ChunkSpill).
    `on_read(done, total)` after each file read (the files not reused); `on_pages(done,
    total)` between the rounds that read long scans on (qa.corpus.read_isolated)."""
    reading = reading or ReadSettings()
    listing = list_folder(docs_root, reading.exclude, follow_links=reading.follow_links)
    stats = stat_files(docs_root, [*listing.rels, *(s.rel for s in listing.skipped)])
    sink = ChunkSpill(spill) if spill is not None else ChunkList()
    got: dict[str, DocEntry | Skipped] = {}

    def take(rel: str, read: Read) -> None:
        doc, chunks = read
        if isinstance(doc, Document):
            doc = DocEntry(doc.sha256, doc.title, doc.date, len(chunks), doc.lang)
        got[rel] = doc
        sink.add(rel, chunks)
        if on_chunks is not None:
            on_chunks(chunks)
        if on_read is not None and rel in reading_now:
            reading_now.discard(rel)
            on_read(len(to_read) - len(reading_now), len(to_read))

    if reuse is not None:
        listed = {rel: stats[rel] for rel in listing.rels}  # a file set aside is not reused
        kept = _unchanged(reuse, listed, not retry_skipped, ocr=reading.ocr)
        for n, (rel, doc) in enumerate(kept.items()):
            got[rel] = doc
            rows = reuse.document_rows.get(rel, range(0)) if isinstance(doc, DocEntry) else ()
            sink.add(rel, (reuse.chunks[i] for i in rows))
            if n % 256 == 255 and isinstance(reuse.chunks, ChunkStore):
                reuse.chunks.release()  # the live index's pages, copied
    to_read = [r for r in listing.rels if r not in got]
    reading_now = set(to_read)
    if map_files is None:
        each = partial(read_and_chunk_file, docs_root, chunking, ocr=pooled(reading))
        read_isolated(each, to_read, reading.limits, take, on_pages=on_pages)
    elif to_read:
        each = partial(read_and_chunk_file, docs_root, chunking, ocr=reading.ocr)
        for rel, read in zip(to_read, map_files(each, to_read), strict=True):
            take(rel, read)
    docs = {rel: d for rel in listing.rels if isinstance(d := got[rel], DocEntry)}
    skipped = [*listing.skipped, *(d for r in listing.rels if isinstance(d := got[r], Skipped))]
    skipped.sort(key=lambda s: s.rel)
    chunks = sink.finish(list(docs))
    return Corpus(docs, skipped, chunks, listing.ignored, stats, len(to_read))


def pooled(reading: ReadSettings) -> OcrSettings:
    """The OCR settings of a reader in the pool: a file stops starting pages at a third of
    its timeout and is resumed (each page may take half of it), so a long scan is read in
    several turns instead of being stopped; a page that failed in one turn is not tried again
    in the next (the session says which build it failed in)."""
    import uuid

    timeout = reading.limits.timeout
    return replace(
        reading.ocr,
        budget=timeout / 3,
        page_timeout=min(reading.ocr.page_timeout, timeout / 2),
        session=uuid.uuid4().hex,
    )


def _unchanged(
    old: Index, stats: dict[str, Stat], keep_skipped: bool, *, ocr: OcrSettings
) -> dict[str, DocEntry | Skipped]:
    """The files whose stat is the one `old` recorded, as `old` has them; with
    `keep_skipped`, a skipped file stays skipped until it changes (a reader that timed out
    is not tried again on every refresh). PDFs and images are read again when `ocr` is not
    how `old` read scans."""
    recorded = old.manifest.stats
    skipped = {s.rel: s for s in old.manifest.skipped}
    ocr_changed = (old.manifest.ocr, old.manifest.ocr_lang) != (ocr.mode, ocr.lang)
    kept: dict[str, DocEntry | Skipped] = {}
    for rel, st in stats.items():
        if st[0] < 0 or list(st) != recorded.get(rel):
            continue
        if ocr_changed and reader_name(rel) in OCR_READERS:
            continue
        if rel in old.manifest.documents and not read_anew(rel, old.manifest.readers):
            kept[rel] = old.manifest.documents[rel]
        elif keep_skipped and rel in skipped:
            kept[rel] = skipped[rel]
    return kept


def read_and_chunk_file(
    docs_root: Path, chunking: ChunkSettings, rel: str, *, ocr: OcrSettings | None = None
) -> tuple[Document | Skipped, list[Chunk]]:
    """One listed file read (scans as `ocr` says) and chunked, or why it was skipped (and
    no chunks)."""
    got = read_file(docs_root, rel, ocr=ocr)
    if isinstance(got, Skipped):
        return got, []
    try:
        return got, split_document(got, chunking)
    except Exception as exc:  # the per-file boundary covers chunking too
        log.debug("skipped %s:\n%s", rel, traceback.format_exc())
        return skipped_for(rel, exc), []


def read_isolated(
    fn: Callable[[str], Read],
    rels: list[str],
    limits: Limits,
    take: Take,
    *,
    on_pages: Callable[[int, int], None] | None = None,
) -> None:
    """Text files read here (fast, nothing to hang), then other formats in worker processes;
    `take` gets each file as soon as it is in. A scan whose OCR stopped at its budget is
    read again (from the pages cached so far) in the next round, while each round reads
    more of it; the last rounds, with fewer files, give each more cores. `on_pages(done,
    total)`: the pages of the files read on, before each such round."""
    pooled = []
    for rel in rels:
        if reader_name(Path(rel)) in IN_PROCESS:
            take(rel, fn(rel))
        else:
            pooled.append(rel)
    progress: dict[str, str] = {}
    while pooled:
        again = []
        for rel, read in zip(pooled, iter_isolated(fn, pooled, limits, _failed), strict=True):
            doc = read[0]
            if (
                isinstance(doc, Skipped)
                and doc.kind == UNFINISHED
                and progress.get(rel) != doc.reason
            ):
                progress[rel] = doc.reason
                again.append(rel)
            else:
                take(rel, read)
        pooled = again
        if again and on_pages is not None:  # the files read whole since count whole
            counts = {rel: pages_read(reason) for rel, reason in progress.items()}
            done = [n if rel in again else total for rel, (n, total) in counts.items()]
            on_pages(sum(done), sum(total for _, total in counts.values()))


def _failed(rel: str, kind: str, reason: str) -> tuple[Skipped, list[Chunk]]:
    return Skipped(rel, reason, kind), []
