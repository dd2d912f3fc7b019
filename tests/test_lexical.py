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
