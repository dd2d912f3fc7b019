"""Chunk texts → a BM25 index (bm25s, Lucene BM25, a Snowball stemmer and stop words per
language, CJK character pairs).

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
SCHEME = "intl"  # what new indexes are built with
EMPTY_TERM = "\x00"  # the tokenizer never yields it: \w never matches NUL
_RUN = re.compile(r"\w+")
_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_COMPOUND = re.compile(
    r"(?<![\w.=])[A-Za-z_]\w*(?:(?:[.=-]|::)\w+)+|(?<![\w.=])[A-Za-z]\w*_\w+"  # a.b, c=1, read_csv
    r"|(?<![\w.])[a-z]+[A-Z]\w*|(?<![\w.])[A-Z][a-z]+[A-Z]\w*"  # setUpClass, CliRunner
)
_MIXED = re.compile(r"(?<![\w.])(?=[a-zA-Z]*\d)(?=\d*[a-zA-Z])[a-zA-Z\d]{2,}(?![\w.])")
_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+)(?![\w.]*\w)")
# Han, kana and Hangul: runs of them are cut into overlapping pairs of characters (Lucene's
# CJK analyzer), for these scripts do not put spaces between words
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\uf900-\ufaff]+"
)


# ISO 639-1 → the Snowball stemmer PyStemmer has for it (qa.languages names the language)
STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "nl": "dutch", "no": "norwegian", "nb": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip


@functools.cache
def _stemmer(name: str = "english") -> Any:
    import Stemmer

    return Stemmer.Stemmer(name)


def bigrams(text: str) -> list[str]:
    """The CJK runs of `text` as overlapping character pairs (a lone character alone)."""
    out: list[str] = []
    for run in _CJK.findall(text):
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return out


class Tokenizer:
    """Split, lower-case, drop stop-words, stem (and, in the "code" and "intl" schemes, keep
    compounds and versions whole): the same for passages and queries.

    "intl": each language its own Snowball stemmer and stop words (qa.languages), CJK runs
    as character pairs, words of any script kept whole (camelCase humps split only in ASCII
    words). A passage is read in its document's language; a question (or any text whose
    language is not known) in each of the index's languages it may be in."""

    def __init__(
        self,
        stopwords: list[str] | dict[str, list[str]],
        scheme: str = SCHEME,
        identify: dict[str, list[str]] | None = None,
        languages: list[str] | None = None,
    ) -> None:
        self.stopwords = stopwords
        self.scheme = scheme
        by_lang = stopwords if isinstance(stopwords, dict) else {"en": stopwords}
        self._stops = {lang: frozenset(words) for lang, words in by_lang.items()}
        self._stop = self._stops.get("en", frozenset())
        self.identify = identify or {}
        self._identify = {lang: frozenset(words) for lang, words in self.identify.items()}
        self.languages = languages or ["en"]  # of the passages: what a question may be in
        self._split = re.compile(TOKEN_PATTERN).findall

    def __call__(self, text: str) -> list[str]:
        # ligatures and compatibility characters match their plain letters (ﬁ → fi): queries
        # and highlighted sentences are tokenized from text as typed or as extracted
        text = for_model(text)
        if self.scheme == "words":
            words = [w for w in self._split(text.lower()) if w not in self._stop]
            return list(_stemmer().stemWords(words))
        if self.scheme == "code":
            return self._code(text, "en", ascii_only=True)
        langs = self.question_languages(text)
        if len(langs) == 1:
            return self._code(text, langs[0])
        seen: dict[str, None] = {}
        for lang in langs:
            seen.update(dict.fromkeys(self._code(text, lang)))
        return list(seen)

    def question_languages(self, text: str) -> list[str]:
        """The languages of the index's passages that `text` may be in (qa.languages)."""
        if self.scheme != "intl":
            return ["en"]
        if len(self.languages) == 1:  # most folders: nothing to place, nothing to import
            return list(self.languages)
        from qa.languages import question_languages

        return question_languages(text, self.languages, self._identify)

    def in_language(self, text: str, lang: str) -> list[str]:
        """The terms of `text` written in `lang` ("" when unknown: as a question is read)."""
        if self.scheme != "intl" or not lang:
            return self(text)
        return self._code(for_model(text), lang)

    def _code(self, text: str, lang: str, *, ascii_only: bool = False) -> list[str]:
        """Code-aware terms of `text` read as `lang`: words split at underscores and (ASCII)
        camelCase humps and stemmed, compounds and versions whole, CJK as pairs."""
        stop = self._stop | self._stops.get(lang, frozenset())
        rest = text if ascii_only else _CJK.sub(" ", text)
        words = [
            w
            for run in _RUN.findall(rest)
            for part in run.split("_")
            for w in (
                h.lower() for h in (_HUMP.findall(part) if ascii_only or part.isascii() else [part])
            )
            if len(w) > 1 and w not in stop
        ]
        whole = [w for c in _COMPOUND.findall(text) if (w := c.lower().strip("_"))]
        if not ascii_only:  # k3s, ec2, base64, md5: letters and digits, also kept whole
            whole += [m.lower() for m in _MIXED.findall(rest)]
        stems = _stemmer(STEMMERS.get(lang, "english")).stemWords(words)
        pairs = [] if ascii_only else bigrams(text)
        return [*stems, *whole, *_VERSION.findall(text), *pairs]


class LexicalIndex:
    """BM25 scores of every chunk for a query."""

    def __init__(
        self, folder: Path | None, bm25: Any = None, tokenizer: Tokenizer | None = None
    ) -> None:
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
        if folder is not None:
            tokenizer = _saved(folder)
        assert tokenizer is not None
        self.tokenize: Tokenizer = tokenizer
        self._bm25 = bm25

    @classmethod
    def build(cls, texts: Iterable[str | tuple[str, str]]) -> LexicalIndex:
        """Index `texts` (one per chunk, in chunk order; read once, as they come) with bm25s;
        a (text, language) pair is read in that language (qa.languages), a text alone as
        questions are."""
        import bm25s  # deferred: 0.4 s, only when an index is built

        tokenize = new_tokenizer()
        corpus = TermIds()
        seen = {"en"}
        for item in texts:
            text, lang = item if isinstance(item, tuple) else (item, "")
            seen.add(lang)
            corpus.add(tokenize.in_language(text, lang))
        tokenize.languages = sorted(seen - {""})
        if len(corpus) and not corpus.vocab:
            # bm25s cannot index a corpus without a single term (only stop words, or no
            # title or date anywhere); a term no query can produce stands in
            corpus.stand_in(EMPTY_TERM)
        bm25 = bm25s.BM25(method="lucene")
        bm25.index(corpus, show_progress=False)
        return cls(None, bm25, tokenize)

    def save(self, folder: Path) -> None:
        """Write the index as .npy and .json files (no pickle)."""
        self._bm25.save(str(folder), show_progress=False)
        tokenize = self.tokenize
        config: dict[str, Any] = {"scheme": tokenize.scheme, "stopwords": tokenize.stopwords}
        if tokenize.scheme == "intl":
            config |= {"identify": tokenize.identify, "languages": tokenize.languages}
        (folder / TOKENIZER_FILE).write_text(json.dumps(config, ensure_ascii=False))

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


def new_tokenizer() -> Tokenizer:
    """The tokenizer of a new index: each language's stop words (bm25s's lists), and the
    words that tell a question's language."""
    import bm25s.stopwords as lists  # build time only

    from qa.languages import STOPWORD_LISTS

    stop = {lang: sorted(getattr(lists, name)) for lang, name in STOPWORD_LISTS.items()}
    identify = {**stop, "en": sorted(lists.STOPWORDS_EN_PLUS)}  # 33 are too few to tell
    return Tokenizer(stop, SCHEME, identify)


def _saved(folder: Path) -> Tokenizer:
    """The tokenizer an index was built with (before schemes: "words")."""
    config = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
    scheme = config.get("scheme") or ("words" if config.get("pattern") == TOKEN_PATTERN else "")
    if scheme not in ("words", "code", "intl"):
        raise ValueError("the BM25 index was tokenized differently")
    stopwords = config["stopwords"]
    if scheme != "intl":
        stopwords = list(stopwords)
    return Tokenizer(stopwords, scheme, config.get("identify"), config.get("languages"))
