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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from embeddings.ray_encoder import RaySettings

READ_BATCH = 16  # files per Ray Data read task


class RayEngine:
    """Reading, chunking, embedding and FAISS shards of a build, run on Ray."""

    def __init__(self, encoder_factory: Callable[[], Any], settings: RaySettings) -> None:
        from embeddings.ray_encoder import RayEncoder

        self.encoder = RayEncoder(encoder_factory, settings)  # joins or starts Ray

    def map_files(self, fn: Callable[[str], Any], rels: list[str]) -> list[Any]:
        """`fn` over the files `rels` by Ray Data tasks (READ_BATCH files each), in order;
        raises if a file did not come back."""
        import ray

        results: dict[str, Any] = {}
        if rels:
            read = ray.data.from_items([{"rel": r} for r in rels]).map_batches(
                partial(_apply_to_batch, fn),
                batch_size=READ_BATCH,
                batch_format="numpy",
                max_retries=3,
            )
            for batch in read.iter_batches(batch_format="numpy", batch_size=None):
                for rel, blob in zip(batch["rel"], batch["item"], strict=True):
                    results[str(rel)] = pickle.loads(blob)
        if len(results) != len(rels):
            raise RuntimeError(f"Ray read {len(results)} of {len(rels)} files")
        return [results[rel] for rel in rels]

    def map_shards(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """`fn` over `items` as Ray tasks, in order."""
        return self.encoder.map(fn, items)


def _apply_to_batch(
    fn: Callable[[str], Any], batch: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """`fn` over a batch of files (on a Ray worker); results travel pickled."""
    out = [pickle.dumps(fn(str(rel))) for rel in batch["rel"]]
    return {"rel": batch["rel"], "item": np.array(out, dtype=object)}
