"""Documents folder → a new index version on disk, re-embedding only what changed.

The model reads each passage once: its vector and its sentences' vectors come from the same
forward pass (a sentence's vector is the mean of its tokens' embeddings in the passage: late
chunking, OnnxEncoder.encode_spans). Every vector is keyed by a hash of model, TEXT_VERSION
and the text read (a sentence's key also holds its passage, whose context its vector has).
Vectors of the live index, and slices checkpointed by an interrupted build, are reused by
key: an unchanged or renamed document costs no embedding, and a build killed half-way starts
again from what it had embedded.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from embeddings.shards import read_shards, write_shard
from embeddings.vector_index import Mapper
from qa import index as index_mod
from qa.chunks import (
    Chunk,
    ChunkSettings,
    chunk_sentences,
    for_model,
    indexed_text,
    split_document,
)
from qa.documents import Document, Skipped, read_file, skip_counts, skipped_for
from qa.errors import IndexBusy, QAError, UsageError
from qa.files import ReadSettings, Stat, list_folder, stat_files
from qa.formats import IN_PROCESS, reader_name
from qa.index import TEXT_VERSION, DocEntry, Index, Manifest
from qa.isolation import Limits, map_isolated

log = logging.getLogger("qa")


class BuildEncoder(Protocol):
    """What a build embeds with here (the ONNX encoder): per text, its vector and then one
    vector per character span of it."""

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray: ...


@runtime_checkable
class ShardEncoder(Protocol):
    """What a cluster build embeds with (Ray's actor pool): the workers write the rows of
    `encode_spans` into a folder as shards, keyed per text by its key and its spans' keys."""

    def encode_spans_to_shards(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        keys: Sequence[Sequence[str]],
        folder: Path,
        on_batch: Callable[[int], None] | None = None,
    ) -> None: ...


Encoders = Callable[[], BuildEncoder | ShardEncoder]


RESUME_SLICE = 512  # passages embedded between two resume checkpoints
Progress = Callable[[int, int], None]  # (passages embedded so far, total)


@dataclass(frozen=True)
class Pass:
    """One forward pass of the model: a text, the character spans pooled from it (its
    sentences), and the keys of the vectors it gives (the text's, then each span's)."""

    text: str
    spans: list[tuple[int, int]]
    keys: list[str]


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
    encoder_factory: Encoders,
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
    (`encode_spans_to_shards`), and `map_shards` to fill FAISS shards in parallel."""
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
    encoder_factory: Encoders,
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
    corpus = read_and_chunk(docs_root, chunking, map_files, reading, reuse, retry_skipped)
    clock.lap("read and chunk")
    docs, skipped, chunks = corpus.docs, corpus.skipped, corpus.chunks
    if not chunks:
        raise UsageError(_nothing_to_index(docs_root, corpus))
    spans = [chunk_sentences(c) for c in chunks]
    chunk_texts = [indexed_text(c, chunking) for c in chunks]
    key = partial(_key, model)
    passes: list[Pass] = []
    sentence_keys: list[str] = []
    for chunk, chunk_spans, text in zip(chunks, spans, chunk_texts, strict=True):
        sentences = [_slice(chunk, a, b) for a, b in chunk_spans]
        passes.extend(passes_of(text, sentences, key))
        sentence_keys.extend(_sentence_key(key, text, s) for s in sentences)
    known = _known_vectors(old, key) if old else {}
    embedded = sum(1 for t in chunk_texts if key(t) not in known)
    clock.lap("texts")
    done = _embed(encoder_factory, passes, known, root, on_progress)
    clock.lap("encode")
    vectors = _rows(done, [key(t) for t in chunk_texts])
    sentence_vectors = _rows(done, sentence_keys)
    dim = vectors.shape[1] if len(vectors) else old.manifest.dim if old else 0

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
    )
    index_mod.save_version(
        root,
        manifest,
        chunks,
        chunk_texts,
        vectors,
        sentence_vectors,
        spans,
        map_shards,
        clock,
    )
    shutil.rmtree(root / "resume", ignore_errors=True)
    report = _report(old, docs, skipped, len(chunks), embedded, reason if old is None else None)
    return replace(report, ignored=corpus.ignored, read=corpus.read, seconds=clock.laps)


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


def _slice(chunk: Chunk, start: int, end: int) -> str:
    """A sentence of a chunk, as the model reads it."""
    return for_model(chunk.text[start - chunk.start : end - chunk.start])


def _key(model: str, text: str) -> str:
    """The key of the vector of `text` read by `model`."""
    return hashlib.sha256(f"{model}\0{TEXT_VERSION}\0{text}".encode()).hexdigest()


def _sentence_key(key: Callable[[str], str], passage: str, sentence: str) -> str:
    """The key of a sentence's vector: it is read in its passage, so both make the key."""
    return key(f"{passage}\0{sentence}")


def passes_of(passage: str, sentences: list[str], key: Callable[[str], str]) -> list[Pass]:
    """The forward passes a passage's vectors take: the passage, its sentences pooled from
    it as spans, and any sentence not found in the text the model reads (one that ran
    across a dropped chrome line) read alone."""
    spans: list[tuple[int, int]] = []
    keys = [key(passage)]
    alone: list[Pass] = []
    at = 0
    for sentence in sentences:
        found = passage.find(sentence, at)
        if found < 0 or not sentence:
            alone.append(Pass(sentence, [], [_sentence_key(key, passage, sentence)]))
            continue
        spans.append((found, found + len(sentence)))
        keys.append(_sentence_key(key, passage, sentence))
        at = found + len(sentence)
    return [Pass(passage, spans, keys), *alone]


def _rows(vectors: dict[str, np.ndarray], keys: list[str]) -> np.ndarray:
    """The vectors of `keys`, in order, as one float32 array."""
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.array([vectors[k] for k in keys], dtype=np.float32)


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
) -> Corpus:
    """Every document below `docs_root`, its chunks and the files skipped.

    Files whose size and modification time are those `reuse` (an index of this folder built
    with the same chunking) recorded are taken from it, not read again. `map_files` runs the
    per-file work over the other files, in order: by default, text files here and files of
    other formats in isolated worker processes (qa.isolation); a cluster engine passes its own
    (qa.cluster: Ray Data tasks)."""
    reading = reading or ReadSettings()
    listing = list_folder(docs_root, reading.exclude)
    stats = stat_files(docs_root, [*listing.rels, *(s.rel for s in listing.skipped)])
    kept = _unchanged(reuse, stats, not retry_skipped) if reuse is not None else {}
    each = partial(read_and_chunk_file, docs_root, chunking)
    if map_files is None:
        map_files = partial(_map_isolated, limits=reading.limits)
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


Read = tuple[Document | DocEntry | Skipped, list[Chunk]]  # one file: what it gave, its chunks


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
    fn: Callable[[str], Any], rels: list[str], limits: Limits
) -> list[tuple[Document | Skipped, list[Chunk]]]:
    """Text files read here (fast, nothing to hang), other formats in worker processes."""
    pooled = [r for r in rels if reader_name(Path(r)) not in IN_PROCESS]
    got = dict(zip(pooled, map_isolated(fn, pooled, limits, _failed), strict=True))
    return [got[r] if r in got else fn(r) for r in rels]


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


def _known_vectors(old: Index, key: Callable[[str], str]) -> dict[str, np.ndarray]:
    """The live index's vectors by the key of the text they embed (chunks float32, sentences
    float16); chunk texts are rebuilt with the settings the old index was built with. (An
    index built before late chunking has sentences encoded alone; they are reused as they
    are, until `qa index --rebuild`.)"""
    known: dict[str, np.ndarray] = {}
    sentences = old.sentences
    for row in range(len(old.chunks)):
        chunk = old.chunks[row]
        passage = indexed_text(chunk, old.manifest.chunking)
        known[key(passage)] = old.vectors[row]
        for s in sentences.of(row):
            a, b = (int(x) for x in sentences.spans[s])
            known[_sentence_key(key, passage, _slice(chunk, a, b))] = sentences.vectors[s]
    return known


def _embed(
    encoder_factory: Encoders,
    passes: list[Pass],
    known: dict[str, np.ndarray],
    root: Path,
    on_progress: Progress | None,
) -> dict[str, np.ndarray]:
    """Every vector the passes give, by key: reused when known, else embedded (longest texts
    first) with checkpoints under resume/. Progress counts passes."""
    folder = root / "resume"
    done = {**read_shards(folder), **known}
    unique = {p.keys[0]: p for p in passes}
    todo = sorted(
        (p for p in unique.values() if any(k not in done for k in p.keys)),
        key=lambda p: -len(p.text),
    )
    step = _counter(on_progress, len(unique))
    if step and len(unique) > len(todo):
        step(len(unique) - len(todo))
    if todo:
        encoder = encoder_factory()
        folder.mkdir(exist_ok=True)
        if isinstance(encoder, ShardEncoder):  # cluster workers write the shards themselves
            texts, spans = [p.text for p in todo], [p.spans for p in todo]
            keys = [p.keys for p in todo]
            encoder.encode_spans_to_shards(texts, spans, keys, folder, on_batch=step)
            done.update(read_shards(folder))
        else:
            for lo in range(0, len(todo), RESUME_SLICE):
                part = todo[lo : lo + RESUME_SLICE]
                vecs = encoder.encode_spans(
                    [p.text for p in part], [p.spans for p in part], on_batch=step
                )
                part_keys = [k for p in part for k in p.keys]
                write_shard(folder, part_keys, vecs)
                done.update(zip(part_keys, vecs, strict=True))
    return done


def _counter(on_progress: Progress | None, total: int) -> Callable[[int], None] | None:
    if on_progress is None:
        return None
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        on_progress(done, total)

    on_progress(0, total)
    return step


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
