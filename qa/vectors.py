"""Texts → vectors by key, for a build: embedded in checkpointed slices (resume shards),
reused from the live index or an interrupted build, kept in a table (VectorTable), and pooled
into passage vectors; `EncodeAhead` embeds the sentences of files already read while worker
processes read the others.
"""

from __future__ import annotations

import logging
import mmap
import queue
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.shards import read_shards, write_shard
from qa.chunks import Chunk, sentence_texts

log = logging.getLogger("qa")


class BuildEncoder(Protocol):
    """What a build embeds with: the ONNX encoder here, or Ray's actor pool (which may also
    write its vectors as shards itself: `encode_to_shards`)."""

    def encode(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray: ...


RESUME_SLICE = 512  # texts embedded between two resume checkpoints
RELEASE_ROWS = 65536  # sentence rows (48 MB at 384 dimensions) between two page hand-backs
SPILL = "sentences.partial.npy"  # the sentence array of a build under way, in resume/
Progress = Callable[[int, int], None]  # (texts embedded so far, total)


def passage_vector(vectors: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """A passage's vector from its parts' unit vectors: their mean weighted by each part's
    number of word pieces, normalised. Measured against reading the passage whole (README,
    "Building the index"): SQuAD and SciFact within 0.3 pt, SciFact's Recall@100 up (long
    passages are no longer truncated), the docs sets one question apart, at half the encoding."""
    pooled = (np.asarray(vectors, dtype=np.float32) * tokens[:, None]).sum(axis=0)
    return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


class VectorTable:
    """A build's vectors by key. Sentences go straight into the float16 array the index
    saves, at every row of theirs (no second copy of the corpus's vectors in memory); other
    texts (headings, passages read whole) are kept aside; what the live index already has is
    looked up in place (memory-mapped). With each vector the table keeps, when the encoder
    gave it, its text's number of word pieces (0: not known), which pooling weighs by.

    With a `spill` path the sentence array is that .npy file, memory-mapped, and every
    RELEASE_ROWS rows written or read its pages are handed back to the OS (they stay in the
    file): the build's memory then no longer holds the corpus's sentence vectors (at 105k
    passages, 0.4 GB), and the file becomes the index's sentences.npy by a rename."""

    def __init__(
        self, sentence_keys: list[str], known: dict[str, np.ndarray], spill: Path | None = None
    ) -> None:
        self.first: dict[str, int] = {}  # each sentence's first row
        self.more: dict[str, list[int]] = {}  # its other rows (a sentence repeated by overlap)
        for row, k in enumerate(sentence_keys):
            if self.first.setdefault(k, row) != row:
                self.more.setdefault(k, []).append(row)
        self.size = len(sentence_keys)
        self.sentences = np.zeros((0, 0), dtype=np.float16)
        self.filled = np.zeros(self.size, dtype=bool)
        self.tokens = np.zeros(self.size, dtype=np.int32)
        self.known = known
        self.other: dict[str, np.ndarray] = {}
        self.other_tokens: dict[str, int] = {}
        self._spill = spill
        self._map: mmap.mmap | None = None
        self._touched = 0  # rows written or read since the pages were last handed back
        self.put((k, known[k]) for k in self.first if k in known)

    def take_sentences(self, dim: int) -> np.ndarray | Path:
        """The sentence array, handed over (the table lets go of it and of its lookups): the
        spill file, written and closed, or an array; an empty (0, dim) array when no passage
        has a sentence (all were read whole)."""
        out = self.sentences if self.sentences.size else np.zeros((0, dim), dtype=np.float16)
        self.sentences = np.zeros((0, 0), dtype=np.float16)
        self.first, self.more, self.other, self.known = {}, {}, {}, {}
        self.tokens, self.other_tokens = np.zeros(0, dtype=np.int32), {}
        if self._map is None or self._spill is None:
            return out
        del out  # the mapped array: the map closes only when no array uses it
        self._map.flush()
        self._map.close()
        self._map = None
        return self._spill

    def _allocate(self, dim: int) -> None:
        """The sentence array: in memory, or the spill file mapped (zero-filled, sparse)."""
        shape = (self.size, dim)
        if self._spill is None:
            self.sentences = np.zeros(shape, dtype=np.float16)
            return
        self._spill.parent.mkdir(parents=True, exist_ok=True)
        np.lib.format.open_memmap(self._spill, mode="w+", dtype=np.float16, shape=shape).flush()
        header = self._spill.stat().st_size - self.size * dim * 2
        with open(self._spill, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), 0)
        self.sentences = np.ndarray(shape, dtype=np.float16, buffer=self._map, offset=header)

    def _touch(self, rows: int) -> None:
        """Count rows used; every RELEASE_ROWS, hand the mapped pages back to the OS."""
        self._touched += rows
        if self._map is not None and self._touched >= RELEASE_ROWS:
            self._touched = 0
            self._map.flush()
            if hasattr(mmap, "MADV_DONTNEED"):
                self._map.madvise(mmap.MADV_DONTNEED)

    def _written(self, k: str) -> int | None:
        """The first row of sentence `k` if its vector is in, else None."""
        row = self.first.get(k)
        return row if row is not None and self.filled[row] else None

    def __contains__(self, k: str) -> bool:
        return self._written(k) is not None or k in self.other or k in self.known

    def __getitem__(self, k: str) -> np.ndarray:
        row = self._written(k)
        if row is not None:
            self._touch(1)
            return np.array(self.sentences[row])
        return self.other[k] if k in self.other else self.known[k]

    def word_pieces(self, k: str) -> int:
        """The word pieces of the text keyed `k`, as the encoder counted them; 0 if not known."""
        row = self.first.get(k)
        return int(self.tokens[row]) if row is not None else self.other_tokens.get(k, 0)

    def put(
        self, pairs: Iterable[tuple[str, np.ndarray]], tokens: Iterable[int] | None = None
    ) -> None:
        """Store vectors by key, and with them their texts' word pieces if given (in order)."""
        counts = iter(tokens) if tokens is not None else None
        for k, vector in pairs:
            n = next(counts) if counts is not None else 0
            row = self.first.get(k)
            if row is None:
                self.other[k] = np.asarray(vector, dtype=np.float16)
                if n:
                    self.other_tokens[k] = n
                continue
            if not self.sentences.size:
                self._allocate(len(vector))
            rows = [row, *self.more.get(k, ())]
            self.sentences[rows] = vector
            self.filled[rows] = True
            self.tokens[rows] = n
            self._touch(len(rows))


def passage_vectors(
    encoder: Callable[[], BuildEncoder],
    parts: list[list[str]],
    to_pool: dict[int, list[str]],
    pooled_keys: list[str],
    done: VectorTable,
) -> np.ndarray:
    """Every passage's vector, written into one float32 array: the passages `to_pool` (row:
    its parts' keys) pooled from their parts, the others as the live index has them (by
    `pooled_keys`). Parts embedded by this build are weighed by the word pieces the encoder
    counted as it read them; only the others (vectors of the live index, or of an interrupted
    build's shards) are tokenised again to count theirs."""
    out = np.zeros((0, 0), dtype=np.float32)

    def store(row: int, vector: np.ndarray) -> None:
        nonlocal out
        if not out.size:
            out = np.zeros((len(pooled_keys), len(vector)), dtype=np.float32)
        out[row] = vector

    for row, k in enumerate(pooled_keys):
        if row not in to_pool:
            store(row, done.known[k])
    if to_pool:
        tokens = np.array([done.word_pieces(k) for ks in to_pool.values() for k in ks])
        missing = np.flatnonzero(tokens == 0)
        if len(missing):
            texts = [t for i in to_pool for t in parts[i]]
            tokens[missing] = encoder().count_tokens([texts[j] for j in missing])
        bounds = np.cumsum([0, *(len(parts[i]) for i in to_pool)])
        for n, (row, keys) in enumerate(to_pool.items()):
            vectors = np.array([done[k] for k in keys])
            store(row, passage_vector(vectors, tokens[bounds[n] : bounds[n + 1]]))
    return out


def embed(
    encoder: Callable[[], BuildEncoder],
    texts: list[str],
    keys: list[str],
    done: VectorTable,
    root: Path,
    on_progress: Progress | None,
) -> None:
    """Put the vectors of `texts` (keyed by `keys`) into `done`: those it lacks embedded (by
    `encoder()`) with checkpoints under resume/, as float16, as the index keeps sentences
    (half the memory, and a passage pooled in a fresh build is the one an incremental build
    pools)."""
    folder = root / "resume"
    _put_shards(done, folder)
    todo = sorted(
        {k: i for i, k in enumerate(keys) if k not in done}.values(), key=lambda i: -len(texts[i])
    )
    step = _counter(on_progress, len(texts))
    if step and len(texts) > len(todo):
        step(len(texts) - len(todo))
    if todo:
        model = encoder()
        folder.mkdir(exist_ok=True)
        if hasattr(model, "encode_to_shards"):  # cluster workers write the shards themselves
            part_keys = [keys[i] for i in todo]
            model.encode_to_shards([texts[i] for i in todo], part_keys, folder, on_batch=step)
            _put_shards(done, folder)
        else:
            for lo in range(0, len(todo), RESUME_SLICE):
                part = todo[lo : lo + RESUME_SLICE]
                vecs, tokens = _encode_counted(model, [texts[i] for i in part], step)
                write_shard(folder, [keys[i] for i in part], vecs, tokens)
                done.put(zip((keys[i] for i in part), vecs, strict=True), tokens)


def _put_shards(done: VectorTable, folder: Path) -> None:
    """Put the vectors of every shard in `folder` into `done`, with the word pieces they
    recorded."""
    tokens: dict[str, int] = {}
    vectors = read_shards(folder, np.float16, tokens)
    done.put(vectors.items(), (tokens.get(k, 0) for k in vectors))


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


class EncodeAhead:
    """The sentences of files already read, embedded in a thread while worker processes read
    the others (`add` is called with each file's chunks as it comes in): every RESUME_SLICE
    new texts become a resume shard, which `embed` then finds done. Texts the live index has
    (`known`) or that were queued already are left out. `finish`, when reading is over, lets
    the slice under way complete and drops the others: `embed` encodes them with the rest, in
    length-sorted batches. An error in the thread (a model that fails to load) stops it
    quietly; `embed` meets it again and reports it."""

    def __init__(
        self,
        encoder: Callable[[], BuildEncoder],
        key: Callable[[str], str],
        known: dict[str, np.ndarray],
        folder: Path,
    ) -> None:
        self._encoder, self._key, self._known, self._folder = encoder, key, known, folder
        self._seen: set[str] = set()
        self._pending: list[tuple[str, str]] = []  # (key, text) not yet in a slice
        self._slices: queue.SimpleQueue[list[tuple[str, str]] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.encoded = 0  # texts embedded ahead

    def add(self, chunks: list[Chunk]) -> None:
        """Queue the sentences of one file's chunks that are new; start on a full slice."""
        for chunk in chunks:
            for text in sentence_texts(chunk):
                k = self._key(text)
                if k not in self._known and k not in self._seen:
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
                write_shard(self._folder, [k for k, _ in part], vectors, tokens)
                self.encoded += len(part)
        except Exception:
            log.debug("encoding ahead stopped:\n%s", traceback.format_exc())
