"""Text → unit-length float32 vectors with sentence-transformers.

The reference path: the ONNX encoder that qa builds and queries with is checked against it
(parity test), and the benchmarks compare against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings.batches import encode_sorted
from embeddings.models import offline_and_quiet


class SentenceEncoder:
    """A sentence-transformers model loaded from a local folder, on the CPU."""

    def __init__(self, model_path: Path) -> None:
        offline_and_quiet()
        # deferred: importing sentence_transformers pulls in torch (about 5 s)
        from sentence_transformers import SentenceTransformer

        self.model_path = model_path
        self._model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)

    @property
    def dim(self) -> int:
        """Length of the vectors this model produces."""
        dim = self._model.get_embedding_dimension()
        assert dim is not None
        return int(dim)

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Normalised embeddings of `texts`, in order; `on_batch(n)` after each n texts."""

        def run(batch: list[str]) -> np.ndarray:
            return self._model.encode(
                batch,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )

        # Chunks of 4 batches: sentence-transformers sorts within a call; progress per chunk.
        return encode_sorted(texts, self.dim, batch_size * 4, run, on_batch)
