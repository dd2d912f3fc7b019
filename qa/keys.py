"""Passages → their sentences, keyed; and the vectors a build already has, found by key.

Every text the model reads is keyed by 16 bytes of a hash (of model, text version and text;
qa.build makes them). A build first splits every passage into sentences and keys them
(`plan`: numpy arrays, 40 bytes a sentence, no text kept); the vectors of the live index
and of an interrupted build's checkpoints are then looked up by key in bulk (`Known`:
sorted keys, vectors left where they are), so that no text is embedded twice.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.shards import read_shards
from qa.chunks import Chunk, chunk_sentences, sentence_text
from qa.manifest import release_pages

Key = bytes  # 16 bytes: the key of the vector of one text read by one model
KEY = "S16"  # numpy's type for an array of keys


def pooled_key(key: Callable[[str], Key], parts: list[str]) -> Key:
    """The key of a passage vector pooled from `parts`."""
    return key("\0".join(["pooled", *parts]))


def keys_of(raw: Sequence[Key]) -> np.ndarray:
    """Keys as a numpy array (16 bytes each)."""
    return np.frombuffer(b"".join(raw), dtype=KEY) if raw else np.zeros(0, dtype=KEY)


def hex_keys(keys: np.ndarray) -> list[str]:
    """Keys as the hex strings resume shards keep."""
    text = keys.tobytes().hex()
    return [text[i : i + 32] for i in range(0, len(text), 32)]


@dataclass(frozen=True)
class Plan:
    """Every passage's sentences, made once before anything is embedded: their source spans
    (m × 2), `offsets[i]:offsets[i + 1]` the rows of passage i, each sentence's key, the
    row where the same sentence first occurs (a sentence repeated by overlap or boilerplate
    is read once), and the number of each passage's document (its path's, in order)."""

    spans: np.ndarray
    offsets: np.ndarray
    keys: np.ndarray
    first: np.ndarray
    documents: np.ndarray


def plan(chunks: Sequence[Chunk], key: Callable[[str], Key]) -> Plan:
    """The sentences of `chunks`, keyed (no text kept)."""
    spans, ends, keys = array("q"), array("q", [0]), bytearray()
    paths: dict[str, int] = {}
    documents = array("q")
    for chunk in chunks:
        documents.append(paths.setdefault(chunk.path, len(paths)))
        for a, b in chunk_sentences(chunk):
            spans.extend((a, b))
            keys += key(sentence_text(chunk, a, b))
        ends.append(len(spans) // 2)
    key_array = np.frombuffer(bytes(keys), dtype=KEY)
    _, firsts, inverse = np.unique(key_array, return_index=True, return_inverse=True)
    return Plan(
        np.frombuffer(spans, dtype=np.int64).reshape(-1, 2),
        np.frombuffer(ends, dtype=np.int64),
        key_array,
        firsts[inverse.reshape(-1)],
        np.frombuffer(documents, dtype=np.int64),
    )


class Known:
    """Vectors a build need not compute, looked up by key in bulk: `keys` sorted, each with
    its row in `vectors` (the live index's, memory-mapped, or an interrupted build's shards)
    and its word pieces where they were counted (0: not known)."""

    def __init__(
        self,
        keys: np.ndarray,
        vectors: np.ndarray,
        rows: np.ndarray,
        tokens: np.ndarray | None = None,
    ) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys, self.rows, self.vectors = keys[order], rows[order], vectors
        self.tokens = np.zeros(len(keys), np.int32) if tokens is None else tokens[order]

    @classmethod
    def empty(cls) -> Known:
        return cls(np.zeros(0, dtype=KEY), np.zeros((0, 0), np.float16), np.zeros(0, np.int64))

    @classmethod
    def from_shards(cls, folder: Path, read: set[str] | None = None) -> Known:
        """The vectors of the committed shards in `folder` (an interrupted build's), but
        those named in `read`, which gets the names of those read now."""
        tokens: dict[str, int] = {}
        got = read_shards(folder, np.float16, tokens, read)
        got = {k: v for k, v in got.items() if len(k) == 32}  # other keys: an older qa's
        if not got:
            return cls.empty()
        keys = np.frombuffer(bytes.fromhex("".join(got)), dtype=KEY)
        counts = np.array([tokens.get(k, 0) for k in got], dtype=np.int32)
        return cls(keys, np.array(list(got.values())), np.arange(len(got)), counts)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """The position in `self.keys` of each key, or -1."""
        if not len(self.keys) or not len(keys):
            return np.full(len(keys), -1)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, at, -1)

    def __contains__(self, k: Key) -> bool:
        return bool(self.find(keys_of([k]))[0] >= 0)

    def release(self) -> None:
        """Hand back the pages of `vectors` read so far, if it is memory-mapped."""
        release_pages(self.vectors)

    def vector(self, at: int) -> np.ndarray:
        return np.asarray(self.vectors[self.rows[at]])
