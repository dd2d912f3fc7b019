"""Sentences → which of them are boilerplate: text that recurs across many documents of a
folder (a copyright notice on every paper, site navigation, a licence header, "Example
output:"). Found at build time, from the sentence keys the build computes anyway
(qa.keys.Plan); retrieval lends such sentences little weight and never highlights one
(qa.retrieve, qa.answer).

A sentence is boilerplate when it occurs in at least MIN_DOCUMENTS documents and at least
SHARE of the folder's documents, copies counted once: documents sharing more than
COPY_SHARE of their sentences are copies of one text (a paper kept as `paper.pdf` and
`paper (1).pdf`), so a paper kept in twelve files is one document whose sentences are its
own, not boilerplate. The threshold and what it finds are in docs/results.md#boilerplate.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qa.index import Sentences

MIN_DOCUMENTS = 4
SHARE = 0.05
COPY_SHARE = 0.5
MAX_COPIES = 50  # a sentence in more documents than this links no copies (it is boilerplate)


def boilerplate(first: np.ndarray, offsets: np.ndarray, documents: np.ndarray) -> np.ndarray:
    """One bool per sentence: whether it is boilerplate. `first` is each sentence's first
    occurrence (the same text, the same value), `offsets[i]:offsets[i + 1]` the sentences of
    passage i and `documents[i]` the number of passage i's document."""
    found = np.zeros(len(first), dtype=bool)
    if not len(first):
        return found
    docs = int(documents.max()) + 1
    holder = documents[np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))]
    pairs = np.unique(first.astype(np.int64) * docs + holder)  # (sentence, document) once
    sentence, document = pairs // docs, pairs % docs
    copy_of = _copies(sentence, document, docs)
    texts = np.unique(sentence * docs + copy_of[document]) // docs  # (sentence, text) once
    holding = np.bincount(texts, minlength=len(first))
    distinct = len(np.unique(copy_of[np.unique(holder)]))
    floor = max(MIN_DOCUMENTS, math.ceil(SHARE * distinct))
    return holding[first] >= floor


def _copies(sentence: np.ndarray, document: np.ndarray, docs: int) -> np.ndarray:
    """For each document, the number of the text it is a copy of (its own number when it is
    a copy of none): documents sharing more than COPY_SHARE of the smaller one's sentences
    (two at least) are one text. `sentence`/`document`: each (sentence, document) pair
    once, sorted."""
    own = np.bincount(document, minlength=docs)
    holders = np.bincount(sentence)[sentence]
    keep = (holders >= 2) & (holders <= MAX_COPIES)
    shared: Counter[tuple[int, int]] = Counter()
    kept, by = sentence[keep], document[keep]
    for group in np.split(by, np.flatnonzero(np.diff(kept)) + 1):
        shared.update(combinations(group.tolist(), 2))
    parent = list(range(docs))

    def root(d: int) -> int:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for (a, b), n in shared.items():
        if n >= 2 and n > COPY_SHARE * min(own[a], own[b]):
            parent[root(b)] = root(a)
    return np.array([root(d) for d in range(docs)], dtype=np.int64)


def boilerplate_share(sentences: Sentences, rows: np.ndarray) -> np.ndarray:
    """For each chunk in `rows`, the share of its sentences' characters that are boilerplate
    (0 for a chunk without sentences, or in an index without boilerplate)."""
    out = np.zeros(len(rows))
    if sentences.common is None:
        return out
    idx, at, has = sentences.of_rows(rows)
    taken = np.asarray(sentences.spans[idx], dtype=np.int64)
    lengths = (taken[:, 1] - taken[:, 0]).astype(np.float64)
    boiler = np.where(sentences.common[idx], lengths, 0.0)
    if has.any():
        out[has] = np.add.reduceat(boiler, at) / np.maximum(np.add.reduceat(lengths, at), 1)
    return out
