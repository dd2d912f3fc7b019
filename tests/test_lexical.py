"""The BM25 query path reads bm25s's saved index without bm25s and scores exactly like it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.lexical import LexicalIndex

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Foxes are quick; dogs are lazy. Running foxes run quickly.",
    "Nothing about animals here, only stocks and bonds.",
    "",
]


def test_scores_match_bm25s(tmp_path: Path):
    import bm25s

    built = LexicalIndex.build(TEXTS)
    built.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    reference = bm25s.BM25.load(str(tmp_path / "bm25"))
    for query in [
        "quick fox",
        "lazy dogs running",
        "bonds",
        "unknownword",
        "the and of",
        "fox fox",
    ]:
        terms = loaded.terms(query)
        expected = reference.get_scores(terms) if terms else np.zeros(len(TEXTS), dtype=np.float32)
        assert np.allclose(loaded.scores(query), expected), query
        assert np.allclose(built.scores(query), expected), query
    assert loaded.terms("The running Foxes") == ["run", "fox"]


@pytest.mark.slow  # starts a process
def test_query_path_does_not_import_bm25s_or_scipy(tmp_path: Path):
    LexicalIndex.build(TEXTS).save(tmp_path / "bm25")
    code = (
        "import sys; from pathlib import Path; from qa.lexical import LexicalIndex; "
        f"ix = LexicalIndex.load(Path({str(tmp_path / 'bm25')!r})); ix.scores('quick fox'); "
        "print([m for m in ('bm25s', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_identifiers_match_whole_and_by_their_parts():
    from qa.lexical import new_tokenizer

    tokens = new_tokenizer()
    assert {"read", "csv", "read_csv", "cache=true"} <= set(tokens("read_csv(cache=True)"))
    assert {"set", "up", "class", "setupclass"} <= set(tokens("def setUpClass(cls):"))
    assert {"tool.pytest.ini_options", "no-cache"} <= set(
        tokens("[tool.pytest.ini_options] and --no-cache")
    )
    assert {"2.1.0", "3.11"} <= set(tokens("new in v2.1.0, needs Python 3.11"))
    assert {"k3s", "ec2", "base64"} <= set(tokens("Run it on k3s or ec2, base64 encoded"))
    index = LexicalIndex.build(
        [
            "Call read_csv to load a table.",
            "Read the csv module docs; read more about csv files and read them.",
            "Since version 2.1.0 the cache is on by default.",
            "Version 2.1 had no cache; 2.0 neither.",
        ]
    )
    assert np.argmax(index.scores("what does read_csv return")) == 0
    assert np.argmax(index.scores("since which version is the cache on, 2.1.0?")) == 2


def test_an_index_tokenized_by_words_is_read_with_its_own_tokenizer(tmp_path: Path):
    import json

    from qa.lexical import TOKEN_PATTERN, TOKENIZER_FILE

    LexicalIndex.build(TEXTS).save(tmp_path / "bm25")
    config = tmp_path / "bm25" / TOKENIZER_FILE
    stopwords = json.loads(config.read_text())["stopwords"]
    config.write_text(json.dumps({"pattern": TOKEN_PATTERN, "stopwords": stopwords}))  # as before
    old = LexicalIndex.load(tmp_path / "bm25")
    assert old.tokenize.scheme == "words"
    assert old.tokenize("read_csv setUpClass") == ["read_csv", "setupclass"]
    config.write_text(json.dumps({"pattern": "other", "stopwords": stopwords}))
    with pytest.raises(ValueError, match="tokenized differently"):
        LexicalIndex.load(tmp_path / "bm25")


def test_a_corpus_without_a_single_term_still_indexes(tmp_path: Path):
    # only stop words, or a structure field with no title or date anywhere
    index = LexicalIndex.build(["the a an", "", "of it"])
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert not loaded.scores("the ferry").any()
    assert len(loaded.scores("ferry")) == 3
