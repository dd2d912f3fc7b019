"""Seed questions end to end through the real model, FAISS and BM25."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE = "When did Lavrov plan to visit Japan?"


@pytest.mark.model
def test_sample_question_cites_doc_000_with_early_march(seed_workspace, seed_index: Path):
    result = seed_workspace.ask([SAMPLE])[0]
    top = result.passages[0]
    assert result.answered
    assert top.citation.path.endswith("000_1d2b28749ff36f0e.txt")
    assert "early march" in top.answer.text.lower()
    assert result.answer == top.answer
    source = (seed_index.parent / "seeds" / "000_1d2b28749ff36f0e.txt").read_text()
    assert source[top.citation.start : top.citation.end] == top.text
    assert source[top.answer.start : top.answer.end] == top.answer.text
    assert top.short is not None and top.short.text == "early March"
    assert source[top.short.start : top.short.end] == "early March"


@pytest.mark.model
def test_every_seed_question_is_right_at_rank_1(seed_workspace, seed_questions):
    answerable = [q for q in seed_questions if not q.get("unanswerable")]
    results = seed_workspace.ask([q["question"] for q in answerable])
    for q, result in zip(answerable, results, strict=True):
        top = result.passages[0]
        assert top.citation.path.endswith(q["source"]), q["id"]
        assert any(a.lower() in top.text.lower() for a in q["answers"]), q["id"]
    # The abstain threshold is calibrated on SQuAD, not on the seeds: one seed question
    # (dev-06, whose answer sits in a page-title line the model scores low) is right at rank 1
    # but shown as weak. More misses than that is a regression.
    assert sum(r.answered for r in results) >= len(answerable) - 1


@pytest.mark.model
def test_unanswerable_seed_question_is_not_answered(seed_workspace, seed_questions):
    for q in (q for q in seed_questions if q.get("unanswerable")):
        result = seed_workspace.ask([q["question"]])[0]
        assert not result.answered
        assert result.answer is None
        assert result.passages, "the nearest passages are still listed as weak"


@pytest.mark.model
@pytest.mark.parametrize("k", [1, 3, 5])
def test_k_passages_ranked_in_order(seed_workspace, k):
    passages = seed_workspace.ask([SAMPLE], k=k)[0].passages
    assert [p.rank for p in passages] == list(range(1, k + 1))
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.mark.model
def test_every_answer_span_slices_its_source(seed_workspace, seed_questions, seed_index: Path):
    docs = seed_index.parent / "seeds"
    for result in seed_workspace.ask([q["question"] for q in seed_questions]):
        for p in result.passages:
            text = (docs / Path(p.citation.path).name).read_text()
            assert text[p.answer.start : p.answer.end] == p.answer.text
            assert p.citation.start <= p.answer.start < p.answer.end <= p.citation.end


@pytest.mark.model
def test_every_short_answer_slices_its_source_inside_its_sentence(
    seed_workspace, seed_questions, seed_index: Path
):
    docs = seed_index.parent / "seeds"
    shorts = 0
    for result in seed_workspace.ask([q["question"] for q in seed_questions]):
        for p in result.passages:
            if p.short is None:
                continue
            shorts += 1
            text = (docs / Path(p.citation.path).name).read_text()
            assert text[p.short.start : p.short.end] == p.short.text
            assert p.answer.start <= p.short.start < p.short.end <= p.answer.end
    assert shorts > 0


def test_pieces_cut_a_passage_around_sentence_and_short_answer():
    from qa.results import Span
    from qa.terminal import pieces

    text = "Intro. Lavrov will visit Japan in early March. Outro."
    sentence = Span("Lavrov will visit Japan in early March.", 107, 146)  # text starts at 100
    short = Span("early March", 134, 145)
    assert pieces(text, 100, sentence, short) == [
        ("Intro. ", ""),
        ("Lavrov will visit Japan in ", "sentence"),
        ("early March", "short"),
        (".", "sentence"),
        (" Outro.", ""),
    ]
    assert pieces(text, 100, sentence, None) == [
        ("Intro. ", ""),
        ("Lavrov will visit Japan in early March.", "sentence"),
        (" Outro.", ""),
    ]


def _overlapping(a, b) -> bool:
    return a.path == b.path and a.start < b.end and b.start < a.end


@pytest.mark.model
def test_overlapping_passages_of_a_file_are_merged_into_one_result(seed_workspace, seed_index):
    from dataclasses import replace

    from qa.retrieve import MERGED, Retriever

    merging = seed_workspace.retriever()
    apart = Retriever(merging.index, merging.encoder, replace(merging.settings, merge=False))
    plain = apart.search(SAMPLE, 10)
    pairs = [
        (a, b) for i, a in enumerate(plain) for b in plain[:i] if _overlapping(a.chunk, b.chunk)
    ]
    assert pairs  # kept apart, neighbours sharing a sentence are both listed
    merged = merging.search(SAMPLE, 10)
    assert 5 <= len(merged) < 10 and merged[0].row == plain[0].row  # seeds: 15 passages
    for i, a in enumerate(merged):  # every result its own text, unless it could not merge
        near = [b for b in merged[:i] if _overlapping(a.chunk, b.chunk)]
        assert not near or sum(len(b.rows) or 1 for b in near) + 1 > MERGED
    later, better = pairs[0]
    holder = next(p for p in merged if better.row in (p.rows or (p.row,)))
    assert later.row in holder.rows and holder.rows == tuple(sorted(holder.rows))
    source = (seed_index.parent / "seeds" / Path(holder.chunk.path).name).read_text()
    assert source[holder.chunk.start : holder.chunk.end] == holder.chunk.text
    assert holder.chunk.start == min(later.chunk.start, better.chunk.start)
    assert holder.chunk.end == max(later.chunk.end, better.chunk.end)


def test_a_merged_passage_offers_the_sentences_of_each_chunk_once():
    import numpy as np

    from qa.answer import passage_sentences
    from qa.index import Sentences
    from qa.retrieve import Passage

    # chunk 0: sentences (0,10) (11,20); chunk 1 starts with the shared (11,20), then (21,30)
    spans = np.array([[0, 10], [11, 20], [11, 20], [21, 30]])
    sentences = Sentences(np.zeros((4, 2)), spans, np.array([0, 2, 4]))
    one = Passage(1, 1, None, 1.0, 1.0, 1.0)  # type: ignore[arg-type]
    assert passage_sentences(sentences, one) == [2, 3]
    both = Passage(1, 1, None, 1.0, 1.0, 1.0, rows=(0, 1))  # type: ignore[arg-type]
    assert passage_sentences(sentences, both) == [0, 1, 3]


def test_a_label_parses_back_to_its_place_whatever_its_section_holds():
    from qa.results import Citation, parse_label

    citation = Citation(
        path="mail/list.mbox",
        line=8,
        end_line=9,
        start=120,
        end=180,
        title='A "t" · x',
        date="2026-02-04",
        page=3,
        section="[ops] Parking · closed ]",
    )
    place = parse_label(citation.label())
    assert (place.path, place.line, place.chars) == ("mail/list.mbox", 8, (120, 180))
    assert parse_label("notes.txt:12").chars is None
    assert parse_label("no citation here") is None


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("What are the tasks of the Council of Wise Men?", "tasks"),
        ("Who heads the Council of Wise Men?", "heads"),
        ("Who is the mayor?", None),
        ("What position does Von Miller play?", "position"),
        ("When did Lavrov plan to visit Japan?", None),
    ],
)
def test_focus_word_names_what_is_asked_for(question, focus):
    from qa.answer import focus_word

    assert focus_word(question) == focus


def test_term_overlap_weighs_the_rare_and_the_asked_for_term():
    from qa.answer import AnswerSettings, term_overlap

    asked = {"task", "council", "wise", "men"}
    sentences = [
        {"council", "wise", "men", "found"},  # "The Council of Wise Men was founded in 2003."
        {"council", "task", "includ"},  # "The Council's tasks include …"
        {"council", "wise", "men", "gather"},
    ]
    plain = term_overlap(asked, sentences, AnswerSettings(focus_idf=0.0, focus_boost=1.0))
    assert plain.argmax() == 0 and plain[0] == 0.75
    focused = term_overlap(
        asked, sentences, AnswerSettings(focus_idf=1.0, focus_boost=2.0), frozenset({"task"})
    )
    assert focused.argmax() == 1


@pytest.mark.model
def test_what_a_body_does_highlights_its_tasks_not_its_founding(seed_workspace):
    result = seed_workspace.ask(["What are the tasks of the Council of Wise Men?"])[0]
    assert "tasks include" in result.passages[0].answer.text


@pytest.mark.model
def test_terms_the_corpus_never_has_lower_confidence(seed_workspace):
    from qa.answer import confidence

    retriever = seed_workspace.retriever()
    known, unknown = "When will Putin visit Japan?", "When will Putin visit Australia?"
    top = {q: retriever.search(q, 1)[0] for q in (known, unknown)}
    assert confidence(retriever, unknown, top[unknown], 0.3, 0.0) > 0.575  # similar enough
    penalised = confidence(retriever, unknown, top[unknown], 0.3, 0.6)
    assert penalised < confidence(retriever, unknown, top[unknown], 0.3, 0.0) - 0.1
    assert confidence(retriever, known, top[known], 0.3, 0.6) == pytest.approx(
        confidence(retriever, known, top[known], 0.3, 0.0)
    )


@pytest.mark.model
def test_a_how_to_question_highlights_the_sentence_with_the_code(tmp_path: Path):
    from qa.workspace import Workspace

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "pager.md").write_text(
        "# Pager Support\n\nSometimes you might want to show long texts on the terminal and let"
        " a user scroll through them. This can be achieved by using the `echo_via_pager`"
        " function, which writes to stdout through a pager. It works like `echo`.\n"
    )
    ws = Workspace.resolve(tmp_path / "docs", tmp_path / "ix")
    ws.build()
    top = ws.ask(["How do I show long output through a pager?"])[0].passages[0]
    assert "echo_via_pager" in top.answer.text
