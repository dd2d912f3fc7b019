"""What a filter adds to a warm query at 100k passages.

    python -m benchmarks.filters [PASSAGES]   (default 100000)

A synthetic index of PASSAGES passages (1,000 documents of three types over three years,
words drawn from a 5,000-word vocabulary, random unit vectors: retrieval cost does not depend
on what the vectors mean) is written with qa's own writer (IVF-SQ8 above 50k vectors, as a
real build). Each row times `Retriever.search` for the same 50 query vectors, k = 10, warm,
the filter's row mask computed inside the timing; rows are interleaved over 5 rounds so
drift hits all alike, and reported as the median against the unfiltered query.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

DIM = 384


class FixedEncoder:
    """Stands in for the model: query vectors are given."""

    def encode(self, texts):
        raise AssertionError("queries are passed as vectors")


def make_index(root: Path, n: int):
    from qa import index as index_mod
    from qa.chunks import Chunk, ChunkSettings
    from qa.manifest import DocEntry, Manifest

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(5000)]
    docs, chunks = {}, []
    per_doc = n // 1000
    for d in range(1000):
        rel = f"{['reports', 'notes', 'mail'][d % 3]}/doc{d:04}.{['md', 'pdf', 'txt'][d % 3]}"
        day = f"{2019 + d % 3}-0{1 + d % 9}-15"
        for c in range(per_doc):
            text = " ".join(rng.choice(vocab, 60))
            chunks.append(Chunk(rel, c * 500, c * 500 + len(text), c + 1, c + 1, text, rel, day))
        docs[rel] = DocEntry(f"{d:064}", rel, day, per_doc)
    vectors = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spans = [[(c.start, c.end)] for c in chunks]
    manifest = Manifest("synthetic", DIM, ChunkSettings(), str(root), time.time(), docs)
    texts = [c.text for c in chunks]
    index_mod.save_version(
        root,
        manifest,
        chunks,
        texts,
        vectors,
        sentence_vectors=vectors,
        spans=index_mod.sentence_spans(spans),
    )
    return index_mod.load(root), rng


def main() -> None:
    from qa.filters import Filters, allowed_rows
    from qa.retrieve import Retriever

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index, rng = make_index(Path(tmp), n)
        took = time.perf_counter() - start
        print(f"index of {len(index.chunks):,} passages written in {took:.0f} s")
        retriever = Retriever(index, FixedEncoder())
        queries = rng.standard_normal((50, DIM)).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        texts = [" ".join(rng.choice([f"w{i}" for i in range(5000)], 6)) for _ in queries]
        cases = {
            "no filter": Filters(),
            "--path reports/ (1/3)": Filters(paths=("reports/",)),
            "--path 'notes/doc00*' (1/100)": Filters(paths=("notes/doc00*",)),
            "--type pdf,txt (2/3)": Filters(types=("pdf", "txt")),
            "--since 2021-01-01 (1/3)": Filters(since=date(2021, 1, 1)),
            "+w17 (~6%)": Filters(must=("w17",)),
            "-w17": Filters(must_not=("w17",)),
            '"w17 w18" phrase': Filters(phrases=("w17 w18",)),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(5):
            for name, filters in cases.items():
                start = time.perf_counter()
                for text, vector in zip(texts, queries, strict=True):
                    mask = allowed_rows(index, filters)
                    retriever.batch_search([text], 10, vector[None], [mask])
                times[name].append((time.perf_counter() - start) / len(texts))
    base = statistics.median(times["no filter"])
    table = Table(title=f"warm query with filters, {n:,} passages (k = 10)")
    for col in ("filter", "ms per query", "vs no filter"):
        table.add_column(col, justify="right")
    for name, ts in times.items():
        t = statistics.median(ts)
        table.add_row(name, f"{t * 1000:.1f}", f"{t / base:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
