"""A build on a Ray cluster (`qa index --engine ray`): the same index a local build writes.

Files are read and chunked by Ray Data tasks, passages and sentences embedded by a pool of
actors that write their vectors as shards into the index folder's `resume/` (so the workers
and the driver must share that folder: a local runtime, or a cluster on a shared filesystem),
and an IVF index's shards are filled by Ray tasks and merged here (embeddings.vector_index).
The driver lists the files, checks that every file and every vector came back, and writes
the index with qa.build as usual: `qa ask` cannot tell how an index was built.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunks import Chunk, ChunkSettings, split_document
from qa.documents import Document, Skipped, list_folder, read_file

READ_BATCH = 16  # files per Ray Data read task


class RayEngine:
    """Reading, chunking, embedding and FAISS shards of a build, run on Ray."""

    def __init__(self, encoder_factory: Callable[[], Any], settings: Any) -> None:
        from embeddings.ray_encoder import RayEncoder

        self.encoder = RayEncoder(encoder_factory, settings)  # joins or starts Ray

    def read_and_chunk(
        self, docs_root: Path, chunking: ChunkSettings
    ) -> tuple[list[Document], list[Skipped], list[Chunk]]:
        """Every document below `docs_root` read and chunked by Ray tasks, in path order."""
        import ray

        rels, skipped = list_folder(docs_root)
        results: dict[str, tuple[Document | Skipped, list[Chunk]]] = {}
        if rels:
            read = ray.data.from_items([{"rel": r} for r in rels]).map_batches(
                partial(_read_batch, str(docs_root), chunking),
                batch_size=READ_BATCH,
                batch_format="numpy",
                max_retries=3,
            )
            for batch in read.iter_batches(batch_format="numpy", batch_size=None):
                for rel, blob in zip(batch["rel"], batch["item"], strict=True):
                    results[str(rel)] = pickle.loads(blob)
        if len(results) != len(rels):
            raise RuntimeError(f"Ray read {len(results)} of {len(rels)} files")
        docs, chunks = [], []
        for rel in rels:
            item, item_chunks = results[rel]
            if isinstance(item, Document):
                docs.append(item)
                chunks.extend(item_chunks)
            else:
                skipped.append(item)
        return docs, sorted(skipped, key=lambda s: s.rel), chunks

    def map_shards(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """`fn` over `items` as Ray tasks, in order."""
        return self.encoder.map(fn, items)


def _read_batch(
    docs_root: str, chunking: ChunkSettings, batch: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Read and chunk a batch of files (on a Ray worker); results travel pickled."""
    out = []
    for rel in batch["rel"]:
        got = read_file(Path(docs_root), str(rel))
        chunks = split_document(got, chunking) if isinstance(got, Document) else []
        out.append(pickle.dumps((got, chunks)))
    return {"rel": batch["rel"], "item": np.array(out, dtype=object)}
