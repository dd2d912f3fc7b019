"""Boilerplate: sentences recurring across many documents (qa.boilerplate), found at build
time, weighing little in ranking and never highlighted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.boilerplate import boilerplate, boilerplate_share

NOTICE = "Permission to copy this report for classroom use is granted without fee."


def _sentences(*documents: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`first`, `offsets` and `documents` for documents of one passage each, sentences given
    as texts (the same text, the same `first`)."""
    texts = [t for doc in documents for t in doc]
    first = np.array([texts.index(t) for t in texts])
    offsets = np.cumsum([0] + [len(doc) for doc in documents])
    return first, offsets, np.arange(len(documents))


def test_a_sentence_in_many_different_documents_is_boilerplate():
    docs = [[NOTICE, f"Report {i} counts {i} ferries."] for i in range(5)]
    docs += [["Only here."]]
    first, offsets, documents = _sentences(*docs)
    common = boilerplate(first, offsets, documents)
    assert common.tolist() == [True, False] * 5 + [False]


def test_a_sentence_in_few_documents_is_not():
    docs = [[NOTICE, f"Report {i}."] for i in range(3)] + [[f"Other {i}."] for i in range(3)]
    assert not boilerplate(*_sentences(*docs)).any()  # 3 documents: below MIN_DOCUMENTS


def test_copies_of_one_document_count_once():
    paper = ["Raft is a consensus algorithm.", "It elects a leader.", "Logs are replicated."]
    docs = [paper] * 12 + [[f"Note {i}."] for i in range(3)]  # a paper kept in twelve files
    assert not boilerplate(*_sentences(*docs)).any()
    # ... while a notice on many different papers still is boilerplate
    docs = [paper + [NOTICE]] * 12 + [[f"Paper {i} is about topic {i}.", NOTICE] for i in range(4)]
    common = boilerplate(*_sentences(*docs))
    first, _, _ = _sentences(*docs)
    texts = [t for doc in docs for t in doc]
    assert {texts[i] for i in np.flatnonzero(common)} == {NOTICE}
    assert len(first) == len(common)


def test_the_boilerplate_share_of_a_passage_counts_characters():
    from qa.index import Sentences

    spans = np.array([[0, 10], [10, 40], [40, 50], [0, 5]])
    common = np.array([True, False, True, False])
    sentences = Sentences(np.zeros((4, 2)), spans, np.array([0, 3, 3, 4]), common)
    share = boilerplate_share(sentences, np.array([0, 1, 2]))
    assert share.tolist() == pytest.approx([20 / 50, 0.0, 0.0])


@pytest.mark.model
def test_a_notice_on_every_report_is_never_the_answer(tmp_path: Path):
    from qa.workspace import Workspace

    docs = tmp_path / "reports"
    docs.mkdir()
    towns = ["Oslo", "Bergen", "Tromsø", "Stavanger", "Bodø", "Ålesund"]
    for i, town in enumerate(towns):
        (docs / f"report-{i}.txt").write_text(
            f"{NOTICE}\n\nThe {town} ferry report.\n\nIn {town} the ferry to the islands "
            f"leaves at {7 + i} o'clock and carries {100 + i} passengers.\n",
            encoding="utf-8",
        )
    ws = Workspace.resolve(docs, tmp_path / "index")
    ws.build()
    index = ws.load()
    common = index.sentences.common
    assert common is not None
    first = index.chunks[0]
    rows = index.sentences.of(0)
    marked = [first.text[a - first.start : b - first.start] for a, b in index.sentences.spans[rows]]
    assert [t for t, c in zip(marked, common[rows], strict=True) if c] == [NOTICE]
    result = ws.ask(["Is permission granted to copy the Bergen ferry report for classroom use?"])[0]
    assert result.passages[0].citation.path == "report-1.txt"
    assert all(p.answer.text != NOTICE for p in result.passages)
