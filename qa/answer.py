"""Passages → a Result (qa.results): the best-answering sentence of each passage, the short
answer inside it when the question asks for a date, name, place or number (qa.spans), and
whether to abstain.

The highlighted sentence of a passage is the one that best matches the question: cosine
similarity of its embedding to the question's, plus the share of the question's (stemmed) terms
it contains. The question counts as answered when the best passage's `confidence` (its dense
score, plus the share of question terms it contains, minus the share found nowhere) reaches
`AnswerSettings.min_confidence` (how it was calibrated: docs/json.md, docs/results.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.chunks import split_sentences
from qa.conversation import QUESTION_WORDS
from qa.results import AnsweredPassage, Result, Span, cite
from qa.retrieve import Passage, Retriever
from qa.spans import ALL_KINDS, kind_of, short_answer

if TYPE_CHECKING:
    from qa.conversation import Conversation
    from qa.filters import Filters
    from qa.index import Sentences


@dataclass(frozen=True)
class AnswerSettings:
    """Answer selection knobs (see the module docstring)."""

    # calibrated together on SQuAD, the docs sets and the seeds: benchmarks/calibrate_abstain.py
    min_confidence: float = 0.6875
    coverage_weight: float = 0.5  # share of question terms in the passage, added to confidence
    unseen_weight: float = 1.2  # share of question terms found nowhere, taken off confidence
    term_weight: float = 0.5  # weight of question-term overlap when picking the sentence
    # bonus of a sentence that holds what the question asks for (a date for "when", a name
    # for "who", a number for "how many", code for "how do I": qa.spans finds a candidate
    # not in the question)
    focus_weight: float = 0.2
    # share of the passage-IDF weighting of question terms when picking the sentence
    # (term_overlap): 0 counts every term alike
    focus_idf: float = 1.0
    focus_boost: float = 2.0  # weight of the word naming what is asked for (focus_word)


def answer_questions(
    retriever: Retriever,
    questions: list[str],
    k: int = 5,
    settings: AnswerSettings | None = None,
    search_texts: list[str] | None = None,
    filters: Filters | None = None,
    *,
    prefer: list[tuple[str, ...]] | None = None,
) -> list[Result]:
    """Search and answer each question; the model is used once for all questions.

    `search_texts`, when given, is what is searched for each question (a follow-up with its
    conversation's context), and `prefer` the documents each is about (qa.conversation.Turn);
    the results still carry the questions as asked. Each question is answered only from
    passages that pass `filters` and its own `+word`, `-word` and `"phrase"` (qa.filters);
    when none does, its result has no passage.
    """
    from qa.filters import Filters, allowed_rows, parse_question

    settings = settings or AnswerSettings()
    docs_root = Path(retriever.index.manifest.docs_root)
    results = []
    searched, masks = [], []
    for text in search_texts or questions:
        search, own = parse_question(text)
        searched.append(search)
        masks.append(allowed_rows(retriever.index, (filters or Filters()).and_(own)))
    # the questions as asked, filter syntax aside (the searched texts when they are those)
    plain = [parse_question(q)[0] for q in questions] if search_texts else searched
    vectors = retriever.encoder.encode(searched)  # once, for searching and for highlighting
    hits = retriever.batch_search(searched, k, vectors, masks, prefer=prefer)
    asked = list(zip(searched, hits, strict=True))
    spans_per_question = best_sentences(retriever, asked, vectors, settings)
    for question, asked_for, search, passages, spans in zip(
        questions, plain, searched, hits, spans_per_question, strict=True
    ):
        # judged on what was searched: "Who invited him?" is answered in its context
        answered = is_answered(retriever, search, passages, settings)
        shown = [
            AnsweredPassage(
                p.rank,
                round(p.score, 4),
                p.chunk.text,
                span,
                cite(p.chunk, docs_root),
                short_span(asked_for, span),
                p.also_in,
            )
            for p, span in zip(passages, spans, strict=True)
        ]
        results.append(
            Result(
                question=question,
                answered=answered,
                answer=shown[0].answer if answered else None,
                citation=shown[0].citation if answered else None,
                passages=shown,
            )
        )
    return results


def converse(
    retriever: Retriever,
    conversation: Conversation,
    question: str,
    k: int,
    settings: AnswerSettings,
    filters: Filters | None = None,
) -> Result:
    """The next turn of `conversation` answered: searched with its context (qa.conversation),
    and where its answer came from recorded for the turn after it."""
    turn = conversation.turn(question)
    result = answer_questions(
        retriever, [question], k, settings, [turn.search], filters, prefer=[turn.documents]
    )[0]
    conversation.answered([p.citation.path for p in result.passages])
    return result


def confidence(
    retriever: Retriever,
    question: str,
    passage: Passage,
    coverage_weight: float,
    unseen_weight: float = 0.0,
) -> float:
    """How well `passage` answers: its dense similarity, plus `coverage_weight` times the
    share of the question's terms that it contains (strong lexical evidence the model may
    miss), minus `unseen_weight` times the share of the question's terms that occur nowhere
    in the corpus (a question about "Prometheus telemetry" in docs that never say either is
    not answered by a passage that merely matches its other words). Question words ("what",
    "how", "did") are not terms here. A merged passage (Passage.rows) is judged by its best
    chunk, as the threshold was calibrated: its neighbours' words would add coverage."""
    lexical = retriever.index.lexical
    asked = set(lexical.tokenize(question)) - _question_terms(lexical)
    known = asked & set(lexical.terms(question))
    score = passage.dense
    if coverage_weight:
        best = retriever.index.chunks[passage.row] if passage.rows else passage.chunk
        found = known & set(lexical.terms(best.text))
        score += coverage_weight * len(found) / max(1, len(known))
    if unseen_weight:
        score -= unseen_weight * (len(asked) - len(known)) / max(1, len(asked))
    return score


def _question_terms(lexical: Any) -> frozenset[str]:
    """The question words as the index's tokenizer writes them (stemmed)."""
    return frozenset(lexical.tokenize(QUESTION_WORDS))


def is_answered(
    retriever: Retriever, question: str, passages: list[Passage], settings: AnswerSettings
) -> bool:
    """Whether the best passage is close enough to the question to count as an answer."""
    if not passages:
        return False
    score = confidence(
        retriever, question, passages[0], settings.coverage_weight, settings.unseen_weight
    )
    return score >= settings.min_confidence


def best_sentences(
    retriever: Retriever,
    asked: list[tuple[str, list[Passage]]],
    questions: np.ndarray,
    settings: AnswerSettings,
) -> list[list[Span]]:
    """For each (question, passages), the sentence of each passage that best answers it.

    `questions` are the questions' vectors, as searched; sentence vectors come from the index,
    so no model call is made here.
    """
    if not asked:
        return []
    lexical = retriever.index.lexical
    sentences = retriever.index.sentences
    out: list[list[Span]] = []
    for (question, passages), qvec in zip(asked, questions, strict=True):
        q_terms = set(lexical.terms(question))
        word = focus_word(question)
        focus = frozenset(lexical.terms(word)) if word else frozenset()
        spans: list[Span] = []
        for p in passages:
            rows = passage_sentences(sentences, p)
            if not rows:  # a passage of chrome only: show its start
                a, b = (split_sentences(p.chunk.text) or [(0, len(p.chunk.text))])[0]
                spans.append(Span(p.chunk.text[a:b], p.chunk.start + a, p.chunk.start + b))
                continue
            bounds = [(int(a), int(b)) for a, b in sentences.spans[rows]]
            texts = [p.chunk.text[a - p.chunk.start : b - p.chunk.start] for a, b in bounds]
            cosine = np.asarray(sentences.vectors[rows], np.float32) @ qvec
            overlap = term_overlap(q_terms, [set(lexical.terms(t)) for t in texts], settings, focus)
            score = cosine + settings.term_weight * overlap
            if settings.focus_weight and kind_of(question):
                score += settings.focus_weight * np.array(
                    [has_answer_kind(question, t) for t in texts]
                )
            common = sentences.common
            if common is not None and not common[rows].all():  # never boilerplate, if any other
                score = np.where(common[rows], -np.inf, score)
            best = int(np.argmax(score))
            spans.append(Span(texts[best], *bounds[best]))
        out.append(spans)
    return out


def passage_sentences(sentences: Sentences, passage: Passage) -> list[int]:
    """The sentence rows of a passage, of each chunk merged into it (a sentence two chunks
    share counted once), in source order."""
    seen: dict[tuple[int, int], int] = {}
    for row in passage.rows or (passage.row,):
        for i in sentences.of(row):
            seen.setdefault((int(sentences.spans[i][0]), int(sentences.spans[i][1])), i)
    return list(seen.values())


def term_overlap(
    q_terms: set[str],
    sentences: list[set[str]],
    settings: AnswerSettings,
    focus: frozenset[str] = frozenset(),
) -> np.ndarray:
    """Share of the question's terms in each sentence. With `settings.focus_idf`, each term
    counts by how few of the passage's sentences hold it: the terms every sentence repeats
    (the passage's topic, "Council of Wise Men") say less about which sentence answers than
    the one term only the answer holds. The `focus` terms (what the question asks for:
    "tasks", "heads") count `settings.focus_boost` times."""
    if not q_terms:
        return np.zeros(len(sentences))
    terms = sorted(q_terms)
    held = np.array([[t in s for t in terms] for s in sentences], dtype=np.float64)
    weights = np.ones(len(terms))
    if settings.focus_idf:
        df = held.sum(axis=0)
        idf = np.log1p(len(sentences) / (1 + df))
        weights = (1 - settings.focus_idf) + settings.focus_idf * idf / max(idf.max(), 1e-9)
    if focus and settings.focus_boost != 1:
        weights = weights * np.array([settings.focus_boost if t in focus else 1.0 for t in terms])
    return held @ weights / weights.sum()


_FOCUS = (
    # "What are the tasks of …", "What is the address …": the thing asked for
    re.compile(r"^\s*(?:what|which)\s+(?:is|are|was|were)\s+(?:the\s+|a\s+|an\s+)?([\w-]+)", re.I),
    # "Who heads …", "Who invited …": the relation asked about
    re.compile(
        r"^\s*who\s+(?!(?:is|are|was|were|did|does|do|will|would|can|has|have)\b)(\w+)", re.I
    ),
    # "What position does …", "Which country will …"
    re.compile(
        r"^\s*(?:what|which)\s+(\w+)\s+(?:is|are|was|were|did|does|do|will|has|have)\b", re.I
    ),
)


def focus_word(question: str) -> str | None:
    """The word naming what the question asks for (see _FOCUS), or None."""
    for pattern in _FOCUS:
        found = pattern.match(question)
        if found:
            return found[1]
    return None


def has_answer_kind(question: str, sentence: str) -> bool:
    """Whether `sentence` holds an answer of the kind `question` asks for (qa.spans)."""
    return short_answer(question, sentence, ALL_KINDS) is not None


def short_span(question: str, sentence: Span) -> Span | None:
    """The short answer to `question` inside `sentence`, offsets in the source file."""
    found = short_answer(question, sentence.text)
    if found is None:
        return None
    lo, hi = found
    return Span(sentence.text[lo:hi], sentence.start + lo, sentence.start + hi)
