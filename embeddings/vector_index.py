"""Unit vectors → a FAISS inner-product index (cosine similarity), saved as FAISS's own file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def build_index(vectors: np.ndarray) -> Any:
    """An exact inner-product index over `vectors` (rows must be L2-normalised)."""
    import faiss  # deferred: 0.2 s, only when an index is built or searched

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def save_index(index: Any, path: Path) -> None:
    """Write `index` to `path`."""
    import faiss

    faiss.write_index(index, str(path))


def load_index(path: Path) -> Any:
    """Read an index written by `save_index`, memory-mapped where FAISS can."""
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and row ids of the `k` nearest rows for each query (ids -1 past the end)."""
    k = max(1, min(k, index.ntotal))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
