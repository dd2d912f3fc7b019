"""FAISS search limited to allowed rows: the nearest allowed rows, flat and IVF alike."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.vector_index import build_index, search


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "ivf-sq8"])
def test_search_among_allowed_rows_finds_the_nearest_allowed(kind: str):
    vectors = unit_rows(4000, 32, 0)
    index = build_index(vectors, kind=kind)
    if kind == "ivf-sq8":
        index.nprobe = index.nlist  # every list: results comparable with brute force
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::7] = True
    query = unit_rows(1, 32, 1)
    _, ids = search(index, query, 10, allowed)
    assert allowed[ids[0]].all() and len(ids[0]) == 10
    exact = np.flatnonzero(allowed)[np.argsort(-(vectors[allowed] @ query[0]))[:10]]
    assert len(set(ids[0]) & set(exact)) >= 8  # IVF-SQ8 quantises: near, not always equal
    _, unfiltered = search(index, query, 10)
    assert not allowed[unfiltered[0]].all()  # the filter changed the answer


def test_retrieval_keeps_k_allowed_passages_on_every_path(tmp_path, monkeypatch):
    """Exact scoring of a few rows, the unfiltered candidates of a broad filter, and FAISS's
    selector for a narrow one: each returns k passages, all allowed."""
    from qa import index as index_mod
    from qa import retrieve
    from qa.chunks import Chunk, ChunkSettings
    from qa.manifest import DocEntry, Manifest

    words = [f"w{i}" for i in range(300)]
    rng = np.random.default_rng(2)
    chunks, docs = [], {}
    for d in range(100):
        rel = f"doc{d:03}.txt"
        for c in range(30):
            text = " ".join(rng.choice(words, 20))
            chunks.append(Chunk(rel, c * 200, c * 200 + len(text), c + 1, c + 1, text, rel, None))
        docs[rel] = DocEntry(f"{d:064}", rel, None, 30)
    vectors = unit_rows(len(chunks), 16, 3)
    manifest = Manifest("synthetic", 16, ChunkSettings(), str(tmp_path), 0.0, docs)
    spans = [[(c.start, c.end)] for c in chunks]
    texts = [c.text for c in chunks]
    spans_ = index_mod.sentence_spans(spans)
    index_mod.save_version(
        tmp_path, manifest, chunks, texts, vectors, sentence_vectors=vectors, spans=spans_
    )
    retriever = retrieve.Retriever(index_mod.load(tmp_path), encoder=None)  # type: ignore[arg-type]
    query = unit_rows(1, 16, 4)
    broad = np.zeros(len(chunks), dtype=bool)
    broad[: len(chunks) // 2] = True
    narrow = np.zeros(len(chunks), dtype=bool)
    narrow[::97] = True
    for exact_rows in (10_000, 0):  # every mask scored exactly; then none
        monkeypatch.setattr(retrieve, "EXACT_ROWS", exact_rows)
        for mask in (broad, narrow):
            (found,) = retriever.batch_search(["w1 w2 w3"], 10, query, [mask])
            assert len(found) == 10 and all(mask[p.row] for p in found)
