"""Text → unit-length float32 vectors with sentence-transformers (the reference path)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


class SentenceEncoder:
    """A sentence-transformers model loaded from a local folder, on the CPU."""

    def __init__(self, model_path: Path) -> None:
        # Never reach for a hub, and keep library progress bars off our stderr.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
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
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first, so each batch pads to similar lengths (sentence-transformers does
        # the same inside one call; doing it here lets progress be reported per batch).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = batch_size * 4
        for lo in range(0, len(order), step):
            ids = order[lo : lo + step]
            vecs = self._model.encode(
                [texts[i] for i in ids],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[ids] = vecs
            if on_batch is not None:
                on_batch(len(ids))
        return out
