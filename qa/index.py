"""The index folder: its format, writing a version (`save_version`) and loading it (`load`).

Layout of an index folder (plain files, no pickle):

    CURRENT              name of the live version folder, replaced atomically
    write.lock           held by the one writer
    v-<time>-<id>/       one complete version
        manifest.json    format version, model, dimension, chunking, documents, file sizes
        chunks.jsonl     one Chunk per line, in vector order
        chunks.offsets.npy  byte offset of each line, so a query reads only the chunks it shows
        vectors.npy      float32 unit vectors, one row per chunk
        dense.faiss      FAISS inner-product index over the vectors
        bm25/            bm25s index over the same chunks
        bm25_fields/     bm25s index over each chunk's document title and date (field_text)
        sentences.npy, sentence_spans.npy, sentence_offsets.npy
                         float16 vectors of each chunk's sentences, for ranking and highlighting
        sentence_common.npy  which sentences are boilerplate (bits; absent when none is)

A build writes a new version beside the old one and switches CURRENT only when every file is
on disk (fsync + rename), so readers see the old index or the new one, never a mix.
"""

from __future__ import annotations

import functools
import json
import os
import time
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from embeddings.vector_index import Mapper
from qa.chunks import Chunk, field_text
from qa.errors import QAError, UsageError
from qa.lexical import LexicalIndex
from qa.manifest import (
    FORMAT_VERSION,
    TEXT_VERSION,
    ChunkStore,
    Manifest,
    chunk_line,
)

CURRENT = "CURRENT"


@dataclass
class Index:
    """A loaded index version: manifest, chunks, vectors, dense and lexical search structures."""

    folder: Path
    manifest: Manifest
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    lexical: LexicalIndex
    dense: Any
    sentences: Sentences
    fields: LexicalIndex | None = None  # title and date (None in indexes of format 3)

    @functools.cached_property
    def document_rows(self) -> dict[str, range]:
        """The rows of each document's chunks: a build writes every document's chunks
        together, in the manifest's order of documents."""
        rows: dict[str, range] = {}
        start = 0
        for rel, entry in self.manifest.documents.items():
            rows[rel] = range(start, start + entry.chunks)
            start += entry.chunks
        return rows

    @functools.cached_property
    def document_languages(self) -> np.ndarray:
        """Each document's language (qa.languages), in manifest order."""
        return np.array([entry.lang for entry in self.manifest.documents.values()], dtype=object)

    @functools.cached_property
    def document_suffixes(self) -> np.ndarray:
        """Each document's suffix, lower case without its dot ("pdf"; "" for none), in
        manifest order."""
        return np.array(
            [PurePosixPath(rel).suffix.lower().lstrip(".") for rel in self.manifest.documents],
            dtype=object,
        )

    @functools.cached_property
    def code_documents(self) -> np.ndarray:
        """Whether each document (in manifest order) is a source code file, by its suffix."""
        return np.isin(self.document_suffixes, list(CODE_SUFFIXES))

    @functools.cached_property
    def row_documents(self) -> np.ndarray:
        """The number of each row's document (in manifest order), one int per row."""
        counts = [entry.chunks for entry in self.manifest.documents.values()]
        return np.repeat(np.arange(len(counts)), counts)


# source code: a program, not prose about it (qa.retrieve's `code_weight`)
CODE_SUFFIXES = frozenset(
    "py pyi js mjs cjs ts tsx jsx go rs java kt kts scala c h cc cpp cxx hpp cs rb php pl pm "
    "swift m lua r jl sh bash zsh fish ps1 sql hs ml ex exs erl clj dart vue svelte".split()
)


@dataclass
class Sentences:
    """Every chunk's sentences (chrome lines left out): float16 unit vectors, their character
    spans in the source file, `offsets[i]:offsets[i + 1]`, the rows of chunk i, and which
    are boilerplate (qa.boilerplate; None: none, as in an index made before it was found)."""

    vectors: np.ndarray
    spans: np.ndarray
    offsets: np.ndarray
    common: np.ndarray | None = None

    def of(self, row: int) -> range:
        """Sentence rows of chunk `row`."""
        return range(int(self.offsets[row]), int(self.offsets[row + 1]))

    def of_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sentence rows of chunks `rows`, one chunk's after another; where each chunk
        that has sentences starts among them (for np.ufunc.reduceat); and which chunks have
        any."""
        starts = np.asarray(self.offsets[rows], dtype=np.int64)
        counts = np.asarray(self.offsets[rows + 1], dtype=np.int64) - starts
        firsts = np.cumsum(counts) - counts
        has = counts > 0
        return np.repeat(starts - firsts, counts) + np.arange(counts.sum()), firsts[has], has


# --- reading -------------------------------------------------------------------------------------


def exists(root: Path) -> bool:
    """Whether `root` holds a live index version."""
    return (root / CURRENT).is_file()


def is_outdated(root: Path) -> bool:
    """Whether the live index was written by another qa version (format or passage text)."""
    try:
        manifest = live_manifest(root)
    except QAError:  # unreadable: a format this version cannot read, or damaged
        try:
            name = (root / CURRENT).read_text().strip()
            raw = json.loads((root / name / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False  # missing or damaged: not a version question
        return raw.get("format_version") != FORMAT_VERSION
    return (manifest.format_version, manifest.text_version) != (FORMAT_VERSION, TEXT_VERSION)


def current_folder(root: Path) -> Path:
    """The live version folder of the index at `root`."""
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        raise UsageError(
            f"no index at {root}: build one with `qa index DOCS --index {root}`"
        ) from None
    except OSError as exc:
        raise QAError(f"cannot read the index at {root}: {exc.strerror}") from None
    folder = root / name
    if not name.startswith("v-") or "/" in name or not folder.is_dir():
        raise QAError(
            f"the index at {root} is damaged (no version {name!r}); run `qa index --rebuild`"
        )
    return folder


def read_manifest(folder: Path) -> Manifest:
    """The manifest of one version folder, checked; parsed once per process while the file
    is unchanged (an ask checks, refreshes and loads the same version: one parse, not three)."""
    path = folder / "manifest.json"
    try:
        st = path.stat()
        return _parsed_manifest(str(path), st.st_mtime_ns, st.st_size)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise QAError(
            f"the index at {folder.parent} is damaged or from another qa version ({exc}); "
            "run `qa index --rebuild`"
        ) from None


@functools.lru_cache(maxsize=16)
def _parsed_manifest(path: str, mtime_ns: int, size: int) -> Manifest:
    """The manifest at `path` as it is at (`mtime_ns`, `size`)."""
    return Manifest.from_json(Path(path).read_text(encoding="utf-8"))


def live_manifest(root: Path) -> Manifest:
    """The manifest of the live version of the index at `root`."""
    return read_manifest(current_folder(root))


def load(root: Path) -> Index:
    """Open the live version of the index at `root`, checking what it reads."""
    from embeddings.vector_index import load_index

    folder = current_folder(root)
    manifest = read_manifest(folder)
    for name, size in manifest.files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            raise QAError(
                f"the index at {root} is damaged ({name} is missing or truncated); "
                "run `qa index --rebuild`"
            )
    try:
        chunks = ChunkStore(folder)
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        lexical = LexicalIndex.load(folder / "bm25")
        # format 3 had no fields; such an index is still read to reuse its vectors
        has_fields = (folder / "bm25_fields").is_dir()
        fields = LexicalIndex.load(folder / "bm25_fields") if has_fields else None
        dense = load_index(folder / "dense.faiss", vectors)
        spans = np.load(folder / "sentence_spans.npy", mmap_mode="r")
        sentences = Sentences(
            np.load(folder / "sentences.npy", mmap_mode="r"),
            spans,
            np.load(folder / "sentence_offsets.npy", mmap_mode="r"),
            _bits(folder / "sentence_common.npy", len(spans)),
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise QAError(f"the index at {root} is damaged ({exc}); run `qa index --rebuild`") from None
    if vectors.shape != (len(chunks), manifest.dim):
        raise QAError(f"the index at {root} is damaged (vector shape); run `qa index --rebuild`")
    if dense.ntotal != len(chunks):
        raise QAError(f"the index at {root} is damaged (FAISS size); run `qa index --rebuild`")
    if len(sentences.offsets) != len(chunks) + 1 or len(sentences.vectors) != len(sentences.spans):
        raise QAError(f"the index at {root} is damaged (sentences); run `qa index --rebuild`")
    return Index(folder, manifest, chunks, vectors, lexical, dense, sentences, fields)


def _bits(path: Path, count: int) -> np.ndarray | None:
    """The `count` bools packed in `path` (None when there is no such file)."""
    if not path.is_file():
        return None
    bits = np.unpackbits(np.load(path), count=count).astype(bool)
    if len(bits) != count:
        raise ValueError(f"{path.name} holds {len(bits)} of {count} sentences")
    return bits


# --- writing a version ---------------------------------------------------------------------


def save_version(
    root: Path,
    manifest: Manifest,
    chunks: Sequence[Chunk],
    texts: Iterable[tuple[str, str]],
    vectors: np.ndarray | Path,
    *,
    sentence_vectors: np.ndarray | Path,
    spans: tuple[np.ndarray, np.ndarray],
    common: np.ndarray | None = None,
    map_shards: Mapper | None = None,
    clock: Any = None,
) -> None:
    """Write a complete version folder, then make it the live one atomically (the one
    writer of the format `load` reads; qa.build decides what goes in it). `texts` are what
    BM25 indexes for each chunk, as the model read it (qa.chunks.indexed_text), with its
    language, read once
    (a generator need not hold the corpus's text). `spans` are the sentences' source spans
    (m × 2) and each chunk's first sentence row (n + 1; `sentence_spans`); `common`, which
    sentences are boilerplate. A `clock`
    (qa.build.Stopwatch) gets laps "FAISS", "BM25" and "write". Passage and sentence
    vectors are arrays, or .npy files on the same disk, moved in (qa.vectors' spill files:
    the build then never holds them whole; FAISS reads the passage vectors in slices)."""
    import shutil  # deferred: only a build writes
    import uuid

    from embeddings.vector_index import build_index_from_file, save_index

    lap = clock.lap if clock is not None else (lambda name: None)
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    folder = root / name
    folder.mkdir()
    try:
        _write_chunks(folder, chunks)
        _move_or_save(sentence_vectors, folder / "sentences.npy", np.float16)
        if not isinstance(vectors, Path):  # an empty array may come without its dimension
            vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), manifest.dim)
        _move_or_save(vectors, folder / "vectors.npy", np.float32)
        del sentence_vectors, vectors
        np.save(folder / "sentence_spans.npy", np.asarray(spans[0], dtype=np.int64).reshape(-1, 2))
        np.save(folder / "sentence_offsets.npy", np.asarray(spans[1], dtype=np.int64))
        if common is not None and common.any():
            np.save(folder / "sentence_common.npy", np.packbits(common))
        lap("write")
        dense = build_index_from_file(folder / "vectors.npy", map_shards=map_shards)
        save_index(dense, folder / "dense.faiss")
        del dense  # FAISS's copy of the vectors, out of memory before BM25 is built
        lap("FAISS")
        LexicalIndex.build(texts).save(folder / "bm25")
        fields = ((field_text(c), c.lang) for c in chunks)
        LexicalIndex.build(fields).save(folder / "bm25_fields")
        lap("BM25")
        files = {
            p.relative_to(folder).as_posix(): p.stat().st_size
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        final = Manifest(**{**manifest.__dict__, "files": files})
        (folder / "manifest.json").write_text(final.to_json(), encoding="utf-8")
        _fsync_tree(folder)
        _switch(root, name)
        lap("write")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _remove_old_versions(root, keep=name)


def sentence_spans(spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """Each chunk's sentence spans, as save_version takes them: all spans (m × 2) and each
    chunk's first row (n + 1)."""
    flat = [span for s in spans for span in s]
    offsets = np.cumsum([0] + [len(s) for s in spans])
    return np.array(flat, dtype=np.int64).reshape(-1, 2), offsets


def _write_chunks(folder: Path, chunks: Iterable[Chunk]) -> None:
    """chunks.jsonl and the byte offset of each line, a chunk at a time."""
    offsets = array("q", [0])
    with open(folder / "chunks.jsonl", "wb") as out:
        for chunk in chunks:
            line = chunk_line(chunk)
            out.write(line)
            offsets.append(offsets[-1] + len(line))
    np.save(folder / "chunks.offsets.npy", np.frombuffer(offsets, dtype=np.int64))


def _move_or_save(vectors: np.ndarray | Path, path: Path, dtype: type) -> None:
    """A .npy file moved to `path` (same disk), or an array saved there as `dtype`."""
    if isinstance(vectors, Path):
        os.replace(vectors, path)
    else:
        np.save(path, np.asarray(vectors, dtype=dtype))


def _fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        _fsync(path)


def _switch(root: Path, name: str) -> None:
    """Point CURRENT at `name` with a rename, the one atomic step of a build."""
    import uuid  # deferred: only a build writes

    tmp = root / f"{CURRENT}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / CURRENT)
    _fsync(root)


def _remove_old_versions(root: Path, keep: str) -> None:
    import shutil  # deferred: only a build writes

    for path in root.iterdir():
        if path.name.startswith("v-") and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f"{CURRENT}.") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
