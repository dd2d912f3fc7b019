"""Warm query latency and memory at 10k, 100k and 1M passages (synthetic corpus).

    python -m benchmarks.vector_scale 10000 100000 1000000

Synthetic chunks: clustered unit vectors (like real embeddings, unlike uniform noise), two
sentence vectors each, and 30-word texts from a Zipf-distributed vocabulary for BM25. For each
size: the FAISS index type qa picks, recall@10 of its candidates against exact search, p50/p95
latency of `Retriever.search` (FAISS + BM25 + fusion + sentence scores; the query is
pre-encoded, since encoding costs the same at any size), and bytes per million passages.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    vecs = (
        centres[rng.integers(0, len(centres), n)]
        + 0.35 * rng.normal(size=(n, DIM)).astype(np.float32) / np.sqrt(DIM) * 4
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs.astype(np.float32)


def synthetic_index(n: int, folder: Path):  # type: ignore[no-untyped-def]
    from embeddings.vector_index import build_index, index_kind, save_index
    from qa.chunks import ChunkSettings
    from qa.index import Index, Manifest, Sentences
    from qa.lexical import LexicalIndex

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(1000, DIM)).astype(np.float32)
    vectors = clustered(n, rng, centres)
    sentences = np.repeat(vectors, 2, axis=0) + 0.02 * rng.normal(size=(2 * n, DIM))
    sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
    vocab = np.array([f"w{i}" for i in range(50_000)])
    words = vocab[np.minimum(rng.zipf(1.3, size=(n, 30)), len(vocab)) - 1]
    texts = [" ".join(row) for row in words]
    t = time.perf_counter()
    dense = build_index(vectors)
    build_s = time.perf_counter() - t
    save_index(dense, folder / "dense.faiss")
    lexical = LexicalIndex.build(texts)
    spans = np.zeros((2 * n, 2), dtype=np.int64)
    offsets = np.arange(0, 2 * n + 1, 2)
    manifest = Manifest("synthetic", DIM, ChunkSettings(), str(folder), 0.0, {})
    index = Index(
        folder,
        manifest,
        SyntheticChunks(texts),
        vectors,
        lexical,
        dense,
        Sentences(sentences.astype(np.float16), spans, offsets),
    )
    return index, centres, index_kind(n), build_s


class SyntheticChunks(list):
    """Chunks made on access from the synthetic texts."""

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        from qa.chunks import Chunk

        text = super().__getitem__(i)
        return Chunk("synthetic.txt", 0, len(text), 1, 1, text, "synthetic", None)


class Fixed:
    """A query 'encoder' that returns pre-encoded vectors."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors, self.i = vectors, 0

    def encode(self, texts):  # type: ignore[no-untyped-def]
        out = self.vectors[self.i : self.i + len(texts)]
        self.i += len(texts)
        return out


def main() -> None:
    from embeddings.vector_index import build_index, search
    from qa.retrieve import Retriever

    sizes = [int(x) for x in sys.argv[1:]] or [10_000, 100_000]
    print(
        "| passages | FAISS | build s | recall@10 | p50 ms | p95 ms "
        "| FAISS MB per 1M | vectors+sentences MB per 1M |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            index, centres, kind, build_s = synthetic_index(n, Path(tmp))
            rng = np.random.default_rng(1)
            queries = clustered(200, rng, centres)
            _, exact = search(build_index(index.vectors, "flat"), queries, 10)
            _, approx = search(index.dense, queries, 100)
            recall = np.mean(
                [len(set(e) & set(a)) / 10 for e, a in zip(exact, approx, strict=True)]
            )
            retriever = Retriever(index, Fixed(queries))
            words = [f"w{i} w{i + 7} w{3 * i}" for i in range(200)]
            times = []
            for w in words:
                t = time.perf_counter()
                retriever.search(w, k=5)
                times.append((time.perf_counter() - t) * 1000)
            faiss_mb = (Path(tmp) / "dense.faiss").stat().st_size / n * 1e6 / 2**20
            arrays_mb = (index.vectors.nbytes + index.sentences.vectors.nbytes) / n * 1e6 / 2**20
            p95 = statistics.quantiles(times, n=20)[-1]
            print(
                f"| {n:,} | {kind} | {build_s:.1f} | {recall:.3f} | {statistics.median(times):.1f} "
                f"| {p95:.1f} | {faiss_mb:.0f} | {arrays_mb:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    import resource

    main()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this benchmark process: {peak:.0f} MB")
