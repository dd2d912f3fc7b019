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
    import faiss  # deferred: 0.2 s, only when an index is built or searched

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    kind = kind or index_kind(n)
    index: Any
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "ivf-sq8":
        nlist = max(1, min(4 * int(math.sqrt(n)), n // 39))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, 64 * nlist), replace=False)]
        index.train(sample)
        del sample  # 64 vectors per list: nearly the corpus again at 100k passages
        index.nprobe = NPROBE
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    shard_rows = shard_rows or SHARD_ROWS
    if kind == "ivf-sq8" and map_shards is not None and folder is not None and n > shard_rows:
        _merge_shards(index, vectors, map_shards, folder, shard_rows)
    elif n:
        index.add(vectors)
    return index


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


def load_index(path: Path) -> Any:
    """Read an index written by `save_index`, memory-mapped where FAISS can."""
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
