"""Unit vectors → a FAISS inner-product index (cosine similarity), saved as FAISS's own file.

The index type follows the corpus size: exact flat search up to FLAT_MAX vectors (at 50k
vectors of 384 floats a full scan takes a few milliseconds), above that an IVF index with 8-bit
scalar quantisation (a quarter of the memory of flat) probed in NPROBE lists. Callers rescore the
candidates exactly from the stored vectors, so the quantisation only decides which rows are
candidates; `benchmarks/vector_scale.py` measures its recall@10 against flat search.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

FLAT_MAX = 50_000
NPROBE = 48
SHARD_ROWS = 100_000  # vectors per shard when shards are filled in parallel
# FAISS's k-means asks for at least 39 points per centroid (it warns below); the sample is
# the largest thing a build holds at 100k passages (64 per list: 127 MB; 40: 80 MB)
TRAIN_PER_LIST = 40
ADD_ROWS = 4096  # vectors read from a file and added at a time (6 MB at 384 dimensions)
IVFDATA = "dense.ivfdata"  # inverted lists of an index merged on disk, beside the index file

# Runs a function over a list of items, maybe elsewhere (a Ray cluster), in order.
Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]


def index_kind(n: int) -> str:
    """ "flat" for small collections, "ivf-sq8" above FLAT_MAX vectors."""
    return "flat" if n <= FLAT_MAX else "ivf-sq8"


def build_index(
    vectors: np.ndarray,
    kind: str | None = None,
    map_shards: Mapper | None = None,
    folder: Path | None = None,
    shard_rows: int | None = None,
) -> Any:
    """An inner-product index over `vectors` (rows must be L2-normalised).

    With `map_shards` and `folder`, an IVF index is built by FAISS's distributed recipe: the
    quantizer is trained on a sample here; each shard of `shard_rows` vectors is added to a
    copy of the trained empty index and written into `folder` by `map_shards` (in parallel,
    e.g. Ray tasks); the shards are merged on disk (`merge_ondisk`) into inverted lists in
    `folder/IVFDATA`, never all in memory. Search results equal adding every vector here.
    `shard_rows` defaults to SHARD_ROWS.
    The index must then be saved into `folder`: FAISS finds IVFDATA beside it.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    kind = kind or index_kind(n)
    index = _empty_index(kind, n, dim, lambda rows: vectors[rows])
    shard_rows = shard_rows or SHARD_ROWS
    if kind == "ivf-sq8" and map_shards is not None and folder is not None and n > shard_rows:
        _merge_shards(index, vectors, map_shards, folder, shard_rows)
    elif n:
        index.add(vectors)
    return index


def build_index_from_file(path: Path, map_shards: Mapper | None = None) -> Any:
    """`build_index` over the unit vectors of a .npy file, read ADD_ROWS at a time (plain
    reads, not a memory map: the build never holds the file whole, only FAISS's own copy:
    flat up to FLAT_MAX vectors, a quarter of the size as IVF-SQ8 above). Gives the index
    `build_index` gives for the same vectors."""
    n, dim = _npy_shape(path)
    kind = index_kind(n)
    if map_shards is not None and kind == "ivf-sq8" and n > SHARD_ROWS:
        return build_index(np.load(path, mmap_mode="r"), kind, map_shards, path.parent)
    index = _empty_index(kind, n, dim, lambda rows: _npy_rows(path, rows))
    for _, part in _npy_slices(path):
        index.add(np.ascontiguousarray(part, dtype=np.float32))
    return index


def _empty_index(kind: str, n: int, dim: int, take: Callable[[np.ndarray], np.ndarray]) -> Any:
    """An empty index of `kind` for `n` vectors; IVF trained on a sample of them, chosen at
    random (`take` reads those rows): TRAIN_PER_LIST vectors per list."""
    import faiss  # deferred: 0.2 s, only when an index is built or searched

    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind != "ivf-sq8":
        raise ValueError(f"unknown index kind {kind!r}")
    nlist = max(1, min(4 * int(math.sqrt(n)), n // 39))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    # 8-bit codes of the vectors themselves, not of their residuals to the list's centroid:
    # residual training copies the sample (77 MB more at 105k passages) and, candidates being
    # rescored exactly, recall@10 came out the same (0.970 and 0.981 for 10 and 50
    # candidates on 100k clustered vectors, both ways)
    index.by_residual = False
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(n, size=min(n, TRAIN_PER_LIST * nlist), replace=False))
    index.train(np.ascontiguousarray(take(rows), dtype=np.float32))
    index.nprobe = NPROBE
    return index


def _npy_shape(path: Path) -> tuple[int, int]:
    with open(path, "rb") as f:
        shape, _, _ = _npy_header(f)
    return shape[0], shape[1] if len(shape) > 1 else 0


def _npy_header(f: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    return np.lib.format.read_array_header_2_0(f)


def _npy_slices(path: Path, rows: int = ADD_ROWS) -> Iterator[tuple[int, np.ndarray]]:
    """The rows of a 2-d .npy file, `rows` at a time, with the first row's number."""
    with open(path, "rb") as f:
        (n, dim), _, dtype = _npy_header(f)
        for lo in range(0, n, rows):
            count = min(rows, n - lo)
            yield lo, np.fromfile(f, dtype=dtype, count=count * dim).reshape(count, dim)


def _npy_rows(path: Path, rows: np.ndarray) -> np.ndarray:
    """The given rows (sorted) of a 2-d .npy file as float32, read a slice at a time."""
    out = np.empty((len(rows), _npy_shape(path)[1]), dtype=np.float32)
    done = 0
    for lo, part in _npy_slices(path):
        mine = rows[(rows >= lo) & (rows < lo + len(part))] - lo
        out[done : done + len(mine)] = part[mine]
        done += len(mine)
    return out


def _merge_shards(
    index: Any, vectors: np.ndarray, map_shards: Mapper, folder: Path, shard_rows: int
) -> None:
    """Fill the trained empty IVF `index` with `vectors`, shard by shard, merged on disk."""
    import faiss
    from faiss.contrib.ondisk import merge_ondisk

    empty = faiss.serialize_index(index)
    jobs = [
        (lo, vectors[lo : lo + shard_rows], str(folder / f"shard-{lo // shard_rows:05d}.faiss"))
        for lo in range(0, len(vectors), shard_rows)
    ]
    try:
        filled = map_shards(partial(fill_shard, empty), jobs)
        if sum(filled) != len(vectors):
            raise RuntimeError(f"FAISS shards hold {sum(filled)} of {len(vectors)} vectors")
        with _quiet_stdout():  # FAISS prints each file it resizes
            merge_ondisk(index, [path for _, _, path in jobs], str(folder / IVFDATA))
    finally:
        for _, _, path in jobs:
            Path(path).unlink(missing_ok=True)


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to file descriptor 1 (FAISS's on-disk lists print there), so
    they never mix into qa's own output, `--json` above all."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def fill_shard(empty: np.ndarray, job: tuple[int, np.ndarray, str]) -> int:
    """Add a shard's vectors, as rows `first`, `first + 1`, ..., to a copy of the serialised
    trained empty index and write it to the job's path; return how many vectors it holds."""
    import faiss

    first, vectors, path = job
    index = faiss.deserialize_index(empty)
    ids = np.arange(first, first + len(vectors), dtype=np.int64)
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    faiss.write_index(index, path)
    return int(index.ntotal)


def save_index(index: Any, path: Path) -> None:
    """Write `index` to `path`."""
    import faiss

    faiss.write_index(index, str(path))


class ExactIndex:
    """A flat inner-product index searched with numpy over the stored vectors themselves:
    the results of FAISS's IndexFlatIP (an exact scan; equal scores in row order), without
    importing FAISS (about 50 ms of every cold question)."""

    BLOCK_CELLS = 16 << 20  # scores computed at once: 64 MB of float32

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.ntotal = len(vectors)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids of the `k` best rows for each query (among `allowed` rows), a
        block of queries at a time (a score matrix of at most 64 MB)."""
        block = max(1, self.BLOCK_CELLS // max(1, self.ntotal))
        if len(queries) > block:
            parts = [
                self.search(queries[i : i + block], k, allowed)
                for i in range(0, len(queries), block)
            ]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        scores = queries @ np.asarray(self.vectors, dtype=np.float32).T
        if allowed is not None:
            scores[:, ~allowed] = -np.inf
        k = min(k, self.ntotal)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(scores, top, axis=1)
        order = np.lexsort((top, -best), axis=1)  # best first, equal scores by row
        ids, best = np.take_along_axis(top, order, axis=1), np.take_along_axis(best, order, axis=1)
        missing = ~np.isfinite(best)  # fewer allowed rows than k: FAISS's convention
        ids[missing], best[missing] = -1, -np.finfo(np.float32).max
        return best, ids


def load_index(path: Path, vectors: np.ndarray | None = None) -> Any:
    """Read an index written by `save_index`, memory-mapped where FAISS can; a flat one,
    given the `vectors` it holds, is searched exactly with numpy (ExactIndex)."""
    if vectors is not None and _is_flat_ip(path):
        return ExactIndex(vectors)
    import faiss

    if (path.parent / IVFDATA).is_file():  # merged on disk: its lists are mapped from there
        with _quiet_stdout():  # FAISS prints where it found them
            index = faiss.read_index(str(path), faiss.IO_FLAG_ONDISK_SAME_DIR)
    else:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    if hasattr(index, "nprobe"):
        index.nprobe = NPROBE
    return index


def search(
    index: Any, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and row ids of the `k` nearest rows for each query (ids -1 past the end); with
    `allowed` (one bool per row), only among those rows: FAISS skips the others while it
    searches, so k allowed rows come back whenever there are k."""
    k = max(1, min(k, index.ntotal))
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if isinstance(index, ExactIndex):
        return index.search(queries, k, allowed)
    if allowed is None:
        return index.search(queries, k)
    import faiss

    bits = np.packbits(allowed, bitorder="little")  # must outlive the search
    selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
    params: Any = (
        faiss.SearchParametersIVF() if hasattr(index, "nprobe") else faiss.SearchParameters()
    )
    params.sel = selector
    if hasattr(index, "nprobe"):
        params.nprobe = index.nprobe
    return index.search(queries, k, params=params)


def _is_flat_ip(path: Path) -> bool:
    """Whether FAISS's file at `path` holds an IndexFlatIP (its four-byte type code)."""
    with open(path, "rb") as f:
        return f.read(4) == b"IxFI"
