"""Evaluation data → metrics: seed-style question files, SQuAD v1.1 and BEIR folders.

Question files (one JSON object per line): `{"question", "answers", "source"}`, or
`{"turns": [...], "answers", "source"}` for a conversation (only the last turn is scored), or
`{"question", "unanswerable": true}`. A question is right at rank k when the passage at rank k
comes from `source` and contains one of `answers`, case-insensitively.

SQuAD and BEIR corpora are written out as plain .txt files (one per article / abstract) and
indexed by the normal pipeline, so what is measured is exactly what users run.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import UsageError
from qa.retrieve import Retriever

if TYPE_CHECKING:
    from qa.conversation import Turn
    from qa.results import AnsweredPassage
    from qa.workspace import Workspace

KS = (1, 3, 5, 10)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalQuestion:
    """One scored question: its conversation turns (the last is the question) and gold data."""

    id: str
    turns: tuple[str, ...]
    answers: tuple[str, ...]
    source: str | None
    unanswerable: bool = False


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a question file; a malformed line is a usage error naming the line."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            turns = tuple(raw["turns"]) if "turns" in raw else (raw["question"],)
            items.append(
                EvalQuestion(
                    id=str(raw.get("id", n)),
                    turns=turns,
                    answers=tuple(raw.get("answers", ())),
                    source=raw.get("source"),
                    unanswerable=bool(raw.get("unanswerable", False)),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}:{n} is not a question line ({exc})") from None
    if not items:
        raise UsageError(f"{path} holds no questions")
    return items


def hit_rank(item: EvalQuestion, passages: list[AnsweredPassage]) -> int | None:
    """1-based rank of the first passage from the right source containing an answer."""
    answers = [a.lower() for a in item.answers]
    for p in passages:
        if _from_source(item, p) and any(a in p.text.lower() for a in answers):
            return p.rank
    return None


def _from_source(item: EvalQuestion, passage: AnsweredPassage) -> bool:
    """Whether the passage is of the source, or the same text in a copy of it (`also_in`):
    the same path when the source names folders (translations share their file names), else
    the same file name."""
    if item.source is None:
        return True
    for path in (passage.citation.path, *passage.also_in):
        if "/" in item.source and (path == item.source or path.endswith("/" + item.source)):
            return True
        if "/" not in item.source and Path(path).name == Path(item.source).name:
            return True
    return False


def rank_metrics(ranks: list[int | None]) -> dict[str, float]:
    """acc@k for k in KS and MRR@10 from the rank of the first hit of each question."""
    n = max(1, len(ranks))
    out = {f"acc@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}
    out["mrr@10"] = sum(1 / r for r in ranks if r is not None and r <= 10) / n
    return out


@dataclass(frozen=True)
class Asked:
    """What qa said to one eval question: the top passage's sentence and short answer."""

    answered: bool
    passages: list[AnsweredPassage]
    highlight: str
    short: str | None = None


def score_questions(
    items: list[EvalQuestion],
    ask: Callable[[list[EvalQuestion]], list[Asked]],
    on_progress: Progress | None = None,
    batch: int = 64,
) -> dict[str, float | None]:
    """Metrics of a question set; `ask` answers a batch of it.

    `highlight@1`: the top passage's highlighted sentence contains a gold answer.
    `short_given`: share of answerable questions given a short answer; `short@1`: share of
    those whose short answer equals a gold answer (SQuAD's normalisation: case, punctuation,
    articles).
    """
    ranks: list[int | None] = []
    source_hits, highlight_hits, unanswerable_right, unanswerable = 0, 0, 0, 0
    shorts, short_hits = 0, 0
    answerable = [i for i in items if not i.unanswerable]
    words = []
    for lo in range(0, len(items), batch):
        part = items[lo : lo + batch]
        for item, said in zip(part, ask(part), strict=True):
            passages = said.passages
            words += [len(p.text.split()) for p in passages]
            if item.unanswerable:
                unanswerable += 1
                unanswerable_right += not said.answered
                continue
            ranks.append(hit_rank(item, passages))
            top = passages[0] if passages else None
            if top and item.source and _from_source(item, top):
                source_hits += 1
            if any(a.lower() in said.highlight.lower() for a in item.answers):
                highlight_hits += 1
            if said.short is not None:
                shorts += 1
                short_hits += any(
                    normal_answer(said.short) == normal_answer(a) for a in item.answers
                )
        if on_progress:
            on_progress(min(lo + batch, len(items)), len(items))
    metrics: dict[str, float | None] = {**rank_metrics(ranks)}
    n = max(1, len(answerable))
    # None (JSON null) where a figure cannot be measured on this set: never NaN
    metrics["source@1"] = source_hits / n if any(i.source for i in answerable) else None
    metrics["highlight@1"] = highlight_hits / n
    metrics["short_given"] = shorts / n
    metrics["short@1"] = short_hits / shorts if shorts else None
    metrics["unanswerable_acc"] = unanswerable_right / unanswerable if unanswerable else None
    metrics["mean_passage_words"] = sum(words) / max(1, len(words))
    metrics["questions"] = len(items)
    return metrics


def normal_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


EVAL_K = 10  # passages per question: acc@k and MRR@10 need the first ten


def ask_batch(ws: Workspace, part: list[EvalQuestion], use_context: bool) -> list[Asked]:
    """Answer a batch of eval questions exactly as `qa ask` does: through
    `answer_questions`, follow-ups searched with their turns before them."""
    from qa.answer import answer_questions

    asked = [item.turns[-1] for item in part]
    turns = [_last_turn(ws, item.turns) for item in part] if use_context else None
    results = answer_questions(
        ws.retriever(),
        asked,
        EVAL_K,
        ws.answering,
        [t.search for t in turns] if turns else None,
        prefer=[t.documents for t in turns] if turns else None,
    )
    return [
        Asked(
            r.answered,
            r.passages,
            r.passages[0].answer.text if r.passages else "",
            r.passages[0].short.text if r.passages and r.passages[0].short else None,
        )
        for r in results
    ]


def _last_turn(ws: Workspace, turns: tuple[str, ...]) -> Turn:
    """The last of a conversation's `turns` as `qa ask --conversation` searches it: after
    the turns before it were asked and answered."""
    from qa.answer import converse
    from qa.conversation import Conversation

    conversation = Conversation()
    for earlier in turns[:-1]:
        converse(ws.retriever(), conversation, earlier, 1, ws.answering)
    return conversation.turn(turns[-1])


# --- SQuAD ---------------------------------------------------------------------------------------


def squad_corpus(squad_file: Path, folder: Path, articles: int | None = None) -> list[EvalQuestion]:
    """Write one .txt per SQuAD article (the first `articles` only, if given) into `folder`;
    return their questions."""
    try:
        data = json.loads(squad_file.read_text(encoding="utf-8"))["data"][:articles]
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{squad_file} is not a SQuAD v1.1 JSON file ({exc})") from None
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for n, article in enumerate(data):
        title = article["title"].replace("_", " ")
        name = f"{n:03d}_{slug(title)}.txt"
        paragraphs = [p["context"].strip() for p in article["paragraphs"]]
        _write_if_changed(folder / name, f"{title}\n\n" + "\n\n".join(paragraphs) + "\n")
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                items.append(EvalQuestion(qa["id"], (qa["question"],), answers, name))
    return items


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:60]


def _write_if_changed(path: Path, text: str) -> None:
    """Write `text` unless the file already holds it (keeps incremental indexing cheap)."""
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# --- BEIR ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BeirSet:
    """Queries and graded relevance judgements of a BEIR split."""

    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def beir_corpus(beir_dir: Path, folder: Path, split: str = "test") -> BeirSet:
    """Write one .txt per BEIR document (title, blank line, text) into `folder`."""
    try:
        corpus = _jsonl(beir_dir / "corpus.jsonl")
        queries = {str(q["_id"]): q["text"] for q in _jsonl(beir_dir / "queries.jsonl")}
        qrels: dict[str, dict[str, int]] = {}
        for line in (beir_dir / "qrels" / f"{split}.tsv").read_text().splitlines()[1:]:
            qid, did, score = line.split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{beir_dir} is not a BEIR folder ({exc})") from None
    folder.mkdir(parents=True, exist_ok=True)
    for doc in corpus:
        text = f"{doc.get('title', '').strip()}\n\n{doc['text'].strip()}\n".lstrip()
        _write_if_changed(folder / f"{slug(str(doc['_id']))}.txt", text)
    return BeirSet({q: queries[q] for q in qrels if q in queries}, qrels)


def _jsonl(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def score_beir(
    retriever: Retriever, beir: BeirSet, on_progress: Progress | None = None, batch: int = 64
) -> dict[str, float]:
    """nDCG@10 and Recall@100 with documents ranked by their best passage."""
    ids = list(beir.queries)
    ndcg, recall = [], []
    for lo in range(0, len(ids), batch):
        part = ids[lo : lo + batch]
        hits = retriever.batch_search([beir.queries[q] for q in part], k=300)
        for qid, passages in zip(part, hits, strict=True):
            ranking = list(dict.fromkeys(Path(p.chunk.path).stem for p in passages))
            ndcg.append(ndcg_at(ranking, beir.qrels[qid], 10))
            relevant = {d for d, s in beir.qrels[qid].items() if s > 0}
            recall.append(len(relevant & set(ranking[:100])) / max(1, len(relevant)))
        if on_progress:
            on_progress(min(lo + batch, len(ids)), len(ids))
    n = max(1, len(ids))
    return {"ndcg@10": sum(ndcg) / n, "recall@100": sum(recall) / n, "queries": len(ids)}


def ndcg_at(ranking: list[str], relevance: dict[str, int], k: int) -> float:
    """Normalised discounted cumulative gain of `ranking` at depth k (BEIR's definition)."""
    dcg = sum(relevance.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted(relevance.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def cache_folder(data: Path) -> Path:
    """Per-user folder where a generated evaluation corpus and its index are kept."""
    from qa.userdirs import user_dir

    key = hashlib.sha1(str(data.resolve()).encode()).hexdigest()[:12]
    return user_dir("cache") / "eval" / f"{data.stem}-{key}"


def workspace(
    data: Path,
    *,
    docs: Path | None,
    index: Path | None,
    corpus: bool,
    max_words: int,
    short_max_words: int,
    overlap: int,
    with_title: bool,
    context: int,
    paragraphs: bool,
    dense_weight: float,
    sentence_weight: float,
    field_weight: float | None,
    neighbour_weight: float | None,
    no_merge: bool,
) -> Workspace:
    """The workspace `qa eval` scores, with its chunking and search settings; for a
    `corpus` (SQuAD, BEIR) the documents are written to a cache folder of `data`, each
    chunking its own index there."""
    from dataclasses import replace

    from qa.chunks import ChunkSettings
    from qa.options import BuildOptions
    from qa.retrieve import SearchSettings
    from qa.workspace import Workspace

    chunking = ChunkSettings(max_words, overlap, with_title, context, paragraphs, short_max_words)
    search = SearchSettings(
        dense_weight=dense_weight, sentence_weight=sentence_weight, merge=not no_merge
    )
    if field_weight is not None:
        search = replace(search, field_weight=field_weight)
    if neighbour_weight is not None:
        search = replace(search, neighbour_weight=neighbour_weight)
    if corpus:
        cache = cache_folder(data)
        docs = cache / "docs"
        docs.mkdir(parents=True, exist_ok=True)
        name = f"index-{max_words}-{overlap}-{int(with_title)}-{context}-{int(paragraphs)}"
        if short_max_words != ChunkSettings.short_max_words:
            name += f"-s{short_max_words}"
        index = index or cache / name
    return Workspace.resolve(docs, index, building=BuildOptions(chunking=chunking), search=search)


@dataclass(frozen=True)
class Task:
    """What `qa eval` scores: questions (a JSONL file, or SQuAD's), or a BEIR set."""

    items: list[EvalQuestion]
    beir: BeirSet | None = None

    @classmethod
    def of(
        cls, ws: Workspace, *, questions: Path | None, squad: Path | None, beir: Path | None
    ) -> Task:
        """The task of the file given; a SQuAD or BEIR corpus is written to `ws.docs`."""
        assert ws.docs is not None or questions is not None, "a corpus is written to ws.docs"
        if squad:
            return cls(squad_corpus(squad, ws.docs))  # type: ignore[arg-type]
        if beir:
            return cls([], beir_corpus(beir, ws.docs))  # type: ignore[arg-type]
        return cls(load_questions(questions) if questions else [])

    def score(
        self, ws: Workspace, *, use_context: bool, on_progress: Progress | None
    ) -> dict[str, float | None]:
        """The metrics of the task on the index of `ws`."""
        if self.beir is not None:
            return {**score_beir(ws.retriever(), self.beir, on_progress)}
        return score_questions(
            self.items, lambda part: ask_batch(ws, part, use_context), on_progress
        )
