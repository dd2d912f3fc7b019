"""Texts → vectors by key: the build's table, resume shards, encoding ahead, pooling."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from qa.chunks import Chunk
from tests.conftest import chunk_of, key_of


def test_pooling_weighs_parts_by_their_word_pieces():
    from qa.vectors import passage_vector

    parts = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    pooled = passage_vector(parts, np.array([3, 1]))
    assert np.allclose(pooled, np.array([3, 1]) / np.sqrt(10))


class Words:
    """Vectors from text lengths, word pieces from words; records what it is asked."""

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.counted: list[str] = []

    def encode_counted(self, texts, on_batch=None):  # type: ignore[no-untyped-def]
        self.encoded.extend(texts)
        if on_batch is not None:
            on_batch(len(texts))
        vectors = np.array([[len(t), 1.0, 0.5] for t in texts], dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors, np.array([len(t.split()) + 2 for t in texts])

    def encode(self, texts, on_batch=None):  # type: ignore[no-untyped-def]
        return self.encode_counted(texts)[0]

    def count_tokens(self, texts):  # type: ignore[no-untyped-def]
        self.counted.extend(texts)
        return np.array([len(t.split()) + 2 for t in texts])


@pytest.mark.parametrize("batch", [1, 2, 100])
def test_a_corpus_is_embedded_batch_by_batch_into_spill_files(
    tmp_path: Path, monkeypatch, batch: int
):
    from qa import keys, vectors
    from qa.chunks import ChunkSettings

    monkeypatch.setattr(vectors, "BATCH", batch)
    monkeypatch.setattr(vectors, "RELEASE_BYTES", 20)  # pages handed back often
    chunks = [
        chunk_of("Alpha is first.", "Beta is second."),
        chunk_of("Beta is second.", "Gamma comes third here."),
        chunk_of("Alpha is first."),
    ]
    # first, a passage with a heading: two texts embedded for one sentence done, which the
    # progress must not count past the batch's sentences
    chunks.insert(0, Chunk("b.md", 0, 8, 1, 1, "Page 3/9", "B", None, section="Usage"))
    planned = keys.plan(chunks, key_of)
    words = Words()
    progress: list[tuple[int, int]] = []
    made = vectors.embed_corpus(
        chunks,
        ChunkSettings(),
        key_of,
        planned,
        known=keys.Known.empty(),
        pooled=keys.Known.empty(),
        folder=tmp_path / "resume",
        encoder=lambda: words,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    # each distinct text read once (a heading too), none
    # counted again: the encoder counted as it read
    assert sorted(words.encoded) == sorted(
        {"Alpha is first.", "Beta is second.", "Gamma comes third here.", "Page 3/9", "Usage"}
    )
    assert words.counted == [] and made.embedded == 4 and made.dim == 3
    assert isinstance(made.sentences, Path) and isinstance(made.passages, Path)
    sentences, passages = np.load(made.sentences), np.load(made.passages)
    assert sentences.dtype == np.float16 and passages.shape == (4, 3)
    assert np.array_equal(sentences[1], sentences[5]) and np.array_equal(sentences[2], sentences[3])
    again = words.encode_counted(["Beta is second.", "Gamma comes third here."])
    expected = vectors.passage_vector(again[0].astype(np.float16), again[1])
    assert np.allclose(passages[2], expected, atol=1e-6)
    assert progress[-1] == (6, 6) and all(
        a[0] <= b[0] for a, b in zip(progress, progress[1:], strict=False)
    )


def test_vectors_known_or_checkpointed_are_not_embedded_again(tmp_path: Path):
    from embeddings.shards import write_shard
    from qa import keys, vectors
    from qa.chunks import ChunkSettings

    chunks = [chunk_of("Old news here.", "Checkpointed one."), chunk_of("Brand new one.")]
    planned = keys.plan(chunks, key_of)
    old = keys.Known(keys.keys_of([key_of("Old news here.")]), np.ones((1, 3)), np.array([0]))
    folder = tmp_path / "resume"
    folder.mkdir()
    write_shard(
        folder,
        keys.hex_keys(keys.keys_of([key_of("Checkpointed one.")])),
        np.ones((1, 3)),
        np.array([4]),
    )
    words = Words()
    made = vectors.embed_corpus(
        chunks,
        ChunkSettings(),
        key_of,
        planned,
        known=old,
        pooled=keys.Known.empty(),
        folder=folder,
        encoder=lambda: words,
    )
    assert words.encoded == ["Brand new one."] and words.counted == ["Old news here."]
    assert made.embedded == 2 and np.load(made.sentences).shape == (3, 3)
    # the passage whose sentences all come from the live index: pooled, not embedded
    alone = [chunk_of("Old news here.")]
    made = vectors.embed_corpus(
        alone,
        ChunkSettings(),
        key_of,
        keys.plan(alone, key_of),
        known=old,
        pooled=keys.Known.empty(),
        folder=tmp_path / "other",
        encoder=lambda: words,
    )
    assert made.embedded == 0


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


def ahead_with(stub: Stub, folder: Path, known: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    from qa.keys import Known, keys_of
    from qa.vectors import EncodeAhead

    keys = keys_of([key_of(t) for t in known])
    return EncodeAhead(
        lambda: stub, key_of, Known(keys, np.ones((len(keys), 2)), np.arange(len(keys))), folder
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
    first, second = (key_of(t).hex() for t in ("First one.", "Second one."))
    assert sorted(read_shards(tmp_path, np.float16, tokens)) == sorted([first, second])
    assert tokens == {first: 4, second: 4}


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
