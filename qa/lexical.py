"""Chunk texts → a BM25 index (bm25s, Lucene BM25, Snowball stemming, English stop-words).

bm25s builds and saves the index (a CSC matrix of precomputed term scores as .npy files and
a vocabulary as .json). Queries read those files directly with numpy, memory-mapped: importing
bm25s costs about 0.4 s (it pulls in scipy.sparse), more than the rest of a one-shot `qa ask`.
Scoring a query is summing the matrix columns of its terms, as bm25s's own `get_scores` does
for the Lucene variant (which has no non-occurrence term). The tokenizer's settings (scheme,
stop-words) are saved beside the index, so queries are tokenized exactly like the passages.

Code-aware tokens (scheme "code"): documentation is full of identifiers that plain word
splitting breaks apart or glues together. Words are split at underscores and camelCase
humps (`read_csv` → read, csv; `setUpClass` → set, up, class) and stemmed as prose; every
compound is also indexed whole, unstemmed and lower-cased (`read_csv`, `setupclass`,
`cache=true`, `tool.pytest.ini_options`, `no-cache`), and version numbers stay whole (`2.1.0`,
`v2.1.0` → `2.1.0`), so a question that names an identifier or a version matches it exactly.
Indexes built before (scheme "words": bm25s's default pattern) keep their own tokenizer.
"""

from __future__ import annotations

import functools
import json
import re
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from qa.chunks import for_model

TOKENIZER_FILE = "qa_tokenizer.json"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # bm25s's (and scikit-learn's) default: the "words" scheme
SCHEME = "code"  # what new indexes are built with
EMPTY_TERM = "\x00"  # the tokenizer never yields it: \w never matches NUL
_RUN = re.compile(r"\w+")
_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_COMPOUND = re.compile(
    r"(?<![\w.=])[A-Za-z_]\w*(?:(?:[.=-]|::)\w+)+|(?<![\w.=])[A-Za-z]\w*_\w+"  # a.b, c=1, read_csv
    r"|(?<![\w.])[a-z]+[A-Z]\w*|(?<![\w.])[A-Z][a-z]+[A-Z]\w*"  # setUpClass, CliRunner
)
_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+)(?![\w.]*\w)")


@functools.cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


class Tokenizer:
    """Split, lower-case, drop stop-words, stem (and, in the "code" scheme, keep compounds
    and versions whole): the same for passages and queries."""

    def __init__(self, stopwords: list[str], scheme: str = SCHEME) -> None:
        self.stopwords = stopwords
        self.scheme = scheme
        self._stop = frozenset(stopwords)
        self._split = re.compile(TOKEN_PATTERN).findall

    def __call__(self, text: str) -> list[str]:
        # ligatures and compatibility characters match their plain letters (ﬁ → fi): queries
        # and highlighted sentences are tokenized from text as typed or as extracted
        text = for_model(text)
        if self.scheme == "words":
            words = [w for w in self._split(text.lower()) if w not in self._stop]
            return list(_stemmer().stemWords(words))
        words = [
            w
            for run in _RUN.findall(text)
            for part in run.split("_")
            for w in (h.lower() for h in _HUMP.findall(part))
            if len(w) > 1 and w not in self._stop
        ]
        whole = [w for c in _COMPOUND.findall(text) if (w := c.lower().strip("_"))]
        return [*_stemmer().stemWords(words), *whole, *_VERSION.findall(text)]


class LexicalIndex:
    """BM25 scores of every chunk for a query."""

    def __init__(self, folder: Path | None, bm25: Any = None) -> None:
        if bm25 is not None:  # just built in memory
            self._data = bm25.scores["data"]
            self._indices = bm25.scores["indices"]
            self._indptr = bm25.scores["indptr"]
            self._vocab: dict[str, int] = bm25.vocab_dict
            self._docs = int(bm25.scores["num_docs"])
        else:
            assert folder is not None
            self._data = np.load(folder / "data.csc.index.npy", mmap_mode="r")
            self._indices = np.load(folder / "indices.csc.index.npy", mmap_mode="r")
            self._indptr = np.load(folder / "indptr.csc.index.npy", mmap_mode="r")
            self._vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
            params = json.loads((folder / "params.index.json").read_text())
            if params.get("method") != "lucene":
                raise ValueError(f"BM25 variant {params.get('method')!r}, expected 'lucene'")
            self._docs = int(params["num_docs"])
        self.tokenize = (
            Tokenizer(_default_stopwords()) if folder is None else Tokenizer(*_saved(folder))
        )
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        """Index `texts` (one per chunk, in chunk order; read once, as they come) with bm25s."""
        import bm25s  # deferred: 0.4 s, only when an index is built

        tokenize = Tokenizer(_default_stopwords())
        corpus = TermIds()
        for text in texts:
            corpus.add(tokenize(text))
        if len(corpus) and not corpus.vocab:
            # bm25s cannot index a corpus without a single term (only stop words, or no
            # title or date anywhere); a term no query can produce stands in
            corpus.stand_in(EMPTY_TERM)
        bm25 = bm25s.BM25(method="lucene")
        bm25.index(corpus, show_progress=False)
        return cls(None, bm25)

    def save(self, folder: Path) -> None:
        """Write the index as .npy and .json files (no pickle)."""
        self._bm25.save(str(folder), show_progress=False)
        (folder / TOKENIZER_FILE).write_text(
            json.dumps({"scheme": self.tokenize.scheme, "stopwords": self.tokenize.stopwords})
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save`, memory-mapped."""
        if not folder.is_dir():
            raise OSError(f"{folder.name} is missing")
        return cls(folder)

    def terms(self, text: str) -> list[str]:
        """The stemmed query terms of `text` that occur in the index."""
        return [t for t in self.tokenize(text) if t in self._vocab]

    def rows_with(self, text: str) -> np.ndarray | None:
        """One bool per chunk: it holds every term of `text` (stemmed, as search matches
        words); None when `text` has no term the index could hold (a stop word)."""
        terms = self.tokenize(text)
        if not terms:
            return None
        found = np.ones(self._docs, dtype=bool)
        for term in terms:
            has = np.zeros(self._docs, dtype=bool)
            if term in self._vocab:
                col = self._vocab[term]
                has[self._indices[int(self._indptr[col]) : int(self._indptr[col + 1])]] = True
            found &= has
        return found

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every chunk for the query `text`."""
        scores = np.zeros(self._docs, dtype=np.float32)
        for term in self.terms(text):
            col = self._vocab[term]
            lo, hi = int(self._indptr[col]), int(self._indptr[col + 1])
            scores[self._indices[lo:hi]] += self._data[lo:hi]
        return scores


class TermIds(Sequence[list[int]]):
    """Every chunk's terms as ids into `vocab`, in one int32 array (what bm25s indexes: its
    `ids` and `vocab`). At 105k passages the lists of term strings that bm25s is usually
    given held ~60 bytes a term (every stemmed word its own string); here a term is 4 bytes,
    and each word's string is kept once, in `vocab`."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._terms = array("i")
        self._ends = array("q")

    @property
    def ids(self) -> TermIds:
        return self

    def add(self, terms: list[str]) -> None:
        """Append one chunk's terms."""
        vocab = self.vocab
        self._terms.extend(vocab.setdefault(t, len(vocab)) for t in terms)
        self._ends.append(len(self._terms))

    def stand_in(self, term: str) -> None:
        """Give the first chunk `term`, when no chunk has any."""
        self.vocab[term] = 0
        self._terms.insert(0, 0)
        self._ends = array("q", (e + 1 for e in self._ends))

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> list[int]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[int]]: ...
    def __getitem__(self, i: int | slice) -> list[int] | list[list[int]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        start = self._ends[i - 1] if i else 0
        return self._terms[start : self._ends[i]].tolist()


def _default_stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN  # build time only

    return sorted(STOPWORDS_EN)


def _saved(folder: Path) -> tuple[list[str], str]:
    """The stop-words and scheme an index was tokenized with (before schemes: "words")."""
    config = json.loads((folder / TOKENIZER_FILE).read_text())
    scheme = config.get("scheme") or ("words" if config.get("pattern") == TOKEN_PATTERN else "")
    if scheme not in ("words", "code"):
        raise ValueError("the BM25 index was tokenized differently")
    return list(config["stopwords"]), scheme
