"""Chunk texts → a BM25 index (bm25s with Snowball stemming and English stop-words)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np


@functools.cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: list[str]) -> list[list[str]]:
    # deferred: bm25s pulls in scipy.sparse (0.2 s), needed only when an index is built or read
    import bm25s

    tokens = bm25s.tokenize(
        texts,
        stopwords="en",
        stemmer=_stemmer(),
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


class LexicalIndex:
    """BM25 scores of every chunk for a query."""

    def __init__(self, bm25: Any) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        """Index `texts` (one per chunk, in chunk order)."""
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(_tokenize(texts), show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        """Write the index as .npy and .json files (no pickle)."""
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save`, memory-mapped."""
        import bm25s

        if not folder.is_dir():
            raise OSError(f"{folder.name} is missing")
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))

    def terms(self, text: str) -> list[str]:
        """The stemmed query terms of `text` that occur in the index."""
        vocab = self._bm25.vocab_dict
        return [t for t in _tokenize([text])[0] if t in vocab]

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every chunk for the query `text`."""
        terms = self.terms(text)
        if not terms:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
