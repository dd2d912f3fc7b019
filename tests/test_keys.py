"""Passages → sentences keyed; the vectors a build already has, found by key."""

from __future__ import annotations

import numpy as np

from tests.conftest import chunk_of, key_of


def test_a_plan_keys_each_sentence_and_finds_its_first_occurrence():
    from qa.keys import keys_of, plan

    chunks = [chunk_of("One here.", "Two here."), chunk_of("Two here.", "Three here.")]
    planned = plan(chunks, key_of)
    assert planned.offsets.tolist() == [0, 2, 4]
    assert (
        planned.keys.tolist()
        == keys_of(
            [key_of(t) for t in ("One here.", "Two here.", "Two here.", "Three here.")]
        ).tolist()
    )
    assert planned.first.tolist() == [0, 1, 1, 3]  # "Two" read once
    assert planned.spans.tolist() == [[0, 9], [10, 19], [0, 9], [10, 21]]


def test_known_vectors_are_found_by_key_in_bulk():
    from qa.keys import Known, keys_of

    vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    known = Known(keys_of([key_of("b"), key_of("a")]), vectors, np.array([2, 0]))
    at = known.find(keys_of([key_of("a"), key_of("zz"), key_of("b")]))
    assert at[1] == -1 and known.vector(int(at[0])).tolist() == [0, 1]
    assert known.vector(int(at[2])).tolist() == [4, 5]
    assert key_of("a") in known and key_of("c") not in known
    assert Known.empty().find(keys_of([key_of("a")])).tolist() == [-1]


def test_checkpoints_are_read_by_key_and_an_older_qas_are_left_out(tmp_path):
    from embeddings.shards import write_shard
    from qa.keys import Known, hex_keys, keys_of

    ours = keys_of([key_of("kept one"), key_of("kept two")])
    write_shard(tmp_path, hex_keys(ours), np.eye(2, dtype=np.float32), np.array([3, 4]))
    write_shard(tmp_path, ["ab" * 32], np.ones((1, 2), dtype=np.float32))  # a 64-hex key
    read: set[str] = set()
    known = Known.from_shards(tmp_path, read)
    assert len(known.keys) == 2 and len(read) == 2
    at = known.find(ours)
    assert known.vector(int(at[1])).tolist() == [0, 1] and known.tokens[at].tolist() == [3, 4]
    assert len(Known.from_shards(tmp_path, read).keys) == 0  # nothing new since
