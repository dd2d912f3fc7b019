"""Chunks + vectors → an index folder on disk; and back.

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

A build writes a new version beside the old one and switches CURRENT only when every file is
on disk (fsync + rename), so readers see the old index or the new one, never a mix.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunks import Chunk, ChunkSettings, indexed_text, split_document
from qa.documents import Document, Skipped, read_folder
from qa.errors import QAError, UsageError
from qa.lexical import LexicalIndex

FORMAT_VERSION = 1
# Bumped whenever what is embedded for a chunk changes (qa.chunks.indexed_text), so that old
# vectors are never reused for text the model would now read differently.
TEXT_VERSION = 2
RESUME_SLICE = 512  # texts embedded between two resume checkpoints
CURRENT = "CURRENT"
Progress = Callable[[int, int], None]  # (texts embedded so far, total)


@dataclass(frozen=True)
class DocEntry:
    """What the manifest remembers of one document."""

    sha256: str
    title: str
    date: str | None
    chunks: int


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
    text_version: int = TEXT_VERSION
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raises KeyError/TypeError/ValueError when it is not one."""
        raw = json.loads(text)
        if raw.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"format version {raw.get('format_version')}, expected {FORMAT_VERSION}"
            )
        raw["chunking"] = ChunkSettings(**raw["chunking"])
        raw["documents"] = {k: DocEntry(**v) for k, v in raw["documents"].items()}
        raw["skipped"] = [Skipped(**s) for s in raw["skipped"]]
        return cls(**raw)


@dataclass(frozen=True)
class BuildReport:
    """What a build changed, for `qa index` to print."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    renamed: list[tuple[str, str]]
    unchanged: int
    chunks: int
    embedded: int
    skipped: list[Skipped]
    full_rebuild_reason: str | None = None

    def summary(self) -> str:
        """One line: what changed and how many passages were embedded."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.renamed)} renamed, {self.unchanged} unchanged; {self.chunks} passages "
            f"({self.embedded} embedded)"
        )


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

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        line = self._data[int(self._offsets[i]) : int(self._offsets[i + 1])]
        return Chunk(**json.loads(line))


@dataclass
class Index:
    """A loaded index version: manifest, chunks, vectors, dense and lexical search structures."""

    folder: Path
    manifest: Manifest
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    lexical: LexicalIndex
    dense: Any


# --- reading -------------------------------------------------------------------------------------


def exists(root: Path) -> bool:
    """Whether `root` holds a live index version."""
    return (root / CURRENT).is_file()


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
    """The manifest of one version folder, checked."""
    try:
        return Manifest.from_json((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise QAError(
            f"the index at {folder.parent} is damaged or from another qa version ({exc}); "
            "run `qa index --rebuild`"
        ) from None


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
        dense = load_index(folder / "dense.faiss")
    except (OSError, ValueError, RuntimeError) as exc:
        raise QAError(f"the index at {root} is damaged ({exc}); run `qa index --rebuild`") from None
    if vectors.shape != (len(chunks), manifest.dim):
        raise QAError(f"the index at {root} is damaged (vector shape); run `qa index --rebuild`")
    if dense.ntotal != len(chunks):
        raise QAError(f"the index at {root} is damaged (FAISS size); run `qa index --rebuild`")
    return Index(folder, manifest, chunks, vectors, lexical, dense)


# --- writing -------------------------------------------------------------------------------------


def build(
    docs_root: Path,
    root: Path,
    model: str,
    chunking: ChunkSettings,
    encoder_factory: Callable[[], Any],
    on_progress: Progress | None = None,
    rebuild: bool = False,
) -> BuildReport:
    """Index the documents below `docs_root` into `root`, re-embedding only what changed."""
    from filelock import FileLock, Timeout

    _make_folder(root)
    try:
        with FileLock(str(root / "write.lock"), timeout=0):
            return _build_locked(
                docs_root, root, model, chunking, encoder_factory, on_progress, rebuild
            )
    except Timeout:
        raise QAError(
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
    encoder_factory: Callable[[], Any],
    on_progress: Progress | None,
    rebuild: bool,
) -> BuildReport:
    docs, skipped = read_folder(docs_root)
    if not docs:
        raise UsageError(f"no .txt or .md documents in {docs_root}: nothing to index")
    old, reason = (None, "--rebuild was asked for") if rebuild else _reusable(root, model, chunking)
    reuse = _reuse_table(old) if old else {}

    chunks: list[Chunk] = []
    rows: list[np.ndarray | None] = []
    fresh: list[int] = []
    for doc in docs:
        doc_chunks = _reused_chunks(doc, reuse) or split_document(doc, chunking)
        reused = reuse.get(doc.sha256)
        for k, chunk in enumerate(doc_chunks):
            if reused is not None:
                rows.append(reused[1][k])
            else:
                rows.append(None)
                fresh.append(len(chunks))
            chunks.append(chunk)

    texts = [indexed_text(chunks[i], chunking) for i in fresh]
    if texts or old is None:
        encoder = encoder_factory()
        dim = encoder.dim
        new_vectors = _embed_resumable(encoder, texts, root / "resume", model, on_progress)
    else:  # nothing new to embed: don't pay for loading the model
        dim, new_vectors = old.manifest.dim, np.zeros((0, old.manifest.dim), np.float32)
    vectors = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        if row is not None:
            vectors[i] = row
    if fresh:
        vectors[fresh] = new_vectors

    manifest = Manifest(
        model=model,
        dim=dim,
        chunking=chunking,
        docs_root=str(docs_root.resolve()),
        built_at=time.time(),
        documents={
            d.rel: DocEntry(d.sha256, d.title, d.date, sum(c.path == d.rel for c in chunks))
            for d in docs
        },
        skipped=skipped,
    )
    _write_version(root, manifest, chunks, vectors)
    shutil.rmtree(root / "resume", ignore_errors=True)
    return _report(old, docs, skipped, len(chunks), len(fresh), reason if old is None else None)


def _reusable(root: Path, model: str, chunking: ChunkSettings) -> tuple[Index | None, str | None]:
    """The live index if its vectors can be reused, else None and why a full build is due."""
    if not exists(root):
        return None, None
    try:
        old = load(root)
    except QAError as exc:
        return None, f"the old index could not be read ({exc})"
    if old.manifest.model != model:
        return None, f"the model changed ({old.manifest.model} → {model})"
    if old.manifest.chunking != chunking:
        return None, "the chunking settings changed"
    if old.manifest.text_version != TEXT_VERSION:
        return None, "this qa version reads passages differently"
    return old, None


def _reuse_table(old: Index) -> dict[str, tuple[list[Chunk], np.ndarray]]:
    """Old chunks and vectors by document hash."""
    table: dict[str, tuple[list[Chunk], np.ndarray]] = {}
    first = 0
    for entry in old.manifest.documents.values():
        n = entry.chunks
        table[entry.sha256] = (list(old.chunks[first : first + n]), old.vectors[first : first + n])
        first += n
    return table


def _reused_chunks(doc: Document, reuse: dict[str, tuple[list[Chunk], np.ndarray]]) -> list[Chunk]:
    """A document's old chunks, moved to its current path (a rename costs no embedding)."""
    if doc.sha256 not in reuse:
        return []
    return [_moved(c, doc.rel) for c in reuse[doc.sha256][0]]


def _moved(chunk: Chunk, path: str) -> Chunk:
    return chunk if chunk.path == path else Chunk(**{**asdict(chunk), "path": path})


def _embed_resumable(
    encoder: Any, texts: list[str], folder: Path, model: str, on_progress: Progress | None
) -> np.ndarray:
    """Embed `texts`, saving each finished slice under `folder` so that a build that is
    interrupted (Ctrl-C, kill -9, power loss) starts again from what it had embedded."""
    import hashlib

    def key(text: str) -> str:
        return hashlib.sha256(f"{model}\0{TEXT_VERSION}\0{text}".encode()).hexdigest()

    done = _load_resume(folder)
    keys = [key(t) for t in texts]
    todo = sorted(
        {k: i for i, k in enumerate(keys) if k not in done}.values(), key=lambda i: -len(texts[i])
    )
    step = _counter(on_progress, len(texts))
    if step and len(texts) - len(todo):
        step(len(texts) - len(todo))
    folder.mkdir(exist_ok=True)
    for lo in range(0, len(todo), RESUME_SLICE):
        part = todo[lo : lo + RESUME_SLICE]
        vecs = encoder.encode([texts[i] for i in part], on_batch=step)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}"
        np.save(folder / f"{name}.npy.tmp.npy", vecs)
        (folder / f"{name}.json.tmp").write_text(json.dumps([keys[i] for i in part]))
        os.replace(folder / f"{name}.npy.tmp.npy", folder / f"{name}.npy")
        os.replace(folder / f"{name}.json.tmp", folder / f"{name}.json")  # the commit point
        done.update(zip((keys[i] for i in part), vecs, strict=True))
    dim = encoder.dim
    return np.array([done[k] for k in keys], dtype=np.float32).reshape(len(texts), dim)


def _load_resume(folder: Path) -> dict[str, np.ndarray]:
    """Vectors a previous, interrupted build saved, by text key; damaged slices are ignored."""
    done: dict[str, np.ndarray] = {}
    if not folder.is_dir():
        return done
    for meta in folder.glob("*.json"):
        try:
            keys = json.loads(meta.read_text())
            vecs = np.load(meta.with_suffix(".npy"), allow_pickle=False)
        except (OSError, ValueError):
            continue  # a slice cut short by the interruption: it is simply embedded again
        if len(keys) == len(vecs):
            done.update(zip(keys, vecs, strict=True))
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


def _write_version(
    root: Path, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray
) -> None:
    """Write a complete version folder, then make it the live one atomically."""
    from embeddings.vector_index import build_index, save_index

    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    folder = root / name
    folder.mkdir()
    try:
        lines = [json.dumps(asdict(c), ensure_ascii=False).encode() + b"\n" for c in chunks]
        (folder / "chunks.jsonl").write_bytes(b"".join(lines))
        np.save(folder / "chunks.offsets.npy", np.cumsum([0] + [len(x) for x in lines]))
        np.save(folder / "vectors.npy", vectors)
        save_index(build_index(vectors), folder / "dense.faiss")
        LexicalIndex.build([indexed_text(c, manifest.chunking) for c in chunks]).save(
            folder / "bm25"
        )
        files = {
            p.relative_to(folder).as_posix(): p.stat().st_size
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        final = Manifest(**{**manifest.__dict__, "files": files})
        (folder / "manifest.json").write_text(final.to_json(), encoding="utf-8")
        _fsync_tree(folder)
        _switch(root, name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _remove_old_versions(root, keep=name)


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _switch(root: Path, name: str) -> None:
    """Point CURRENT at `name` with a rename, the one atomic step of a build."""
    tmp = root / f"{CURRENT}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / CURRENT)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_versions(root: Path, keep: str) -> None:
    for path in root.iterdir():
        if path.name.startswith("v-") and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f"{CURRENT}.") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)


def _report(
    old: Index | None,
    docs: list[Document],
    skipped: list[Skipped],
    n_chunks: int,
    embedded: int,
    reason: str | None,
) -> BuildReport:
    before = {} if old is None else {k: v.sha256 for k, v in old.manifest.documents.items()}
    by_hash = {sha: rel for rel, sha in before.items()}
    now = {d.rel: d.sha256 for d in docs}
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
