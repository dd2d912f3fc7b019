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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path

import numpy as np

from embeddings.vector_index import Mapper
from qa import index as index_mod
from qa.boilerplate import boilerplate
from qa.chunks import ChunkSettings, indexed_text, sentence_texts
from qa.corpus import ChunkSpill, Corpus, read_and_chunk
from qa.documents import Skipped, skip_counts
from qa.errors import IndexBusy, QAError, UsageError
from qa.files import ReadSettings
from qa.formats import READERS_VERSION
from qa.index import Index
from qa.isolation import cores
from qa.keys import KEY, Key, Known, plan, pooled_key
from qa.manifest import TEXT_VERSION, ChunkStore, DocEntry, Manifest, release_pages
from qa.options import BuildOptions
from qa.vectors import BuildEncoder, EncodeAhead, Progress, embed_corpus, passage_parts

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
    *,
    model: str,
    encoder: Callable[[], BuildEncoder],
    options: BuildOptions | None = None,
    on_progress: Progress | None = None,
    map_files: Mapper | None = None,
    map_shards: Mapper | None = None,
) -> BuildReport:
    """Index the documents below `docs_root` into `root` as `options` say, with `model` (the
    id the manifest records) embedded by `encoder()`, re-embedding only what changed (and
    reading only files whose stat changed; with `options.retry_skipped`, files skipped last
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
                model=model,
                encoder=encoder,
                options=options or BuildOptions(),
                on_progress=on_progress,
                map_files=map_files,
                map_shards=map_shards,
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
    *,
    model: str,
    encoder: Callable[[], BuildEncoder],
    options: BuildOptions,
    on_progress: Progress | None,
    map_files: Mapper | None,
    map_shards: Mapper | None,
) -> BuildReport:
    chunking, reading = options.chunking, options.reading
    old, reason = (None, "--rebuild was asked for") if options.rebuild else _reusable(root, model)
    same_reading = old is not None and (
        old.manifest.chunking == chunking and old.manifest.docs_root == str(docs_root.resolve())
    )
    clock = Stopwatch()
    key = partial(_key, model)
    known, pooled = _known_vectors(old, key) if old else (Known.empty(), Known.empty())
    encoder = cache(encoder)  # made once, and only if something is new
    read = partial(
        read_and_chunk,
        docs_root,
        chunking,
        map_files=map_files,
        reuse=old if same_reading else None,
        retry_skipped=options.retry_skipped,
        on_read=partial(on_progress, stage="reading") if on_progress else None,
        on_pages=partial(on_progress, stage="scanning") if on_progress else None,
    )
    corpus, ahead = _read(
        read,
        reading=reading,
        here=map_files is None,
        encoder=encoder,
        key=key,
        known=known,
        resume=root / "resume",
    )
    if old is not None and isinstance(old.chunks, ChunkStore):
        old.chunks.release()  # every chunk was read for its keys, unchanged ones copied
    clock.lap("read and chunk")
    try:
        if not corpus.chunks:
            raise UsageError(_nothing_to_index(docs_root, corpus))
        planned = plan(corpus.chunks, key)
        clock.lap("texts")
        made = embed_corpus(
            corpus.chunks,
            chunking,
            key,
            planned,
            known=known,
            pooled=pooled,
            folder=root / "resume",
            encoder=encoder,
            on_progress=on_progress,
        )
        encoder.cache_clear()  # the ONNX session (its repacked weights, its buffers) let go of
        del known, pooled
        clock.lap("encode")
        dim = made.dim or (old.manifest.dim if old else 0)
        manifest = _manifest(model, dim, chunking, docs_root, corpus, reading)
        index_mod.save_version(
            root,
            manifest,
            corpus.chunks,
            ((indexed_text(c, chunking), c.lang) for c in corpus.chunks),  # what BM25 reads
            made.passages,
            sentence_vectors=made.sentences,
            spans=(planned.spans, planned.offsets),
            common=boilerplate(planned.first, planned.offsets, planned.documents),
            map_shards=map_shards,
            clock=clock,
        )
    finally:
        if isinstance(corpus.chunks, ChunkSpill):  # the scratch file is made anew each build
            corpus.chunks.close()
            corpus.chunks.path.unlink(missing_ok=True)
    shutil.rmtree(root / "resume", ignore_errors=True)
    why = reason if old is None else None
    report = _report(old, corpus.docs, corpus.skipped, len(corpus.chunks), made.embedded, why)
    return replace(
        report, ignored=corpus.ignored, read=corpus.read, seconds=clock.laps, ahead=ahead
    )


def _manifest(
    model: str,
    dim: int,
    chunking: ChunkSettings,
    docs_root: Path,
    corpus: Corpus,
    reading: ReadSettings,
) -> Manifest:
    """The manifest of a version built from `corpus` (its files' stats and the exclude
    patterns kept, so that a refresh can tell what changed)."""
    return Manifest(
        model=model,
        dim=dim,
        chunking=chunking,
        docs_root=str(docs_root.resolve()),
        built_at=time.time(),
        documents=corpus.docs,
        skipped=corpus.skipped,
        stats={rel: list(st) for rel, st in corpus.stats.items()},
        exclude=list(reading.exclude),
        follow_links=reading.follow_links,
        pooled=True,
        readers=READERS_VERSION,
        ocr=reading.ocr.mode,
        ocr_lang=reading.ocr.lang,
    )


def _read(
    read: Callable[..., Corpus],
    *,
    reading: ReadSettings | None,
    here: bool,
    encoder: Callable[[], BuildEncoder],
    key: Callable[[str], Key],
    known: Known,
    resume: Path,
) -> tuple[Corpus, int]:
    """The folder read (`read`, with `reading`), its chunks into a scratch file in `resume`;
    and how many sentences were embedded while it was read: when files are read `here` and
    the encoder leaves CPUs free (readers_beside_encoder), the sentences of the files
    already read are embedded while worker processes read the others (EncodeAhead)."""
    scratch = resume / "chunks.partial.jsonl"
    if not here or not (readers := readers_beside_encoder()):
        return read(reading=reading, spill=scratch), 0
    ahead = EncodeAhead(encoder, key, known, resume)
    try:
        corpus = read(reading=_with_readers(reading, readers), on_chunks=ahead.add, spill=scratch)
    finally:
        ahead.finish()
    return corpus, ahead.encoded


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
        "Markdown, HTML, PDF, Word, PowerPoint, OpenDocument, EPUB, RTF, e-mail, notebooks, "
        "spreadsheets and (with Tesseract) scans and images"
    )


def indexed_sentences(index: Index, row: int) -> list[str]:
    """The sentences of passage `row` of `index`, as the model read them."""
    rows, chunk = index.sentences.of(row), index.chunks[row]
    spans = index.sentences.spans[rows.start : rows.stop]
    return sentence_texts(chunk, spans)


def _key(model: str, text: str) -> Key:
    """The key of the vector of `text` read by `model`: 16 bytes of a hash."""
    return hashlib.sha256(f"{model}\0{TEXT_VERSION}\0{text}".encode()).digest()[:16]


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
        if row % 8192 == 0:
            release_pages(old.sentences.spans)
            if isinstance(old.chunks, ChunkStore):
                old.chunks.release()
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
