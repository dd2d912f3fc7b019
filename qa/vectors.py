"""Passages → sentence and passage vectors in files, for a build, a batch at a time.

`embed_corpus` embeds and pools BATCH passages at a time, after qa.keys planned every
sentence: a text whose vector the live index, an interrupted build's checkpoints or this
build already has is not read again; new texts are embedded in checkpointed slices (resume
shards); sentence and passage vectors go straight into memory-mapped spill files under
resume/ whose pages are handed back to the OS as they fill (`Spill`), and which become the
index's `sentences.npy` and `vectors.npy` by a rename. So what a build holds does not grow
with the corpus, but for the plan's arrays of keys and spans. `EncodeAhead` embeds the
sentences of files already read while worker processes read the others.
"""

from __future__ import annotations

import logging
import mmap
import queue
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.shards import write_shard
from qa.chunks import (
    Chunk,
    ChunkSettings,
    for_model,
    heading_parts,
    indexed_text,
    sentence_texts,
)
from qa.keys import Key, Known, Plan, hex_keys, keys_of, pooled_key

log = logging.getLogger("qa")

BATCH = 2048  # passages embedded and pooled at a time: what the build holds follows this
RESUME_SLICE = 512  # texts embedded between two resume checkpoints
RELEASE_BYTES = 16 << 20  # vectors written or read between two hand-backs of a spill's pages
SPILL = "sentences.partial.npy"  # the sentence array of a build under way, in resume/
PASSAGE_SPILL = "vectors.partial.npy"  # its passage vectors
HEADINGS_HELD = 4096  # heading vectors kept for the passages that follow them


UNITS = {
    "reading": "files",
    "scanning": "pages",
    "embedding": "sentences",
}  # what each stage counts


class Progress(Protocol):
    """A build's progress: `done` of `total` files read (stage "reading"), pages of long
    scans read on in later rounds ("scanning"), then sentences embedded ("embedding")."""

    def __call__(self, done: int, total: int, stage: str = "embedding") -> None: ...


class BuildEncoder(Protocol):
    """What a build embeds with: the ONNX encoder here, or Ray's actor pool (which may also
    write its vectors as shards itself: `encode_to_shards`)."""

    def encode(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray: ...


def passage_vector(vectors: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """A passage's vector from its parts' unit vectors: their mean weighted by each part's
    number of word pieces, normalised: one forward pass per text instead of two. Against
    reading each passage whole as well (docs/performance.md, "Building the index"):
    SQuAD acc@1 -0.6 pt (McNemar z 3.1), SciFact nDCG@10 -0.3 (Recall@100 +0.7: long passages
    are no longer truncated), click one question up, rich equal; the second pass would bring
    the build below a bare encode's speed, and pooling by the sentences' norms gains nothing."""
    pooled = (np.asarray(vectors, dtype=np.float32) * tokens[:, None]).sum(axis=0)
    return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def passage_parts(chunk: Chunk, settings: ChunkSettings, sentences: list[str]) -> list[str]:
    """The texts a passage's vector is pooled from: what is read with it (its heading path;
    title and context when asked for), then its sentences; a passage without a sentence
    (only chrome lines) is read whole."""
    if not sentences:
        return [indexed_text(chunk, settings)]
    return [for_model(p) for p in heading_parts(chunk, settings)] + sentences


class Spill:
    """A zero-filled .npy array in a file, memory-mapped; every RELEASE_BYTES of rows used,
    its pages are handed back to the OS (they stay in the file), so the build's memory does
    not hold the corpus's vectors."""

    def __init__(self, path: Path, rows: int, dim: int, dtype: type) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(rows, dim)).flush()
        header = path.stat().st_size - rows * dim * np.dtype(dtype).itemsize
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), 0)
        self.path = path
        self.rows = np.ndarray((rows, dim), dtype=dtype, buffer=self._map, offset=header)
        self._row_bytes = dim * np.dtype(dtype).itemsize
        self._touched = 0

    def touch(self, rows: int) -> None:
        """Count rows used; every RELEASE_BYTES, hand the mapped pages back to the OS."""
        self._touched += rows * self._row_bytes
        if self._touched >= RELEASE_BYTES:
            self._touched = 0
            self._map.flush()
            if hasattr(mmap, "MADV_DONTNEED"):
                self._map.madvise(mmap.MADV_DONTNEED)

    def close(self) -> Path:
        """Write it out and let go of the map; the file's path."""
        self.rows = np.zeros((0, 0))  # the map closes only when no array uses it
        self._map.flush()
        self._map.close()
        return self.path


@dataclass(frozen=True)
class CorpusVectors:
    """What `embed_corpus` wrote: the sentence and passage vector files (or empty arrays when
    there are none), the vectors' dimension, and how many passages needed new vectors."""

    sentences: Path | np.ndarray
    passages: Path | np.ndarray
    dim: int
    embedded: int


class Batches:
    """What `embed_corpus` keeps from one batch to the next: the plan, the vectors known,
    the spill files, each sentence row's word pieces and whether this build made its vector
    (`fresh`, not the live index), and the heading vectors held for the passages that follow
    them (text → vector, word pieces, fresh)."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        settings: ChunkSettings,
        key: Callable[[str], Key],
        planned: Plan,
        known: Known,
        folder: Path,
    ) -> None:
        self.chunks, self.settings, self.key, self.plan = chunks, settings, key, planned
        self.known, self.folder = known, folder
        self.shards_read: set[str] = set()
        self.resumed = Known.from_shards(folder, self.shards_read)
        self.tokens = np.zeros(len(planned.keys), dtype=np.int32)
        self.fresh = np.zeros(len(planned.keys), dtype=bool)
        self.headings: dict[str, tuple[np.ndarray, int, bool]] = {}
        self.wanted: set[str] = set()  # the headings the batch under way lacks
        self.sentences: Spill | None = None
        self.passages: Spill | None = None

    def sentence_texts(self, passage: int, chunk: Chunk) -> list[str]:
        """The sentences of passage `passage` (`chunk`), as the model reads them."""
        p = self.plan
        spans = p.spans[p.offsets[passage] : p.offsets[passage + 1]]
        return sentence_texts(chunk, spans)

    def put_sentences(
        self, rows: np.ndarray, vectors: np.ndarray, tokens: np.ndarray, fresh: np.ndarray | bool
    ) -> None:
        """Sentence vectors (and their word pieces) at `rows`."""
        if not len(rows):
            return
        if self.sentences is None:
            dim = vectors.shape[1]
            self.sentences = Spill(self.folder / SPILL, len(self.plan.keys), dim, np.float16)
        self.sentences.rows[rows] = vectors
        self.tokens[rows] = tokens
        self.fresh[rows] = fresh
        self.sentences.touch(len(rows))

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        """The sentence vectors at `rows` (a copy)."""
        assert self.sentences is not None
        self.sentences.touch(len(rows))
        return np.array(self.sentences.rows[rows])

    def put_passage(self, row: int, vector: np.ndarray) -> None:
        if self.passages is None:
            n = len(self.plan.offsets) - 1
            self.passages = Spill(self.folder / PASSAGE_SPILL, n, len(vector), np.float32)
        self.passages.rows[row] = vector
        self.passages.touch(1)


def embed_corpus(
    chunks: Sequence[Chunk],
    settings: ChunkSettings,
    key: Callable[[str], Key],
    planned: Plan,
    *,
    known: Known,
    pooled: Known,
    folder: Path,
    encoder: Callable[[], BuildEncoder],
    on_progress: Progress | None = None,
) -> CorpusVectors:
    """Every sentence's and passage's vector, into spill files in `folder` (resume/), BATCH
    passages at a time: sentences in `known` (the live index) or in `folder`'s shards (an
    interrupted build's) are taken from there, the others embedded by `encoder()` in
    checkpointed slices, as float16 (as the index keeps sentences); a passage whose pooled
    key is in `pooled` keeps that vector, the others are pooled from their parts
    (passage_vector)."""
    state = Batches(chunks, settings, key, planned, known, folder)
    total = len(planned.keys)
    embedded = 0
    for lo in range(0, len(chunks), BATCH):
        hi = min(lo + BATCH, len(chunks))
        step = _counter(on_progress, int(planned.offsets[lo]), int(planned.offsets[hi]), total)
        embedded += _embed_batch(state, lo, hi, pooled, encoder, step)
        if on_progress is not None:
            on_progress(int(planned.offsets[hi]), total)
        if len(state.headings) > HEADINGS_HELD:
            state.headings.clear()
        known.release()  # the live index's pages read for this batch
        pooled.release()
    dims = [s.rows.shape[1] for s in (state.sentences, state.passages) if s is not None]
    dim = int(dims[0]) if dims else 0
    sentences = state.sentences.close() if state.sentences else np.zeros((0, dim), np.float16)
    passages = state.passages.close() if state.passages else np.zeros((0, dim), np.float32)
    return CorpusVectors(sentences, passages, dim, embedded)


def _embed_batch(
    state: Batches,
    lo: int,
    hi: int,
    pooled: Known,
    encoder: Callable[[], BuildEncoder],
    step: Callable[[int], None] | None,
) -> int:
    """Passages `lo`–`hi`: their sentences' vectors filled, then the passages' written; how
    many passages needed a text this build embedded."""
    p = state.plan
    chunks = [state.chunks[i] for i in range(lo, hi)]  # read once: they may come from a file
    texts = [state.sentence_texts(lo + n, c) for n, c in enumerate(chunks)]
    parts = [passage_parts(c, state.settings, t) for c, t in zip(chunks, texts, strict=True)]
    heads = [ps[: len(ps) - len(t)] for ps, t in zip(parts, texts, strict=True)]
    found = pooled.find(keys_of([pooled_key(state.key, ps) for ps in parts]))
    base, rows = int(p.offsets[lo]), np.arange(p.offsets[lo], p.offsets[hi])
    flat = [t for ts in texts for t in ts]
    missing = _sentences_known(state, rows[p.first[rows] == rows])
    want = {flat[r - base]: int(r) for r in missing}  # text → its sentence row, -1 a heading
    state.wanted = {t for n in np.flatnonzero(found < 0).tolist() for t in heads[n]}
    state.wanted -= state.headings.keys()
    for text in state.wanted:
        want.setdefault(text, -1)
    _headings_known(state, want)
    _encode(state, want, encoder, step)
    repeats = rows[p.first[rows] != rows]
    if len(repeats):
        firsts = p.first[repeats]
        vectors = state.sentence_vectors(firsts)
        state.put_sentences(repeats, vectors, state.tokens[firsts], state.fresh[firsts])
    return _pool(state, lo, texts=texts, heads=heads, found=found, pooled=pooled, encoder=encoder)


def _sentences_known(state: Batches, rows: np.ndarray) -> np.ndarray:
    """Fill the sentences at `rows` that the live index or the resume shards have; the rows
    left to embed."""
    for source, fresh in ((state.known, False), (state.resumed, True)):
        at = source.find(state.plan.keys[rows])
        hit = at >= 0
        if hit.any():
            vectors = source.vectors[source.rows[at[hit]]]
            state.put_sentences(rows[hit], vectors, source.tokens[at[hit]], fresh)
        rows = rows[~hit]
    return rows


def _headings_known(state: Batches, want: dict[str, int]) -> None:
    """Take the headings of `want` that the live index or the resume shards have out of it,
    into the headings held."""
    heads = [t for t, row in want.items() if row < 0]
    keys = keys_of([state.key(t) for t in heads])
    for source, fresh in ((state.known, False), (state.resumed, True)):
        for text, at in zip(heads, source.find(keys), strict=True):
            if at >= 0 and text in want:
                state.headings[text] = (source.vector(at), int(source.tokens[at]), fresh)
                del want[text]


def _encode(
    state: Batches,
    want: dict[str, int],
    encoder: Callable[[], BuildEncoder],
    step: Callable[[int], None] | None,
) -> None:
    """Embed the texts of `want` (longest first: batches of like lengths pad little), in
    slices each checkpointed as a resume shard, into the sentence rows or headings held."""
    texts = sorted(want, key=len, reverse=True)
    if not texts:
        return
    model = encoder()
    state.folder.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "encode_to_shards"):  # cluster workers write the shards themselves
        keys = keys_of([state.key(t) for t in texts])
        model.encode_to_shards(texts, hex_keys(keys), state.folder, on_batch=step)
        got = Known.from_shards(state.folder, state.shards_read)
        at = got.find(keys)
        if (at < 0).any():
            raise RuntimeError(f"the encoder's shards lack {int((at < 0).sum())} texts")
        _store(state, want, texts, got.vectors[got.rows[at]], got.tokens[at])
        return
    for lo in range(0, len(texts), RESUME_SLICE):
        part = texts[lo : lo + RESUME_SLICE]
        vectors, tokens = _encode_counted(model, part, step)
        keys = keys_of([state.key(t) for t in part])
        write_shard(state.folder, hex_keys(keys), vectors, tokens)
        _store(state, want, part, vectors, tokens if tokens is not None else np.zeros(len(part)))


def _store(
    state: Batches, want: dict[str, int], texts: list[str], vectors: np.ndarray, tokens: np.ndarray
) -> None:
    """Put embedded `texts` where `want` says: a sentence row, or the headings held."""
    rows = np.array([want[t] for t in texts])
    is_row = rows >= 0
    state.put_sentences(rows[is_row], vectors[is_row], np.asarray(tokens)[is_row], True)
    for text, vector, n, row in zip(texts, vectors, tokens, rows, strict=True):
        if row < 0 or text in state.wanted:  # a heading (maybe also a sentence)
            state.headings[text] = (np.asarray(vector, dtype=np.float16), int(n), True)


def _pool(
    state: Batches,
    lo: int,
    *,
    texts: list[list[str]],
    heads: list[list[str]],
    found: np.ndarray,
    pooled: Known,
    encoder: Callable[[], BuildEncoder],
) -> int:
    """Write the passage vectors from `lo` on: as `pooled` has them, or pooled from their
    parts, weighed by word pieces (counted again only for parts the encoder did not count:
    the live index's); how many passages had a part this build embedded."""
    p, embedded = state.plan, 0
    tokens: dict[int, np.ndarray] = {}
    for n in np.flatnonzero(found < 0).tolist():
        rows = np.arange(p.offsets[lo + n], p.offsets[lo + n + 1])
        held = [state.headings[t] for t in heads[n]]
        tokens[n] = np.array([h[1] for h in held] + state.tokens[rows].tolist(), dtype=np.int64)
        embedded += any(h[2] for h in held) or bool(state.fresh[rows].any())
    uncounted = [(n, j) for n, ts in tokens.items() for j in np.flatnonzero(ts == 0).tolist()]
    if uncounted:
        parts = [(heads[n] + texts[n])[j] for n, j in uncounted]
        for (n, j), count in zip(uncounted, encoder().count_tokens(parts), strict=True):
            tokens[n][j] = count
    for n, f in enumerate(found.tolist()):
        if f >= 0:
            state.put_passage(lo + n, pooled.vector(int(f)))
            continue
        rows = np.arange(p.offsets[lo + n], p.offsets[lo + n + 1])
        vectors = [state.headings[t][0] for t in heads[n]]
        if len(rows):
            vectors.extend(state.sentence_vectors(rows))
        state.put_passage(lo + n, passage_vector(np.array(vectors), tokens[n]))
    return embedded


def _encode_counted(
    model: BuildEncoder, texts: list[str], step: Callable[[int], None] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Float16 vectors of `texts`, and their word pieces when the encoder counts them as it
    tokenises (the ONNX encoder: texts are then tokenised once in a build), else None."""
    counted = getattr(model, "encode_counted", None)
    if counted is None:
        return model.encode(texts, on_batch=step).astype(np.float16), None
    vectors, tokens = counted(texts, on_batch=step)
    return vectors.astype(np.float16), tokens


def _counter(
    on_progress: Progress | None, start: int, stop: int, total: int
) -> Callable[[int], None] | None:
    """A step function advancing the progress from `start` to at most `stop` (of `total`):
    each text embedded counts as a sentence done."""
    if on_progress is None:
        return None
    done = start

    def step(n: int) -> None:
        nonlocal done
        done = min(done + n, stop)
        on_progress(done, total)

    return step


class EncodeAhead:
    """The sentences of files already read, embedded in a thread while worker processes read
    the others (`add` is called with each file's chunks as it comes in): every RESUME_SLICE
    new texts become a resume shard, which `embed_corpus` then finds done. Texts the live
    index has (`known`) or that were queued already are left out. `finish`, when reading is
    over, lets the slice under way complete and drops the others: they are embedded with the
    rest, in length-sorted batches. An error in the thread (a model that fails to load)
    stops it quietly; the build meets it again and reports it."""

    def __init__(
        self,
        encoder: Callable[[], BuildEncoder],
        key: Callable[[str], Key],
        known: Known,
        folder: Path,
    ) -> None:
        self._encoder, self._key, self._known, self._folder = encoder, key, known, folder
        self._seen: set[Key] = set()
        self._pending: list[tuple[Key, str]] = []  # (key, text) not yet in a slice
        self._slices: queue.SimpleQueue[list[tuple[Key, str]] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.encoded = 0  # texts embedded ahead

    def add(self, chunks: list[Chunk]) -> None:
        """Queue the sentences of one file's chunks that are new; start on a full slice."""
        for chunk in chunks:
            for text in sentence_texts(chunk):
                k = self._key(text)
                if k not in self._seen and k not in self._known:
                    self._seen.add(k)
                    self._pending.append((k, text))
        while len(self._pending) >= RESUME_SLICE:
            self._slices.put(self._pending[:RESUME_SLICE])
            del self._pending[:RESUME_SLICE]
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()

    def finish(self) -> int:
        """Stop after the slice under way; return how many texts were embedded ahead
        (`encoded`)."""
        self._stop.set()
        self._slices.put(None)
        if self._thread is not None:
            self._thread.join()
        self._seen, self._pending = set(), []
        return self.encoded

    def _run(self) -> None:
        try:
            model = self._encoder()
            self._folder.mkdir(parents=True, exist_ok=True)
            while not self._stop.is_set():
                part = self._slices.get()
                if part is None or self._stop.is_set():
                    return
                vectors, tokens = _encode_counted(model, [t for _, t in part], None)
                write_shard(self._folder, hex_keys(keys_of([k for k, _ in part])), vectors, tokens)
                self.encoded += len(part)
        except Exception:
            log.debug("encoding ahead stopped:\n%s", traceback.format_exc())
