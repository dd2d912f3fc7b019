"""Questions → ranked Passages: FAISS dense scores fused with BM25 scores.

Fusion is min-max normalised score fusion over the union of both retrievers' candidates:
`weight * dense' + (1 - weight) * bm25'`, each score scaled to [0, 1] within the candidates.
Every candidate gets both scores (dense from its stored vector, BM25 from the full score array),
so a passage found by only one retriever is not punished for the other's silence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from qa.chunks import Chunk, merged_chunk
from qa.index import Index, Sentences

Mask = np.ndarray | None  # one bool per index row: the rows a question may be answered from
EXACT_ROWS = 5000  # a filter allowing at most this many rows scores them all exactly
BROAD = 0.25  # a filter allowing this share of rows may take the unfiltered dense candidates


class QueryEncoder(Protocol):
    """Anything that turns texts into unit vectors."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk: fused `score` in [0, 1], raw `dense` cosine and `lexical` BM25."""

    rank: int
    row: int
    chunk: Chunk
    score: float
    dense: float
    lexical: float
    also_in: tuple[str, ...] = ()  # other files holding the same text (folded into this one)
    # the rows shown, in source order, when passages overlapping this one were merged into
    # it (`chunk` then spans them all); () for one row
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class SearchSettings:
    """How retrieval ranks; the defaults are what `qa eval` measured best."""

    dense_weight: float = 0.55
    sentence_weight: float = 0.75  # share of the best sentence's cosine in a passage's dense score
    depth: int = 100  # candidates taken from each retriever before fusion
    # BM25 of the document's title and date (qa.chunks.field_text), added to the text's BM25
    # at this weight: SQuAD acc@1 +0.2 pt, click and rich docs +2 pt (docs/results.md)
    field_weight: float = 0.3
    # A passage takes this share of the better fused score of its neighbours in the same
    # document (the answer often sits just after the passage that matches best). Measured
    # off: 0.1 cost SQuAD 0.3 pt acc@1, 0.15 gained rich 2 pt and lost click 4 (docs/results.md)
    neighbour_weight: float = 0.0
    # A passage overlapping a better one of the same file (they share a sentence) is merged
    # into it, up to MERGED passages: one result the user reads once, and a slot for another
    # text. (Leaving it out instead lost answers: SQuAD acc@5 0.961 → 0.947.)
    merge: bool = True
    # Passages of other files whose text is this one's (the same words, or word 4-grams
    # shared at least this much: Jaccard) are one result that lists those files: copies of a
    # paper, a page vendored twice, a notice on every page. 1.0: identical text only.
    same_text: float = 0.8
    # In an index of several languages, a question in another language than English: the
    # English-only model's share of the score (it cannot read the question well), and the
    # bonus of a passage in the question's language over a translation of it (a preference,
    # not a filter). Measured on translated docs (benchmarks/i18n.py, docs/results.md).
    foreign_dense_weight: float = 0.3
    language_weight: float = 0.1
    # A passage's fused score is taken down by this share of the share of its text that is
    # boilerplate (qa.boilerplate: a notice on every paper, site navigation). Measured in
    # docs/results.md#boilerplate.
    boilerplate_weight: float = 0.5
    # A follow-up in a conversation ("and how do I undo that?"): the bonus of a passage of
    # the document the previous answer came from (users follow up about what they are
    # reading). Off: 0.5 gained 4 of 30 Helm conversations at rank 1 (tune half) but lost one
    # of 12 Poetry ones (held-out), so it is not kept (docs/results.md, issue 33).
    conversation_weight: float = 0.0
    # A question asked in words (it names no identifier: `names_code`): a passage of a source
    # code file (CODE_SUFFIXES) is scored this much lower, so the page that explains an
    # example program comes before the program. Measured on click's and rich's docs with
    # their examples/ beside them (docs/results.md#kinds-of-file).
    code_weight: float = 0.2


class Retriever:
    """Hybrid search over one loaded index."""

    def __init__(
        self, index: Index, encoder: QueryEncoder, settings: SearchSettings | None = None
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings or SearchSettings()

    def search(self, question: str, k: int = 5, allowed: Mask = None) -> list[Passage]:
        """The `k` best passages for one question (among the `allowed` rows, if given)."""
        return self.batch_search([question], k, allowed=[allowed])[0]

    def batch_search(
        self,
        questions: Sequence[str],
        k: int = 5,
        query_vectors: np.ndarray | None = None,
        allowed: Sequence[Mask] | None = None,
        *,
        prefer: Sequence[Sequence[str]] | None = None,
    ) -> list[list[Passage]]:
        """The `k` best passages for each question, encoding all questions in one batch
        (unless the caller already has their `query_vectors`). `allowed[i]`, one bool per
        row, limits question i to those rows (qa.filters), in both retrievers, before the
        top k are cut; an empty mask finds nothing (see `_dense_candidates`). `prefer[i]`
        are documents question i is asked about (a follow-up's: `conversation_weight`)."""
        from embeddings.vector_index import search

        if not questions:
            return []
        if query_vectors is None:
            query_vectors = self.encoder.encode(list(questions))
        masks = list(allowed) if allowed is not None else [None] * len(questions)
        # one batch search for the questions that may use unfiltered candidates
        broad = [i for i, m in enumerate(masks) if m is None or m.mean() >= BROAD]
        dense_ids: list[np.ndarray | None] = [None] * len(questions)
        if broad:
            _, batch_ids = search(self.index.dense, query_vectors[broad], self.settings.depth)
            for i, row in zip(broad, batch_ids, strict=True):
                dense_ids[i] = row
        found: list[list[Passage]] = []
        preferred = list(prefer) if prefer is not None else [()] * len(questions)
        for q, vec, nearest, mask, docs in zip(
            questions, query_vectors, dense_ids, masks, preferred, strict=True
        ):
            if mask is not None and not mask.any():
                found.append([])
                continue
            ids = nearest if mask is None else self._dense_candidates(vec, nearest, mask)
            assert ids is not None, "an unfiltered question is in the batch search"
            found.append(self._fuse(q, vec, ids, k, mask, prefer=docs))
        return found

    def _dense_candidates(
        self, vector: np.ndarray, nearest: np.ndarray | None, mask: np.ndarray
    ) -> np.ndarray:
        """The nearest allowed rows: of a few rows (<= EXACT_ROWS), all of them scored
        exactly; of a broad filter (`nearest` searched), the allowed ones among the
        unfiltered `depth` nearest, when they are at least a quarter of `depth`; else FAISS
        searching only the allowed rows (an ID selector)."""
        from embeddings.vector_index import search

        depth = self.settings.depth
        count = int(mask.sum())
        if count <= EXACT_ROWS:
            rows = np.flatnonzero(mask)
            scores = np.asarray(self.index.vectors[rows] @ vector, dtype=np.float32)
            return rows[np.argsort(-scores)[:depth]]
        if nearest is not None:
            kept = nearest[(nearest >= 0) & mask[np.maximum(nearest, 0)]]
            if len(kept) >= depth // 4:
                return kept
        return search(self.index.dense, vector[None], depth, mask)[1][0]

    def _fuse(
        self,
        question: str,
        vector: np.ndarray,
        dense_ids: np.ndarray,
        k: int,
        mask: Mask,
        *,
        prefer: Sequence[str] = (),
    ) -> list[Passage]:
        lexical = self.index.lexical.scores(question)
        if self.index.fields is not None and self.settings.field_weight:
            lexical = lexical + self.settings.field_weight * self.index.fields.scores(question)
        if mask is not None:
            lexical = np.where(mask, lexical, 0)
        depth = min(self.settings.depth, len(lexical))
        lexical_ids = np.argpartition(-lexical, depth - 1)[:depth]
        rows = _union(dense_ids[dense_ids >= 0], lexical_ids[lexical[lexical_ids] > 0])
        dense = self._dense_scores(rows, vector)
        lex = lexical[rows]
        w, same_language = self._language_terms(question, rows)
        fused = w * _minmax(dense) + (1 - w) * _minmax(lex) + same_language
        if prefer and (cw := self.settings.conversation_weight):  # divided back: in [0, 1]
            fused = (fused + cw * self._of_documents(rows, prefer)) / (1 + cw)
        if self.settings.neighbour_weight:
            nw = self.settings.neighbour_weight  # divided back, so scores stay in [0, 1]
            fused = (fused + nw * self._neighbours(rows, fused)) / (1 + nw)
        if self.settings.code_weight and not names_code(question):
            code = self.index.code_documents[self.index.row_documents[rows]]
            fused = fused * (1 - self.settings.code_weight * code)
        if self.settings.boilerplate_weight and self.index.sentences.common is not None:
            from qa.boilerplate import boilerplate_share  # an index that has boilerplate

            share = boilerplate_share(self.index.sentences, rows)
            fused = fused * (1 - self.settings.boilerplate_weight * share)
        ranked = np.argsort(-fused, kind="stable")
        return [
            Passage(
                rank=rank,
                row=int(rows[pick.at]),
                chunk=pick.chunk,
                score=float(fused[pick.at]),
                dense=float(dense[pick.at]),
                lexical=float(lex[pick.at]),
                also_in=tuple(pick.also_in),
                rows=tuple(sorted(pick.rows)) if len(pick.rows) > 1 else (),
            )
            for rank, pick in enumerate(self._picked(rows, list(ranked), k), start=1)
        ]

    def _picked(self, rows: np.ndarray, order: list[int], k: int) -> list[_Pick]:
        """The first `k` of `order` with distinct texts. A later passage (within the next
        few) whose text is a pick's is folded into it, its file listed in `also_in` (a copy
        in the same file is dropped); one overlapping a pick of the same file is merged into
        it (`merge`, up to MERGED passages; past that it is a result of its own), while picks
        are still being made."""
        picked: list[_Pick] = []
        further = max(3 * k, k + 20)  # copies rank together: look a little further for them
        for n, i in enumerate(order):
            if len(picked) == k and n >= further:
                break
            row = int(rows[i])
            chunk = self.index.chunks[row]
            shingles = _shingles(chunk.text)
            same = next((p for p in picked if p.same_text(shingles, self.settings.same_text)), None)
            if same is not None:
                if chunk.path != same.chunk.path and chunk.path not in same.also_in:
                    same.also_in.append(chunk.path)
                continue
            if len(picked) == k:
                continue
            near = [p for p in picked if p.overlaps(chunk)]
            if self.settings.merge and near and sum(len(p.rows) for p in near) < MERGED:
                near[0].merge(_Pick(int(i), chunk, [row], [shingles]), *near[1:])  # may bridge
                picked = [p for p in picked if p not in near[1:]]
            else:
                picked.append(_Pick(int(i), chunk, [row], [shingles]))
        return picked

    def _language_terms(self, question: str, rows: np.ndarray) -> tuple[float, np.ndarray | float]:
        """The dense weight for `question`, and each row's bonus for being in its language:
        the defaults (and no bonus) in an index of one language."""
        tokenizer = self.index.lexical.tokenize
        if len(tokenizer.languages) < 2:
            return self.settings.dense_weight, 0.0
        langs = tokenizer.question_languages(question)
        w = self.settings.dense_weight if "en" in langs else self.settings.foreign_dense_weight
        if len(langs) > 1 and "en" in langs:  # keywords alone ("helm install --atomic"):
            langs = ["en"]  # as English, the language technical words are written in
        row_langs = self.index.document_languages[self.index.row_documents[rows]]
        return w, self.settings.language_weight * np.isin(row_langs, langs)

    def _neighbours(self, rows: np.ndarray, fused: np.ndarray) -> np.ndarray:
        """For each candidate row, the better fused score of the rows just before and after
        it in the same document (0 where neither is a candidate). `rows` is sorted."""
        doc = self.index.row_documents
        best = np.zeros_like(fused)
        for step in (-1, 1):
            other = rows + step
            at = np.searchsorted(rows, other).clip(0, len(rows) - 1)
            inside = (other >= 0) & (other < len(doc))
            same = inside & (rows[at] == other)
            same[same] &= doc[rows[same]] == doc[other[same]]
            best = np.maximum(best, np.where(same, fused[at], 0))
        return best

    def _of_documents(self, rows: np.ndarray, paths: Sequence[str]) -> np.ndarray:
        """One bool per row: whether it is a passage of one of the documents at `paths`."""
        inside = np.zeros(len(rows), dtype=bool)
        for path in paths:
            if (span := self.index.document_rows.get(path)) is not None:
                inside |= (rows >= span.start) & (rows < span.stop)
        return inside

    def _dense_scores(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosine of each chunk blended with the best cosine among its sentences."""
        whole = np.asarray(self.index.vectors[rows] @ vector, dtype=np.float32)
        s = self.settings.sentence_weight
        if s == 0:
            return whole
        best = best_sentence_scores(self.index.sentences, rows, vector)
        return np.where(np.isnan(best), whole, (1 - s) * whole + s * np.nan_to_num(best))


MERGED = 3  # at most this many overlapping passages of a file make one result (~300 words)


@dataclass(eq=False)
class _Pick:
    """A result being assembled: its best candidate (`at`), the chunk shown (merged with
    the overlapping ones), its rows, their word shingles, and the other files holding it."""

    at: int
    chunk: Chunk
    rows: list[int]
    shingles: list[frozenset[str]]
    also_in: list[str] = field(default_factory=list)

    def same_text(self, shingles: frozenset[str], threshold: float) -> bool:
        """Whether a passage has the text of one of this result's passages."""
        return any(_alike(s, shingles, threshold) for s in self.shingles)

    def overlaps(self, chunk: Chunk) -> bool:
        """Whether `chunk` shares text with this result in the same file."""
        mine = self.chunk
        return chunk.path == mine.path and chunk.start < mine.end and mine.start < chunk.end

    def merge(self, *others: _Pick) -> None:
        """Take overlapping passages in: the chunk shown spans them all."""
        for other in others:
            self.chunk = merged_chunk(self.chunk, other.chunk)
            self.rows += other.rows
            self.shingles += other.shingles
            self.also_in += [p for p in other.also_in if p not in self.also_in]


def best_sentence_scores(sentences: Sentences, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Highest sentence cosine of each chunk in `rows` (NaN for a chunk without sentences)."""
    idx, at, has = sentences.of_rows(rows)
    cos = np.asarray(sentences.vectors[idx], dtype=np.float32) @ vector
    out = np.full(len(rows), np.nan, dtype=np.float32)
    if has.any():
        out[has] = np.maximum.reduceat(cos, at)
    return out


_WORD = re.compile(r"\w+")
# an identifier, a call, an option, a setting, a file name or code in backticks: `read_csv`,
# `Console()`, `console.print`, `--wait`, `TERM=dumb`, `setup.py`, `getElementById`
_CODE = re.compile(
    r"`[^`]+`|\w+_\w+|\w\(|\w=\w|\b[a-z]+[A-Z]\w*|(?<!\w)--?[a-zA-Z][\w-]*|\b\w+\.[a-zA-Z_]\w+"
)


def names_code(question: str) -> bool:
    """Whether `question` names an identifier, a call, an option or a file (then source code
    may well be what answers it), rather than being asked in words only."""
    return _CODE.search(question) is not None


def _shingles(text: str) -> frozenset[str]:
    """The word 4-grams of `text`, lower-cased (the words themselves when fewer than 4)."""
    words = _WORD.findall(text.lower())
    if len(words) < 4:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[j : j + 4]) for j in range(len(words) - 3))


def _alike(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """Whether two shingle sets are the same text (Jaccard ≥ `threshold`)."""
    if a == b:
        return True
    if threshold >= 1.0 or not a or not b:
        return False
    small, large = sorted((len(a), len(b)))
    if small < threshold * large:  # Jaccard ≤ small / large
        return False
    return len(a & b) / len(a | b) >= threshold


def _minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant array maps to ones when positive, else zeros."""
    if len(x) == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.full_like(x, 1.0 if hi > 0 else 0.0)
    return (x - lo) / (hi - lo)


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of `a` and `b`: np.union1d without its price (it imports
    numpy.ma, 20 ms of every cold `qa ask`)."""
    both = np.sort(np.concatenate([a, b]))
    return both[np.concatenate(([True], both[1:] != both[:-1]))] if len(both) else both
