"""Texts → vectors by key: the build's table, resume shards, encoding ahead, pooling."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from qa.chunks import Chunk


def test_pooling_weighs_parts_by_their_word_pieces():
    from qa.vectors import passage_vector

    parts = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    pooled = passage_vector(parts, np.array([3, 1]))
    assert np.allclose(pooled, np.array([3, 1]) / np.sqrt(10))


@pytest.mark.parametrize("spill", [False, True])
def test_the_sentence_table_keeps_every_row_on_disk_or_in_memory(
    tmp_path: Path, monkeypatch, spill: bool
):
    from qa import vectors

    monkeypatch.setattr(vectors, "RELEASE_ROWS", 3)  # hand pages back often
    keys = ["a", "b", "a", "c", "d"]  # "a" twice: a sentence shared by overlap
    path = tmp_path / "resume" / vectors.SPILL
    table = vectors.VectorTable(keys, {"d": np.full(4, 0.5)}, path if spill else None)
    given = {k: np.arange(4, dtype=np.float32) + i for i, k in enumerate("abc")}
    table.put(given.items(), [5, 6, 7])
    table.put([("heading", np.ones(4))])  # not a sentence: kept aside
    assert "a" in table and "heading" in table and "zzz" not in table
    assert [table.word_pieces(k) for k in ("a", "b", "c", "d", "heading")] == [5, 6, 7, 0, 0]
    assert np.array_equal(table["b"], given["b"]) and np.array_equal(table["heading"], np.ones(4))
    got = table.take_sentences(4)
    saved = np.load(got) if spill else got
    assert isinstance(got, Path) == spill and saved.dtype == np.float16
    expected = [given["a"], given["b"], given["a"], given["c"], np.full(4, 0.5)]
    assert np.array_equal(saved, np.array(expected, dtype=np.float16))
    assert table.sentences.size == 0 and table.first == {}


def test_shards_keep_word_pieces_beside_vectors_and_read_the_old_form(tmp_path: Path):
    from embeddings.shards import read_shards, write_shard

    write_shard(tmp_path, ["a", "b"], np.eye(2, dtype=np.float32), np.array([4, 9]))
    write_shard(tmp_path, ["c"], np.ones((1, 2), dtype=np.float32))  # as Ray workers write
    tokens: dict[str, int] = {}
    got = read_shards(tmp_path, np.float16, tokens)
    assert sorted(got) == ["a", "b", "c"] and got["c"].dtype == np.float16
    assert tokens == {"a": 4, "b": 9}


class Stub:
    """Vectors from text lengths; `gate`, if set, holds each encode until it is opened."""

    def __init__(self, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.started = threading.Event()
        self.gate, self.fail = gate, fail

    def encode_counted(self, texts, on_batch=None):  # type: ignore[no-untyped-def]
        self.started.set()
        if self.fail:
            raise RuntimeError("no model here")
        if self.gate is not None:
            assert self.gate.wait(5)
        self.calls.append(list(texts))
        vectors = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
        return vectors, np.array([len(t.split()) + 2 for t in texts])


def chunk_of(*sentences: str) -> Chunk:
    text = " ".join(sentences)
    return Chunk("a.txt", 0, len(text), 1, 1, text, "A", None)


def ahead_with(stub: Stub, folder: Path, known: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    from qa.vectors import EncodeAhead

    return EncodeAhead(
        lambda: stub, lambda t: f"k:{t}", {f"k:{t}": np.ones(2) for t in known}, folder
    )


def test_sentences_are_encoded_while_reading_goes_on(tmp_path: Path, monkeypatch):
    from embeddings.shards import read_shards
    from qa import vectors

    monkeypatch.setattr(vectors, "RESUME_SLICE", 2)
    stub = Stub()
    ahead = ahead_with(stub, tmp_path, known=("Known one.",))
    ahead.add([chunk_of("First one.", "Known one.", "First one.")])  # one new text: no slice yet
    assert not stub.started.is_set()
    ahead.add([chunk_of("Second one.", "Third one here.")])
    assert stub.started.wait(5)  # the thread encodes before reading is over
    assert ahead.finish() == 2
    assert stub.calls == [["First one.", "Second one."]]  # "Third" waits for embed
    tokens: dict[str, int] = {}
    assert sorted(read_shards(tmp_path, np.float16, tokens)) == ["k:First one.", "k:Second one."]
    assert tokens == {"k:First one.": 4, "k:Second one.": 4}


def test_finishing_drops_the_slices_not_started(tmp_path: Path, monkeypatch):
    from qa import vectors

    monkeypatch.setattr(vectors, "RESUME_SLICE", 1)
    gate = threading.Event()
    stub = Stub(gate)
    ahead = ahead_with(stub, tmp_path)
    ahead.add([chunk_of("One.", "Two.", "Three.")])
    assert stub.started.wait(5)
    finisher = threading.Thread(target=ahead.finish)
    finisher.start()
    gate.set()  # the slice under way completes; the two queued ones are dropped
    finisher.join(5)
    assert not finisher.is_alive() and stub.calls == [["One."]] and ahead.encoded == 1


def test_an_encoder_that_fails_ahead_leaves_the_work_to_the_build(tmp_path: Path, monkeypatch):
    from qa import vectors

    monkeypatch.setattr(vectors, "RESUME_SLICE", 1)
    stub = Stub(fail=True)
    ahead = ahead_with(stub, tmp_path)
    ahead.add([chunk_of("One.", "Two.")])
    assert stub.started.wait(5)
    assert ahead.finish() == 0 and not list(tmp_path.glob("*.json"))
