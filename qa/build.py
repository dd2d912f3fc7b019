"""Documents folder → a new index version on disk, re-embedding only what changed.

The model reads sentences, each once and alone; a passage's vector is pooled from the vectors
of its parts (its sentences, and its heading path: the mean weighted by each part's number of
word pieces, normalised), not read again (`passage_vector`). Every text the model reads is
keyed by a hash of model, TEXT_VERSION and text. Vectors of the live index, and slices
checkpointed by an interrupted build, are reused by key: an unchanged or renamed document
costs no embedding, and a build killed half-way starts again from what it had embedded.

The finished version is written by qa.index.save_version (a complete folder beside the live
one, fsynced, then CURRENT switched by an atomic rename: the format's one writer, beside its
reader); one build at a time holds `write.lock`.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path

import numpy as np

from embeddings.vector_index import Mapper
from qa import index as index_mod
from qa.chunks import Chunk, ChunkSettings, indexed_text, sentence_text, split_document
from qa.documents import Document, Skipped, read_file, skip_counts, skipped_for
from qa.errors import IndexBusy, QAError, UsageError
from qa.files import ReadSettings, Stat, list_folder, stat_files
from qa.formats import IN_PROCESS, reader_name
from qa.index import TEXT_VERSION, DocEntry, Index, Manifest
from qa.isolation import Limits, cores, map_isolated
from qa.vectors import (
    KEY,
    BuildEncoder,
    EncodeAhead,
    Key,
    Known,
    Progress,
    embed_corpus,
    passage_parts,
    plan,
    pooled_key,
)

log = logging.getLogger("qa")


@dataclass(frozen=True)
class BuildReport:
    """What a build changed, for `qa index` to print."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    renamed: list[tuple[str, str]]
    unchanged: int
    chunks: int
    embedded: int  # passages whose vectors had to be computed (not reused)
    skipped: list[Skipped]
    full_rebuild_reason: str | None = None
    ignored: int = 0  # files left out by ignore rules (hidden, .gitignore, --exclude)
    read: int = 0  # files read (the others were unchanged since the last build)
    # where the build's time went, in order: reading and chunking, sentence spans and the
    # texts the model reads, encoding, FAISS, BM25, writing the files (`qa index --verbose`)
    seconds: dict[str, float] = field(default_factory=dict)
    ahead: int = 0  # texts embedded while files were being read (EncodeAhead)

    def summary(self) -> str:
        """One line: what changed, how many passages were embedded, how many files skipped."""
        skipped = f"; {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.renamed)} renamed, {self.unchanged} unchanged; {self.chunks} passages "
            f"({self.embedded} embedded){skipped}"
        )


def build(
    docs_root: Path,
    root: Path,
    model: str,
    chunking: ChunkSettings,
    encoder_factory: Callable[[], BuildEncoder],
    on_progress: Progress | None = None,
    rebuild: bool = False,
    map_files: Mapper | None = None,
    map_shards: Mapper | None = None,
    reading: ReadSettings | None = None,
    retry_skipped: bool = True,
) -> BuildReport:
    """Index the documents below `docs_root` into `root`, re-embedding only what changed
    (and reading only files whose stat changed; with `retry_skipped`, files skipped last
    time are tried again even when unchanged, as `qa index` does, but not a refresh).

    By default the work is done here; a cluster engine (qa.cluster) passes `map_files` (files
    read and chunked in parallel), an encoder that writes its vectors as shards
    (`encode_to_shards`), and `map_shards` to fill FAISS shards in parallel."""
    from filelock import FileLock, Timeout

    _make_folder(root)
    try:
        with FileLock(str(root / "write.lock"), timeout=0):
            return _build_locked(
                docs_root,
                root,
                model,
                chunking,
                encoder_factory,
                on_progress,
                rebuild,
                map_files,
                map_shards,
                reading,
                retry_skipped,
            )
    except Timeout:
        raise IndexBusy(
            f"another `qa index` is writing {root}; wait for it to finish, then try again"
        ) from None


def _make_folder(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{uuid.uuid4().hex}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write the index folder {root}: {exc.strerror}") from None


def _build_locked(
    docs_root: Path,
    root: Path,
    model: str,
    chunking: ChunkSettings,
    encoder_factory: Callable[[], BuildEncoder],
    on_progress: Progress | None,
    rebuild: bool,
    map_files: Mapper | None,
    map_shards: Mapper | None,
    reading: ReadSettings | None,
    retry_skipped: bool,
) -> BuildReport:
    old, reason = (None, "--rebuild was asked for") if rebuild else _reusable(root, model)
    same_reading = old is not None and (
        old.manifest.chunking == chunking and old.manifest.docs_root == str(docs_root.resolve())
    )
    reuse = old if same_reading else None
    clock = Stopwatch()
    key = partial(_key, model)
    known, pooled = _known_vectors(old, key) if old else (Known.empty(), Known.empty())
    encoder = cache(encoder_factory)  # made once, and only if something is new
    read = partial(read_and_chunk, docs_root, chunking, map_files)
    if map_files is None and (readers := readers_beside_encoder()):
        ahead = EncodeAhead(encoder, key, known, root / "resume")
        try:
            corpus = read(_with_readers(reading, readers), reuse, retry_skipped, ahead.add)
        finally:
            ahead.finish()
    else:
        ahead, corpus = None, read(reading, reuse, retry_skipped)
    clock.lap("read and chunk")
    docs, skipped, chunks = corpus.docs, corpus.skipped, corpus.chunks
    if not chunks:
        raise UsageError(_nothing_to_index(docs_root, corpus))
    planned = plan(chunks, key)
    clock.lap("texts")
    made = embed_corpus(
        chunks, chunking, key, planned, known, pooled, root / "resume", encoder, on_progress
    )
    encoder.cache_clear()  # the ONNX session (its repacked weights, its buffers) let go of
    dim = made.dim or (old.manifest.dim if old else 0)
    del known, pooled
    clock.lap("encode")

    manifest = Manifest(
        model=model,
        dim=dim,
        chunking=chunking,
        docs_root=str(docs_root.resolve()),
        built_at=time.time(),
        documents=docs,
        skipped=skipped,
        stats={rel: list(st) for rel, st in corpus.stats.items()},
        exclude=list(reading.exclude if reading else ()),
        pooled=True,
    )
    index_mod.save_version(
        root,
        manifest,
        chunks,
        (indexed_text(c, chunking) for c in chunks),  # what BM25 reads, made as it reads
        made.passages,
        made.sentences,
        (planned.spans, planned.offsets),
        map_shards,
        clock,
    )
    shutil.rmtree(root / "resume", ignore_errors=True)
    report = _report(
        old, docs, skipped, len(chunks), made.embedded, reason if old is None else None
    )
    return replace(
        report,
        ignored=corpus.ignored,
        read=corpus.read,
        seconds=clock.laps,
        ahead=ahead.encoded if ahead is not None else 0,
    )


class Stopwatch:
    """Named laps of wall time, in order."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Add the time since the last lap to `name`."""
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def _nothing_to_index(docs_root: Path, corpus: Corpus) -> str:
    """Why a folder gave no passage, and what qa reads."""
    why = f"; {len(corpus.skipped)} files skipped: {skip_counts(corpus.skipped)}"
    return (
        f"nothing to index in {docs_root}{why if corpus.skipped else ''}. qa reads text, "
        "Markdown, HTML, PDF, Word, PowerPoint, OpenDocument, EPUB, RTF, e-mail and notebooks"
    )


def indexed_sentences(index: Index, row: int) -> list[str]:
    """The sentences of passage `row` of `index`, as the model read them."""
    rows, chunk = index.sentences.of(row), index.chunks[row]
    spans = index.sentences.spans[rows.start : rows.stop]
    return [sentence_text(chunk, int(a), int(b)) for a, b in spans]


def _key(model: str, text: str) -> Key:
    """The key of the vector of `text` read by `model`: 16 bytes of a hash."""
    return hashlib.sha256(f"{model}\0{TEXT_VERSION}\0{text}".encode()).digest()[:16]


Read = tuple[Document | DocEntry | Skipped, list[Chunk]]  # one file: what it gave, its chunks


@dataclass(frozen=True)
class Corpus:
    """A folder read and chunked: documents (what the manifest keeps of each) and their chunks
    in path order, the files skipped (sorted by path), every listed file's stat when it was
    listed, how many files the ignore rules left out, and how many were read (the others
    were taken from the index: unchanged size and modification time)."""

    docs: dict[str, DocEntry]
    skipped: list[Skipped]
    chunks: list[Chunk]
    ignored: int = 0
    stats: dict[str, Stat] = field(default_factory=dict)
    read: int = 0


def read_and_chunk(
    docs_root: Path,
    chunking: ChunkSettings,
    map_files: Mapper | None = None,
    reading: ReadSettings | None = None,
    reuse: Index | None = None,
    retry_skipped: bool = True,
    on_chunks: Callable[[list[Chunk]], None] | None = None,
) -> Corpus:
    """Every document below `docs_root`, its chunks and the files skipped.

    Files whose size and modification time are those `reuse` (an index of this folder built
    with the same chunking) recorded are taken from it, not read again. `map_files` runs the
    per-file work over the other files, in order: by default, text files here and files of
    other formats in isolated worker processes (qa.isolation), `on_chunks` called with each
    file's chunks as it is read; a cluster engine passes its own (qa.cluster: Ray Data
    tasks)."""
    reading = reading or ReadSettings()
    listing = list_folder(docs_root, reading.exclude)
    stats = stat_files(docs_root, [*listing.rels, *(s.rel for s in listing.skipped)])
    kept = _unchanged(reuse, stats, not retry_skipped) if reuse is not None else {}
    each = partial(read_and_chunk_file, docs_root, chunking)
    if map_files is None:
        map_files = partial(_map_isolated, limits=reading.limits, on_chunks=on_chunks)
    to_read = [r for r in listing.rels if r not in kept]
    read = map_files(each, to_read) if to_read else []
    got = {**kept, **dict(zip(to_read, read, strict=True))}
    docs: dict[str, DocEntry] = {}
    chunks: list[Chunk] = []
    skipped = list(listing.skipped)
    for rel in listing.rels:
        doc, doc_chunks = got[rel]
        if isinstance(doc, Skipped):
            skipped.append(doc)
            continue
        if isinstance(doc, Document):
            doc = DocEntry(doc.sha256, doc.title, doc.date, len(doc_chunks))
        docs[rel] = doc
        chunks.extend(doc_chunks)
    skipped.sort(key=lambda s: s.rel)
    return Corpus(docs, skipped, chunks, listing.ignored, stats, len(to_read))


def _unchanged(old: Index, stats: dict[str, Stat], keep_skipped: bool) -> dict[str, Read]:
    """The files whose stat is the one `old` recorded, as `old` has them; with
    `keep_skipped`, a skipped file stays skipped until it changes (a reader that timed out
    is not tried again on every refresh)."""
    recorded = old.manifest.stats
    skipped = {s.rel: s for s in old.manifest.skipped}
    rows = old.document_rows
    kept: dict[str, Read] = {}
    for rel, st in stats.items():
        if st[0] < 0 or list(st) != recorded.get(rel):
            continue
        if rel in old.manifest.documents:
            kept[rel] = (old.manifest.documents[rel], [old.chunks[i] for i in rows[rel]])
        elif keep_skipped and rel in skipped:
            kept[rel] = (skipped[rel], [])
    return kept


def read_and_chunk_file(
    docs_root: Path, chunking: ChunkSettings, rel: str
) -> tuple[Document | Skipped, list[Chunk]]:
    """One listed file read and chunked, or why it was skipped (and no chunks)."""
    got = read_file(docs_root, rel)
    if isinstance(got, Skipped):
        return got, []
    try:
        return got, split_document(got, chunking)
    except Exception as exc:  # the per-file boundary covers chunking too
        log.debug("skipped %s:\n%s", rel, traceback.format_exc())
        return skipped_for(rel, exc), []


def _map_isolated(
    fn: Callable[[str], Read],
    rels: list[str],
    limits: Limits,
    on_chunks: Callable[[list[Chunk]], None] | None = None,
) -> list[Read]:
    """Text files read here (fast, nothing to hang), then other formats in worker processes;
    `on_chunks` gets each file's chunks as soon as they are in."""
    report = (lambda got: on_chunks(got[1])) if on_chunks is not None else None
    got: dict[str, Read] = {}
    for rel in rels:
        if reader_name(Path(rel)) in IN_PROCESS:
            got[rel] = fn(rel)
            if report is not None:
                report(got[rel])
    pooled = [r for r in rels if r not in got]
    got.update(zip(pooled, map_isolated(fn, pooled, limits, _failed, report), strict=True))
    return [got[r] for r in rels]


def readers_beside_encoder() -> int:
    """Reader processes to run while the model encodes the files already read, or 0 to read
    every file first: the logical CPUs that the encoder's threads (one per physical core,
    embeddings.onnx_encoder.physical_cores) leave free. Readers on the encoder's own cores
    win nothing: forced on 2 cores without a second thread each (benchmarks/read_overlap.py),
    whole builds ran at 0.94–1.01× the speed of reading first; so such a machine reads first,
    and one with two threads per core reads on the second ones while encoding."""
    from embeddings.onnx_encoder import physical_cores

    return max(0, cores() - physical_cores())


def _with_readers(reading: ReadSettings | None, readers: int) -> ReadSettings:
    """`reading` with `readers` worker processes, unless a number was asked for."""
    reading = reading or ReadSettings()
    if reading.limits.workers:
        return reading
    return replace(reading, limits=replace(reading.limits, workers=readers))


def _failed(rel: str, kind: str, reason: str) -> tuple[Skipped, list[Chunk]]:
    return Skipped(rel, reason, kind), []


def _reusable(root: Path, model: str) -> tuple[Index | None, str | None]:
    """The live index if its vectors can be reused, else None and why a full build is due.

    Other chunking settings do not stop reuse: vectors are keyed by the exact text the model
    read, so after `--max-words` or `--with-title` changes only the texts that changed are
    embedded (every sentence, and passages that come out the same, are reused)."""
    if not index_mod.exists(root):
        return None, None
    try:
        old = index_mod.load(root)
    except QAError as exc:
        return None, f"the old index could not be read ({exc})"
    if old.manifest.model != model:
        return None, f"the model changed ({old.manifest.model} → {model})"
    if old.manifest.text_version != TEXT_VERSION:
        return None, "this qa version reads passages differently"
    return old, None


def _known_vectors(old: Index, key: Callable[[str], Key]) -> tuple[Known, Known]:
    """The live index's vectors by key: its sentences (float16) by their text, its passages
    (float32) by the parts they were pooled from, with the settings the old index was built
    with (both memory-mapped, looked up in place). A passage read whole (an index of qa before
    pooling) is left out: it is pooled again from its sentences, which costs no encoding."""
    sentence_keys, passage_keys = bytearray(), bytearray()
    for row in range(len(old.chunks)):
        texts = indexed_sentences(old, row)
        for text in texts:
            sentence_keys += key(text)
        if old.manifest.pooled:
            parts = passage_parts(old.chunks[row], old.manifest.chunking, texts)
            passage_keys += pooled_key(key, parts)
    sentences = np.frombuffer(bytes(sentence_keys), dtype=KEY)
    passages = np.frombuffer(bytes(passage_keys), dtype=KEY)
    return (
        Known(sentences, old.sentences.vectors, np.arange(len(sentences))),
        Known(passages, old.vectors, np.arange(len(passages))),
    )


def _report(
    old: Index | None,
    docs: dict[str, DocEntry],
    skipped: list[Skipped],
    n_chunks: int,
    embedded: int,
    reason: str | None,
) -> BuildReport:
    before = {} if old is None else {k: v.sha256 for k, v in old.manifest.documents.items()}
    by_hash = {sha: rel for rel, sha in before.items()}
    now = {rel: d.sha256 for rel, d in docs.items()}
    renamed = [
        (by_hash[sha], rel)
        for rel, sha in now.items()
        if rel not in before and sha in by_hash and by_hash[sha] not in now
    ]
    moved_from = {a for a, _ in renamed}
    moved_to = {b for _, b in renamed}
    return BuildReport(
        added=[r for r in now if r not in before and r not in moved_to],
        updated=[r for r in now if r in before and before[r] != now[r]],
        removed=[r for r in before if r not in now and r not in moved_from],
        renamed=renamed,
        unchanged=sum(1 for r in now if before.get(r) == now[r]),
        chunks=n_chunks,
        embedded=embedded,
        skipped=skipped,
        full_rebuild_reason=reason,
    )
