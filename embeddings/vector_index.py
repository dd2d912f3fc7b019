"""Unit vectors → a FAISS inner-product index (cosine similarity), saved as FAISS's own file.

The index type follows the corpus size: exact flat search up to FLAT_MAX vectors (at 50k
vectors of 384 floats a full scan takes a few milliseconds), above that an IVF index with 8-bit
scalar quantisation (a quarter of the memory of flat) probed in NPROBE lists. Callers rescore the
candidates exactly from the stored vectors, so the quantisation only decides which rows are
candidates; `benchmarks/vector_scale.py` measures its recall@10 against flat search.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

FLAT_MAX = 50_000
NPROBE = 48
SHARD_ROWS = 100_000  # vectors per shard when shards are filled in parallel

# Runs a function over a list of items, maybe elsewhere (a Ray cluster), in order.
Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]


def index_kind(n: int) -> str:
    """ "flat" for small collections, "ivf-sq8" above FLAT_MAX vectors."""
    return "flat" if n <= FLAT_MAX else "ivf-sq8"


def build_index(
    vectors: np.ndarray,
    kind: str | None = None,
    map_shards: Mapper | None = None,
    shard_rows: int = SHARD_ROWS,
) -> Any:
    """An inner-product index over `vectors` (rows must be L2-normalised).

    With `map_shards`, an IVF index is filled the way FAISS's distributed recipe does: the
    quantizer is trained on a sample here, each shard of `shard_rows` vectors is added to a
    copy of the trained empty index by `map_shards` (in parallel, e.g. Ray tasks), and the
    shards are merged in row order: the result equals adding every vector here.
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
        index.nprobe = NPROBE
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    if kind == "ivf-sq8" and map_shards is not None and n > shard_rows:
        empty = faiss.serialize_index(index)
        shards = [vectors[lo : lo + shard_rows] for lo in range(0, n, shard_rows)]
        for filled in map_shards(partial(fill_shard, empty), shards):
            index.merge_from(faiss.deserialize_index(filled), index.ntotal)
    elif n:
        index.add(vectors)
    return index


def fill_shard(empty: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """A serialised trained empty index with `vectors` added, serialised again."""
    import faiss

    index = faiss.deserialize_index(empty)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return faiss.serialize_index(index)


def save_index(index: Any, path: Path) -> None:
    """Write `index` to `path`."""
    import faiss

    faiss.write_index(index, str(path))


def load_index(path: Path) -> Any:
    """Read an index written by `save_index`, memory-mapped where FAISS can."""
    import faiss

    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    if hasattr(index, "nprobe"):
        index.nprobe = NPROBE
    return index


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and row ids of the `k` nearest rows for each query (ids -1 past the end)."""
    k = max(1, min(k, index.ntotal))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
