"""Folder → Corpus: chunks spilled to a scratch file as files are read, read back in path order."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.chunks import ChunkSettings
from qa.corpus import ChunkSpill, read_and_chunk
from tests.conftest import chunk_of


def test_chunks_written_in_any_order_come_back_in_path_order(tmp_path: Path):
    spill = ChunkSpill(tmp_path / "resume" / "chunks.partial.jsonl")
    b = [chunk_of("Bee one."), chunk_of("Bee two.")]
    a = [chunk_of("Ay one.")]
    spill.add("b.txt", b)  # a worker finished b first
    spill.add("skipped.txt", [])
    spill.add("a.txt", a)
    chunks = spill.finish(["a.txt", "b.txt"])
    assert len(chunks) == 3 and list(chunks) == [*a, *b]
    assert chunks[-1] == b[1] and chunks[1:] == b
    with pytest.raises(IndexError):
        chunks[3]
    chunks.close()


@pytest.mark.slow  # HTML is read in worker processes
def test_a_spilled_corpus_is_the_one_read_in_memory(tmp_path: Path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "b.md").write_text("# Bees\n\nBees make honey. They live in hives.\n")
    (docs / "sub" / "a.txt").write_text("Ants carry leaves. Ants live in colonies.\n")
    (docs / "c.html").write_text("<html><body><p>Cats sleep a lot.</p></body></html>")
    (docs / "x.bin").write_bytes(bytes(range(256)) * 8)
    read: list[tuple[int, int]] = []
    here = read_and_chunk(docs, ChunkSettings(), on_read=lambda *done: read.append(done))
    assert read == [(1, 3), (2, 3), (3, 3)]  # each listed file, as it is read (x.bin is not)
    spilled = read_and_chunk(docs, ChunkSettings(), spill=tmp_path / "scratch.jsonl")
    assert isinstance(spilled.chunks, ChunkSpill) and isinstance(here.chunks, list)
    assert list(spilled.chunks) == here.chunks and len(here.chunks) >= 3
    assert spilled.docs == here.docs and spilled.skipped == here.skipped
    spilled.chunks.close()
